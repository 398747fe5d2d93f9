"""Ticket number formatting and parsing (LLS-YYYY-NNNNNN)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lalisa.tickets.numbers import format_ticket_number, parse_ticket_number


@pytest.mark.parametrize(
    ("year", "n", "expected"),
    [
        (2026, 1, "LLS-2026-000001"),
        (2026, 123, "LLS-2026-000123"),
        (2027, 999_999, "LLS-2027-999999"),
    ],
)
def test_format(year: int, n: int, expected: str) -> None:
    assert format_ticket_number(year, n) == expected


@pytest.mark.parametrize(("year", "n"), [(2026, 0), (2026, -1), (2026, 1_000_000), (99, 1)])
def test_format_rejects_out_of_range(year: int, n: int) -> None:
    with pytest.raises(ValueError):
        format_ticket_number(year, n)


@pytest.mark.parametrize(
    "text",
    [
        "LLS-2026-000123",
        "lls-2026-000123",
        "lls 2026 123",
        "LLS 2026 000123",
        "lls2026000123",
        "lls2026 123",
        "LLS/2026/123",
        "LLS_2026_000123",
        "cek status LLS-2026-000123 bagaimana?",
        "nomor tiket ulun lls 2026 123 pian",
        "#LLS-2026-000123",
    ],
)
def test_parse_accepts_typed_variants(text: str) -> None:
    assert parse_ticket_number(text) == "LLS-2026-000123"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-000123",
        "LLS-2026",
        "LLS-2026-0000000123",
        "LLS-2026-000000",
        "LLS-1999-000123",
        "halo pian",
        "ALLS-2026-000123",
    ],
)
def test_parse_rejects(text: str) -> None:
    assert parse_ticket_number(text) is None


@pytest.mark.parametrize(("year", "n"), [(2026, 1), (2030, 45_678), (2026, 999_999)])
def test_round_trip(year: int, n: int) -> None:
    assert parse_ticket_number(format_ticket_number(year, n)) == format_ticket_number(year, n)


@given(
    year=st.integers(min_value=2000, max_value=9999),
    n=st.integers(min_value=1, max_value=999_999),
    separator=st.sampled_from(["-", " ", "", "/", " - "]),
    prefix=st.sampled_from(["LLS", "lls", "Lls"]),
)
def test_any_typed_spelling_round_trips(year: int, n: int, separator: str, prefix: str) -> None:
    typed = f"{prefix}{separator}{year}{separator}{n:06d}"
    assert parse_ticket_number(f"cek {typed} ya") == format_ticket_number(year, n)
