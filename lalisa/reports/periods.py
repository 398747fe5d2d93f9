"""Recap periods: a month, a quarter, a year or a range of local days, with Indonesian labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from lalisa.core.settings import get_settings
from lalisa.office.schedule import MONTH_NAMES_ID

PERIOD_KINDS: Final[Mapping[str, str]] = {
    "bulan": "Bulanan",
    "triwulan": "Triwulanan",
    "tahun": "Tahunan",
    "rentang": "Rentang tanggal",
}
"""Kinds of period offered by the recap page."""


class PeriodError(ValueError):
    """A period or filter from a form is not valid; the message is for the officer."""


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of local days.

    Attributes:
        kind: One of :data:`PERIOD_KINDS`.
        first_day: First local day included.
        last_day: Last local day included.
        label: Bahasa Indonesia label (``November 2026``, ``Triwulan IV 2026``…).
        tz: The agency's time zone.
    """

    kind: str
    first_day: date
    last_day: date
    label: str
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        """Start (aware), local midnight of :attr:`first_day`."""
        return datetime.combine(self.first_day, time.min, tzinfo=self.tz)

    @property
    def end(self) -> datetime:
        """End, exclusive (aware): local midnight after :attr:`last_day`."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=self.tz)


def _tz(tz: ZoneInfo | None) -> ZoneInfo:
    return tz if tz is not None else get_settings().office.tz


def _day_label(day: date) -> str:
    return f"{day.day} {MONTH_NAMES_ID[day.month - 1]} {day.year}"


def month_period(year: int, month: int, tz: ZoneInfo | None = None) -> Period:
    """The calendar month ``month`` of ``year``.

    Raises:
        PeriodError: Month outside 1–12 or year outside 2000–2100.
    """
    _check_year(year)
    if not 1 <= month <= 12:
        raise PeriodError("Bulan tidak valid.")
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    label = f"{MONTH_NAMES_ID[month - 1]} {year}"
    return Period("bulan", first, following - timedelta(days=1), label, _tz(tz))


def quarter_period(year: int, quarter: int, tz: ZoneInfo | None = None) -> Period:
    """Quarter ``quarter`` (1–4) of ``year``.

    Raises:
        PeriodError: Quarter outside 1–4 or year outside 2000–2100.
    """
    _check_year(year)
    if not 1 <= quarter <= 4:
        raise PeriodError("Triwulan tidak valid.")
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    label = f"Triwulan {('I', 'II', 'III', 'IV')[quarter - 1]} {year}"
    return Period("triwulan", first, following - timedelta(days=1), label, _tz(tz))


def year_period(year: int, tz: ZoneInfo | None = None) -> Period:
    """The calendar year ``year``.

    Raises:
        PeriodError: Year outside 2000–2100.
    """
    _check_year(year)
    return Period("tahun", date(year, 1, 1), date(year, 12, 31), f"Tahun {year}", _tz(tz))


def custom_period(first_day: date, last_day: date, tz: ZoneInfo | None = None) -> Period:
    """Days ``first_day`` to ``last_day``, both included.

    Raises:
        PeriodError: The range is reversed or longer than ten years.
    """
    if last_day < first_day:
        raise PeriodError("Tanggal akhir tidak boleh sebelum tanggal awal.")
    if (last_day - first_day).days > 3660:
        raise PeriodError("Rentang tanggal paling lama sepuluh tahun.")
    _check_year(first_day.year)
    _check_year(last_day.year)
    label = f"{_day_label(first_day)} s.d. {_day_label(last_day)}"
    return Period("rentang", first_day, last_day, label, _tz(tz))


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise PeriodError("Tahun tidak valid.")
