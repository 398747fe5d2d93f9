"""Office hours: open/closed, next opening, holidays, and Bahasa Indonesia wording."""

from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from lalisa.core.settings import Settings, load_settings
from lalisa.office.hours import (
    describe_office_hours,
    format_when,
    holiday_name,
    is_office_open,
    next_office_opening,
)
from lalisa.office.schedule import parse_office_hours

WITA = ZoneInfo("Asia/Makassar")
KEY = Fernet.generate_key().decode()


def make_settings(**env: str) -> Settings:
    base = {"LALISA_IDENTITY_KEY": KEY, "LALISA_VAR_DIR": "/nonexistent-unused"}
    return load_settings(environ={**base, **env}, env_file=None)


DEFAULT = make_settings()


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA)


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        (wita(2026, 11, 16, 9, 0), True),  # Monday morning
        (wita(2026, 11, 16, 8, 0), True),  # opening minute
        (wita(2026, 11, 16, 7, 59), False),
        (wita(2026, 11, 16, 16, 0), False),  # closing minute is closed
        (wita(2026, 11, 12, 15, 59), True),  # Thursday
        (wita(2026, 11, 13, 16, 15), True),  # Friday closes later
        (wita(2026, 11, 13, 19, 30), False),  # Friday evening
        (wita(2026, 11, 14, 10, 0), False),  # Saturday
        (wita(2026, 11, 15, 10, 0), False),  # Sunday
        (wita(2026, 8, 17, 9, 0), False),  # Independence Day (a Monday)
        (wita(2026, 12, 25, 9, 0), False),  # Christmas (a Friday)
        (wita(2026, 12, 24, 9, 0), False),  # cuti bersama Natal (a Thursday)
        (wita(2026, 1, 1, 9, 0), False),  # New Year (a Thursday)
    ],
)
def test_is_office_open(when: datetime, is_open: bool) -> None:
    assert is_office_open(when, settings=DEFAULT) is is_open


def test_other_time_zones_are_converted() -> None:
    # 01:30 UTC is 09:30 WITA on the same Monday.
    assert is_office_open(datetime(2026, 11, 16, 1, 30, tzinfo=timezone.utc), settings=DEFAULT)
    # 23:30 UTC on Sunday is 07:30 WITA Monday: not yet open.
    assert not is_office_open(datetime(2026, 11, 15, 23, 30, tzinfo=timezone.utc), settings=DEFAULT)


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError):
        is_office_open(datetime(2026, 11, 16, 9, 0), settings=DEFAULT)


def test_extra_holidays() -> None:
    settings = make_settings(LALISA_EXTRA_HOLIDAYS="2026-11-16, 2026-11-17")
    assert not is_office_open(wita(2026, 11, 16, 9, 0), settings=settings)
    assert holiday_name(wita(2026, 11, 16).date(), settings=settings) == "Libur lokal"
    assert next_office_opening(wita(2026, 11, 16, 9, 0), settings=settings) == wita(
        2026, 11, 18, 8, 0
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (wita(2026, 11, 13, 19, 30), wita(2026, 11, 16, 8, 0)),  # Friday evening -> Monday
        (wita(2026, 11, 16, 6, 0), wita(2026, 11, 16, 8, 0)),  # Monday early -> same day
        (wita(2026, 11, 16, 9, 15), wita(2026, 11, 16, 9, 15)),  # open now -> now
        (wita(2026, 8, 16, 20, 0), wita(2026, 8, 18, 8, 0)),  # skips Independence Day
        (wita(2026, 12, 23, 17, 0), wita(2026, 12, 28, 8, 0)),  # cuti bersama + Christmas
    ],
)
def test_next_office_opening(when: datetime, expected: datetime) -> None:
    opening = next_office_opening(when, settings=DEFAULT)
    assert opening == expected
    assert opening.tzinfo is not None
    assert opening.utcoffset() == expected.utcoffset()


def test_holiday_names_are_indonesian() -> None:
    assert holiday_name(wita(2026, 8, 17).date(), settings=DEFAULT) is not None
    assert holiday_name(wita(2026, 11, 16).date(), settings=DEFAULT) is None


def test_describe_default_hours() -> None:
    assert describe_office_hours(settings=DEFAULT) == (
        "Senin–Kamis 08.00–16.00 WITA, Jumat 08.00–16.30 WITA"
    )


@pytest.mark.parametrize(
    ("spec", "zone", "expected"),
    [
        ("mon-fri 07:30-16:00", "Asia/Makassar", "Senin–Jumat 07.30–16.00 WITA"),
        (
            "sen-kam 08.00-12.00,13.00-16.00; jum 08:00-11:00; sab 08:00-12:00",
            "Asia/Makassar",
            "Senin–Kamis 08.00–12.00 dan 13.00–16.00 WITA, Jumat 08.00–11.00 WITA, "
            "Sabtu 08.00–12.00 WITA",
        ),
        ("mon,wed 08:00-12:00", "Asia/Jakarta", "Senin 08.00–12.00 WIB, Rabu 08.00–12.00 WIB"),
        ("sun 00:00-24:00", "Asia/Jayapura", "Minggu 00.00–24.00 WIT"),
    ],
)
def test_describe_custom_hours(spec: str, zone: str, expected: str) -> None:
    settings = make_settings(LALISA_OFFICE_HOURS=spec, LALISA_TIMEZONE=zone)
    assert describe_office_hours(settings=settings) == expected


def test_parse_office_hours_structure() -> None:
    schedule = parse_office_hours("mon-thu 08:00-16:00; fri 08:00-11:30, 13:30-16:30")
    assert schedule.ranges_on(0) == ((time(8), time(16)),)
    assert schedule.ranges_on(4) == ((time(8), time(11, 30)), (time(13, 30), time(16, 30)))
    assert schedule.ranges_on(5) == ()


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "mon-thu",
        "someday 08:00-16:00",
        "thu-mon 08:00-16:00",
        "mon 16:00-08:00",
        "mon 08:00-25:00",
        "mon 08:00-12:00,11:00-13:00",
        "mon 08:00-12:00; mon 13:00-16:00",
        "mon 8-16",
    ],
)
def test_parse_office_hours_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_office_hours(spec)


def test_break_in_the_day() -> None:
    settings = make_settings(LALISA_OFFICE_HOURS="mon-fri 08:00-12:00,13:00-16:00")
    assert not is_office_open(wita(2026, 11, 16, 12, 30), settings=settings)
    assert next_office_opening(wita(2026, 11, 16, 12, 30), settings=settings) == wita(
        2026, 11, 16, 13, 0
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (wita(2026, 11, 30, 8, 0), "Senin, 30 November 2026 pukul 08.00 WITA"),
        (wita(2026, 8, 17, 19, 5), "Senin, 17 Agustus 2026 pukul 19.05 WITA"),
        (
            datetime(2026, 1, 2, 16, 30, tzinfo=timezone.utc),
            "Sabtu, 3 Januari 2026 pukul 00.30 WITA",
        ),
    ],
)
def test_format_when(when: datetime, expected: str) -> None:
    assert format_when(when, settings=DEFAULT) == expected


def test_functions_read_settings_by_default(lalisa_env: dict[str, str]) -> None:
    assert is_office_open(wita(2026, 11, 16, 9, 0))
    assert next_office_opening(wita(2026, 11, 13, 19, 30)) == wita(2026, 11, 16, 8, 0)
    assert describe_office_hours().startswith("Senin–Kamis")
    assert format_when(wita(2026, 11, 30, 8, 0)).endswith("WITA")
