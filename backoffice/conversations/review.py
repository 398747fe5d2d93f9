"""Conversation review: index Rasa's tracker store, filter it, read one conversation, stats.

Rasa's ``events`` table (read-only, see :mod:`backoffice.conversations.tracker`) is copied
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
:func:`conversation_redactor`.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backoffice.conversations.tracker import events_table, identity_redactor
from lalisa.core.crypto import IdentityDecryptionError, citizen_pseudonym, get_identity_cipher
from lalisa.core.settings import get_settings
from lalisa.review.export import EntitySpan, Example
from lalisa.review.models import (
    ReviewAnnotation,
    ReviewConversation,
    ReviewIndexState,
    ReviewItem,
    ReviewTag,
    ReviewTurn,
)
from lalisa.takeover.service import ADMIN_METADATA_KEY
from lalisa.tickets.models import Reporter
from lalisa_common.phone import normalise_sender_id
from lalisa_common.rasa_domain import load_domain

logger = logging.getLogger(__name__)

STATE_ID: Final = 1
BATCH_SIZE: Final = 2000
"""Events indexed per refresh (a page load refreshes at most this many)."""
SETTLE_SECONDS: Final = 2.0
SESSION_GAP: Final = timedelta(hours=12)
"""Equal to ``session_expiration_time: 720`` in domain.yml."""
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

# Messages for the reviewer (Bahasa Indonesia).
BAD_DATE: Final = "Tanggal tidak valid (gunakan format TTTT-BB-HH)."
BAD_CONFIDENCE: Final = "Keyakinan harus angka antara 0 dan 1."
UNKNOWN_ENTITY: Final = "Entitas tidak dikenal: {entity}."
PART_NOT_FOUND: Final = "Bagian teks untuk entitas {entity} tidak ada di pesan."
PARTS_OVERLAP: Final = "Bagian teks dua entitas bertumpuk."

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]


pseudonym = citizen_pseudonym
"""Stable pseudonym of a sender in review pages (shared with the takeover pages)."""


def _loads(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


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


# ---------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class ReviewFilters:
    """Filters of the review list, as typed in the query string (kept for the form)."""

    dari: str = ""
    sampai: str = ""
    kanal: str = ""
    intent: str = ""
    aksi: str = ""
    slot: str = ""
    conf_min: str = ""
    conf_max: str = ""
    fallback: str = ""
    tiket: str = ""
    ditinjau: str = ""
    tag: str = ""

    FIELDS: ClassVar[tuple[str, ...]] = (
        "dari",
        "sampai",
        "kanal",
        "intent",
        "aksi",
        "slot",
        "conf_min",
        "conf_max",
        "fallback",
        "tiket",
        "ditinjau",
        "tag",
    )

    @classmethod
    def from_mapping(cls, values: Any) -> ReviewFilters:
        """Read the filters from a query-string mapping (unknown keys ignored, values clipped)."""
        return cls(**{name: str(values.get(name, "") or "").strip()[:64] for name in cls.FIELDS})

    def query(self, **override: Any) -> str:
        """Query string of these filters (for paging and saved filters)."""
        values = {name: getattr(self, name) for name in self.FIELDS}
        values.update(override)
        return urlencode({key: value for key, value in values.items() if value})

    @property
    def active(self) -> bool:
        """True when at least one filter is set."""
        return any(getattr(self, name) for name in self.FIELDS)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _confidence(raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _has_item(kind: str, name: str) -> ColumnElement[bool]:
    return exists().where(
        ReviewItem.conversation_id == ReviewConversation.id,
        ReviewItem.kind == kind,
        ReviewItem.name == name,
    )


def _yes_no(raw: str, column: ColumnElement[bool]) -> ColumnElement[bool] | None:
    if raw == "ya":
        return column
    if raw == "tidak":
        return ~column
    return None


def filter_conditions(filters: ReviewFilters) -> tuple[list[ColumnElement[bool]], list[str]]:
    """SQL conditions on :class:`ReviewConversation` for the filters.

    Dates are WITA days and select conversations active on those days; the confidence range
    selects conversations with at least one user message whose confidence lies in it.

    Args:
        filters: The filters.

    Returns:
        The conditions and the problems found (Bahasa Indonesia, for the page).
    """
    tz = get_settings().office.tz
    conditions: list[ColumnElement[bool]] = []
    problems: list[str] = []
    for raw, is_start in ((filters.dari, True), (filters.sampai, False)):
        if not raw:
            continue
        day = _day(raw)
        if day is None:
            problems.append(BAD_DATE)
        elif is_start:
            conditions.append(ReviewConversation.last_at >= datetime.combine(day, time.min, tz))
        else:
            end = datetime.combine(day + timedelta(days=1), time.min, tz)
            conditions.append(ReviewConversation.first_at < end)
    if filters.kanal:
        conditions.append(ReviewConversation.channel == filters.kanal)
    for kind, name in (
        ("intent", filters.intent),
        ("action", filters.aksi),
        ("slot", filters.slot),
    ):
        if name:
            conditions.append(_has_item(kind, name))
    bounds = []
    for raw in (filters.conf_min, filters.conf_max):
        value = _confidence(raw) if raw else None
        if raw and value is None:
            problems.append(BAD_CONFIDENCE)
        bounds.append(value)
    low, high = bounds
    if low is not None or high is not None:
        turn_conditions = [ReviewTurn.conversation_id == ReviewConversation.id]
        if low is not None:
            turn_conditions.append(ReviewTurn.confidence >= low)
        if high is not None:
            turn_conditions.append(ReviewTurn.confidence <= high)
        conditions.append(exists().where(and_(*turn_conditions)))
    for raw, column in (
        (filters.fallback, ReviewConversation.had_fallback.is_(True)),
        (filters.tiket, ReviewConversation.ended_in_ticket.is_(True)),
        (filters.ditinjau, ReviewConversation.reviewed_at.is_not(None)),
    ):
        condition = _yes_no(raw, column)
        if condition is not None:
            conditions.append(condition)
    if filters.tag:
        conditions.append(
            exists().where(
                ReviewTag.conversation_id == ReviewConversation.id,
                ReviewTag.tag == normalise_tag(filters.tag),
            )
        )
    return conditions, problems


def filtered_query(filters: ReviewFilters) -> tuple[Select[tuple[ReviewConversation]], list[str]]:
    """The newest-first query of the conversations matching ``filters``."""
    conditions, problems = filter_conditions(filters)
    query = (
        select(ReviewConversation)
        .where(*conditions)
        .order_by(ReviewConversation.last_at.desc(), ReviewConversation.id.desc())
    )
    return query, problems


def normalise_tag(raw: str) -> str:
    """Tags are lower case, single-spaced, at most 64 characters."""
    return " ".join(raw.lower().split())[:64]


async def filter_choices(session: AsyncSession) -> dict[str, list[str]]:
    """Distinct channels, intents, actions, slots and tags, for the filter form."""
    choices: dict[str, list[str]] = {}
    channels = await session.execute(
        select(ReviewConversation.channel)
        .where(ReviewConversation.channel.is_not(None))
        .distinct()
        .order_by(ReviewConversation.channel)
    )
    choices["kanal"] = [str(value) for value in channels.scalars()]
    for kind in ("intent", "action", "slot"):
        names = await session.execute(
            select(ReviewItem.name)
            .where(ReviewItem.kind == kind)
            .distinct()
            .order_by(ReviewItem.name)
        )
        choices[kind] = list(names.scalars())
    tags = await session.execute(select(ReviewTag.tag).distinct().order_by(ReviewTag.tag))
    choices["tag"] = list(tags.scalars())
    return choices


# ------------------------------------------------------------------------------- identity


async def conversation_redactor(
    session: AsyncSession, conversation: ReviewConversation
) -> tuple[str | None, Callable[[str], str]]:
    """The sender id (server side only) and a function masking the reporter's identity.

    The reporter is found through the blind index; when the citizen never reported (no
    ``reporters`` row) only the number is masked.

    Args:
        session: Session of the La-Lisa database.
        conversation: The conversation.

    Returns:
        The decrypted sender id (``None`` when it cannot be decrypted) and the redactor.
    """
    cipher = get_identity_cipher()
    try:
        sender_id = cipher.decrypt(conversation.sender_encrypted)
    except IdentityDecryptionError:
        logger.warning("review conversation %s: sender cannot be decrypted", conversation.id)
        return None, lambda text: text
    name: str | None = None
    reporter = (
        await session.execute(
            select(Reporter).where(Reporter.phone_blind_index == conversation.sender_index)
        )
    ).scalar_one_or_none()
    if reporter is not None and reporter.name_encrypted:
        try:
            name = cipher.decrypt(reporter.name_encrypted)
        except IdentityDecryptionError:
            name = None
    try:
        phone = normalise_sender_id(sender_id)
    except ValueError:
        phone = sender_id
    return sender_id, identity_redactor(phone, name)


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


# ---------------------------------------------------------------------------------- domain


@dataclass(frozen=True)
class DomainNames:
    """Intents and entities the annotation form offers (from domain.yml)."""

    intents: tuple[str, ...]
    entities: tuple[str, ...]


def domain_names(path: Path | None = None) -> DomainNames:
    """Read the intents and entities of the assistant's domain.

    Args:
        path: ``domain.yml`` or ``domain/``; defaults to the project's.

    Returns:
        The names, in the domain's order.
    """
    document = load_domain(path)

    def names(key: str) -> tuple[str, ...]:
        values = []
        for item in document.get(key) or ():
            values.append(next(iter(item)) if isinstance(item, dict) else str(item))
        return tuple(values)

    return DomainNames(intents=names("intents"), entities=names("entities"))


def featurized_slots(path: Path | None = None) -> tuple[str, ...]:
    """The slots that influence the dialogue (the only ones a training story keeps).

    Args:
        path: ``domain.yml`` or ``domain/``; defaults to the project's.

    Returns:
        Slot names whose ``influence_conversation`` is on (Rasa's default, except for ``any``).
    """
    document = load_domain(path)
    slots = document.get("slots") or {}
    return tuple(
        name
        for name, definition in slots.items()
        if isinstance(definition, dict)
        and definition.get("type") != "any"
        and definition.get("influence_conversation", True)
    )


def nlu_dir() -> Path:
    """The project's ``data/nlu`` directory (the export is deduplicated against it)."""
    return PROJECT_ROOT / "data" / "nlu"


def annotation_example(annotation: ReviewAnnotation) -> Example:
    """The training example of an annotation."""
    spans = tuple(
        EntitySpan(
            start=int(entity["start"]),
            end=int(entity["end"]),
            entity=str(entity["entity"]),
            value=str(entity["value"]),
        )
        for entity in json.loads(annotation.entities or "[]")
    )
    return Example(
        text=annotation.text,
        intent=annotation.intent,
        entities=spans,
        source=f"anotasi #{annotation.id}",
    )


def entity_spans(
    text: str, requested: Sequence[tuple[str, str, str]], known_entities: Iterable[str]
) -> list[EntitySpan]:
    """Entity spans from the annotation form: (entity, part of the text, optional value).

    Args:
        text: The (masked) message.
        requested: Rows of the form; empty rows are ignored.
        known_entities: Entities of the domain.

    Returns:
        The spans, in text order.

    Raises:
        ValueError: Unknown entity, the part is not in the text, or two parts overlap
            (message in Bahasa Indonesia).
    """
    known = set(known_entities)
    spans: list[EntitySpan] = []
    for entity, part, value in requested:
        entity, part, value = entity.strip(), part.strip(), value.strip()
        if not entity and not part:
            continue
        if entity not in known:
            raise ValueError(UNKNOWN_ENTITY.format(entity=entity or "(kosong)"))
        start = text.find(part) if part else -1
        if start < 0:
            raise ValueError(PART_NOT_FOUND.format(entity=entity))
        spans.append(EntitySpan(start, start + len(part), entity, value or part))
    spans.sort(key=lambda span: span.start)
    for before, after in itertools.pairwise(spans):
        if after.start < before.end:
            raise ValueError(PARTS_OVERLAP)
    return spans


# ----------------------------------------------------------------------------------- stats


@dataclass
class DayStats:
    """Conversations and fallback share of one WITA day."""

    day: date
    conversations: int = 0
    with_fallback: int = 0

    @property
    def fallback_rate(self) -> float:
        """Share of the day's conversations with a fallback (0 when there were none)."""
        return self.with_fallback / self.conversations if self.conversations else 0.0


@dataclass
class TrainerStats:
    """The numbers of the trainer page."""

    days: list[DayStats] = field(default_factory=list)
    corrected: list[tuple[str, str, int]] = field(default_factory=list)
    """(predicted intent, annotated intent, count), most frequent first."""
    lowest: list[tuple[ReviewTurn, ReviewConversation]] = field(default_factory=list)

    @property
    def max_conversations(self) -> int:
        """Largest daily count (scales the bars)."""
        return max((day.conversations for day in self.days), default=0)


async def trainer_stats(
    session: AsyncSession, *, now: datetime, days: int = 14, lowest: int = 20
) -> TrainerStats:
    """Conversations and fallback rate per day, most corrected intents, lowest confidences.

    Args:
        session: Session of the La-Lisa database.
        now: The current time.
        days: How many WITA days (ending today) the daily table covers.
        lowest: How many of the week's lowest-confidence messages to list.

    Returns:
        The statistics.
    """
    tz = get_settings().office.tz
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tz)
    stats = TrainerStats(days=[DayStats(first_day + timedelta(days=i)) for i in range(days)])
    by_day = {day.day: day for day in stats.days}
    rows = await session.execute(
        select(ReviewConversation.first_at, ReviewConversation.had_fallback).where(
            ReviewConversation.first_at >= start
        )
    )
    for first_at, had_fallback in rows.all():
        bucket = by_day.get(first_at.astimezone(tz).date())
        if bucket is not None:
            bucket.conversations += 1
            bucket.with_fallback += int(bool(had_fallback))
    corrected = await session.execute(
        select(
            func.coalesce(ReviewAnnotation.original_intent, ""),
            ReviewAnnotation.intent,
            func.count(),
        )
        .where(
            (ReviewAnnotation.original_intent.is_(None))
            | (ReviewAnnotation.original_intent != ReviewAnnotation.intent)
        )
        .group_by(ReviewAnnotation.original_intent, ReviewAnnotation.intent)
        .order_by(func.count().desc(), ReviewAnnotation.intent)
        .limit(15)
    )
    stats.corrected = [(str(a), str(b), int(c)) for a, b, c in corrected.all()]
    week = now - timedelta(days=7)
    low = await session.execute(
        select(ReviewTurn, ReviewConversation)
        .join(ReviewConversation, ReviewTurn.conversation_id == ReviewConversation.id)
        .where(ReviewTurn.at >= week, ReviewTurn.confidence.is_not(None))
        .order_by(ReviewTurn.confidence, ReviewTurn.id)
        .limit(lowest)
    )
    stats.lowest = [(turn, conversation) for turn, conversation in low.all()]
    return stats
