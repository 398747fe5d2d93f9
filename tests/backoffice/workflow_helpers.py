"""Helpers of the complaint-workflow tests: tickets in any status, look-ups, form values."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from lalisa.core.db import session_scope
from lalisa.dispatch.models import Dispatch, FieldReport
from lalisa.notifications.models import OutboxMessage
from lalisa.tickets.models import (
    CLOSED_STATUSES,
    Ticket,
    TicketEvent,
    TicketMedia,
    TicketNote,
    TicketStatus,
)
from lalisa.tickets.service import ComplaintDraft, submit_complaint
from tests.backoffice.helpers import SignedIn

REPORTER_PHONE = "6281298765432"
REPORTER_NAME = "Siti Pelapor Rahasia"
DESCRIPTION = "PKL berjualan di trotoar depan Pasar Paringin sejak pagi."
_VERSION_RE = re.compile(r'name="version" value="(\d+)"')

_TIMESTAMP_FOR: dict[TicketStatus, tuple[str, ...]] = {
    TicketStatus.BARU: (),
    TicketStatus.DIVERIFIKASI: ("first_response_at", "verified_at"),
    TicketStatus.DIDISPOSISIKAN: ("first_response_at", "verified_at", "dispatched_at"),
    TicketStatus.DALAM_PENANGANAN: (
        "first_response_at",
        "verified_at",
        "dispatched_at",
        "in_progress_at",
    ),
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def make_ticket(
    *,
    description: str = DESCRIPTION,
    category: str = "pkl",
    category_told: str | None = None,
    kecamatan: str | None = "Paringin",
    desa: str | None = "Paringin Kota",
    latitude: float | None = -2.3301,
    longitude: float | None = 115.4702,
    channel: str = "whatsapp",
    sender: str = REPORTER_PHONE,
    name: str | None = REPORTER_NAME,
    created_at: datetime | None = None,
    status: TicketStatus = TicketStatus.BARU,
    out_of_hours: bool = False,
) -> str:
    """Save a complaint like the assistant does and force it into ``status``; return its number."""
    created = created_at or utcnow() - timedelta(minutes=5)
    async with session_scope() as session:
        ticket = await submit_complaint(
            session,
            ComplaintDraft(
                category=category,
                category_told=category_told,
                description=description,
                latitude=latitude,
                longitude=longitude,
                kecamatan=kecamatan,
                desa=desa,
                location_text="Depan pasar, dekat pos ojek",
                incident_time_text="tadi pagi jam 7",
                reporter_sender_id=sender,
                reporter_channel=channel,
                reporter_name=name,
                submission_key=f"test-{uuid.uuid4().hex}",
                received_out_of_hours=out_of_hours,
            ),
            now=created,
        )
        number = ticket.number
    if status is not TicketStatus.BARU:
        await force_status(number, status, at=created + timedelta(minutes=1))
    return number


async def force_status(number: str, status: TicketStatus, *, at: datetime | None = None) -> None:
    """Put a ticket into a status for a test's set-up (bypasses the workflow on purpose)."""
    when = at or utcnow()
    values: dict[str, Any] = {"status": status, "closed_at": None}
    if status in CLOSED_STATUSES:
        values.update(first_response_at=when, closed_at=when)
    else:
        for column in _TIMESTAMP_FOR[status]:
            values[column] = when
    async with session_scope() as session:
        await session.execute(update(Ticket).where(Ticket.number == number).values(**values))


async def add_media(
    number: str, path: str, *, media_type: str = "image", mime: str = "image/jpeg"
) -> int:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        media = TicketMedia(
            ticket_id=ticket.id,
            media_type=media_type,
            mime_type=mime,
            sha256="0" * 64,
            size_bytes=4,
            path=path,
            caption="foto <b>pasar</b>",
        )
        session.add(media)
        await session.flush()
        return media.id


async def load_ticket_in(session: Any, number: str) -> Ticket:
    query = select(Ticket).where(Ticket.number == number)
    return (await session.execute(query)).scalar_one()


async def load_ticket(number: str) -> Ticket:
    async with session_scope() as session:
        return await load_ticket_in(session, number)


async def version_of(number: str) -> int:
    return (await load_ticket(number)).version


async def events_of(number: str) -> list[TicketEvent]:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = (
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
        return list((await session.execute(query)).scalars())


async def outbox_of(number: str) -> list[OutboxMessage]:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.ticket_id == ticket.id)
            .order_by(OutboxMessage.id)
        )
        return list((await session.execute(query)).scalars())


async def notes_of(number: str) -> list[TicketNote]:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)
        return list((await session.execute(query)).scalars())


async def dispatches_of(number: str) -> list[Dispatch]:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = (
            select(Dispatch)
            .where(Dispatch.ticket_id == ticket.id)
            .options(
                selectinload(Dispatch.officers),
                selectinload(Dispatch.reports).selectinload(FieldReport.photos),
            )
            .order_by(Dispatch.id)
        )
        return list((await session.execute(query)).scalars())


def version_in(html: str) -> int:
    match = _VERSION_RE.search(html)
    assert match is not None, "no version field in the page"
    return int(match.group(1))


async def post_action(
    signed_in: SignedIn,
    number: str,
    action: str,
    data: dict[str, Any] | None = None,
    *,
    version: int | None = None,
) -> httpx.Response:
    """POST a ticket action as a browser would (CSRF token and the form's version)."""
    form: dict[str, Any] = {"csrf_token": signed_in.csrf, **(data or {})}
    form["version"] = str(version if version is not None else await version_of(number))
    return await signed_in.client.post(f"/aduan/{number}/{action}", data=form)
