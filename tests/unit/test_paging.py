"""Page numbers of the back office's long lists."""

from __future__ import annotations

import pytest

from lalisa.core.paging import MAX_PAGE, page_count, parse_page


@pytest.mark.parametrize(
    ("raw", "page"),
    [("1", 1), ("7", 7), ("0", 1), ("-3", 1), ("dua", 1), ("", 1), ("99999999", MAX_PAGE)],
)
def test_parse_page(raw: str, page: int) -> None:
    assert parse_page(raw) == page


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (50, 1), (51, 2), (100, 2), (101, 3)])
def test_page_count(total: int, pages: int) -> None:
    assert page_count(total, 50) == pages
