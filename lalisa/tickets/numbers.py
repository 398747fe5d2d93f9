"""Ticket numbers ``LLS-YYYY-NNNNNN``: the format, and finding one in a citizen's text.

Pure functions; the number itself is allocated in the ticket's own transaction by
:func:`lalisa.tickets.service.submit_complaint`.
"""

from __future__ import annotations

import re

_NUMBER_RE = re.compile(r"\bLLS[\s\-_./#]*(\d{4})[\s\-_./]*(\d{1,6})(?!\d)", re.IGNORECASE)


def format_ticket_number(year: int, n: int) -> str:
    """Format a ticket number.

    Args:
        year: Four-digit year the ticket was created in (local time).
        n: Sequence number within the year, starting at 1.

    Returns:
        E.g. ``"LLS-2026-000123"``.

    Raises:
        ValueError: The year or the sequence number is out of range.
    """
    if not 1000 <= year <= 9999:
        raise ValueError(f"year out of range: {year}")
    if not 1 <= n <= 999_999:
        raise ValueError(f"ticket sequence number out of range: {n}")
    return f"LLS-{year:04d}-{n:06d}"


def parse_ticket_number(text: str) -> str | None:
    """Find a ticket number in text typed by a citizen and return its canonical form.

    Accepts ``"LLS-2026-000123"``, ``"lls 2026 123"``, ``"lls2026000123"`` and the like, also
    inside a longer message.

    Args:
        text: Free text.

    Returns:
        The canonical number, or ``None`` when the text holds none.
    """
    match = _NUMBER_RE.search(text)
    if match is None:
        return None
    year, n = int(match[1]), int(match[2])
    if year < 2000 or n == 0:
        return None
    return format_ticket_number(year, n)
