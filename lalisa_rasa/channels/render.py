"""Rendering of Rasa responses into WhatsApp message bodies, within Meta's limits.

Limits (see the reference): text 4096; reply buttons at most 3, title 20, id 256,
body 1024; list at most 10 rows, row title 24, description 72, id 200, body 4096.
Anything over a limit degrades to a numbered text menu instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lalisa_rasa.channels.texts import (
    DEFAULT_CHOICE_PROMPT,
    LIST_BUTTON_LABEL,
    LIST_SECTION_TITLE,
    NUMBERED_MENU_HINT,
)

TEXT_LIMIT = 4096
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
BUTTON_BODY_MAX = 1024
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
LIST_BODY_MAX = 4096
CAPTION_MAX = 1024
LOCATION_REQUEST_BODY_MAX = 1024


def text_length(text: str) -> int:
    """Length as WhatsApp may count it: UTF-16 code units (an emoji counts 2).

    Counting this way is never lower than counting code points, so it is safe.
    """
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> int:
    """Largest index ``i`` such that ``text[:i]`` fits ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Splits a text into WhatsApp-sized parts.

    Paragraph, line, sentence and word boundaries are preferred; a character is never split.

    Args:
        text: The text.
        limit: Largest part size in UTF-16 units.

    Returns:
        One part when the text fits, otherwise several (no empty parts).
    """
    text = text.strip()
    parts: list[str] = []
    while text_length(text) > limit:
        hard = _cut(text, limit)
        window = text[:hard]
        cut = -1
        for separator in ("\n\n", "\n", ". ", " "):
            position = window.rfind(separator)
            if position > hard // 2:
                cut = position + len(separator)
                break
        if cut <= 0:
            cut = hard
        head = text[:cut].rstrip()
        if head:
            parts.append(head)
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


@dataclass
class Choice:
    """One button of a Rasa response.

    Attributes:
        title: Label shown to the citizen.
        payload: Text sent back to Rasa when chosen (e.g. ``/affirm``).
        description: Optional second line (list rows only).
    """

    title: str
    payload: str
    description: str | None = None


@dataclass
class Rendered:
    """A WhatsApp message body ready to send (without ``to``/``messaging_product``).

    Attributes:
        kind: ``text``, ``buttons``, ``list`` or ``menu`` (numbered text fallback).
        bodies: One or more message bodies (several only for long texts).
        menu: For ``menu``: the payloads in the order they were numbered.
    """

    kind: str
    bodies: list[dict[str, Any]]
    menu: list[str] = field(default_factory=list)


def choices_from_buttons(buttons: list[Any]) -> list[Choice]:
    """Reads Rasa button dicts (``title``, ``payload``, optional ``description``).

    Args:
        buttons: Rasa ``buttons`` or ``quick_replies``.

    Returns:
        Usable choices (entries without a title or payload are skipped).
    """
    choices: list[Choice] = []
    for button in buttons or []:
        if not isinstance(button, dict):
            continue
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if not title or not payload:
            continue
        description = button.get("description")
        choices.append(Choice(title, payload, str(description).strip() if description else None))
    return choices


def text_bodies(text: str) -> list[dict[str, Any]]:
    """Text message bodies for a (possibly long) text."""
    return [
        {"type": "text", "text": {"preview_url": False, "body": part}} for part in split_text(text)
    ]


def _unique(values: list[str]) -> bool:
    return len(set(values)) == len(values)


def _fits_buttons(body: str, choices: list[Choice]) -> bool:
    return (
        0 < len(choices) <= BUTTONS_MAX
        and text_length(body) <= BUTTON_BODY_MAX
        and all(text_length(c.title) <= BUTTON_TITLE_MAX for c in choices)
        and all(text_length(c.payload) <= BUTTON_ID_MAX for c in choices)
        and all(c.description is None for c in choices)
        and _unique([c.title for c in choices])
        and _unique([c.payload for c in choices])
    )


def _fits_list(body: str, choices: list[Choice]) -> bool:
    return (
        0 < len(choices) <= LIST_ROWS_MAX
        and text_length(body) <= LIST_BODY_MAX
        and all(text_length(c.title) <= ROW_TITLE_MAX for c in choices)
        and all(text_length(c.payload) <= ROW_ID_MAX for c in choices)
        and all(
            c.description is None or text_length(c.description) <= ROW_DESCRIPTION_MAX
            for c in choices
        )
        and _unique([c.payload for c in choices])
    )


def numbered_menu(text: str, choices: list[Choice]) -> str:
    """The numbered text fallback: the text, then ``1. title`` lines and a hint."""
    lines = [text.strip()] if text and text.strip() else [DEFAULT_CHOICE_PROMPT]
    lines.append("")
    for number, choice in enumerate(choices, start=1):
        line = f"{number}. {choice.title}"
        if choice.description:
            line += f" - {choice.description}"
        lines.append(line)
    lines.append("")
    lines.append(NUMBERED_MENU_HINT)
    return "\n".join(lines)


def render_choices(text: str | None, buttons: list[Any]) -> Rendered:
    """Renders a Rasa response with buttons as the best-fitting WhatsApp type.

    Reply buttons when they fit, else a list message, else a numbered text menu.

    Args:
        text: The response text (may be empty).
        buttons: Rasa button dicts.

    Returns:
        The rendered message(s).
    """
    choices = choices_from_buttons(buttons)
    body = (text or "").strip() or DEFAULT_CHOICE_PROMPT
    if not choices:
        return Rendered("text", text_bodies(body))
    if _fits_buttons(body, choices):
        interactive = {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": c.payload, "title": c.title}} for c in choices
                ]
            },
        }
        return Rendered("buttons", [{"type": "interactive", "interactive": interactive}])
    if _fits_list(body, choices):
        rows = []
        for choice in choices:
            row: dict[str, Any] = {"id": choice.payload, "title": choice.title}
            if choice.description:
                row["description"] = choice.description
            rows.append(row)
        interactive = {
            "type": "list",
            "body": {"text": body},
            "action": {
                "button": LIST_BUTTON_LABEL,
                "sections": [{"title": LIST_SECTION_TITLE, "rows": rows}],
            },
        }
        return Rendered("list", [{"type": "interactive", "interactive": interactive}])
    return Rendered("menu", text_bodies(numbered_menu(body, choices)), [c.payload for c in choices])


def location_request_body(text: str) -> dict[str, Any]:
    """A ``location_request_message`` body (falls back to plain text when too long).

    Args:
        text: The question shown above the "send location" button.

    Returns:
        The message body.
    """
    return {
        "type": "interactive",
        "interactive": {
            "type": "location_request_message",
            "body": {"text": text},
            "action": {"name": "send_location"},
        },
    }


def summarise(body: dict[str, Any]) -> str:
    """What kind of message a body is, for the outbound record, without any of its text.

    The record is for delivery tracking: the message type (``[text]``, ``[interactive:button]``,
    ``[image]``) and a template's name, never the text, a caption or a link, which may hold the
    citizen's name, number or ticket details.
    """
    kind = body.get("type")
    content = body.get(kind) if isinstance(kind, str) else None
    if kind == "interactive" and isinstance(content, dict):
        return f"[interactive:{content.get('type')}]"[:64]
    if kind == "template" and isinstance(content, dict):
        return f"[template] {content.get('name')}"[:128]
    return f"[{kind}]"[:64]
