"""The agency's weekly office schedule: parsing ``LALISA_OFFICE_HOURS``, day and month names.

A specification such as ``"mon-thu 08:00-16:00; fri 08:00-16:30"`` has segments separated by
``;``, each a day list (``mon-thu``, ``mon,wed``, Indonesian ``sen-kam`` also works) followed
by one or more ``HH:MM-HH:MM`` ranges separated by commas. Days that are not listed are closed.

Pure standard library and no settings: :mod:`lalisa.core.settings` parses the configured value
at start-up with :func:`parse_office_hours`, and :mod:`lalisa.office.hours` answers "open now?".
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType

__all__ = [
    "DAY_NAMES_ID",
    "MONTH_NAMES_ID",
    "OfficeSchedule",
    "TimeRange",
    "parse_office_hours",
]

_DAY_ALIASES: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("mon", "monday", "sen", "senin"),
        ("tue", "tuesday", "sel", "selasa"),
        ("wed", "wednesday", "rab", "rabu"),
        ("thu", "thursday", "kam", "kamis"),
        ("fri", "friday", "jum", "jumat", "jum'at"),
        ("sat", "saturday", "sab", "sabtu"),
        ("sun", "sunday", "min", "minggu", "ahad"),
    )
):
    for _name in _names:
        _DAY_ALIASES[_name] = _index

DAY_NAMES_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTH_NAMES_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)

_TIME = r"(\d{1,2})[:.](\d{2})"
_RANGE_RE = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")
_SEGMENT_RE = re.compile(r"^(?P<days>[a-z',\s\-–]+?)\s+(?P<ranges>\d.*)$")

TimeRange = tuple[time, time]


@dataclass(frozen=True)
class OfficeSchedule:
    """Weekly opening ranges; weekday 0 is Monday. Ranges are sorted and do not overlap."""

    days: Mapping[int, tuple[TimeRange, ...]]

    def ranges_on(self, weekday: int) -> tuple[TimeRange, ...]:
        """Return the opening ranges of a weekday (empty when closed).

        Args:
            weekday: 0 (Monday) to 6 (Sunday).

        Returns:
            The ranges, earliest first.
        """
        return self.days.get(weekday, ())


def _parse_time(hours: str, minutes: str, spec: str) -> time:
    hour, minute = int(hours), int(minutes)
    if hour == 24 and minute == 0:
        return time.max
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValueError(f"invalid time {hours}:{minutes} in {spec!r}")
    return time(hour, minute)


def _parse_days(text: str, spec: str) -> list[int]:
    days: list[int] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.replace("–", "-").partition("-")
        if first not in _DAY_ALIASES or (dash and last not in _DAY_ALIASES):
            raise ValueError(f"unknown day {part!r} in {spec!r} (use mon, tue, … or mon-thu)")
        start = _DAY_ALIASES[first]
        end = _DAY_ALIASES[last] if dash else start
        if end < start:
            raise ValueError(f"day range {part!r} runs backwards in {spec!r}")
        days.extend(range(start, end + 1))
    return days


@functools.lru_cache(maxsize=16)
def parse_office_hours(spec: str) -> OfficeSchedule:
    """Parse an office-hours specification.

    Args:
        spec: E.g. ``"mon-thu 08:00-16:00; fri 08:00-11:30,13:30-16:30"``.

    Returns:
        The weekly schedule.

    Raises:
        ValueError: The specification is malformed, lists a day twice, has an empty or
            overlapping range, or opens on no day at all.
    """
    days: dict[int, tuple[TimeRange, ...]] = {}
    for raw_segment in re.split(r"[;\n]", spec):
        segment = " ".join(raw_segment.lower().split())
        if not segment:
            continue
        match = _SEGMENT_RE.match(segment)
        if match is None:
            raise ValueError(
                f"cannot read segment {raw_segment.strip()!r}; expected e.g. 'mon-thu 08:00-16:00'"
            )
        ranges: list[TimeRange] = []
        for raw_range in match["ranges"].split(","):
            range_match = _RANGE_RE.match(raw_range.strip())
            if range_match is None:
                raise ValueError(
                    f"cannot read time range {raw_range.strip()!r}; expected HH:MM-HH:MM"
                )
            start = _parse_time(range_match[1], range_match[2], spec)
            end = _parse_time(range_match[3], range_match[4], spec)
            if end <= start:
                raise ValueError(f"time range {raw_range.strip()!r} ends before it starts")
            ranges.append((start, end))
        ranges.sort()
        for (_, previous_end), (next_start, _) in itertools.pairwise(ranges):
            if next_start < previous_end:
                raise ValueError(f"overlapping time ranges in {raw_segment.strip()!r}")
        for weekday in _parse_days(match["days"], spec):
            if weekday in days:
                raise ValueError(f"{DAY_NAMES_ID[weekday]} is listed twice in {spec!r}")
            days[weekday] = tuple(ranges)
    if not days:
        raise ValueError("office hours open on no day")
    return OfficeSchedule(days=MappingProxyType(dict(sorted(days.items()))))
