"""Office hours of the agency: open/closed, next opening, and Bahasa Indonesia wording.

The weekly schedule comes from ``LALISA_OFFICE_HOURS`` (format in :mod:`lalisa.office.schedule`).
National holidays and cuti bersama come from the ``holidays`` library; local closing days from
``LALISA_EXTRA_HOLIDAYS``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from lalisa.core.settings import Settings, get_settings
from lalisa.office.schedule import (
    DAY_NAMES_ID,
    MONTH_NAMES_ID,
    TimeRange,
    parse_office_hours,
)

_ZONE_ABBREVIATIONS = {
    "Asia/Makassar": "WITA",
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Jayapura": "WIT",
}
# Covers a whole year of closed days (e.g. an empty schedule is rejected at parse time, but a
# schedule open one day a year is legal); beyond that there is no opening to report.
_MAX_SEARCH_DAYS = 400


@functools.lru_cache(maxsize=8)
def _national_holidays(year: int) -> Mapping[date, str]:
    # "government" adds cuti bersama (collective leave for civil servants): offices are closed.
    return holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language="id"
    )


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else get_settings()


def holiday_name(day: date, *, settings: Settings | None = None) -> str | None:
    """Name the holiday on a day, if the office is closed for one.

    Args:
        day: Local calendar date.
        settings: Settings to use instead of :func:`get_settings` (tests).

    Returns:
        The holiday name in Bahasa Indonesia, ``"Libur lokal"`` for a day from
        ``LALISA_EXTRA_HOLIDAYS``, or ``None`` on a normal day.
    """
    national = _national_holidays(day.year).get(day)
    if national:
        return national
    if day in _settings(settings).office.extra_holidays:
        return "Libur lokal"
    return None


def _local(when: datetime, tz: ZoneInfo) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when!r}; pass an aware datetime")
    return when.astimezone(tz)


def _ranges_for(day: date, settings: Settings) -> tuple[TimeRange, ...]:
    if holiday_name(day, settings=settings) is not None:
        return ()
    return parse_office_hours(settings.office.hours).ranges_on(day.weekday())


def is_office_open(when: datetime, *, settings: Settings | None = None) -> bool:
    """Tell whether the office is open at a moment.

    Args:
        when: Aware datetime in any zone; it is converted to the office's zone.
        settings: Settings to use instead of :func:`get_settings` (tests).

    Returns:
        True inside an opening range on a working day that is not a holiday.

    Raises:
        ValueError: ``when`` is naive.
    """
    cfg = _settings(settings)
    local = _local(when, cfg.office.tz)
    clock = local.time().replace(tzinfo=None)
    return any(start <= clock < end for start, end in _ranges_for(local.date(), cfg))


def next_office_opening(when: datetime, *, settings: Settings | None = None) -> datetime:
    """Return when the office is next open, counting from a moment.

    Args:
        when: Aware datetime in any zone.
        settings: Settings to use instead of :func:`get_settings` (tests).

    Returns:
        ``when`` itself (in the office's zone) if the office is open then, otherwise the start
        of the next opening range, as an aware datetime in the office's zone.

    Raises:
        ValueError: ``when`` is naive, or no opening is found within about a year.
    """
    cfg = _settings(settings)
    tz = cfg.office.tz
    local = _local(when, tz)
    clock = local.time().replace(tzinfo=None)
    for offset in range(_MAX_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        for start, end in _ranges_for(day, cfg):
            if offset == 0 and start <= clock < end:
                return local
            if offset > 0 or clock < start:
                return datetime.combine(day, start, tzinfo=tz)
    raise ValueError("the office does not open within a year of the given time")


def zone_abbreviation(settings: Settings | None = None) -> str:
    """Return the Indonesian zone abbreviation (WITA, WIB, WIT) or the zone name.

    Args:
        settings: Settings to use instead of :func:`get_settings` (tests).

    Returns:
        The abbreviation used in citizen-facing text.
    """
    zone = _settings(settings).office.timezone
    return _ZONE_ABBREVIATIONS.get(zone, zone)


def _format_clock(value: time) -> str:
    if value == time.max:
        return "24.00"
    return f"{value.hour:02d}.{value.minute:02d}"


def describe_office_hours(*, settings: Settings | None = None) -> str:
    """Describe the weekly office hours in Bahasa Indonesia.

    Args:
        settings: Settings to use instead of :func:`get_settings` (tests).

    Returns:
        E.g. ``"Senin–Kamis 08.00–16.00 WITA, Jumat 08.00–16.30 WITA"``; consecutive days with
        the same hours are grouped.
    """
    cfg = _settings(settings)
    schedule = parse_office_hours(cfg.office.hours)
    zone = zone_abbreviation(cfg)
    groups: list[tuple[int, int, tuple[TimeRange, ...]]] = []
    for weekday, ranges in sorted(schedule.days.items()):
        if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == ranges:
            groups[-1] = (groups[-1][0], weekday, ranges)
        else:
            groups.append((weekday, weekday, ranges))
    parts = []
    for first, last, ranges in groups:
        days = (
            DAY_NAMES_ID[first] if first == last else f"{DAY_NAMES_ID[first]}–{DAY_NAMES_ID[last]}"
        )
        hours = " dan ".join(f"{_format_clock(s)}–{_format_clock(e)}" for s, e in ranges)
        parts.append(f"{days} {hours} {zone}")
    return ", ".join(parts)


def format_when(when: datetime, *, settings: Settings | None = None) -> str:
    """Format a moment for citizens in Bahasa Indonesia, in the office's zone.

    Args:
        when: Aware datetime in any zone.
        settings: Settings to use instead of :func:`get_settings` (tests).

    Returns:
        E.g. ``"Senin, 30 November 2026 pukul 08.00 WITA"``.

    Raises:
        ValueError: ``when`` is naive.
    """
    cfg = _settings(settings)
    local = _local(when, cfg.office.tz)
    return (
        f"{DAY_NAMES_ID[local.weekday()]}, {local.day} {MONTH_NAMES_ID[local.month - 1]} "
        f"{local.year} pukul {local.hour:02d}.{local.minute:02d} {zone_abbreviation(cfg)}"
    )
