"""The TRC's steps of the workflow: dispatch, departure, arrival on site, the field report.

Like :mod:`lalisa.tickets.workflow` (whose helpers they share), nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.models import aware_now
from lalisa.dispatch.models import (
    TRC_ROLES,
    Dispatch,
    DispatchOfficer,
    DispatchStatus,
    FieldOutcome,
    FieldReport,
    FieldReportPhoto,
    Priority,
)
from lalisa.dispatch.photos import MAX_PHOTOS, StoredPhoto
from lalisa.dispatch.service import officer_phone
from lalisa.notifications.messages import citizen_dispatched, trc_dispatch
from lalisa.notifications.queueing import enqueue_trc_dispatch
from lalisa.tickets import errors
from lalisa.tickets.categories import category_label
from lalisa.tickets.models import Ticket, TicketEvent, TicketStatus
from lalisa.tickets.workflow import (
    MAX_CITIZEN_TEXT,
    MAX_TEXT,
    StatusChange,
    WorkflowError,
    bump,
    change_status,
    clean_text,
    done,
    load_wording,
    lock_ticket,
    not_actionable,
    record_event,
    record_step,
    ticket_target,
)
from lalisa.users.models import User

S = TicketStatus


async def dispatch_ticket(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    officers: Sequence[User],
    priority: str,
    instructions: str | None,
    base_url: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> Dispatch:
    """Diverifikasi → Didisposisikan: assign TRC officers and send them the dispatch message.

    The citizen is told the ticket went to the TRC. Each officer with a stored WhatsApp
    number gets the dispatch message (category, place, map link, link to the dispatch page),
    which never carries the reporter's identity.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username of the verifikator.
        officers: Active users with a TRC role (at least one).
        priority: One of :class:`~lalisa.dispatch.models.Priority`.
        instructions: Instructions for the team.
        base_url: Address of the back office for the link (``https://…``, no trailing slash).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The new dispatch.

    Raises:
        WorkflowError: No officer, an officer who is not active TRC, or an unknown priority.
    """
    now = aware_now(now)
    if not officers:
        raise WorkflowError(errors.CHOOSE_OFFICER)
    for officer in officers:
        if officer.role not in TRC_ROLES or not officer.active:
            raise WorkflowError(errors.NOT_ACTIVE_TRC.format(name=officer.full_name))
    try:
        chosen = Priority(priority)
    except ValueError as exc:
        raise WorkflowError(errors.CHOOSE_PRIORITY) from exc
    instructions_text = clean_text(instructions, errors.LABEL_INSTRUCTIONS, required=False)
    unique = {officer.id: officer for officer in officers}
    names = ", ".join(officer.full_name for officer in unique.values())
    created: list[Dispatch] = []

    async def assign(_change: TicketEvent) -> dict[str, object]:
        dispatch = Dispatch(
            ticket_id=ticket.id,
            created_at=now,
            assigned_by=actor,
            priority=chosen,
            instructions=instructions_text,
            status=DispatchStatus.DITUGASKAN,
        )
        session.add(dispatch)
        await session.flush()
        for officer_id in unique:
            session.add(DispatchOfficer(dispatch_id=dispatch.id, user_id=officer_id))
        await session.flush()
        created.append(dispatch)
        messaged = await _message_officers(
            session, ticket, dispatch, list(unique), chosen, instructions_text, base_url, now
        )
        return {
            "dispatch": dispatch.id,
            "officers": sorted(unique),
            "priority": chosen.value,
            "messaged": messaged,
        }

    change = StatusChange(
        to=S.DIDISPOSISIKAN,
        note=f"Ditugaskan ke {names}; prioritas {chosen.label.lower()}"
        + (f". Instruksi: {instructions_text}" if instructions_text else ""),
        message=lambda number, wording: citizen_dispatched(number, wording=wording),
    )
    await change_status(
        session,
        ticket,
        change,
        actor=actor,
        now=now,
        expected_version=expected_version,
        follow_up=assign,
    )
    [dispatch] = created
    return dispatch


async def _message_officers(
    session: AsyncSession,
    ticket: Ticket,
    dispatch: Dispatch,
    officer_ids: Sequence[int],
    priority: Priority,
    instructions: str | None,
    base_url: str,
    now: datetime,
) -> list[int]:
    """Queue the dispatch message to each officer with a stored number; returns who got one."""
    place = ", ".join(
        part for part in (ticket.location_text, ticket.desa, ticket.kecamatan) if part
    )
    content = trc_dispatch(
        ticket.number,
        category=category_label(ticket.category),
        place=place or None,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        priority=priority.label,
        instructions=instructions,
        dispatch_url=f"{base_url.rstrip('/')}/trc/{dispatch.id}",
        wording=await load_wording(session),
    )
    messaged: list[int] = []
    for officer_id in officer_ids:
        phone = await officer_phone(session, officer_id)
        if phone is None:
            continue
        await enqueue_trc_dispatch(
            session,
            ticket_id=ticket.id,
            officer_phone=phone,
            officer_ref=f"user:{officer_id}",
            content=content,
            idempotency_key=f"trc_dispatch:{dispatch.id}:{officer_id}",
            now=now,
        )
        messaged.append(officer_id)
    return messaged


async def _dispatch_ticket_locked(
    session: AsyncSession, dispatch: Dispatch, expected_version: int | None
) -> Ticket:
    if dispatch.closed_at is not None:
        raise WorkflowError(errors.DISPATCH_CLOSED)
    ticket = await session.get(Ticket, dispatch.ticket_id)
    if ticket is None:  # pragma: no cover - foreign key
        raise WorkflowError(errors.TICKET_NOT_FOUND)
    await lock_ticket(session, ticket, expected_version)
    if ticket.status not in (S.DIDISPOSISIKAN, S.DALAM_PENANGANAN):
        raise WorkflowError(errors.NOT_WITH_TRC)
    return ticket


async def _record_trc_step(
    session: AsyncSession,
    ticket: Ticket,
    dispatch: Dispatch,
    event_type: str,
    action: str,
    actor: str,
    now: datetime,
) -> TicketEvent:
    """Bumps the ticket and logs one TRC step as a ticket event and an audit entry."""
    return await record_step(
        session,
        ticket,
        event_type,
        action=action,
        actor=actor,
        note=None,
        now=now,
        detail={"dispatch": dispatch.id},
    )


async def mark_departed(
    session: AsyncSession,
    dispatch: Dispatch,
    *,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Record that the team left for the location ("Berangkat").

    Args:
        session: The unit of work.
        dispatch: The dispatch.
        actor: Username of the officer.
        expected_version: Ticket version of the page.
        now: Time (aware).

    Returns:
        The ticket event.

    Raises:
        WorkflowError: The dispatch is closed or the team already left.
    """
    now = aware_now(now)
    ticket = await _dispatch_ticket_locked(session, dispatch, expected_version)
    if dispatch.departed_at is not None:
        raise WorkflowError(errors.ALREADY_DEPARTED)
    dispatch.departed_at = now
    if dispatch.status is DispatchStatus.DITUGASKAN:
        dispatch.status = DispatchStatus.BERANGKAT
    return await _record_trc_step(
        session, ticket, dispatch, "trc_departed", audit.TICKET_TRC_DEPARTED, actor, now
    )


async def mark_arrived(
    session: AsyncSession,
    dispatch: Dispatch,
    *,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Record that the team reached the location ("Tiba di lokasi"); starts the on-site clock.

    Args:
        session: The unit of work.
        dispatch: The dispatch.
        actor: Username of the officer.
        expected_version: Ticket version of the page.
        now: Time (aware).

    Returns:
        The ticket event.

    Raises:
        WorkflowError: The dispatch is closed or arrival was already recorded.
    """
    now = aware_now(now)
    ticket = await _dispatch_ticket_locked(session, dispatch, expected_version)
    if dispatch.arrived_at is not None:
        raise WorkflowError(errors.ALREADY_ARRIVED)
    if dispatch.departed_at is None:
        dispatch.departed_at = now
    dispatch.arrived_at = now
    dispatch.status = DispatchStatus.TIBA
    if ticket.on_site_at is None:
        ticket.on_site_at = now
    return await _record_trc_step(
        session, ticket, dispatch, "trc_arrived", audit.TICKET_TRC_ARRIVED, actor, now
    )


async def file_field_report(
    session: AsyncSession,
    dispatch: Dispatch,
    *,
    author: User,
    findings: str,
    actions_taken: str,
    outcome: str,
    citizen_message: str | None,
    photos: Sequence[StoredPhoto] = (),
    expected_version: int | None,
    now: datetime | None = None,
) -> FieldReport:
    """Save the TRC's field report and move the ticket on.

    * ``dalam_penanganan``: Didisposisikan → Dalam penanganan (the dispatch stays open).
    * ``selesai``: → Dalam penanganan → Selesai; the citizen hears the result.
    * ``tidak_ditemukan``: → Tidak dapat ditindaklanjuti with reason
      ``pelanggaran_tidak_ditemukan``; the citizen-facing message is mandatory.

    Args:
        session: The unit of work.
        dispatch: The dispatch.
        author: The officer filing it.
        findings: What was found (mandatory).
        actions_taken: What was done (mandatory).
        outcome: One of :class:`~lalisa.dispatch.models.FieldOutcome`.
        citizen_message: Result in words for the citizen.
        photos: Photos already stored by :func:`lalisa.dispatch.models.store_photo`.
        expected_version: Ticket version of the page.
        now: Time (aware).

    Returns:
        The report.

    Raises:
        WorkflowError: Missing text, unknown outcome, too many photos, closed dispatch, or a
            ticket no longer with the TRC.
    """
    now = aware_now(now)
    findings_text = clean_text(findings, errors.LABEL_FINDINGS, required=True)
    actions_text = clean_text(actions_taken, errors.LABEL_ACTIONS_TAKEN, required=True)
    assert findings_text is not None and actions_text is not None
    try:
        chosen = FieldOutcome(outcome)
    except ValueError as exc:
        raise WorkflowError(errors.CHOOSE_OUTCOME) from exc
    message = clean_text(
        citizen_message,
        errors.LABEL_CITIZEN_MESSAGE,
        required=chosen is FieldOutcome.TIDAK_DITEMUKAN,
        limit=MAX_CITIZEN_TEXT,
    )
    if len(photos) > MAX_PHOTOS:
        raise WorkflowError(errors.TOO_MANY_PHOTOS.format(limit=MAX_PHOTOS))
    ticket = await _dispatch_ticket_locked(session, dispatch, expected_version)
    # A report is filed on site: record the arrival if the team did not press the button.
    if dispatch.departed_at is None:
        dispatch.departed_at = now
    if dispatch.arrived_at is None:
        dispatch.arrived_at = now
    if ticket.on_site_at is None:
        ticket.on_site_at = dispatch.arrived_at

    report = FieldReport(
        dispatch_id=dispatch.id,
        ticket_id=ticket.id,
        at=now,
        author_id=author.id,
        author=author.username,
        findings=findings_text,
        actions_taken=actions_text,
        outcome=chosen,
        citizen_message=message,
    )
    session.add(report)
    await session.flush()
    for photo in photos:
        session.add(
            FieldReportPhoto(
                report_id=report.id,
                mime_type=photo.mime_type,
                sha256=photo.sha256,
                size_bytes=photo.size_bytes,
                path=photo.path,
                original_name=photo.original_name,
                created_at=now,
            )
        )
    await session.flush()

    actor = author.username
    summary = f"{chosen.label}. Temuan: {findings_text} Tindakan: {actions_text}"
    await record_event(session, ticket, "field_report", actor, summary[:MAX_TEXT], now)
    if ticket.status is S.DIDISPOSISIKAN and chosen is not FieldOutcome.TIDAK_DITEMUKAN:
        await change_status(
            session, ticket, StatusChange(to=S.DALAM_PENANGANAN), actor=actor, now=now
        )
    if chosen is FieldOutcome.DALAM_PENANGANAN:
        dispatch.status = DispatchStatus.TIBA
        bump(ticket, now)
    else:
        if chosen is FieldOutcome.SELESAI:
            outcome_change = done(message)
        else:
            assert message is not None
            outcome_change = not_actionable("pelanggaran_tidak_ditemukan", message)
        await change_status(
            session, ticket, outcome_change, actor=actor, now=now, reported=dispatch
        )
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_FIELD_REPORT,
        target=ticket_target(ticket),
        detail={"dispatch": dispatch.id, "outcome": chosen.value, "photos": len(photos)},
    )
    await session.flush()
    return report
