"""The back-office complaint workflow (SOP steps 5–12) on top of :mod:`lalisa.tickets.service`.

Size: slightly over the ~600-line guideline: one function per SOP status change (verify,
refuse, redirect, duplicate, close, reopen, review flag), each a few dozen lines around
``transition()``. The TRC steps, notes and identity reveal have their own modules.

Every status change goes through :func:`lalisa.tickets.service.transition` (the one transition
function). The functions here add what each step needs around it, in the caller's transaction:

* the closing details (reason code and citizen-facing explanation, agency, original ticket),
* the citizen's WhatsApp message, queued in the durable outbox together with the change
  (:mod:`lalisa.notifications`), and the TRC's dispatch message,
* an audit-log entry (:mod:`lalisa.core.audit`) and, for changes that are not status changes
  (TRC departed/arrived, field report, "belum selesai"), a
  :class:`~lalisa.tickets.models.TicketEvent`,
* the optimistic version check: a form carries ``Ticket.version``; a stale form raises
  :class:`~lalisa.tickets.service.ConcurrentUpdate` and nothing is written.

Nothing here commits. When a function raises, the caller must roll back (the back office
runs each action in a savepoint), so no message is queued for a change that did not happen.

This module holds the helpers every step shares and the admin's status changes, plus
:func:`flag_for_review`, called by the assistant when a citizen answers "belum selesai". The
TRC's steps are in :mod:`lalisa.tickets.trc`, notes in :mod:`lalisa.tickets.notes`, the
identity reveal in :mod:`lalisa.tickets.identity`, the service-level clocks in
:mod:`lalisa.tickets.sla` and the officer-facing labels in :mod:`lalisa.tickets.labels`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.models import aware_now
from lalisa.dispatch.models import Dispatch, DispatchStatus
from lalisa.notifications.messages import (
    NotificationContent,
    Wording,
    citizen_done,
    citizen_duplicate,
    citizen_not_actionable,
    citizen_redirected,
    citizen_reopened,
    citizen_verified,
)
from lalisa.notifications.models import OutboxMessage
from lalisa.notifications.queueing import enqueue_citizen_update
from lalisa.runtime_settings.service import load_effective_settings
from lalisa.survey.service import SURVEY_OUTCOMES, invite_after_close
from lalisa.tickets import errors
from lalisa.tickets.labels import REASON_CODES
from lalisa.tickets.models import Ticket, TicketEvent, TicketStatus
from lalisa.tickets.numbers import parse_ticket_number
from lalisa.tickets.service import ConcurrentUpdate, transition

S = TicketStatus

MAX_TEXT: Final = 4000
"""Longest free text accepted from a form field."""
MAX_SHORT_TEXT: Final = 255
MAX_CITIZEN_TEXT: Final = 1500
"""Longest text that is sent to the citizen (the whole message must stay under 4096)."""
MAX_CONTACT: Final = 300


class WorkflowError(ValueError):
    """A workflow action refused for a reason the officer can fix (message in Indonesian)."""


# ---------------------------------------------------------------------------- helpers


def clean_text(
    value: str | None, what: str, *, required: bool, limit: int = MAX_TEXT
) -> str | None:
    """Return a form field trimmed, ``None`` when empty and optional; refuse it otherwise."""
    text = (value or "").strip()
    if not text:
        if required:
            raise WorkflowError(errors.FIELD_REQUIRED.format(what=what))
        return None
    if len(text) > limit:
        raise WorkflowError(errors.FIELD_TOO_LONG.format(what=what, limit=limit))
    return text


async def lock_ticket(session: AsyncSession, ticket: Ticket, expected_version: int | None) -> None:
    """Reload a ticket under a row lock and check the version a form carried.

    Args:
        session: The unit of work.
        ticket: The ticket (reloaded in place).
        expected_version: The form's version; ``None`` skips the check.

    Raises:
        ConcurrentUpdate: Somebody changed the ticket since the form was built.
    """
    await session.flush()
    await session.refresh(ticket, with_for_update=True)
    if expected_version is not None and ticket.version != expected_version:
        raise ConcurrentUpdate(expected_version, ticket.version)


def bump(ticket: Ticket, now: datetime) -> None:
    """Raise the ticket's version (forms built before now become stale)."""
    ticket.version = ticket.version + 1
    ticket.updated_at = now


async def record_event(
    session: AsyncSession,
    ticket: Ticket,
    event_type: str,
    actor: str,
    note: str | None,
    now: datetime,
) -> TicketEvent:
    """Log a change that is not a status change (status stays) as a ticket event."""
    entry = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor=actor,
        event_type=event_type,
        from_status=ticket.status.value,
        to_status=ticket.status.value,
        note=note,
    )
    session.add(entry)
    await session.flush()
    return entry


async def load_wording(session: AsyncSession) -> Wording:
    """The texts and templates of citizen and TRC messages, as edited on /pengaturan."""
    # Texts edited on /pengaturan; loaded before the pure message builders run.
    return (await load_effective_settings(session)).wording()


async def tell_citizen(
    session: AsyncSession,
    ticket: Ticket,
    change: TicketEvent,
    content: NotificationContent,
    now: datetime,
) -> OutboxMessage | None:
    """Queue the citizen's message about a change (and the survey invitation on closing)."""
    message = await enqueue_citizen_update(session, ticket, change, content, now=now)
    # Issue 6: closing outcomes that rate a service invite the citizen to the SKM survey, in
    # the same transaction (queued after the closing message, so it arrives second).
    if ticket.status in SURVEY_OUTCOMES:
        await invite_after_close(session, ticket, now=now, wording=await load_wording(session))
    return message


async def close_open_dispatches(
    session: AsyncSession, ticket: Ticket, now: datetime, *, reported: Dispatch | None = None
) -> None:
    """Close the ticket's open dispatches (``reported`` as reported, the others closed)."""
    query = select(Dispatch).where(Dispatch.ticket_id == ticket.id, Dispatch.closed_at.is_(None))
    for dispatch in (await session.execute(query)).scalars():
        if reported is not None and dispatch.id == reported.id:
            dispatch.status = DispatchStatus.DILAPORKAN
            dispatch.reported_at = now
        else:
            dispatch.status = DispatchStatus.DITUTUP
        dispatch.closed_at = now
    await session.flush()


def ticket_target(ticket: Ticket) -> str:
    """The audit-log target of a ticket."""
    return f"ticket:{ticket.number}"


def clear_closing(ticket: Ticket) -> None:
    """Forget the details of an earlier closing (reopened or closed another way)."""
    ticket.closing_reason_code = None
    ticket.closing_explanation = None
    ticket.closing_contact = None
    ticket.redirected_to = None
    ticket.duplicate_of_number = None


# ----------------------------------------------------------------------- status changes


async def verify(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    expected_version: int | None,
    note: str | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Baru → Diverifikasi, and tell the citizen.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username of the admin.
        expected_version: Version of the form.
        note: Optional note for the history.
        now: Time (aware).

    Returns:
        The transition event.
    """
    now = aware_now(now)
    note = clean_text(note, errors.LABEL_NOTE, required=False)
    change = await transition(
        session,
        ticket,
        S.DIVERIFIKASI,
        actor=actor,
        reason=note,
        now=now,
        expected_version=expected_version,
    )
    await tell_citizen(
        session,
        ticket,
        change,
        citizen_verified(ticket.number, wording=await load_wording(session)),
        now,
    )
    await audit.record(
        session, actor=actor, action=audit.TICKET_VERIFIED, target=ticket_target(ticket)
    )
    return change


async def refuse(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    reason_code: str,
    explanation: str,
    contact: str | None = None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Close as *Tidak dapat ditindaklanjuti* with a reason code and an explanation.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        reason_code: One of :data:`REASON_CODES`.
        explanation: Citizen-facing explanation (mandatory; sent to the citizen).
        contact: Who the citizen can contact instead, where it applies.
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: Unknown reason code, or no explanation.
    """
    now = aware_now(now)
    if reason_code not in REASON_CODES:
        raise WorkflowError(errors.CHOOSE_REASON)
    explanation_text = clean_text(
        explanation, errors.LABEL_EXPLANATION, required=True, limit=MAX_CITIZEN_TEXT
    )
    assert explanation_text is not None
    contact_text = clean_text(contact, errors.LABEL_CONTACT, required=False, limit=MAX_CONTACT)
    change = await transition(
        session,
        ticket,
        S.TIDAK_DAPAT_DITINDAKLANJUTI,
        actor=actor,
        reason=f"{REASON_CODES[reason_code]}: {explanation_text}",
        now=now,
        expected_version=expected_version,
    )
    clear_closing(ticket)
    ticket.closing_reason_code = reason_code
    ticket.closing_explanation = explanation_text
    ticket.closing_contact = contact_text
    await close_open_dispatches(session, ticket, now)
    content = citizen_not_actionable(
        ticket.number, explanation_text, contact_text, wording=await load_wording(session)
    )
    await tell_citizen(session, ticket, change, content, now)
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_REFUSED,
        target=ticket_target(ticket),
        detail={"reason_code": reason_code},
    )
    return change


async def redirect(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    agency: str,
    reason: str | None = None,
    contact: str | None = None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Close as *Dialihkan* to another agency (named), and tell the citizen who handles it.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        agency: The agency now in charge (mandatory).
        reason: Optional explanation for the citizen.
        contact: Optional contact of that agency.
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: No agency.
    """
    now = aware_now(now)
    agency_text = clean_text(agency, errors.LABEL_AGENCY, required=True, limit=MAX_SHORT_TEXT)
    assert agency_text is not None
    reason_text = clean_text(
        reason, errors.LABEL_REDIRECT_REASON, required=False, limit=MAX_CITIZEN_TEXT
    )
    contact_text = clean_text(
        contact, errors.LABEL_AGENCY_CONTACT, required=False, limit=MAX_CONTACT
    )
    change = await transition(
        session,
        ticket,
        S.DIALIHKAN,
        actor=actor,
        reason=f"Dialihkan ke {agency_text}" + (f": {reason_text}" if reason_text else ""),
        now=now,
        expected_version=expected_version,
    )
    clear_closing(ticket)
    ticket.redirected_to = agency_text
    ticket.closing_explanation = reason_text
    ticket.closing_contact = contact_text
    await close_open_dispatches(session, ticket, now)
    content = citizen_redirected(
        ticket.number,
        agency_text,
        reason=reason_text,
        contact=contact_text,
        wording=await load_wording(session),
    )
    await tell_citizen(session, ticket, change, content, now)
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_REDIRECTED,
        target=ticket_target(ticket),
        detail={"agency": agency_text},
    )
    return change


async def mark_duplicate(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    original_number: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Close as *Duplikat* of another existing ticket.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        original_number: Number of the ticket it duplicates (any accepted spelling).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: The number is malformed, unknown, or the ticket itself.
    """
    now = aware_now(now)
    canonical = parse_ticket_number(original_number or "")
    if canonical is None:
        raise WorkflowError(errors.DUPLICATE_NUMBER_MISSING)
    if canonical == ticket.number:
        raise WorkflowError(errors.DUPLICATE_OF_ITSELF)
    exists = (
        await session.execute(select(Ticket.id).where(Ticket.number == canonical))
    ).scalar_one_or_none()
    if exists is None:
        raise WorkflowError(errors.DUPLICATE_ORIGINAL_UNKNOWN.format(number=canonical))
    change = await transition(
        session,
        ticket,
        S.DUPLIKAT,
        actor=actor,
        reason=f"Duplikat dari {canonical}",
        now=now,
        expected_version=expected_version,
    )
    clear_closing(ticket)
    ticket.duplicate_of_number = canonical
    await close_open_dispatches(session, ticket, now)
    await tell_citizen(
        session,
        ticket,
        change,
        citizen_duplicate(ticket.number, canonical, wording=await load_wording(session)),
        now,
    )
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_DUPLICATE,
        target=ticket_target(ticket),
        detail={"original": canonical},
    )
    return change


async def close_done(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    result: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Dalam penanganan → Selesai, with an optional result text for the citizen.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        result: What was done, in words fit for the citizen (optional).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.
    """
    now = aware_now(now)
    result_text = clean_text(result, errors.LABEL_RESULT, required=False, limit=MAX_CITIZEN_TEXT)
    change = await transition(
        session,
        ticket,
        S.SELESAI,
        actor=actor,
        reason=result_text,
        now=now,
        expected_version=expected_version,
    )
    clear_closing(ticket)
    ticket.closing_explanation = result_text
    await close_open_dispatches(session, ticket, now)
    await tell_citizen(
        session,
        ticket,
        change,
        citizen_done(ticket.number, result_text, wording=await load_wording(session)),
        now,
    )
    await audit.record(
        session, actor=actor, action=audit.TICKET_CLOSED, target=ticket_target(ticket)
    )
    return change


async def reopen(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    reason: str,
    citizen_reason: str | None = None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Reopen a closed ticket (back to *Baru*) with a mandatory reason; tell the citizen.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        reason: Internal reason (mandatory, kept in the history).
        citizen_reason: Reason told to the citizen (optional; a generic text otherwise).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: No reason.
    """
    now = aware_now(now)
    reason_text = clean_text(reason, errors.LABEL_REOPEN_REASON, required=True)
    citizen_text = clean_text(
        citizen_reason, errors.LABEL_CITIZEN_REASON, required=False, limit=MAX_CITIZEN_TEXT
    )
    change = await transition(
        session,
        ticket,
        S.BARU,
        actor=actor,
        reason=reason_text,
        now=now,
        expected_version=expected_version,
    )
    clear_closing(ticket)
    ticket.review_flagged_at = None
    ticket.review_note = None
    await tell_citizen(
        session,
        ticket,
        change,
        citizen_reopened(ticket.number, citizen_text, wording=await load_wording(session)),
        now,
    )
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_REOPENED,
        target=ticket_target(ticket),
        detail={"reason": reason_text},
    )
    return change


async def flag_for_review(
    session: AsyncSession,
    ticket: Ticket,
    by: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> TicketEvent:
    """Flag a ticket for review because the citizen says it is *belum selesai*.

    Called by the assistant when a citizen answers "belum selesai" to a closing message. The
    ticket keeps its status; the inbox shows it as flagged until an admin reopens it or
    clears the flag. Safe to call again (each call is logged).

    Args:
        session: The unit of work (the caller commits).
        ticket: The ticket.
        by: Who flags it (e.g. :data:`lalisa.tickets.service.REPORTER_ACTOR`).
        note: What the citizen said, if anything.
        now: Time (aware).

    Returns:
        The ``flagged_for_review`` event.

    Raises:
        ValueError: ``by`` is empty.
    """
    now = aware_now(now)
    actor = (by or "").strip()
    if not actor:
        raise ValueError("by is empty")
    text = (note or "").strip()[:MAX_TEXT] or None
    await lock_ticket(session, ticket, None)
    ticket.review_flagged_at = now
    ticket.review_note = text
    bump(ticket, now)
    entry = await record_event(session, ticket, "flagged_for_review", actor[:128], text, now)
    await audit.record(
        session, actor=actor, action=audit.TICKET_FLAGGED_FOR_REVIEW, target=ticket_target(ticket)
    )
    return entry


async def clear_review_flag(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    note: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Remove the "belum selesai" flag after the admin looked at it (without reopening).

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        note: Why no reopening was needed (optional).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The ``review_cleared`` event.

    Raises:
        WorkflowError: The ticket is not flagged.
    """
    now = aware_now(now)
    text = clean_text(note, errors.LABEL_NOTE, required=False)
    await lock_ticket(session, ticket, expected_version)
    if ticket.review_flagged_at is None:
        raise WorkflowError(errors.NOT_FLAGGED)
    ticket.review_flagged_at = None
    ticket.review_note = None
    bump(ticket, now)
    entry = await record_event(session, ticket, "review_cleared", actor, text, now)
    await audit.record(
        session, actor=actor, action=audit.TICKET_REVIEW_CLEARED, target=ticket_target(ticket)
    )
    return entry
