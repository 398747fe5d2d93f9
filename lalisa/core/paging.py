"""Page numbers of the back office's long lists (ticket inbox, conversation review)."""

from __future__ import annotations

from typing import Final

MAX_PAGE: Final = 10_000
"""A page beyond this is read as this: it bounds the OFFSET a hand-edited URL can ask for."""


def parse_page(raw: str) -> int:
    """The 1-based page number of the query string (1 when it is not a number)."""
    try:
        return max(1, min(MAX_PAGE, int(raw)))
    except ValueError:
        return 1


def page_count(total: int, page_size: int) -> int:
    """Number of pages of ``total`` rows (at least one, for an empty list)."""
    return max(1, -(-total // page_size))
