"""A read-only reader of Rasa 3.6's SQL tracker store (the ``events`` table).

Each row's ``data`` is encrypted by La-Lisa's tracker store (:mod:`lalisa_common.at_rest`);
:func:`event_data` decrypts it (and reads rows written before encryption as they are).

Rasa owns that table: the back office never writes to it, and it is described here with a
:class:`sqlalchemy.MetaData` of its own so Alembic (which works on
``lalisa.tickets.models.Base``) never sees it. The conversation is found through the reporter's
key (their blind index, which is Rasa's sender id); the number, decrypted on the server only to
mask it, is never returned, rendered or logged, and the reporter's number and name are masked
in the message texts
(the identity is shown only through the logged "Tampilkan identitas" action).

When the tracker database cannot be read (unreachable, no ``events`` table on a fresh install,
another identity key) the excerpt is simply unavailable: a warning is logged and the ticket page
still renders.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher
from lalisa.core.settings import get_settings
from lalisa.tickets.models import Reporter, Ticket
from lalisa_common.at_rest import TRACKER_EVENTS, AtRestDecryptionError, at_rest_cipher
from lalisa_common.database import to_async_url
from lalisa_common.phone import normalise_sender_id

logger = logging.getLogger(__name__)

WINDOW_BEFORE: Final = timedelta(hours=2)
"""How far before the ticket's creation the excerpt starts."""
WINDOW_AFTER: Final = timedelta(minutes=5)
"""How far after the ticket's creation the excerpt ends (the confirmation messages)."""
MAX_MESSAGES: Final = 60
"""At most this many messages, the latest ones of the window."""
QUERY_TIMEOUT_SECONDS: Final = 5.0
CITIZEN: Final = "Warga"
ASSISTANT: Final = "La-Lisa"

PHONE_PLACEHOLDER: Final = "[nomor pelapor]"
NAME_PLACEHOLDER: Final = "[nama pelapor]"
_PHONE_LIKE = re.compile(r"\+?\d[\d\s\-.()/]{6,}\d")

_tracker_metadata = MetaData()
events_table: Final = Table(
    "events",
    _tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
"""Rasa's table, as far as it is read here (never created or migrated by La-Lisa)."""

_engines: dict[str, AsyncEngine] = {}


@dataclass(frozen=True)
class ConversationMessage:
    """One message of the conversation, as shown to staff.

    Attributes:
        at: When Rasa recorded it (aware UTC).
        speaker: ``"Warga"`` or ``"La-Lisa"``.
        text: The message text (escaped by the template, never marked safe).
        from_citizen: True for the citizen's messages.
    """

    at: datetime
    speaker: str
    text: str
    from_citizen: bool


@dataclass(frozen=True)
class ConversationExcerpt:
    """The messages around a complaint, or unavailable when the tracker could not be read."""

    available: bool
    messages: tuple[ConversationMessage, ...] = ()


UNAVAILABLE: Final = ConversationExcerpt(available=False)


def _engine_url(url: str) -> Any:
    parsed = make_url(to_async_url(url))
    database = parsed.database or ""
    if (
        parsed.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
    ):
        # Read-only URI: never creates the file nor takes a write lock on Rasa's database.
        return parsed.set(database=f"file:{database}", query={"mode": "ro", "uri": "true"})
    return parsed


def tracker_engine(url: str | None = None) -> AsyncEngine:
    """The process-wide engine of the tracker database (created on first use).

    NullPool: one short connection per page view, so no pooled connection outlives the event
    loop that opened it and nothing keeps Rasa's SQLite file open.

    Args:
        url: Tracker database URL; defaults to ``Settings.database.tracker_url``.

    Returns:
        The cached engine for that URL.
    """
    key = url or get_settings().database.tracker_url
    engine = _engines.get(key)
    if engine is None:
        engine = create_async_engine(_engine_url(key), poolclass=NullPool)
        _engines[key] = engine
    return engine


async def dispose_tracker_engines() -> None:
    """Dispose and forget the cached tracker engines (shutdown, tests)."""
    engines = list(_engines.values())
    _engines.clear()
    for engine in engines:
        await engine.dispose()


def identity_redactor(phone: str | None, name: str | None) -> Callable[[str], str]:
    """A function hiding the reporter's number and name in a message text.

    The identity is shown only through the logged "Tampilkan identitas" action, so the excerpt
    masks it: the number in any usual writing (``0812…``, ``+62 812-…``) and the name as given.

    Args:
        phone: The reporter's normalised number (``None``: only the name is masked).
        name: The name the citizen gave, or ``None``.

    Returns:
        The redacting function.
    """
    name_words = (name or "").split()
    name_re = (
        re.compile(r"\s+".join(map(re.escape, name_words)), re.IGNORECASE)
        if name_words and len("".join(name_words)) >= 2
        else None
    )

    def hide_phone(match: re.Match[str]) -> str:
        try:
            same = normalise_sender_id(match.group(0)) == phone
        except ValueError:
            same = False
        return PHONE_PLACEHOLDER if same else match.group(0)

    def redact(text: str) -> str:
        text = _PHONE_LIKE.sub(hide_phone, text)
        if phone and phone in text:  # glued to other characters
            text = text.replace(phone, PHONE_PLACEHOLDER)
        return name_re.sub(NAME_PLACEHOLDER, text) if name_re is not None else text

    return redact


def event_data(raw: str | None) -> dict[str, Any]:
    """The ``data`` of an ``events`` row: decrypted (old plain rows as they are), else ``{}``.

    A row that cannot be read (corrupt, or encrypted under another identity key) counts as
    empty, like a row without data.
    """
    if not raw:
        return {}
    try:
        data = at_rest_cipher(get_settings().identity.key, TRACKER_EVENTS).loads(raw)
    except (AtRestDecryptionError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _message(row: Any) -> ConversationMessage | None:
    data = event_data(row.data)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        return None
    from_citizen = row.type_name == "user"
    return ConversationMessage(
        at=datetime.fromtimestamp(float(row.timestamp), tz=timezone.utc),
        speaker=CITIZEN if from_citizen else ASSISTANT,
        text=text,
        from_citizen=from_citizen,
    )


async def read_messages(
    engine: AsyncEngine,
    sender_id: str,
    start: datetime,
    end: datetime,
    *,
    limit: int = MAX_MESSAGES,
) -> list[ConversationMessage]:
    """The user and bot messages of one sender between two instants, oldest first.

    Args:
        engine: Engine of the tracker database.
        sender_id: Rasa sender id of the conversation.
        start: Start of the window (inclusive).
        end: End of the window (inclusive).
        limit: Keep at most this many messages, the latest ones.

    Returns:
        The messages in chronological order.
    """
    query = (
        select(
            events_table.c.type_name,
            events_table.c.timestamp,
            events_table.c.data,
        )
        .where(
            events_table.c.sender_id == sender_id,
            events_table.c.type_name.in_(("user", "bot")),
            events_table.c.timestamp >= start.timestamp(),
            events_table.c.timestamp <= end.timestamp(),
        )
        .order_by(events_table.c.timestamp.desc(), events_table.c.id.desc())
        .limit(limit)
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(query)).all()
    messages = [message for message in map(_message, rows) if message is not None]
    messages.reverse()
    return messages


async def conversation_excerpt(session: AsyncSession, ticket: Ticket) -> ConversationExcerpt:
    """The conversation in which the citizen reported ``ticket``.

    Args:
        session: Session of the La-Lisa database (to load the reporter).
        ticket: The complaint.

    Returns:
        The excerpt, or :data:`UNAVAILABLE` when the tracker store cannot be read.
    """
    reporter = await session.get(Reporter, ticket.reporter_id)
    if reporter is None:  # pragma: no cover - foreign key
        return UNAVAILABLE
    cipher = get_identity_cipher()
    # Rasa knows the citizen by their key (the blind index); the number only masks the text.
    sender_id = reporter.phone_blind_index
    try:
        phone = cipher.decrypt(reporter.phone_encrypted)
        name = cipher.decrypt(reporter.name_encrypted) if reporter.name_encrypted else None
    except IdentityDecryptionError:
        logger.warning("Conversation of ticket %s: reporter id cannot be decrypted", ticket.number)
        return UNAVAILABLE
    created = ticket.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    try:
        messages = await asyncio.wait_for(
            read_messages(
                tracker_engine(), sender_id, created - WINDOW_BEFORE, created + WINDOW_AFTER
            ),
            timeout=QUERY_TIMEOUT_SECONDS,
        )
    except Exception as exc:  # any failure of the tracker database must not break the page
        logger.warning(
            "Conversation of ticket %s unavailable: tracker store not readable (%s)",
            ticket.number,
            type(exc).__name__,
        )
        return UNAVAILABLE
    redact = identity_redactor(phone, name)
    return ConversationExcerpt(
        available=True,
        messages=tuple(
            ConversationMessage(
                at=message.at,
                speaker=message.speaker,
                text=redact(message.text),
                from_citizen=message.from_citizen,
            )
            for message in messages
        ),
    )
