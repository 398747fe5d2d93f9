"""The whole chat of one citizen, read from Rasa's tracker store for the takeover page.

Reuses the read-only tracker reader of :mod:`lalisa.review.tracker` (its table
description, engine and identity redaction); the back office never writes that table. Replies an
admin sent during a takeover are ``bot`` events whose metadata names the admin
(:data:`lalisa.takeover.rasa_api.ADMIN_METADATA_KEY`), so they are shown as the officer's, not the
assistant's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final

from sqlalchemy import select

from lalisa.review.tracker import (
    ASSISTANT,
    CITIZEN,
    event_data,
    events_table,
    identity_redactor,
    tracker_engine,
)
from lalisa.takeover.rasa_api import ADMIN_METADATA_KEY
from lalisa_common.phone import normalise_sender_id

logger = logging.getLogger(__name__)

MAX_LINES: Final = 300
"""At most this many messages on the page (the latest ones)."""
QUERY_TIMEOUT_SECONDS: Final = 5.0
ADMIN_SPEAKER: Final = "Petugas {username}"


@dataclass(frozen=True)
class ChatLine:
    """One message of the chat.

    Attributes:
        event_id: Id of the tracker event (the polling cursor).
        at: When Rasa recorded it (aware UTC).
        kind: ``citizen``, ``assistant`` or ``admin``.
        speaker: Who wrote it, for display.
        text: The text, identity masked (escaped by the template).
    """

    event_id: int
    at: datetime
    kind: str
    speaker: str
    text: str

    def as_json(self) -> dict[str, Any]:
        """The line for the polling endpoint."""
        return {
            "id": self.event_id,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "speaker": self.speaker,
            "text": self.text,
        }


def _line(row: Any, redact: Callable[[str], str]) -> ChatLine | None:
    data = event_data(row.data)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    at = datetime.fromtimestamp(float(row.timestamp), tz=timezone.utc)
    if row.type_name == "user":
        return ChatLine(row.id, at, "citizen", CITIZEN, redact(text))
    metadata = data.get("metadata")
    admin = metadata.get(ADMIN_METADATA_KEY) if isinstance(metadata, dict) else None
    if isinstance(admin, str) and admin:
        return ChatLine(row.id, at, "admin", ADMIN_SPEAKER.format(username=admin), text)
    return ChatLine(row.id, at, "assistant", ASSISTANT, text)


def _normalised(phone: str | None) -> str | None:
    try:
        return normalise_sender_id(phone) if phone else None
    except ValueError:
        return None


async def read_chat(
    sender_id: str,
    *,
    reporter_name: str | None = None,
    phone: str | None = None,
    after_id: int = 0,
    limit: int = MAX_LINES,
) -> list[ChatLine] | None:
    """The citizen's and the bot's messages of one conversation, oldest first.

    Args:
        sender_id: Rasa sender id (the citizen key).
        reporter_name: The citizen's name when known (masked in the texts).
        phone: The citizen's number when known (masked in the texts in any spelling).
        after_id: Only events after this tracker event id (polling).
        limit: Keep at most this many messages, the latest ones.

    Returns:
        The lines, or ``None`` when the tracker store cannot be read.
    """
    query = (
        select(
            events_table.c.id,
            events_table.c.type_name,
            events_table.c.timestamp,
            events_table.c.data,
        )
        .where(
            events_table.c.sender_id == sender_id,
            events_table.c.type_name.in_(("user", "bot")),
            events_table.c.id > after_id,
        )
        .order_by(events_table.c.id.desc())
        .limit(limit)
    )

    async def run() -> list[Any]:
        async with tracker_engine().connect() as connection:
            return list((await connection.execute(query)).all())

    try:
        rows = await asyncio.wait_for(run(), timeout=QUERY_TIMEOUT_SECONDS)
    except Exception as exc:  # the page must render even when the tracker store is down
        logger.warning("Takeover chat unavailable: tracker unreadable (%s)", type(exc).__name__)
        return None
    redact = identity_redactor(_normalised(phone), reporter_name)
    lines = [line for line in (_line(row, redact) for row in rows) if line is not None]
    lines.reverse()
    return lines
