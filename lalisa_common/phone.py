"""Phone numbers and WhatsApp ids: one set of rules for the blind index and for sending.

A value is a phone number when, after the rules below, only digits remain:

1. surrounding whitespace is ignored;
2. the separators people type between digits are dropped: spaces, ``-``, ``.``, ``(``, ``)``
   and ``/`` (``0812-3456-7890``, ``(0526) 2028``, ``0812.3456.7890``);
3. one leading ``+`` is dropped (``+62 812 3456 7890``);
4. a leading ``0`` is Indonesia's national trunk prefix and becomes ``62``
   (``081234567890`` → ``6281234567890``); other numbers are taken as international already
   (WhatsApp's wa_id ``6281234567890``, or another country's code).

Anything else (letters, a business-scoped user id such as ``ID.1349…``, a test sender id) is not
a phone number: :func:`normalise_sender_id` only trims and lower-cases it, and
:func:`recipient_fields` addresses it as a WhatsApp user id.
"""

from __future__ import annotations

import re

__all__ = ["international_digits", "normalise_sender_id", "recipient_fields"]

_SEPARATORS = re.compile(r"[\s\-.()/]+")


def international_digits(value: str) -> str | None:
    """Return a phone number as international digits (``6281234567890``).

    Args:
        value: A number in any spelling of the module's rules.

    Returns:
        The digits without ``+``, or ``None`` when ``value`` is not a phone number.
    """
    compact = _SEPARATORS.sub("", value.strip())
    if compact.startswith("+"):
        compact = compact[1:]
    if not compact.isdigit() or not compact.isascii():
        return None
    if compact.startswith("0"):
        return "62" + compact[1:]
    return compact


def normalise_sender_id(sender_id: str) -> str:
    """Bring a sender id into the canonical form used for the blind index.

    ``+62 812-3456-7890``, ``0812 3456 7890`` and the WhatsApp id ``6281234567890`` are the same
    reporter. Ids that are not phone numbers are only trimmed and lower-cased.

    Args:
        sender_id: Sender id as received from the channel.

    Returns:
        The normalised id.

    Raises:
        ValueError: The id is empty.
    """
    if not _SEPARATORS.sub("", sender_id.strip()).lstrip("+"):
        raise ValueError("sender id is empty")
    digits = international_digits(sender_id)
    return digits if digits is not None else sender_id.strip().lower()


def recipient_fields(value: str) -> dict[str, str]:
    """Address a Cloud API message: a phone number in E.164, anything else as a user id.

    Local numbers (``0812…``) would otherwise get the business number's country code put in
    front by Meta (``+620812…``, a wrong number), so they are converted here.

    Args:
        value: A phone number in any spelling, or a business-scoped user id.

    Returns:
        ``{"to": "+62…"}`` or ``{"recipient": "<user id>"}``.

    Raises:
        ValueError: ``value`` is empty.
    """
    text = value.strip()
    if not text:
        raise ValueError("recipient is empty")
    digits = international_digits(text)
    if digits is not None:
        return {"to": "+" + digits}
    return {"recipient": text}
