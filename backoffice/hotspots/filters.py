"""The map's filters as typed in the query string, and their translation to a HotspotFilter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final
from urllib.parse import urlencode

from lalisa.places.hotspots import LEVELS, HotspotFilter, Level
from lalisa.tickets.categories import CATEGORY_LABELS
from lalisa.tickets.labels import OPEN_STATUSES
from lalisa.tickets.models import TicketStatus

PERIOD_PRESETS: Final[dict[str, str]] = {
    "7h": "7 hari terakhir",
    "30h": "30 hari terakhir",
    "90h": "90 hari terakhir",
    "12b": "12 bulan terakhir",
    "tahun": "Tahun ini",
    "semua": "Semua waktu",
    "kustom": "Tanggal pilihan",
}
"""Period choices (query value → label)."""
DEFAULT_PERIOD: Final = "12b"
_PRESET_DAYS: Final = {"7h": 7, "30h": 30, "90h": 90, "12b": 365}

HOUR_PRESETS: Final[dict[str, tuple[int, int]]] = {
    "Malam (18.00–06.00)": (18, 6),
    "Siang (06.00–18.00)": (6, 18),
    "Dini hari (00.00–04.00)": (0, 4),
    "Jam kerja (08.00–16.00)": (8, 16),
}
"""Shortcut buttons of the hour filter (label → start, end)."""

OPEN_STATUS_VALUE: Final = "terbuka"
BAD_DATE: Final = "Tanggal tidak valid (gunakan format TTTT-BB-HH); filter tanggal diabaikan."
BAD_RANGE: Final = "Tanggal akhir sebelum tanggal awal; filter tanggal diabaikan."


@dataclass(frozen=True)
class MapFilters:
    """The filters of the map page (kept as typed, for the form and the API links)."""

    periode: str = DEFAULT_PERIOD
    dari: str = ""
    sampai: str = ""
    kategori: str = ""
    status: str = ""
    jam_dari: str = ""
    jam_sampai: str = ""
    tingkat: Level = "kecamatan"

    @classmethod
    def from_query(cls, params: Any) -> MapFilters:
        """Read the filters from query parameters, dropping unknown values.

        Args:
            params: A mapping with ``get`` (``request.query_params``).

        Returns:
            The filters; unknown choices fall back to "all".
        """

        def value(name: str, limit: int = 40) -> str:
            return str(params.get(name) or "").strip()[:limit]

        periode = value("periode")
        level = value("tingkat")
        status = value("status")
        hours = (_hour(value("jam_dari")), _hour(value("jam_sampai")))
        both_hours = None not in hours
        return cls(
            periode=periode if periode in PERIOD_PRESETS else DEFAULT_PERIOD,
            dari=value("dari", 10),
            sampai=value("sampai", 10),
            kategori=value("kategori") if value("kategori") in CATEGORY_LABELS else "",
            status=status if status in _STATUS_CHOICES else "",
            jam_dari=str(hours[0]) if both_hours else "",
            jam_sampai=str(hours[1]) if both_hours else "",
            tingkat=level if level in LEVELS else "kecamatan",
        )

    def query(self, **override: str) -> str:
        """Query string of these filters (for the API calls and links)."""
        values = {
            "periode": self.periode,
            "dari": self.dari if self.periode == "kustom" else "",
            "sampai": self.sampai if self.periode == "kustom" else "",
            "kategori": self.kategori,
            "status": self.status,
            "jam_dari": self.jam_dari,
            "jam_sampai": self.jam_sampai,
            "tingkat": self.tingkat,
        }
        values.update(override)
        return urlencode({key: val for key, val in values.items() if val})


_STATUS_CHOICES: Final = frozenset({OPEN_STATUS_VALUE, *(status.value for status in TicketStatus)})


def _hour(raw: str) -> int | None:
    if not raw.isdigit():
        return None
    hour = int(raw)
    return hour if 0 <= hour <= 23 else None


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class Period:
    """The resolved period: bounds, the period before it, and what to call it.

    Attributes:
        start: First day counted (local), or ``None``.
        end: Last day counted (local, inclusive), or ``None``.
        label: How the page names it.
        problem: Why a typed date was ignored (empty when none was).
    """

    start: date | None
    end: date | None
    label: str
    problem: str = ""

    def bounds(self, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
        """Aware bounds (start inclusive, end exclusive) in the agency's time zone."""
        start = datetime.combine(self.start, time.min, tzinfo=tz) if self.start else None
        end = (
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
            if self.end
            else None
        )
        return start, end

    def previous(self) -> Period | None:
        """The period of equal length just before, or ``None`` for an open-ended period."""
        if self.start is None or self.end is None:
            return None
        length = self.end - self.start + timedelta(days=1)
        return Period(self.start - length, self.start - timedelta(days=1), "periode sebelumnya")


def resolve_period(filters: MapFilters, today: date) -> Period:
    """Turn the period preset (or the typed dates) into days.

    Args:
        filters: The map filters.
        today: Today's date in the agency's time zone.

    Returns:
        The period; "semua" has no bounds, a custom range may be open on one side.
    """
    label = PERIOD_PRESETS[filters.periode]
    if filters.periode in _PRESET_DAYS:
        return Period(today - timedelta(days=_PRESET_DAYS[filters.periode] - 1), today, label)
    if filters.periode == "tahun":
        return Period(date(today.year, 1, 1), today, label)
    if filters.periode == "semua":
        return Period(None, None, label)
    start = _parse_day(filters.dari) if filters.dari else None
    end = _parse_day(filters.sampai) if filters.sampai else None
    if (filters.dari and start is None) or (filters.sampai and end is None):
        return Period(None, None, PERIOD_PRESETS["semua"], BAD_DATE)
    if start is not None and end is not None and end < start:
        return Period(None, None, PERIOD_PRESETS["semua"], BAD_RANGE)
    return Period(start, end, label)


def hotspot_filter(filters: MapFilters, period: Period | None, tz: tzinfo) -> HotspotFilter:
    """Build the aggregation filter for a period (``None``: no period bounds).

    Args:
        filters: The map filters.
        period: The period to count.
        tz: The agency's time zone.

    Returns:
        The filter for :func:`lalisa.places.hotspots.load_points`.
    """
    start, end = period.bounds(tz) if period is not None else (None, None)
    if filters.status == OPEN_STATUS_VALUE:
        statuses = frozenset(OPEN_STATUSES)
    elif filters.status:
        statuses = frozenset({TicketStatus(filters.status)})
    else:
        statuses = frozenset()
    hour_from = int(filters.jam_dari) if filters.jam_dari else None
    hour_to = int(filters.jam_sampai) if filters.jam_sampai else None
    return HotspotFilter(
        start=start,
        end=end,
        categories=frozenset({filters.kategori}) if filters.kategori else frozenset(),
        statuses=statuses,
        hour_from=hour_from,
        hour_to=hour_to,
    )
