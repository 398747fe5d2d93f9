"""Ticket status transitions: the full allowed/forbidden matrix, timestamps and audit events."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from lalisa.core.db import session_scope
from lalisa.tickets.models import CLOSED_STATUSES, Ticket, TicketEvent, TicketStatus
from lalisa.tickets.service import (
    ALLOWED_TRANSITIONS,
    ComplaintDraft,
    InvalidTransition,
    ReasonRequired,
    submit_complaint,
    transition,
)

S = TicketStatus
WITA = ZoneInfo("Asia/Makassar")
CREATED = datetime(2026, 11, 16, 9, 0, tzinfo=WITA)
LATER = CREATED + timedelta(hours=2)

# The agreed workflow, written out independently of lalisa.tickets.service.ALLOWED_TRANSITIONS.
SPEC: dict[TicketStatus, set[TicketStatus]] = {
    S.BARU: {S.DIVERIFIKASI, S.TIDAK_DAPAT_DITINDAKLANJUTI, S.DIALIHKAN, S.DUPLIKAT},
    S.DIVERIFIKASI: {S.DIDISPOSISIKAN, S.TIDAK_DAPAT_DITINDAKLANJUTI, S.DIALIHKAN, S.DUPLIKAT},
    S.DIDISPOSISIKAN: {S.DALAM_PENANGANAN, S.TIDAK_DAPAT_DITINDAKLANJUTI},
    S.DALAM_PENANGANAN: {S.SELESAI, S.TIDAK_DAPAT_DITINDAKLANJUTI},
    S.SELESAI: {S.BARU},
    S.TIDAK_DAPAT_DITINDAKLANJUTI: {S.BARU},
    S.DIALIHKAN: {S.BARU},
    S.DUPLIKAT: {S.BARU},
}
TIMESTAMP_OF = {
    S.DIVERIFIKASI: "verified_at",
    S.DIDISPOSISIKAN: "dispatched_at",
    S.DALAM_PENANGANAN: "in_progress_at",
    S.SELESAI: "closed_at",
    S.TIDAK_DAPAT_DITINDAKLANJUTI: "closed_at",
    S.DIALIHKAN: "closed_at",
    S.DUPLIKAT: "closed_at",
}
ALLOWED = [(a, b) for a, b in itertools.product(S, S) if b in SPEC[a]]
FORBIDDEN = [(a, b) for a, b in itertools.product(S, S) if b not in SPEC[a]]


def _id(pair: tuple[TicketStatus, TicketStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def test_map_matches_the_spec() -> None:
    assert {k: set(v) for k, v in ALLOWED_TRANSITIONS.items()} == SPEC
    assert len(ALLOWED) + len(FORBIDDEN) == 64


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (S.BARU, "Baru/diterima"),
        (S.DIVERIFIKASI, "Diverifikasi"),
        (S.DIDISPOSISIKAN, "Diteruskan ke Tim Reaksi Cepat"),
        (S.DALAM_PENANGANAN, "Dalam penanganan"),
        (S.SELESAI, "Selesai"),
        (S.TIDAK_DAPAT_DITINDAKLANJUTI, "Tidak dapat ditindaklanjuti"),
        (S.DIALIHKAN, "Dialihkan ke instansi lain"),
        (S.DUPLIKAT, "Duplikat"),
    ],
)
def test_labels(status: TicketStatus, label: str) -> None:
    assert status.label == label
    assert str(status) == status.value
    assert status == status.value
    assert status.is_closed is (status in CLOSED_STATUSES)


def test_closed_statuses() -> None:
    assert {s.value for s in CLOSED_STATUSES} == {
        "selesai",
        "tidak_dapat_ditindaklanjuti",
        "dialihkan",
        "duplikat",
    }


async def _ticket_in(status: TicketStatus) -> int:
    async with session_scope() as session:
        ticket = await submit_complaint(
            session,
            ComplaintDraft(
                category="sampah",
                description="Sampah menumpuk di pinggir jalan",
                reporter_sender_id="6281234567890",
                submission_key=f"key-{status.value}",
            ),
            now=CREATED,
        )
        # Test set-up only: put the ticket straight into the starting status.
        await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id)
            .values(status=status, updated_at=CREATED)
            .execution_options(synchronize_session=False)
        )
        return ticket.id


async def _events(ticket_id: int) -> list[TicketEvent]:
    async with session_scope() as session:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        return list((await session.execute(query.order_by(TicketEvent.id))).scalars())


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=map(_id, ALLOWED))
async def test_allowed_transition(
    db: str, from_status: TicketStatus, to_status: TicketStatus
) -> None:
    ticket_id = await _ticket_in(from_status)
    reopening = from_status in CLOSED_STATUSES
    async with session_scope() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        event = await transition(
            session, ticket, to_status, actor="admin.rina", reason="dicek di lapangan", now=LATER
        )
    async with session_scope() as session:
        stored = await session.get(Ticket, ticket_id)
        assert stored is not None
    assert stored.status is to_status
    assert stored.updated_at == LATER
    if to_status in TIMESTAMP_OF:
        assert getattr(stored, TIMESTAMP_OF[to_status]) == LATER
    if reopening:
        assert stored.closed_at is None
    assert stored.first_response_at == (LATER if from_status is S.BARU else None)
    events = await _events(ticket_id)
    assert [e.event_type for e in events] == [
        "created",
        "reopened" if reopening else "status_changed",
    ]
    last = events[-1]
    assert last.id == event.id
    assert (last.actor, last.from_status, last.to_status, last.note, last.at) == (
        "admin.rina",
        from_status.value,
        to_status.value,
        "dicek di lapangan",
        LATER,
    )


@pytest.mark.parametrize(("from_status", "to_status"), FORBIDDEN, ids=map(_id, FORBIDDEN))
async def test_forbidden_transition(
    db: str, from_status: TicketStatus, to_status: TicketStatus
) -> None:
    ticket_id = await _ticket_in(from_status)
    async with session_scope() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        with pytest.raises(InvalidTransition) as raised:
            await transition(session, ticket, to_status, actor="admin", reason="x", now=LATER)
    assert (raised.value.from_status, raised.value.to_status) == (from_status, to_status)
    async with session_scope() as session:
        stored = await session.get(Ticket, ticket_id)
        assert stored is not None
        assert stored.status is from_status
        assert stored.updated_at == CREATED
    assert [e.event_type for e in await _events(ticket_id)] == ["created"]


@pytest.mark.parametrize("closed", sorted(CLOSED_STATUSES), ids=lambda s: s.value)
@pytest.mark.parametrize("reason", [None, "", "   ", "-"])
async def test_reopen_needs_a_reason(db: str, closed: TicketStatus, reason: str | None) -> None:
    ticket_id = await _ticket_in(closed)
    async with session_scope() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        with pytest.raises(ReasonRequired):
            await transition(session, ticket, S.BARU, actor="admin", reason=reason, now=LATER)
    assert [e.event_type for e in await _events(ticket_id)] == ["created"]


async def test_whole_life_of_a_ticket(db: str) -> None:
    ticket_id = await _ticket_in(S.BARU)
    steps = [
        (S.DIVERIFIKASI, "verified_at"),
        (S.DIDISPOSISIKAN, "dispatched_at"),
        (S.DALAM_PENANGANAN, "in_progress_at"),
        ("selesai", "closed_at"),
    ]
    for hours, (status, column) in enumerate(steps, start=1):
        async with session_scope() as session:
            ticket = await session.get(Ticket, ticket_id)
            assert ticket is not None
            await transition(
                session, ticket, status, actor="admin", now=CREATED + timedelta(hours=hours)
            )
            assert getattr(ticket, column) == CREATED + timedelta(hours=hours)
    async with session_scope() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.first_response_at == CREATED + timedelta(hours=1)
        await transition(
            session, ticket, S.BARU, actor="kasi", reason="warga lapor masih ada", now=LATER
        )
        assert ticket.closed_at is None
        # Re-verifying after a reopen does not move the first response.
        await transition(session, ticket, S.DIVERIFIKASI, actor="admin", now=LATER)
        assert ticket.first_response_at == CREATED + timedelta(hours=1)
        assert ticket.verified_at == LATER
    events = await _events(ticket_id)
    assert [(e.event_type, e.from_status, e.to_status) for e in events] == [
        ("created", None, "baru"),
        ("status_changed", "baru", "diverifikasi"),
        ("status_changed", "diverifikasi", "didisposisikan"),
        ("status_changed", "didisposisikan", "dalam_penanganan"),
        ("status_changed", "dalam_penanganan", "selesai"),
        ("reopened", "selesai", "baru"),
        ("status_changed", "baru", "diverifikasi"),
    ]
    assert events[5].note == "warga lapor masih ada"


async def test_stale_status_is_rechecked(db: str) -> None:
    ticket_id = await _ticket_in(S.BARU)
    async with session_scope() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        # Another officer closes it while this object still says "baru".
        await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(status=S.DUPLIKAT)
            .execution_options(synchronize_session=False)
        )
        assert ticket.status is S.BARU
        with pytest.raises(InvalidTransition) as raised:
            await transition(session, ticket, S.DIVERIFIKASI, actor="admin", now=LATER)
    assert raised.value.from_status is S.DUPLIKAT


@pytest.mark.parametrize(
    ("to_status", "actor", "error"),
    [("diverifikasi", " ", ValueError), ("bukan_status", "admin", ValueError)],
)
async def test_bad_arguments(db: str, to_status: str, actor: str, error: type[Exception]) -> None:
    ticket_id = await _ticket_in(S.BARU)
    async with session_scope() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        with pytest.raises(error):
            await transition(session, ticket, to_status, actor=actor, now=LATER)
