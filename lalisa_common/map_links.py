"""Google Maps links pasted instead of a location pin.

People who cannot find WhatsApp's location button paste the link Google Maps shares: a short
link (``maps.app.goo.gl/…``, which only redirects and holds no coordinates) or a long one
(``google.com/maps/place/…``). Shared by the NLU (:mod:`lalisa_rasa.nlu.text_rules`, which
reads a message that is only such a link as a shared location) and the places package
(:mod:`lalisa.places.geo`, which reads the coordinates or the place name a link holds), so
both environments recognise the same links. Standard library only.
"""

from __future__ import annotations

import re
from typing import Final

MAP_LINK: Final = re.compile(
    r"(?:https?://)?(?:maps\.app\.goo\.gl|goo\.gl/maps|g\.co/kgs"
    r"|(?:www\.)?google\.[a-z.]+/maps|maps\.google\.[a-z.]+)\S*",
    re.IGNORECASE,
)
"""A Google Maps link: short ("maps.app.goo.gl/…", "goo.gl/maps/…", "g.co/kgs/…") or long
("google.com/maps/place/…", "maps.google.com/?q=…")."""

MAX_WORDS_WITH_LINK: Final = 4
"""Words sent with a link that still only present it ("ini lokasinya min", "di sini pak")."""


def is_bare_map_link(text: str) -> bool:
    """Whether a message is a Google Maps link with at most a few words around it.

    "https://maps.app.goo.gl/7xQp…" or "ini lokasinya min https://maps.app.goo.gl/…" shares a
    place and nothing else; "ada balap liar tiap malam di sini https://maps.app.goo.gl/…" tells
    a story with it and is read as the story it is.

    Args:
        text: The message.

    Returns:
        True when the message holds a map link and at most :data:`MAX_WORDS_WITH_LINK` other
        words.
    """
    match = MAP_LINK.search(text or "")
    if match is None:
        return False
    rest = text[: match.start()] + " " + text[match.end() :]
    return len(re.findall(r"\w+", rest)) <= MAX_WORDS_WITH_LINK
