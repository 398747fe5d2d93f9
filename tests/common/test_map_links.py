"""lalisa_common.map_links: a Google Maps link pasted alone, as both environments read it."""

from __future__ import annotations

import pytest

from lalisa_common.map_links import is_bare_map_link


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8", True),
        ("ini lokasinya min https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8", True),
        ("https://www.google.com/maps/place/-2.457197,115.506692", True),
        ("maps.google.com/?q=-2.324289,115.460773 di sini pak", True),
        # A story with the link is read as the story.
        ("ada balap liar tiap malam minggu di jalan ini https://maps.app.goo.gl/7xQp", False),
        ("https://www.youtube.com/watch?v=abc", False),
        ("desa halong", False),
        ("", False),
    ],
)
def test_a_bare_map_link(text: str, bare: bool) -> None:
    assert is_bare_map_link(text) is bare
