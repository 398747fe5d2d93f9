"""Enqueueing: the row lives and dies with the caller's transaction, once per key."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import session_scope
from lalisa.notifications.messages import (
    citizen_verified,
    content_for_transition,
)
from lalisa.notifications.models import OutboxMessage, OutboxStatus, RecipientKind
from lalisa.notifications.outbox import enqueue, resend
from lalisa.notifications.queueing import enqueue_citizen_update
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.service import transition
from tests.notifications.helpers import CITIZEN, CITIZEN_LOCAL, make_ticket, outbox_count

pytestmark = pytest.mark.usefixtures("outbox_db")


class Boom(Exception):
    pass


async def _enqueue(session, key: str = "k1", **changes):  # type: ignore[no-untyped-def]
    values = {
        "kind": "citizen_update",
        "ticket_id": None,
        "recipient_phone": CITIZEN_LOCAL,
        "recipient_kind": "citizen",
        "recipient_ref": "ref-1",
        "body": "Halo",
        "template_name": "lalisa_status_laporan",
        "template_params": ["LLS-2026-000001", "Diverifikasi", "Keterangan"],
        "idempotency_key": key,
    }
    values.update(changes)
    return await enqueue(session, **values)


async def test_enqueue_in_a_rolled_back_transaction_leaves_nothing() -> None:
    with pytest.raises(Boom):
        async with session_scope() as session:
            message = await _enqueue(session)
            assert message.id is not None  # flushed inside the transaction
            raise Boom
    assert await outbox_count() == 0


async def test_state_change_and_message_roll_back_together() -> None:
    ticket = await make_ticket()
    with pytest.raises(Boom):
        async with session_scope() as session:
            loaded = await session.get(Ticket, ticket.id)
            assert loaded is not None
            event = await transition(session, loaded, TicketStatus.DIVERIFIKASI, actor="admin")
            await enqueue_citizen_update(session, loaded, event, citizen_verified(loaded.number))
            raise Boom
    assert await outbox_count() == 0
    async with session_scope() as session:
        reloaded = await session.get(Ticket, ticket.id)
        assert reloaded is not None and reloaded.status is TicketStatus.BARU


async def test_state_change_and_message_commit_together() -> None:
    ticket = await make_ticket(sender=CITIZEN_LOCAL)
    async with session_scope() as session:
        loaded = await session.get(Ticket, ticket.id)
        assert loaded is not None
        event = await transition(session, loaded, TicketStatus.DIVERIFIKASI, actor="admin")
        content = content_for_transition(loaded.number, TicketStatus.DIVERIFIKASI)
        assert content is not None
        message = await enqueue_citizen_update(session, loaded, event, content)
        assert message is not None
    async with session_scope() as session:
        stored = (await session.execute(select(OutboxMessage))).scalar_one()
    assert stored.status is OutboxStatus.PENDING
    assert stored.ticket_id == ticket.id
    assert stored.recipient_kind is RecipientKind.CITIZEN
    assert stored.idempotency_key == f"citizen_update:ticket_event:{event.id}"
    assert stored.event == "verified"
    assert ticket.number in (stored.body or "")
    assert stored.template_name == "lalisa_status_laporan"
    assert stored.template_language == "id"
    assert stored.template_params == [ticket.number, "Diverifikasi", content.template_params[2]]
    # The phone is encrypted, normalised, and the reference is the reporter's blind index.
    assert "81234567890" not in stored.recipient_phone_encrypted
    assert get_identity_cipher().decrypt(stored.recipient_phone_encrypted) == CITIZEN
    assert stored.recipient_ref == get_identity_cipher().blind_index(CITIZEN)


async def test_same_idempotency_key_returns_the_existing_row() -> None:
    async with session_scope() as session:
        first = await _enqueue(session, "same")
        again = await _enqueue(session, "same", body="Lain")
        assert again is first
    async with session_scope() as session:
        later = await _enqueue(session, "same", body="Lain lagi")
    assert later.id == first.id
    assert later.body == "Halo"
    assert await outbox_count() == 1


async def test_concurrent_enqueues_of_one_key_make_one_row() -> None:
    async def one(body: str) -> int:
        async with session_scope() as session:
            message = await _enqueue(session, "race", body=body)
            await asyncio.sleep(0.05)
            return message.id

    ids = await asyncio.gather(*(one(f"pesan {n}") for n in range(4)))
    assert len(set(ids)) == 1
    assert await outbox_count() == 1


async def test_an_enqueue_that_loses_the_race_keeps_the_callers_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lalisa.notifications import outbox

    async with session_scope() as session:
        await _enqueue(session, "taken")
    real_by_key = outbox._by_key
    calls = []

    async def not_visible_yet(session, key):  # type: ignore[no-untyped-def]
        # The first look-up misses the row, as when another transaction commits it just after.
        calls.append(key)
        return None if len(calls) == 1 else await real_by_key(session, key)

    monkeypatch.setattr(outbox, "_by_key", not_visible_yet)
    ticket = await make_ticket()
    async with session_scope() as session:
        loaded = await session.get(Ticket, ticket.id)
        assert loaded is not None
        await transition(session, loaded, TicketStatus.DIVERIFIKASI, actor="admin")
        message = await _enqueue(session, "taken", ticket_id=ticket.id)
        assert message.ticket_id is None  # the row that won
    assert len(calls) == 2
    assert await outbox_count() == 1
    async with session_scope() as session:
        reloaded = await session.get(Ticket, ticket.id)
        assert reloaded is not None and reloaded.status is TicketStatus.DIVERIFIKASI


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"body": None, "template_name": None}, "body, a template"),
        ({"body": "x" * 4097}, "longer than 4096"),
        ({"idempotency_key": " "}, "idempotency_key"),
        ({"recipient_ref": ""}, "recipient_ref"),
        ({"recipient_phone": "  "}, "empty"),
    ],
)
async def test_invalid_messages_are_refused(changes: dict[str, object], problem: str) -> None:
    async with session_scope() as session:
        with pytest.raises(ValueError, match=problem):
            await _enqueue(session, **changes)  # type: ignore[arg-type]


async def test_template_only_and_text_only_messages() -> None:
    async with session_scope() as session:
        template_only = await _enqueue(session, "t", body=None)
        text_only = await _enqueue(session, "x", template_name=None, template_params=None)
    assert template_only.body is None and template_only.template_language == "id"
    assert text_only.template_name is None and text_only.template_params is None


async def test_no_message_for_a_reporter_outside_whatsapp() -> None:
    ticket = await make_ticket(sender="web-user-7", channel="rest")
    async with session_scope() as session:
        loaded = await session.get(Ticket, ticket.id)
        assert loaded is not None
        event = await transition(session, loaded, TicketStatus.DIVERIFIKASI, actor="admin")
        assert (
            await enqueue_citizen_update(session, loaded, event, citizen_verified(loaded.number))
            is None
        )
    assert await outbox_count() == 0


async def test_resend_only_from_failed() -> None:
    async with session_scope() as session:
        message = await _enqueue(session)
        with pytest.raises(ValueError, match="only failed"):
            await resend(session, message.id)
        message.status = OutboxStatus.FAILED
        message.attempts = 5
        message.last_error = "x"
        await session.flush()
        again = await resend(session, message.id)
    assert again.status is OutboxStatus.PENDING
    assert again.attempts == 0
    async with session_scope() as session:
        with pytest.raises(LookupError):
            await resend(session, 999_999)
