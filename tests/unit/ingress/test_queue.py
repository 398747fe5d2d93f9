"""The inbound queue: accept with dedupe, per-citizen order, leases, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from lalisa.core.crypto import sender_key
from lalisa.core.db import create_engine_for_url
from lalisa.ingress.queue import InboundQueue
from lalisa.notifications.channel_tables import inbound_messages, outbound_messages
from lalisa_common.whatsapp.payload import parse_webhook
from lalisa_common.whatsapp.queue import (
    PENDING,
    PROCESSING,
    claim,
    finish,
    has_history,
    pending_count,
    release,
    utcnow,
)
from tests.common.payloads import PNID, envelope, message, status, value

LEASE = timedelta(seconds=60)


def parsed(*items: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> Any:
    return parse_webhook(envelope(value(list(items) or None, statuses)), PNID)


async def accept(queue: InboundQueue, *items: dict[str, Any]) -> list[bool]:
    delivery = parsed(*items)
    return await queue.accept(delivery.messages, delivery.statuses, PNID)


async def claim_one(queue: InboundQueue, worker: str = "w1", **kwargs: Any) -> Any:
    async with queue.engine.begin() as conn:
        return await claim(conn, inbound_messages, worker, LEASE, queue.cipher, **kwargs)


async def finish_one(queue: InboundQueue, claimed: Any, outcome: str = "processed") -> bool:
    async with queue.engine.begin() as conn:
        return await finish(conn, inbound_messages, claimed, outcome)


async def test_accept_stores_each_message_once(db: str) -> None:
    queue = InboundQueue(db)
    try:
        first = message("text", sender="6281100000001", msg_id="wamid.q1")
        assert await accept(queue, first) == [True]
        assert await accept(queue, first, message("text", msg_id="wamid.q2")) == [False, True]
        async with queue.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(inbound_messages.c.wamid, inbound_messages.c.status).order_by(
                        inbound_messages.c.wamid
                    )
                )
            ).all()
            assert [tuple(row) for row in rows] == [("wamid.q1", PENDING), ("wamid.q2", PENDING)]
            assert await pending_count(conn, inbound_messages) == 2
    finally:
        await queue.close()


async def test_concurrent_deliveries_share_one_commit_and_one_copy_of_each_message(db: str) -> None:
    queue = InboundQueue(db)
    try:
        await accept(queue, message("text", sender="6281100000009", msg_id="wamid.known"))
        twice = message("text", sender="6281100000001", msg_id="wamid.twice")
        deliveries = [
            [message("text", sender=f"62811000001{i:02d}", msg_id=f"wamid.c{i}")] for i in range(40)
        ]
        deliveries += [[twice], [twice, message("text", msg_id="wamid.known")]]
        results = await asyncio.gather(*(accept(queue, *items) for items in deliveries))
        # Gathered requests are written together: each message new exactly once.
        assert results[:40] == [[True]] * 40
        assert sorted(results[40:]) == [[False, False], [True]]
        async with queue.engine.connect() as conn:
            count = await conn.execute(sa.select(sa.func.count()).select_from(inbound_messages))
            assert count.scalar_one() == 42
    finally:
        await queue.close()


async def test_the_message_is_stored_encrypted_and_dropped_once_handled(db: str) -> None:
    """The queued payload holds the citizen's text: encrypted, and gone after the turn."""
    queue = InboundQueue(db)
    try:
        text = message("text", msg_id="wamid.p1")
        text["text"] = {"body": "nama saya Siti Rahmawati"}
        await accept(queue, text)
        query = sa.select(inbound_messages.c.payload).where(inbound_messages.c.wamid == "wamid.p1")
        async with queue.engine.connect() as conn:
            stored = (await conn.execute(query)).scalar_one()
        assert "Siti" not in stored and not stored.startswith("{")
        claimed = await claim_one(queue)
        assert claimed.payload["message"]["text"]["body"] == "nama saya Siti Rahmawati"
        assert await finish_one(queue, claimed)
        async with queue.engine.connect() as conn:
            assert (await conn.execute(query)).scalar_one() is None
    finally:
        await queue.close()


async def test_a_payload_queued_in_plain_text_is_still_read(db: str) -> None:
    """Rows queued before encryption (plain JSON) are processed after an upgrade."""
    queue = InboundQueue(db)
    try:
        await accept(queue, message("text", msg_id="wamid.p2"))
        async with queue.engine.begin() as conn:
            stored = (await conn.execute(sa.select(inbound_messages.c.payload))).scalar_one()
            await conn.execute(
                inbound_messages.update().values(payload=queue.cipher.decrypt(stored))
            )
        claimed = await claim_one(queue)
        assert claimed.payload["phone_number_id"] == PNID
    finally:
        await queue.close()


async def test_statuses_reach_the_outbound_log_before_the_answer(db: str) -> None:
    queue = InboundQueue(db)
    try:
        delivery = parsed(statuses=[status("wamid.out1", "delivered")])
        assert await queue.accept(delivery.messages, delivery.statuses, PNID) == []
        async with queue.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(outbound_messages.c.status, outbound_messages.c.kind).where(
                        outbound_messages.c.wamid == "wamid.out1"
                    )
                )
            ).one()
        assert tuple(row) == ("delivered", "unknown")
        async with queue.engine.connect() as conn:
            recipient = (
                await conn.execute(
                    sa.select(outbound_messages.c.recipient).where(
                        outbound_messages.c.wamid == "wamid.out1"
                    )
                )
            ).scalar_one()
        assert recipient == "unknown"  # never the webhook's recipient number
    finally:
        await queue.close()


async def test_one_citizen_at_a_time_in_whatsapp_order(db: str) -> None:
    queue = InboundQueue(db)
    try:
        a, b = "6281100000001", "6281100000002"
        # Delivered out of order: WhatsApp's timestamp decides.
        await accept(queue, message("text", sender=a, msg_id="wamid.a2", ts="1700000002"))
        await accept(queue, message("text", sender=a, msg_id="wamid.a1", ts="1700000001"))
        await accept(queue, message("text", sender=b, msg_id="wamid.b1", ts="1700000005"))
        first = await claim_one(queue)
        second = await claim_one(queue, "w2")
        assert (first.wamid, second.wamid) == ("wamid.a1", "wamid.b1")
        assert first.payload["phone_number_id"] == PNID
        # a2 waits while a1 is leased.
        assert await claim_one(queue, "w3") is None
        assert await finish_one(queue, first)
        third = await claim_one(queue, "w3")
        assert third.wamid == "wamid.a2"
        async with queue.engine.connect() as conn:
            # The queue knows citizens by key only.
            assert first.sender_id == sender_key(a)
            assert first.payload["message"]["from"] == sender_key(a)
            assert await has_history(conn, inbound_messages, sender_key(a), "wamid.a2")
            assert not await has_history(conn, inbound_messages, a, "wamid.a2")
            assert not await has_history(conn, inbound_messages, "6289999", "wamid.x")
    finally:
        await queue.close()


async def test_an_expired_lease_is_claimed_again_and_the_old_holder_cannot_finish(db: str) -> None:
    queue = InboundQueue(db)
    try:
        await accept(queue, message("text", msg_id="wamid.l1"))
        lost = await claim_one(queue, "dead")
        assert lost.attempts == 1
        assert await claim_one(queue, "other") is None
        later = utcnow() + LEASE + timedelta(seconds=1)
        again = await claim_one(queue, "other", now=later)
        assert (again.wamid, again.attempts) == ("wamid.l1", 2)
        assert not await finish_one(queue, lost)
        assert await finish_one(queue, again, "replied")
        async with queue.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(inbound_messages.c.status, inbound_messages.c.lease_until)
                )
            ).one()
        assert tuple(row) == ("replied", None)
    finally:
        await queue.close()


async def test_release_hands_the_message_back(db: str) -> None:
    queue = InboundQueue(db)
    try:
        await accept(queue, message("text", msg_id="wamid.r1"))
        held = await claim_one(queue)
        async with queue.engine.begin() as conn:
            assert await release(conn, inbound_messages, held)
        again = await claim_one(queue)
        assert again.wamid == "wamid.r1"
    finally:
        await queue.close()


async def test_concurrent_workers_never_share_a_message_or_a_citizen(db: str) -> None:
    queue = InboundQueue(db)
    engines = [create_engine_for_url(db) for _ in range(4)]
    try:
        for citizen in range(6):
            for turn in range(3):
                await accept(
                    queue,
                    message(
                        "text",
                        sender=f"62811000001{citizen:02d}",
                        msg_id=f"wamid.c{citizen}t{turn}",
                        ts=str(1700000000 + turn),
                    ),
                )
        handled: list[str] = []
        active: set[str] = set()
        violations: list[str] = []

        async def worker(index: int) -> None:
            engine = engines[index]
            idle = 0
            while idle < 20:
                async with engine.begin() as conn:
                    claimed = await claim(conn, inbound_messages, f"w{index}", LEASE, queue.cipher)
                if claimed is None:
                    idle += 1
                    await asyncio.sleep(0.01)
                    continue
                idle = 0
                if claimed.sender_id in active:
                    violations.append(claimed.wamid)
                active.add(claimed.sender_id)
                handled.append(claimed.wamid)
                await asyncio.sleep(0.005)
                active.discard(claimed.sender_id)
                async with engine.begin() as conn:
                    assert await finish(conn, inbound_messages, claimed, "processed")

        await asyncio.gather(*(worker(i) for i in range(4)))
        assert violations == []
        assert sorted(handled) == sorted(f"wamid.c{c}t{t}" for c in range(6) for t in range(3))
        for citizen in range(6):
            turns = [w for w in handled if w.startswith(f"wamid.c{citizen}t")]
            assert turns == [f"wamid.c{citizen}t{t}" for t in range(3)]
        async with queue.engine.connect() as conn:
            statuses = (await conn.execute(sa.select(inbound_messages.c.status))).scalars().all()
        assert set(statuses) == {"processed"}
        assert PROCESSING not in statuses
    finally:
        for engine in engines:
            await engine.dispose()
        await queue.close()


async def test_a_delivery_is_one_insert_and_one_contact_upsert(db: str) -> None:
    # No look-up of the known ids (the insert returns the new ones) and no ping of the
    # connection before the transaction: each was a round trip per delivery.
    queue = InboundQueue(db)
    statements: list[str] = []
    try:
        await queue.ping()
        sa.event.listen(
            queue.engine.sync_engine,
            "before_cursor_execute",
            lambda _conn, _cursor, sql, *_: statements.append(sql.split()[0].upper()),
        )
        assert await accept(queue, message("text", msg_id="wamid.one")) == [True]
        assert [s for s in statements if s not in ("BEGIN", "COMMIT")] == ["INSERT", "INSERT"]
        statements.clear()
        assert await accept(queue, message("text", msg_id="wamid.one")) == [False]
        assert [s for s in statements if s not in ("BEGIN", "COMMIT")] == ["INSERT"]
    finally:
        await queue.close()


async def test_a_connection_the_server_dropped_costs_no_delivery(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Without a ping before each use, a database restart leaves dead connections in the pool;
    # the write is tried once more on a fresh one instead of answering Meta 503.
    if not db.startswith("postgresql"):
        pytest.skip("needs a server that drops connections")
    queue = InboundQueue(db)
    admin = create_engine_for_url(db, null_pool=True)
    try:
        assert await accept(queue, message("text", msg_id="wamid.before")) == [True]
        async with admin.connect() as conn:
            dropped = await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            assert any(dropped.scalars())
        assert await accept(queue, message("text", msg_id="wamid.after")) == [True]
        assert "connection was lost; writing again" in caplog.text
        async with queue.engine.connect() as conn:
            stored = await conn.execute(
                sa.select(inbound_messages.c.wamid).order_by(inbound_messages.c.wamid)
            )
            assert list(stored.scalars()) == ["wamid.after", "wamid.before"]
    finally:
        await admin.dispose()
        await queue.close()
