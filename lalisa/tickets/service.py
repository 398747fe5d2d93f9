"""Complaint tickets: submission, numbering, look-up by reporter, and status transitions.

Every function takes the caller's session and never commits: the caller's
:func:`lalisa.core.db.session_scope` is the unit of work, so a ticket, its number, its media links
and its first audit event are saved together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert

from lalisa.core.contacts import citizen_address
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import insert_or_find
from lalisa.core.models import aware_now
from lalisa.core.settings import get_settings
from lalisa.office.hours import is_office_open
from lalisa.runtime_settings.service import load_effective_settings
from lalisa.tickets.categories import CATEGORY_LABELS, FALLBACK_CATEGORY
from lalisa.tickets.models import (
    CLOSED_STATUSES,
    Reporter,
    Ticket,
    TicketEvent,
    TicketMedia,
    TicketSequence,
    TicketStatus,
)
from lalisa.tickets.numbers import format_ticket_number, parse_ticket_number
from lalisa_common.phone import normalise_sender_id

__all__ = [
    "ALLOWED_TRANSITIONS",
    "CLOSED_STATUSES",
    "COMPLAINT_CATEGORIES",
    "REPORTER_ACTOR",
    "ComplaintDraft",
    "ConcurrentUpdate",
    "InvalidTransition",
    "ReasonRequired",
    "TicketStatus",
    "format_ticket_number",
    "parse_ticket_number",
    "pending_media",
    "record_pending_media",
    "submit_complaint",
    "ticket_for_reporter",
    "tickets_for_reporter",
    "transition",
]

logger = logging.getLogger(__name__)

COMPLAINT_CATEGORIES: tuple[str, ...] = tuple(CATEGORY_LABELS)
"""Canonical ``category`` values (docs/CONTRACTS.md), listed in :mod:`lalisa.tickets.categories`."""

REPORTER_ACTOR = "reporter"
"""Actor recorded on events caused by the citizen (no identity in the audit trail)."""

_S = TicketStatus
ALLOWED_TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = MappingProxyType(
    {
        _S.BARU: frozenset(
            {_S.DIVERIFIKASI, _S.TIDAK_DAPAT_DITINDAKLANJUTI, _S.DIALIHKAN, _S.DUPLIKAT}
        ),
        _S.DIVERIFIKASI: frozenset(
            {_S.DIDISPOSISIKAN, _S.TIDAK_DAPAT_DITINDAKLANJUTI, _S.DIALIHKAN, _S.DUPLIKAT}
        ),
        _S.DIDISPOSISIKAN: frozenset({_S.DALAM_PENANGANAN, _S.TIDAK_DAPAT_DITINDAKLANJUTI}),
        _S.DALAM_PENANGANAN: frozenset({_S.SELESAI, _S.TIDAK_DAPAT_DITINDAKLANJUTI}),
        # Closed tickets can only be reopened, and only with a reason (see transition()).
        **{closed: frozenset({_S.BARU}) for closed in CLOSED_STATUSES},
    }
)
"""Allowed next statuses for each status; the only source of truth for transitions."""

# Column set when a ticket enters a status. Closed states share closed_at.
_TRANSITION_TIMESTAMP: Mapping[TicketStatus, str] = MappingProxyType(
    {
        _S.DIVERIFIKASI: "verified_at",
        _S.DIDISPOSISIKAN: "dispatched_at",
        _S.DALAM_PENANGANAN: "in_progress_at",
        **{closed: "closed_at" for closed in CLOSED_STATUSES},
    }
)

_NO_ANSWER = {"", "-"}


class InvalidTransition(ValueError):
    """Raised when a status change is not in :data:`ALLOWED_TRANSITIONS`.

    Attributes:
        from_status: Status the ticket has.
        to_status: Status that was requested.
    """

    def __init__(
        self, from_status: TicketStatus, to_status: TicketStatus, message: str = ""
    ) -> None:
        """Describe the refused change."""
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(message or f"cannot change a ticket from {from_status} to {to_status}")


class ReasonRequired(InvalidTransition):
    """Raised when a closed ticket is reopened without a reason."""


class ConcurrentUpdate(RuntimeError):
    """Raised when a ticket changed since the caller read it (optimistic version check).

    Attributes:
        expected_version: Version the caller's form was built from.
        current_version: Version the ticket has now.
    """

    def __init__(self, expected_version: int, current_version: int) -> None:
        """Describe the conflict."""
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            f"ticket changed meanwhile (version {current_version}, expected {expected_version})"
        )


@dataclass(frozen=True, kw_only=True)
class ComplaintDraft:
    """A complaint confirmed by the citizen, ready to be saved.

    Attributes:
        category: Canonical category (see :data:`COMPLAINT_CATEGORIES`); an unknown value is
            saved as ``lainnya`` and the original is kept in the creation event.
        category_told: The citizen's own words for the category when they could not be read
            as one (the category is then ``lainnya``), or ``None``.
        description: The citizen's description (stored as plain text).
        latitude: Pin latitude, with ``longitude``, or ``None``.
        longitude: Pin longitude, or ``None``.
        kecamatan: Resolved kecamatan name, if any.
        desa: Resolved desa/kelurahan name, if any.
        location_text: Location as the citizen described it.
        incident_time_text: Incident time as the citizen wrote it.
        incident_at: Parsed incident time (aware), if it could be parsed.
        reporter_sender_id: Channel sender id (WhatsApp number); encrypted at rest.
        reporter_channel: Channel name.
        reporter_name: Name the citizen gave, or ``None``/``"-"`` when skipped.
        media_ids: Evidence to attach: ``int`` items are :class:`TicketMedia` ids, ``str`` items
            are WhatsApp media ids (even when they look numeric). Only pending media of the same
            sender are attached.
        submission_key: Idempotency key; a second submission with it returns the first ticket.
        received_out_of_hours: Whether it arrived outside office hours; ``None`` computes it
            from the submission time.
    """

    category: str
    description: str
    category_told: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    kecamatan: str | None = None
    desa: str | None = None
    location_text: str | None = None
    incident_time_text: str | None = None
    incident_at: datetime | None = None
    reporter_sender_id: str
    reporter_channel: str = "whatsapp"
    reporter_name: str | None = None
    media_ids: tuple[int | str, ...] = ()
    submission_key: str
    received_out_of_hours: bool | None = None

    def __post_init__(self) -> None:
        """Reject drafts that could never be saved."""
        if not self.submission_key.strip():
            raise ValueError("submission_key is empty")
        if len(self.submission_key) > 128:
            raise ValueError("submission_key is longer than 128 characters")
        normalise_sender_id(self.reporter_sender_id)
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must be given together")
        if self.incident_at is not None and self.incident_at.utcoffset() is None:
            raise ValueError("incident_at must be an aware datetime")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return None if stripped in _NO_ANSWER else stripped


def _insert_ignoring_conflicts(session: AsyncSession, table: Table, *columns: str) -> Insert:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(columns))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(columns))
    raise NotImplementedError(f"unsupported database dialect: {dialect}")


async def _allocate_sequence_value(session: AsyncSession, year: int) -> int:
    """Take the next number of ``year`` inside the caller's transaction.

    The UPDATE locks the counter row until commit, so concurrent submissions queue on it and
    never read the same value. For the first ticket of a year the row is inserted; a racing
    insert is ignored and that transaction falls back to the UPDATE, which then waits for the
    winner's row.
    """
    table: Table = TicketSequence.__table__  # type: ignore[assignment]
    increment = (
        update(table)
        .where(table.c.year == year)
        .values(last_value=table.c.last_value + 1)
        .returning(table.c.last_value)
    )
    value = (await session.execute(increment)).scalar_one_or_none()
    if value is not None:
        return int(value)
    first = (
        _insert_ignoring_conflicts(session, table, "year")
        .values(year=year, last_value=1)
        .returning(table.c.last_value)
    )
    value = (await session.execute(first)).scalar_one_or_none()
    if value is not None:
        return int(value)
    return int((await session.execute(increment)).scalar_one())


async def _upsert_reporter(session: AsyncSession, draft: ComplaintDraft, now: datetime) -> Reporter:
    cipher = get_identity_cipher()
    index = cipher.blind_index(draft.reporter_sender_id)
    query = select(Reporter).where(Reporter.phone_blind_index == index)
    reporter = (await session.execute(query)).scalar_one_or_none()
    if reporter is None:
        # The sender id is the citizen's key; the number comes from the contact written at
        # ingress (a number passed directly, as by tests and older spool files, is used as is).
        address = await citizen_address(session, draft.reporter_sender_id)
        if address is None:
            # Never lose a confirmed complaint over it: the key is kept and the outbox
            # resolves it again when it sends (lalisa.core.contacts.citizen_address).
            logger.error("Reporter key without a recorded number; the key is stored instead")
            address = draft.reporter_sender_id.strip()
        table: Table = Reporter.__table__  # type: ignore[assignment]
        # Insert-or-ignore instead of a plain INSERT: the same citizen may submit from two
        # conversations at once, and a unique violation would abort the whole transaction.
        await session.execute(
            _insert_ignoring_conflicts(session, table, "phone_blind_index").values(
                phone_blind_index=index,
                phone_encrypted=cipher.encrypt(address),
                name_encrypted=None,
                channel=draft.reporter_channel,
                created_at=now,
            )
        )
        reporter = (await session.execute(query)).scalar_one()
    name = _clean(draft.reporter_name)
    if name is not None:
        reporter.name_encrypted = cipher.encrypt(name)
    return reporter


async def _ticket_by_submission_key(session: AsyncSession, key: str) -> Ticket | None:
    query = select(Ticket).where(Ticket.submission_key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def submit_complaint(
    session: AsyncSession, draft: ComplaintDraft, *, now: datetime | None = None
) -> Ticket:
    """Save a confirmed complaint as a new ticket, exactly once.

    Args:
        session: Session of the caller's unit of work (not committed here).
        draft: The complaint.
        now: Submission time (aware); defaults to the current time. Its local year picks the
            number series.

    Returns:
        The new ticket, or the ticket already saved under ``draft.submission_key``.
    """
    now = aware_now(now)
    existing = await _ticket_by_submission_key(session, draft.submission_key)
    if existing is not None:
        return existing

    reporter = await _upsert_reporter(session, draft, now)
    category = draft.category.strip().lower()
    note = None
    if category not in COMPLAINT_CATEGORIES:
        logger.warning(
            "unknown complaint category %r saved as %r", draft.category, FALLBACK_CATEGORY
        )
        note = f"kategori asli: {draft.category}"
        category = FALLBACK_CATEGORY
    out_of_hours = draft.received_out_of_hours
    if out_of_hours is None:
        office = (await load_effective_settings(session)).app_settings()
        out_of_hours = not is_office_open(now, settings=office)

    year = now.astimezone(get_settings().office.tz).year
    try:
        # The savepoint undoes the number allocation too when another transaction saved the
        # same submission first, so a redelivered message does not leave a gap in the series.
        async with session.begin_nested():
            number = format_ticket_number(year, await _allocate_sequence_value(session, year))
            ticket = Ticket(
                number=number,
                reporter_id=reporter.id,
                category=category,
                category_told=_clean(draft.category_told),
                description=draft.description.strip(),
                latitude=draft.latitude,
                longitude=draft.longitude,
                kecamatan=_clean(draft.kecamatan),
                desa=_clean(draft.desa),
                location_text=_clean(draft.location_text),
                incident_time_text=_clean(draft.incident_time_text),
                incident_at=draft.incident_at,
                status=TicketStatus.BARU,
                submission_key=draft.submission_key,
                received_out_of_hours=out_of_hours,
                created_at=now,
                updated_at=now,
            )
            session.add(ticket)
            await session.flush()
    except IntegrityError:
        existing = await _ticket_by_submission_key(session, draft.submission_key)
        if existing is None:
            raise
        return existing

    await _link_media(session, ticket, reporter.phone_blind_index, draft.media_ids)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=now,
            actor=REPORTER_ACTOR,
            event_type="created",
            from_status=None,
            to_status=TicketStatus.BARU.value,
            note=note,
        )
    )
    await session.flush()
    return ticket


async def _link_media(
    session: AsyncSession, ticket: Ticket, sender_index: str, media_ids: tuple[int | str, ...]
) -> None:
    row_ids = [m for m in media_ids if isinstance(m, int)]
    wa_ids = [m for m in media_ids if isinstance(m, str) and m.strip() not in _NO_ANSWER]
    if not row_ids and not wa_ids:
        return
    await session.execute(
        update(TicketMedia)
        .where(
            TicketMedia.ticket_id.is_(None),
            TicketMedia.sender_blind_index == sender_index,
            or_(TicketMedia.id.in_(row_ids), TicketMedia.wa_media_id.in_(wa_ids)),
        )
        .values(ticket_id=ticket.id)
        .execution_options(synchronize_session=False)
    )


async def record_pending_media(
    session: AsyncSession,
    sender_id: str,
    *,
    media_type: str,
    wa_media_id: str | None = None,
    mime_type: str | None = None,
    sha256: str | None = None,
    size_bytes: int | None = None,
    path: str | None = None,
    caption: str | None = None,
    now: datetime | None = None,
) -> TicketMedia:
    """Record evidence a citizen sent before the complaint is confirmed.

    Idempotent by ``wa_media_id``: a redelivered message returns the existing row.

    Args:
        session: Session of the caller's unit of work.
        sender_id: Channel sender id of the citizen.
        media_type: ``image``, ``video``, ``document`` or ``audio``.
        wa_media_id: WhatsApp media id, if the file came from WhatsApp.
        mime_type: MIME type reported by WhatsApp.
        sha256: SHA-256 of the file, hex.
        size_bytes: File size.
        path: Where the downloaded file is stored (relative to ``LALISA_MEDIA_DIR``).
        caption: Caption the citizen wrote.
        now: Time received (aware); defaults to now.

    Returns:
        The pending media row (``ticket_id`` is ``None`` until a complaint links it).

    Raises:
        ValueError: ``wa_media_id`` is already recorded for another sender.
    """
    now = aware_now(now)
    index = get_identity_cipher().blind_index(sender_id)
    if wa_media_id is not None:
        found = await _media_by_wa_id(session, wa_media_id)
        if found is not None:
            return _same_sender(found, index)
    media = TicketMedia(
        sender_blind_index=index,
        wa_media_id=wa_media_id,
        media_type=media_type,
        mime_type=mime_type,
        sha256=sha256,
        size_bytes=size_bytes,
        path=path,
        caption=caption,
        created_at=now,
    )

    async def find() -> TicketMedia | None:
        return await _media_by_wa_id(session, wa_media_id) if wa_media_id else None

    row, created = await insert_or_find(session, media, find)
    return row if created else _same_sender(row, index)


async def _media_by_wa_id(session: AsyncSession, wa_media_id: str) -> TicketMedia | None:
    query = select(TicketMedia).where(TicketMedia.wa_media_id == wa_media_id)
    return (await session.execute(query)).scalar_one_or_none()


def _same_sender(media: TicketMedia, index: str) -> TicketMedia:
    if media.sender_blind_index != index:
        raise ValueError("this WhatsApp media id is recorded for another sender")
    return media


async def pending_media(session: AsyncSession, sender_id: str) -> list[TicketMedia]:
    """List a citizen's media not yet attached to a ticket, oldest first.

    Args:
        session: Session of the caller's unit of work.
        sender_id: Channel sender id of the citizen.

    Returns:
        The pending media rows.
    """
    index = get_identity_cipher().blind_index(sender_id)
    query = (
        select(TicketMedia)
        .where(TicketMedia.sender_blind_index == index, TicketMedia.ticket_id.is_(None))
        .order_by(TicketMedia.id)
    )
    return list((await session.execute(query)).scalars())


async def tickets_for_reporter(
    session: AsyncSession, sender_id: str, limit: int = 3
) -> list[Ticket]:
    """List a citizen's tickets, newest first.

    Args:
        session: Session of the caller's unit of work.
        sender_id: Channel sender id of the citizen.
        limit: Maximum number of tickets.

    Returns:
        Up to ``limit`` tickets.
    """
    index = get_identity_cipher().blind_index(sender_id)
    query = (
        select(Ticket)
        .join(Reporter, Ticket.reporter_id == Reporter.id)
        .where(Reporter.phone_blind_index == index)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def ticket_for_reporter(session: AsyncSession, sender_id: str, number: str) -> Ticket | None:
    """Fetch one of a citizen's tickets by number.

    Args:
        session: Session of the caller's unit of work.
        sender_id: Channel sender id of the citizen.
        number: Ticket number in any accepted spelling (see :func:`parse_ticket_number`).

    Returns:
        The ticket, or ``None`` when the number is malformed, unknown, or belongs to someone
        else (the three cases are indistinguishable on purpose).
    """
    canonical = parse_ticket_number(number)
    if canonical is None:
        return None
    index = get_identity_cipher().blind_index(sender_id)
    query = (
        select(Ticket)
        .join(Reporter, Ticket.reporter_id == Reporter.id)
        .where(Ticket.number == canonical, Reporter.phone_blind_index == index)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def transition(
    session: AsyncSession,
    ticket: Ticket,
    to_status: TicketStatus | str,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
    expected_version: int | None = None,
) -> TicketEvent:
    """Change a ticket's status; the only way statuses change.

    Checks :data:`ALLOWED_TRANSITIONS`, sets the timestamp of the new status, raises the
    ticket's ``version`` and appends a :class:`TicketEvent`. Reopening (a closed status back to
    ``baru``) needs a reason and clears ``closed_at``. The first change away from ``baru`` also
    sets ``first_response_at`` if nothing set it before.

    Args:
        session: Session the ticket belongs to (the caller commits).
        ticket: The ticket.
        to_status: New status.
        actor: Who acts (back-office user name or a system name); stored in the event.
        reason: Why; mandatory when reopening, stored as the event note.
        now: Time of the change (aware); defaults to now.
        expected_version: The ``version`` the caller's decision was based on (the version a
            back-office form carried); ``None`` skips the check.

    Returns:
        The new event.

    Raises:
        InvalidTransition: The change is not allowed from the current status.
        ReasonRequired: A closed ticket is reopened without a reason.
        ConcurrentUpdate: The ticket's version is not ``expected_version``.
        ValueError: ``actor`` is empty or ``to_status`` is not a status.
    """
    target = TicketStatus(to_status)
    if not actor.strip():
        raise ValueError("actor is empty")
    now = aware_now(now)
    # Re-read the status under a row lock (PostgreSQL; SQLite already serialises writers), so
    # two staff members acting on the same ticket cannot both apply a change from a stale status.
    await session.flush()
    await session.refresh(
        ticket, attribute_names=["status", "first_response_at", "version"], with_for_update=True
    )
    if expected_version is not None and ticket.version != expected_version:
        raise ConcurrentUpdate(expected_version, ticket.version)
    current = ticket.status
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(current, target)
    note = _clean(reason)
    reopening = current in CLOSED_STATUSES and target is TicketStatus.BARU
    if reopening and note is None:
        raise ReasonRequired(current, target, f"reopening a {current} ticket needs a reason")

    changes: dict[str, Any] = {"status": target, "updated_at": now, "version": ticket.version + 1}
    column = _TRANSITION_TIMESTAMP.get(target)
    if column is not None:
        changes[column] = now
    if reopening:
        changes["closed_at"] = None
    if current is TicketStatus.BARU and ticket.first_response_at is None:
        changes["first_response_at"] = now
    for name, value in changes.items():
        setattr(ticket, name, value)

    event = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor=actor.strip(),
        event_type="reopened" if reopening else "status_changed",
        from_status=current.value,
        to_status=target.value,
        note=note,
    )
    session.add(event)
    await session.flush()
    return event
