"""Conversation review: index Rasa's tracker store and read one conversation back.

Rasa's ``events`` table (read-only, see :mod:`lalisa.review.tracker`) is copied
into La-Lisa's own summary tables (:mod:`lalisa.review.models`) by :func:`refresh_index`,
incrementally by event id:

- A *conversation* is one Rasa session of one sender: it starts at the sender's first event, at a
  ``session_started`` event, or after :data:`SESSION_GAP` without events (trackers written
  without sessions).
- The watermark (last indexed event id) is advanced with a compare-and-set *before* anything is
  written, in the same transaction: when two refreshes race, the second one's update matches no
  row (PostgreSQL makes it wait for the first to commit; SQLite serialises writers) and it stops
  without writing; a rerun after a crash starts again from the committed watermark.
- Events younger than :data:`SETTLE_SECONDS` are left for the next refresh, so an event whose
  transaction commits after a later id was read is not skipped.

Identity: the sender id is kept only encrypted with its blind index; reviewers see the
pseudonym ``Warga-XXXXXXXX`` (from the blind index, an HMAC) and every text through
:func:`lalisa.review.redaction.conversation_redactor`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lalisa.core.crypto import citizen_pseudonym, get_identity_cipher
from lalisa.review.models import (
    ReviewAnnotation,
    ReviewConversation,
    ReviewIndexState,
    ReviewItem,
    ReviewTurn,
)
from lalisa.review.redaction import conversation_redactor
from lalisa.review.tracker import event_data, events_table, tracker_engine
from lalisa.takeover.rasa_api import ADMIN_METADATA_KEY

logger = logging.getLogger(__name__)

STATE_ID: Final = 1
BATCH_SIZE: Final = 2000
"""Events indexed per refresh (a page load refreshes at most this many)."""
SETTLE_SECONDS: Final = 2.0
SESSION_GAP: Final = timedelta(hours=12)
"""Equal to ``session_expiration_time: 720`` in domain/core.yml."""
FALLBACK_INTENT: Final = "nlu_fallback"
FALLBACK_ACTIONS: Final = frozenset(
    {
        "action_default_fallback",
        "action_two_stage_fallback",
        "utter_default",
        "utter_default_in_form",
    }
)
TICKET_SLOT: Final = "last_ticket_number"
"""Set by the complaint submission action: the conversation ended in a ticket."""
IGNORED_ACTIONS: Final = frozenset({"action_listen", "action_session_start"})
IDENTITY_SLOTS: Final = frozenset({"reporter_name"})
"""Slots whose value is the reporter's identity: never shown, never exported."""
IDENTITY_MASK: Final = "[disamarkan]"
OFFICER_METADATA_KEYS: Final = (ADMIN_METADATA_KEY, "officer", "lalisa_officer", "takeover")
"""A bot event whose metadata has one of these keys (truthy) was typed by an officer."""
MAX_VIEW_EVENTS: Final = 5000
"""The conversation view and story export read at most this many events."""


pseudonym = citizen_pseudonym
"""Stable pseudonym of a sender in review pages (shared with the takeover pages)."""


_loads = event_data


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(data: dict[str, Any]) -> str:
    text = data.get("text")
    return text if isinstance(text, str) else ""


def _at(timestamp: float | None) -> datetime:
    return datetime.fromtimestamp(float(timestamp or 0.0), tz=timezone.utc)


def _prediction(data: dict[str, Any]) -> tuple[str | None, float | None, list[dict[str, Any]]]:
    parse = _mapping(data.get("parse_data"))
    intent = _mapping(parse.get("intent"))
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    confidence = intent.get("confidence")
    entities = [
        {
            "entity": str(entity.get("entity", "")),
            "start": entity.get("start"),
            "end": entity.get("end"),
            "value": entity.get("value"),
        }
        for entity in parse.get("entities") or ()
        if isinstance(entity, dict)
    ]
    return name, float(confidence) if isinstance(confidence, int | float) else None, entities


# ---------------------------------------------------------------------------------- indexer


@dataclass
class _Open:
    conversation: ReviewConversation
    items: set[tuple[str, str]]


@dataclass
class RefreshResult:
    """What one refresh did."""

    events: int = 0
    conversations_started: int = 0
    turns: int = 0
    raced: bool = False


async def _ensure_state(session: AsyncSession) -> int:
    state = await session.get(ReviewIndexState, STATE_ID)
    if state is not None:
        return state.last_event_id
    try:
        async with session.begin_nested():
            session.add(ReviewIndexState(id=STATE_ID, last_event_id=0))
    except IntegrityError:  # another refresh created it first
        pass
    return 0


async def _read_events(
    engine: AsyncEngine, after: int, limit: int, settle_before: float
) -> list[Any]:
    query = (
        select(
            events_table.c.id,
            events_table.c.sender_id,
            events_table.c.type_name,
            events_table.c.timestamp,
            events_table.c.intent_name,
            events_table.c.action_name,
            events_table.c.data,
        )
        .where(events_table.c.id > after)
        .order_by(events_table.c.id)
        .limit(limit)
    )
    async with engine.connect() as connection:
        rows = list((await connection.execute(query)).all())
    # Stop at the first event too young to be sure every smaller id is committed.
    settled: list[Any] = []
    for row in rows:
        if float(row.timestamp or 0.0) > settle_before:
            break
        settled.append(row)
    return settled


class _Indexer:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cipher = get_identity_cipher()
        self.open: dict[str, _Open] = {}
        self.result = RefreshResult()

    async def _current(self, sender_index: str) -> _Open | None:
        if sender_index in self.open:
            return self.open[sender_index]
        conversation = (
            await self.session.execute(
                select(ReviewConversation)
                .where(ReviewConversation.sender_index == sender_index)
                .order_by(ReviewConversation.last_event_id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if conversation is None:
            return None
        rows = await self.session.execute(
            select(ReviewItem.kind, ReviewItem.name).where(
                ReviewItem.conversation_id == conversation.id
            )
        )
        current = _Open(conversation, {(kind, name) for kind, name in rows.all()})
        self.open[sender_index] = current
        return current

    async def _start(self, sender_id: str, sender_index: str, row: Any, at: datetime) -> _Open:
        conversation = ReviewConversation(
            sender_index=sender_index,
            sender_encrypted=self.cipher.encrypt(sender_id),
            pseudonym=pseudonym(sender_index),
            first_event_id=row.id,
            last_event_id=row.id,
            first_at=at,
            last_at=at,
            turn_count=0,
            had_fallback=False,
            ended_in_ticket=False,
        )
        self.session.add(conversation)
        await self.session.flush()
        current = _Open(conversation, set())
        self.open[sender_index] = current
        self.result.conversations_started += 1
        return current

    def _item(self, current: _Open, kind: str, name: str | None) -> None:
        if not name or (kind, name[:128]) in current.items:
            return
        current.items.add((kind, name[:128]))
        self.session.add(
            ReviewItem(conversation_id=current.conversation.id, kind=kind, name=name[:128])
        )

    async def add(self, row: Any) -> None:
        sender_id = str(row.sender_id)
        try:
            sender_index = self.cipher.blind_index(sender_id)
        except ValueError:  # empty sender id: nothing to attribute the event to
            return
        at = _at(row.timestamp)
        current = await self._current(sender_index)
        if (
            current is None
            or (row.type_name == "session_started" and current.conversation.turn_count > 0)
            or at - current.conversation.last_at > SESSION_GAP
        ):
            current = await self._start(sender_id, sender_index, row, at)
        conversation = current.conversation
        conversation.last_event_id = max(conversation.last_event_id, row.id)
        conversation.last_at = max(conversation.last_at, at)
        data = _loads(row.data)
        if row.type_name == "user":
            await self._user(current, row, at, data)
        elif row.type_name == "action":
            name = row.action_name or data.get("name")
            if name not in IGNORED_ACTIONS:
                self._item(current, "action", name)
            if name in FALLBACK_ACTIONS:
                conversation.had_fallback = True
        elif row.type_name == "slot":
            name = data.get("name")
            if isinstance(name, str):
                self._item(current, "slot", name)
                if name == TICKET_SLOT and data.get("value"):
                    conversation.ended_in_ticket = True

    async def _user(self, current: _Open, row: Any, at: datetime, data: dict[str, Any]) -> None:
        conversation = current.conversation
        intent, confidence, entities = _prediction(data)
        intent = intent or row.intent_name
        channel = data.get("input_channel")
        if isinstance(channel, str) and channel and not conversation.channel:
            conversation.channel = channel[:64]
        conversation.turn_count += 1
        self._item(current, "intent", intent)
        if intent == FALLBACK_INTENT:
            conversation.had_fallback = True
        if confidence is not None:
            low, high = conversation.min_confidence, conversation.max_confidence
            conversation.min_confidence = confidence if low is None else min(low, confidence)
            conversation.max_confidence = confidence if high is None else max(high, confidence)
        text = data.get("text")
        self.session.add(
            ReviewTurn(
                conversation_id=conversation.id,
                event_id=row.id,
                at=at,
                text=text if isinstance(text, str) else "",
                intent=intent[:128] if intent else None,
                confidence=confidence,
                entities=json.dumps(entities, ensure_ascii=False, default=str),
            )
        )
        self.result.turns += 1


async def refresh_index(
    session: AsyncSession,
    engine: AsyncEngine,
    *,
    limit: int = BATCH_SIZE,
    now: datetime | None = None,
) -> RefreshResult:
    """Index the tracker events added since the last refresh (at most ``limit`` of them).

    Runs in the caller's transaction; commit it to keep the result. Idempotent: events at or
    below the watermark are never read again; racing refreshes index each event once.

    Args:
        session: Session of the La-Lisa database.
        engine: Engine of Rasa's tracker database (read only).
        limit: Most events to index in this call.
        now: Current time (tests); events younger than :data:`SETTLE_SECONDS` wait.

    Returns:
        Counts of what was indexed; ``raced`` when another refresh advanced the watermark first.
    """
    watermark = await _ensure_state(session)
    settle_before = (now or datetime.now(timezone.utc)).timestamp() - SETTLE_SECONDS
    rows = await _read_events(engine, watermark, limit, settle_before)
    if not rows:
        return RefreshResult()
    claimed = await session.execute(
        update(ReviewIndexState)
        .where(ReviewIndexState.id == STATE_ID, ReviewIndexState.last_event_id == watermark)
        .values(last_event_id=rows[-1].id, updated_at=datetime.now(timezone.utc))
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return RefreshResult(raced=True)
    indexer = _Indexer(session)
    for row in rows:
        await indexer.add(row)
    await session.flush()
    indexer.result.events = len(rows)
    return indexer.result


async def refresh_index_in_savepoint(session: AsyncSession, *, limit: int = BATCH_SIZE) -> bool:
    """Refresh the index in a savepoint; False when the tracker store could not be read.

    For page loads: an unreadable tracker leaves the index as it was and the page says so.
    """
    try:
        async with session.begin_nested():
            await refresh_index(session, tracker_engine(), limit=limit)
    except Exception as exc:  # an unreadable tracker must not break the page
        logger.warning("review index not refreshed: %s", type(exc).__name__)
        return False
    return True


# ------------------------------------------------------------------------- conversation view


@dataclass(frozen=True)
class ChatEntry:
    """One line of the conversation view.

    ``kind`` is ``user``, ``bot``, ``officer``, ``action``, ``slot``, ``pause``, ``resume``,
    ``session`` or ``loop``; ``turn`` is set for user messages (flag/annotate).
    """

    kind: str
    at: datetime
    text: str = ""
    name: str = ""
    intent: str | None = None
    confidence: float | None = None
    entities: tuple[dict[str, Any], ...] = ()
    turn: ReviewTurn | None = None
    annotation: ReviewAnnotation | None = None
    value: Any = None
    """Slot value, identity-masked (``None`` when the slot was emptied)."""


def _is_officer(data: dict[str, Any]) -> bool:
    metadata = data.get("metadata")
    return isinstance(metadata, dict) and any(metadata.get(key) for key in OFFICER_METADATA_KEYS)


def _slot_value(name: str, value: Any, redact: Callable[[str], str]) -> Any:
    if value is None:
        return None
    if name in IDENTITY_SLOTS:
        return IDENTITY_MASK
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | float):
        return value
    text = redact(json.dumps(value, ensure_ascii=False, default=str))
    try:
        return json.loads(text)
    except ValueError:  # the mask replaced a bare number
        return text


def _slot_text(value: Any) -> str:
    if value is None:
        return "(kosong)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


async def read_conversation_events(
    engine: AsyncEngine, sender_id: str, conversation: ReviewConversation
) -> list[Any]:
    """The tracker events of one conversation, oldest first (read only)."""
    query = (
        select(
            events_table.c.id,
            events_table.c.type_name,
            events_table.c.timestamp,
            events_table.c.intent_name,
            events_table.c.action_name,
            events_table.c.data,
        )
        .where(
            events_table.c.sender_id == sender_id,
            events_table.c.id >= conversation.first_event_id,
            events_table.c.id <= conversation.last_event_id,
        )
        .order_by(events_table.c.id)
        .limit(MAX_VIEW_EVENTS)
    )
    async with engine.connect() as connection:
        return list((await connection.execute(query)).all())


def chat_entries(
    rows: Iterable[Any],
    turns: dict[int, ReviewTurn],
    annotations: dict[int, ReviewAnnotation],
    redact: Callable[[str], str],
) -> list[ChatEntry]:
    """Turn tracker events into the readable chat of the conversation view (identity masked).

    Args:
        rows: Events of the conversation, oldest first.
        turns: Indexed user turns by event id.
        annotations: Annotations by turn id.
        redact: The conversation's identity redactor.

    Returns:
        The entries to show.
    """
    entries: list[ChatEntry] = []
    for row in rows:
        data = _loads(row.data)
        at = _at(row.timestamp)
        kind = row.type_name
        if kind == "user":
            intent, confidence, entities = _prediction(data)
            turn = turns.get(row.id)
            text = _text(data)
            entries.append(
                ChatEntry(
                    kind="user",
                    at=at,
                    text=redact(text),
                    intent=intent or row.intent_name,
                    confidence=confidence,
                    entities=tuple(
                        {**entity, "value": redact(str(entity.get("value", "")))}
                        for entity in entities
                    ),
                    turn=turn,
                    annotation=annotations.get(turn.id) if turn is not None else None,
                )
            )
        elif kind == "bot":
            text = _text(data)
            entries.append(
                ChatEntry(kind="officer" if _is_officer(data) else "bot", at=at, text=redact(text))
            )
        elif kind == "action":
            name = str(row.action_name or data.get("name") or "")
            if name and name not in IGNORED_ACTIONS:
                entries.append(ChatEntry(kind="action", at=at, name=name))
        elif kind == "slot":
            name = str(data.get("name") or "")
            value = _slot_value(name, data.get("value"), redact)
            if name:
                entries.append(
                    ChatEntry(
                        kind="slot",
                        at=at,
                        name=name,
                        text=_slot_text(value),
                        value=value,
                    )
                )
        elif kind == "active_loop":
            entries.append(ChatEntry(kind="loop", at=at, name=str(data.get("name") or "")))
        elif kind in {"pause", "resume", "session_started"}:
            entries.append(ChatEntry(kind="session" if kind == "session_started" else kind, at=at))
    return entries


async def conversation_entries(
    db: AsyncSession, conversation: ReviewConversation
) -> tuple[list[ChatEntry], bool, Any]:
    """The conversation's chat (identity masked), whether it is complete, and its redactor.

    When the tracker store cannot be read, only the indexed user messages are returned and
    the flag is false.
    """
    sender_id, redact = await conversation_redactor(db, conversation)
    turns = {
        turn.event_id: turn
        for turn in (
            await db.execute(
                select(ReviewTurn)
                .where(ReviewTurn.conversation_id == conversation.id)
                .order_by(ReviewTurn.event_id)
            )
        ).scalars()
    }
    annotations = {
        annotation.turn_id: annotation
        for annotation in (
            await db.execute(
                select(ReviewAnnotation).where(
                    ReviewAnnotation.turn_id.in_([turn.id for turn in turns.values()])
                )
            )
        ).scalars()
    }
    rows: list[Any] | None = None
    if sender_id is not None:
        try:
            rows = await read_conversation_events(tracker_engine(), sender_id, conversation)
        except Exception as exc:  # unreadable tracker: show the indexed messages only
            logger.warning("review conversation %s: %s", conversation.id, type(exc).__name__)
    if rows is not None:
        return chat_entries(rows, turns, annotations, redact), True, redact
    entries = [
        ChatEntry(
            kind="user",
            at=turn.at,
            text=redact(turn.text),
            intent=turn.intent,
            confidence=turn.confidence,
            turn=turn,
            annotation=annotations.get(turn.id),
        )
        for turn in turns.values()
    ]
    return entries, False, redact
