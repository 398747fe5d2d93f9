"""Recognising Banjar (Banjar Hulu) greetings so the assistant can answer in kind."""

from __future__ import annotations

import re

# Words that are Banjar and not ordinary Indonesian. Shared words (tadi, jua,
# urang) are left out on purpose: an Indonesian "halo" must not get a Banjar reply.
BANJAR_MARKERS = frozenset(
    {
        "ulun",
        "pian",
        "ikam",
        "handak",
        "kada",
        "kadada",
        "habar",
        "baapa",
        "salamat",
        "bapadah",
        "hagan",
        "gasan",
        "inggih",
        "kawa",
        "hingkat",
        "napa",
        "kayapa",
        "wayahini",
        "samalam",
        "tarima",
        "banar",
        "haja",
        "sidin",
        "bubuhan",
        "lawan",
    }
)


def is_banjar(text: str) -> bool:
    """Tells whether a short message reads as Banjar.

    Args:
        text: The citizen's message.

    Returns:
        True when the message contains at least one Banjar marker word.
    """
    words = re.findall(r"[a-z]+", text.lower())
    return any(word in BANJAR_MARKERS for word in words)
