r"""Typed text never forces an intent: Rasa reads a leading ``/`` as ``/intent{entities}``.

A citizen who types ``/restart`` (or ``/ /restart``, a tab and ``/restart``, a full-width
slash …) would otherwise lift an admin's takeover or skip the NLU; Rasa strips surrounding
whitespace itself before it looks for the ``/``, so stripping a single slash is not enough.
Every channel passes typed text through :func:`neutralize_typed_text`; only structured replies
the channel built itself (button and list ids) may carry ``/intent`` text, and never one of
Rasa's control intents (:func:`safe_reply_payload`).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["CONTROL_INTENTS", "neutralize_typed_text", "safe_reply_payload"]

_SLASHES = frozenset("/\uff0f\u2044\u2215\u29f8\u2571")
"""ASCII, full-width, fraction and division slashes and look-alikes a keyboard offers."""

CONTROL_INTENTS = frozenset({"restart", "session_start", "back"})
"""Rasa's built-in intents that reset or rewind a conversation (a takeover would end)."""

_INTENT_NAME = re.compile(r"/\s*([^{\s@]+)")


def _droppable(char: str) -> bool:
    # Whitespace (tab, NBSP, ideographic space …), format characters (zero-width space and
    # joiners, BOM, direction marks) and slashes.
    return char.isspace() or char in _SLASHES or unicodedata.category(char) == "Cf"


def neutralize_typed_text(text: str) -> str:
    """Drops every leading run of slashes, whitespace and invisible characters.

    Args:
        text: What the user typed.

    Returns:
        The text from its first visible, non-slash character on, trailing whitespace removed;
        empty when nothing else was typed.
    """
    start = 0
    while start < len(text) and _droppable(text[start]):
        start += 1
    return text[start:].rstrip()


def safe_reply_payload(payload: str) -> str:
    """A structured reply's id or payload as Rasa may see it.

    ``/intent{…}`` payloads the channel put on its own buttons pass unchanged, except Rasa's
    control intents (:data:`CONTROL_INTENTS`), which a tampered client could otherwise send;
    those, like any other text, are neutralised like typed text.
    """
    match = _INTENT_NAME.match(payload)
    if match and payload.startswith("/") and match.group(1) not in CONTROL_INTENTS:
        return payload
    return neutralize_typed_text(payload)
