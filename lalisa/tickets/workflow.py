"""The back-office complaint workflow (SOP steps 5–12) on top of :mod:`lalisa.tickets.service`.

Every status change goes through :func:`lalisa.tickets.service.transition` (the one transition
function: allowed-transition map, a timestamp per status, one ticket event per change), and
every operation here reaches it through :func:`change_status`, which does the rest of a change
in the caller's transaction, in one order:

1. the transition (with the optimistic version check: a form carries ``Ticket.version``; a
   stale form raises :class:`~lalisa.tickets.service.ConcurrentUpdate` and nothing is written),
2. the closing details (reason code and citizen-facing explanation, agency, original ticket)
   and the review flag, where the change declares them,
3. the ticket's open dispatches closed, when the change closes the ticket,
4. the citizen's WhatsApp message, queued in the durable outbox together with the change
   (:mod:`lalisa.notifications`), and the SKM survey invitation on closing,
5. one audit-log entry (:mod:`lalisa.core.audit`), whose action follows from the new status.

An operation (:func:`verify`, :func:`refuse`, :func:`close_done`, …) checks its form fields and
declares its change as a :class:`StatusChange`. Changes that are not status changes (TRC
departed/arrived, "belum selesai" flagged or cleared) go through :func:`record_step`: a new
version, a :class:`~lalisa.tickets.models.TicketEvent` and an audit entry.

Nothing here commits. When a function raises, the caller must roll back (the back office
runs each action in a savepoint), so no message is queued for a change that did not happen.

Size: over the ~600-line guideline because each SOP step keeps its documented signature
(Args/Raises for the back office's forms) next to the change it declares; the machinery they
share is the first third. The TRC's steps are in :mod:`lalisa.tickets.trc`, notes in
:mod:`lalisa.tickets.notes`, the identity reveal in :mod:`lalisa.tickets.identity`, the
service-level clocks in :mod:`lalisa.tickets.sla` and the officer-facing labels in
:mod:`lalisa.tickets.labels`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

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


# ------------------------------------------------------------------ the one change path

AUDIT_ACTIONS: Final[Mapping[TicketStatus, str]] = MappingProxyType(
    {
        S.DIVERIFIKASI: audit.TICKET_VERIFIED,
        S.DIDISPOSISIKAN: audit.TICKET_DISPATCHED,
        S.DALAM_PENANGANAN: audit.TICKET_IN_PROGRESS,
        S.SELESAI: audit.TICKET_CLOSED,
        S.TIDAK_DAPAT_DITINDAKLANJUTI: audit.TICKET_REFUSED,
        S.DIALIHKAN: audit.TICKET_REDIRECTED,
        S.DUPLIKAT: audit.TICKET_DUPLICATE,
        # The only way back to baru is reopening a closed ticket.
        S.BARU: audit.TICKET_REOPENED,
    }
)
"""The audit action of a status change, by the status it leads to."""

CitizenMessage = Callable[[str, Wording], NotificationContent]
"""Builds the citizen's message from the ticket number and the wording in force."""


@dataclass(frozen=True)
class Closing:
    """The closing details a change leaves on the ticket; the ones not given are cleared."""

    reason_code: str | None = None
    explanation: str | None = None
    contact: str | None = None
    redirected_to: str | None = None
    duplicate_of_number: str | None = None

    def apply(self, ticket: Ticket) -> None:
        """Replace the ticket's closing details by these."""
        ticket.closing_reason_code = self.reason_code
        ticket.closing_explanation = self.explanation
        ticket.closing_contact = self.contact
        ticket.redirected_to = self.redirected_to
        ticket.duplicate_of_number = self.duplicate_of_number


@dataclass(frozen=True, kw_only=True)
class StatusChange:
    """One status change as an operation declares it; :func:`change_status` carries it out.

    Attributes:
        to: The new status.
        note: The ticket event's note (the transition's reason; mandatory when reopening).
        message: The citizen's message; ``None`` when the change is not told to the citizen.
        closing: The closing details afterwards; ``None`` leaves them as they are.
        close_dispatches: Close the ticket's open dispatches (the change closes the ticket).
        clear_review_flag: Remove the citizen's "belum selesai" flag.
        audit_detail: Extra facts for the audit entry.
    """

    to: TicketStatus
    note: str | None = None
    message: CitizenMessage | None = None
    closing: Closing | None = None
    close_dispatches: bool = False
    clear_review_flag: bool = False
    audit_detail: Mapping[str, Any] | None = None


FollowUp = Callable[[TicketEvent], Awaitable[Mapping[str, Any]]]
"""Work a change needs after the citizen is told (the TRC dispatch); returns audit detail."""


async def change_status(
    session: AsyncSession,
    ticket: Ticket,
    change: StatusChange,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
    reported: Dispatch | None = None,
    follow_up: FollowUp | None = None,
) -> TicketEvent:
    """Carry out one status change: transition, ticket details, message, one audit entry.

    Args:
        session: The unit of work.
        ticket: The ticket.
        change: What changes.
        actor: Who acts (username).
        now: Time (aware).
        expected_version: Version of the form; ``None`` skips the check (already locked).
        reported: The dispatch whose field report closes the ticket (closed as reported).
        follow_up: Runs after the citizen's message; its mapping joins the audit detail.

    Returns:
        The transition event.

    Raises:
        InvalidTransition: The change is not allowed from the current status.
        ConcurrentUpdate: The ticket changed since the form was built.
    """
    event = await transition(
        session,
        ticket,
        change.to,
        actor=actor,
        reason=change.note,
        now=now,
        expected_version=expected_version,
    )
    if change.closing is not None:
        change.closing.apply(ticket)
    if change.clear_review_flag:
        ticket.review_flagged_at = None
        ticket.review_note = None
    if change.close_dispatches:
        await close_open_dispatches(session, ticket, now, reported=reported)
    if change.message is not None:
        content = change.message(ticket.number, await load_wording(session))
        await tell_citizen(session, ticket, event, content, now)
    detail = dict(change.audit_detail or {})
    if follow_up is not None:
        detail.update(await follow_up(event))
    await audit.record(
        session,
        actor=actor,
        action=AUDIT_ACTIONS[change.to],
        target=ticket_target(ticket),
        detail=detail or None,
    )
    return event


async def record_step(
    session: AsyncSession,
    ticket: Ticket,
    event_type: str,
    *,
    action: str,
    actor: str,
    note: str | None,
    now: datetime,
    detail: Mapping[str, Any] | None = None,
) -> TicketEvent:
    """Record a change that keeps the status: new version, a ticket event, an audit entry."""
    bump(ticket, now)
    entry = await record_event(session, ticket, event_type, actor[:128], note, now)
    await audit.record(
        session, actor=actor, action=action, target=ticket_target(ticket), detail=detail
    )
    return entry


# ------------------------------------------------------------------- declared changes


def done(result: str | None) -> StatusChange:
    """→ Selesai, with the result told to the citizen (from the admin or the field report)."""
    return StatusChange(
        to=S.SELESAI,
        note=result,
        message=lambda number, wording: citizen_done(number, result, wording=wording),
        closing=Closing(explanation=result),
        close_dispatches=True,
    )


def not_actionable(reason_code: str, explanation: str, contact: str | None = None) -> StatusChange:
    """→ Tidak dapat ditindaklanjuti with a reason code and the citizen's explanation."""
    return StatusChange(
        to=S.TIDAK_DAPAT_DITINDAKLANJUTI,
        note=f"{REASON_CODES[reason_code]}: {explanation}",
        message=lambda number, wording: citizen_not_actionable(
            number, explanation, contact, wording=wording
        ),
        closing=Closing(reason_code=reason_code, explanation=explanation, contact=contact),
        close_dispatches=True,
        audit_detail={"reason_code": reason_code},
    )


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
    change = StatusChange(
        to=S.DIVERIFIKASI,
        note=clean_text(note, errors.LABEL_NOTE, required=False),
        message=lambda number, wording: citizen_verified(number, wording=wording),
    )
    return await change_status(
        session,
        ticket,
        change,
        actor=actor,
        now=aware_now(now),
        expected_version=expected_version,
    )


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
    return await change_status(
        session,
        ticket,
        not_actionable(reason_code, explanation_text, contact_text),
        actor=actor,
        now=now,
        expected_version=expected_version,
    )


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
    change = StatusChange(
        to=S.DIALIHKAN,
        note=f"Dialihkan ke {agency_text}" + (f": {reason_text}" if reason_text else ""),
        message=lambda number, wording: citizen_redirected(
            number, agency_text, reason=reason_text, contact=contact_text, wording=wording
        ),
        closing=Closing(explanation=reason_text, contact=contact_text, redirected_to=agency_text),
        close_dispatches=True,
        audit_detail={"agency": agency_text},
    )
    return await change_status(
        session, ticket, change, actor=actor, now=now, expected_version=expected_version
    )


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
    change = StatusChange(
        to=S.DUPLIKAT,
        note=f"Duplikat dari {canonical}",
        message=lambda number, wording: citizen_duplicate(number, canonical, wording=wording),
        closing=Closing(duplicate_of_number=canonical),
        close_dispatches=True,
        audit_detail={"original": canonical},
    )
    return await change_status(
        session, ticket, change, actor=actor, now=now, expected_version=expected_version
    )


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
    return await change_status(
        session, ticket, done(result_text), actor=actor, now=now, expected_version=expected_version
    )


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
    change = StatusChange(
        to=S.BARU,
        note=reason_text,
        message=lambda number, wording: citizen_reopened(number, citizen_text, wording=wording),
        closing=Closing(),
        clear_review_flag=True,
        audit_detail={"reason": reason_text},
    )
    return await change_status(
        session, ticket, change, actor=actor, now=now, expected_version=expected_version
    )


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
    return await record_step(
        session,
        ticket,
        "flagged_for_review",
        action=audit.TICKET_FLAGGED_FOR_REVIEW,
        actor=actor,
        note=text,
        now=now,
    )


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
    return await record_step(
        session,
        ticket,
        "review_cleared",
        action=audit.TICKET_REVIEW_CLEARED,
        actor=actor,
        note=text,
        now=now,
    )
