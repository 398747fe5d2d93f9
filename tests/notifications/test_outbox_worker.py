"""The worker: window choice, retries, permanent errors, crashes, concurrency, outages."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from lalisa.core.contacts import remember_contact
from lalisa.core.crypto import get_identity_cipher, sender_key
from lalisa.core.db import session_scope
from lalisa.core.settings import reset_settings_cache
from lalisa.notifications import texts
from lalisa.notifications.graph import NETWORK_UNREACHABLE, OUTCOME_UNKNOWN, GraphClient
from lalisa.notifications.messages import (
    citizen_not_actionable,
    citizen_verified,
)
from lalisa.notifications.models import OutboxMessage, OutboxStatus
from lalisa.notifications.outbox import (
    UNKNOWN_AFTER_CRASH,
    enqueue,
    refresh_statuses,
    resend,
    ticket_notifications,
)
from lalisa.notifications.queueing import enqueue_citizen_update
from lalisa.notifications.window import in_service_window
from lalisa.notifications.worker import SENDING_LEASE, OutboxWorker, process_due, retry_delay
from lalisa.tickets.models import Reporter, Ticket, TicketStatus
from lalisa.tickets.service import transition
from tests.notifications.helpers import (
    CITIZEN,
    CITIZEN_LOCAL,
    PNID,
    TOKEN,
    FakeGraph,
    accepted,
    add_channel_status,
    add_inbound,
    channel_rows,
    graph_error,
    make_ticket,
    outbox_row,
    outbox_rows,
    raise_error,
    utcnow,
)

pytestmark = pytest.mark.usefixtures("outbox_db")


async def queue(
    key: str = "k1",
    *,
    phone: str = CITIZEN_LOCAL,
    body: str | None = "Laporan Anda sudah diverifikasi.",
    template: str | None = "lalisa_status_laporan",
    ticket_id: int | None = None,
    now: datetime | None = None,
) -> int:
    async with session_scope() as session:
        message = await enqueue(
            session,
            kind="citizen_update",
            ticket_id=ticket_id,
            recipient_phone=phone,
            recipient_kind="citizen",
            recipient_ref=f"ref-{key}",
            body=body,
            template_name=template,
            template_params=["LLS-2026-000001", "Diverifikasi", "Keterangan"],
            idempotency_key=key,
            now=now,
        )
        return message.id


def later(minutes: float = 0, seconds: float = 0) -> datetime:
    return utcnow() + timedelta(minutes=minutes, seconds=seconds)


# ----------------------------------------------------------------------------- the window


async def test_inside_the_window_a_free_text_is_sent(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=3))
    outbox_id = await queue()
    result = await process_due(10, client=graph.client())
    assert (result.claimed, result.sent) == (1, 1)
    assert len(graph.requests) == 1
    request = graph.requests[0]
    assert request["type"] == "text"
    assert request["to"] == "+6281234567890"
    assert request["text"]["body"] == "Laporan Anda sudah diverifikasi."
    assert request["biz_opaque_callback_data"] == f"outbox:{outbox_id}"
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.SENT
    assert (row.sent_as, row.wamid, row.attempts) == ("text", "wamid.fake.1", 1)
    assert row.sent_at is not None and row.claimed_by is None and row.last_error is None


async def test_a_citizen_known_by_key_is_reached_at_their_number(graph: FakeGraph) -> None:
    async with session_scope() as session:
        key = await remember_contact(session, CITIZEN_LOCAL)  # what the receiver records
    ticket = await make_ticket(sender=key)
    async with session_scope() as session:
        reporter = await session.get(Reporter, ticket.reporter_id)
        assert reporter is not None and reporter.phone_blind_index == key
        assert get_identity_cipher().decrypt(reporter.phone_encrypted) == CITIZEN
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=1))
    outbox_id = await queue(phone=key)  # an admin's reply names the citizen by key
    result = await process_due(10, client=graph.client())
    assert (result.claimed, result.sent) == (1, 1)
    assert graph.requests[0]["to"] == "+" + CITIZEN
    assert graph.requests[0]["type"] == "text"  # the window was found by key
    assert get_identity_cipher().decrypt(
        (await outbox_row(outbox_id)).recipient_phone_encrypted
    ) == (CITIZEN)
    assert all(CITIZEN not in str(row) for row in await channel_rows())


async def test_a_key_without_a_recorded_number_is_not_sent(graph: FakeGraph) -> None:
    outbox_id = await queue(phone=sender_key("6289900000001"))
    await process_due(10, client=graph.client())
    assert graph.requests == []
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == texts.ERROR_UNKNOWN_RECIPIENT


async def test_outside_the_window_the_template_is_sent(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=25))  # window closed
    await add_inbound("6289999999999", utcnow())  # someone else wrote just now
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    request = graph.requests[0]
    assert request["type"] == "template"
    assert request["template"]["name"] == "lalisa_status_laporan"
    assert request["template"]["language"] == {"code": "id"}
    params = request["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["LLS-2026-000001", "Diverifikasi", "Keterangan"]
    row = await outbox_row(outbox_id)
    assert (row.status, row.sent_as) == (OutboxStatus.SENT, "template")


async def test_never_written_means_template(graph: FakeGraph) -> None:
    await queue()
    await process_due(10, client=graph.client())
    assert graph.requests[0]["type"] == "template"


async def test_window_uses_whatsapp_timestamp_and_a_safety_margin() -> None:
    now = utcnow()
    await add_inbound(
        CITIZEN, now - timedelta(hours=1), wa_timestamp=now - timedelta(hours=23, minutes=45)
    )
    async with session_scope() as session:
        # The citizen wrote 23 h 45 min ago (delivered late): too close to the end of the window.
        assert not await in_service_window(session, CITIZEN_LOCAL, now)
    await add_inbound(CITIZEN, now - timedelta(hours=2))
    async with session_scope() as session:
        assert await in_service_window(session, "+62 812 3456 7890", now)
        assert not await in_service_window(session, "6280000000000", now)


async def test_template_only_and_text_only_messages(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow())
    template_only = await queue("t", body=None)
    text_only = await queue("x", template=None)
    await process_due(10, client=graph.client())
    kinds = {r["biz_opaque_callback_data"]: r["type"] for r in graph.requests}
    assert kinds == {f"outbox:{template_only}": "template", f"outbox:{text_only}": "text"}


async def test_text_only_outside_the_window_fails_visibly(graph: FakeGraph) -> None:
    outbox_id = await queue(template=None)
    result = await process_due(10, client=graph.client())
    assert result.failed == 1 and graph.requests == []
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == texts.ERROR_NO_TEMPLATE


async def test_text_refused_with_131047_is_sent_once_as_template(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow())
    graph.then(graph_error(400, 131047, "Re-engagement message"))
    outbox_id = await queue()
    result = await process_due(10, client=graph.client())
    assert result.sent == 1
    assert [r["type"] for r in graph.requests] == ["text", "template"]
    row = await outbox_row(outbox_id)
    assert (row.status, row.sent_as, row.force_template, row.attempts) == (
        OutboxStatus.SENT,
        "template",
        True,
        2,
    )


# -------------------------------------------------------------------------------- retries


@pytest.mark.parametrize(
    "failure",
    [
        graph_error(400, 130429, "Rate limit hit"),
        graph_error(503, None, "Service temporarily unavailable"),
        graph_error(500, 131000, "Something went wrong"),
        graph_error(400, 131056, "pair rate limit"),
    ],
    ids=["130429", "503", "131000", "131056"],
)
async def test_retry_then_success(graph: FakeGraph, failure: Any) -> None:
    graph.then(failure)
    outbox_id = await queue()
    start = utcnow()
    first = await process_due(10, client=graph.client(), now=start)
    assert (first.sent, first.retry_scheduled) == (0, 1)
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at > start
    assert row.last_error is not None and "Percobaan ke-1 gagal" in row.last_error
    # Not due yet: nothing happens.
    assert (await process_due(10, client=graph.client(), now=start)).claimed == 0
    second = await process_due(10, client=graph.client(), now=row.next_attempt_at)
    assert second.sent == 1
    assert len(graph.requests) == 2
    row = await outbox_row(outbox_id)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 2, None)


async def test_permanent_error_fails_without_retry(graph: FakeGraph) -> None:
    graph.then(graph_error(400, 131026, "Message undeliverable"))
    outbox_id = await queue()
    result = await process_due(10, client=graph.client())
    assert result.failed == 1
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error_code == 131026
    assert row.last_error is not None
    assert "Message undeliverable" in row.last_error and "bukan nomor WhatsApp" in row.last_error
    assert (await process_due(10, client=graph.client(), now=later(minutes=600))).claimed == 0
    assert len(graph.requests) == 1


async def test_invalid_parameter_is_permanent(graph: FakeGraph) -> None:
    graph.then(graph_error(400, 100, "Invalid parameter"))
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    row = await outbox_row(outbox_id)
    assert (row.status, row.last_error_code, row.attempts) == (OutboxStatus.FAILED, 100, 1)


async def test_max_attempts_then_failed(graph: FakeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTBOX_MAX_ATTEMPTS", "3")
    reset_settings_cache()
    graph.then(*(graph_error(503, None, "down") for _ in range(10)))
    outbox_id = await queue()
    now = utcnow()
    for _ in range(3):
        await process_due(10, client=graph.client(), now=now)
        now += timedelta(hours=1)
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == 3
    assert row.last_error is not None and row.last_error.startswith("Gagal setelah 3 percobaan")
    await process_due(10, client=graph.client(), now=now + timedelta(days=1))
    assert len(graph.requests) == 3


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    import random

    rng = random.Random(7)
    delays = [retry_delay(n, 130429, rng) for n in range(1, 9)]
    assert 0.8 <= delays[0] <= 1.2
    assert 3.2 <= delays[1] <= 4.8
    assert 12.8 <= delays[2] <= 19.2
    assert all(d <= 900 * 1.2 for d in delays)
    assert delays[-1] >= 900 * 0.8
    assert retry_delay(1, 131056, rng) >= 1.0
    assert retry_delay(1, 131057, rng) >= 60 * 0.8
    assert len({round(retry_delay(3, 130429, rng), 6) for _ in range(10)}) > 1  # jitter


async def test_account_problem_waits_without_using_attempts(graph: FakeGraph) -> None:
    graph.then(graph_error(401, 190, "Invalid OAuth access token"))
    ids = [await queue(f"k{n}") for n in range(3)]
    start = utcnow()
    result = await process_due(10, client=graph.client(), now=start)
    assert result.deferred == 3 and result.failed == 0
    assert len(graph.requests) == 1  # the rest of the batch was not hammered
    rows = await outbox_rows()
    assert all(row.status is OutboxStatus.PENDING and row.attempts == 0 for row in rows)
    assert rows[0].last_error is not None and "Akun WhatsApp Business" in rows[0].last_error
    # The operator fixes the token: everything goes out.
    result = await process_due(10, client=graph.client(), now=start + timedelta(minutes=10))
    assert sorted(result.outbox_ids_sent) == ids


async def test_an_error_before_sending_gives_the_batch_back(
    graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [await queue(f"k{n}") for n in range(3)]

    async def database_hiccup(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("database restarting")

    from lalisa.notifications import worker as worker_module

    real = worker_module.in_service_window
    monkeypatch.setattr(worker_module, "in_service_window", database_hiccup)
    with pytest.raises(RuntimeError):
        await process_due(10, client=graph.client())
    rows = await outbox_rows()
    # Nothing was sent, so nothing is stuck in 'sending'.
    assert all(row.status is OutboxStatus.PENDING for row in rows)
    monkeypatch.setattr(worker_module, "in_service_window", real)
    result = await process_due(10, client=graph.client(), now=later(minutes=10))
    assert sorted(result.outbox_ids_sent) == ids


# ------------------------------------------------------------------- crash between send and mark


async def _left_sending(outbox_id: int, claimed_at: datetime, by: str = "old-host:123:abc") -> None:
    async with session_scope() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id)
            .values(status=OutboxStatus.SENDING, claimed_at=claimed_at, claimed_by=by)
        )


async def test_row_left_sending_without_trace_is_failed_not_resent(graph: FakeGraph) -> None:
    outbox_id = await queue()
    await _left_sending(outbox_id, utcnow() - SENDING_LEASE - timedelta(seconds=1))
    result = await process_due(10, client=graph.client())
    assert result.reconciled == 1 and result.claimed == 0
    row = await outbox_row(outbox_id)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error_code == UNKNOWN_AFTER_CRASH
    assert (
        row.last_error == "Status tidak diketahui setelah gangguan; periksa dan kirim ulang manual."
    )
    await process_due(10, client=graph.client(), now=later(minutes=600))
    assert graph.requests == []


async def test_row_left_sending_with_a_status_webhook_is_reconciled(graph: FakeGraph) -> None:
    outbox_id = await queue()
    await _left_sending(outbox_id, utcnow() - SENDING_LEASE - timedelta(seconds=1))
    # Meta accepted it before the crash; its status webhook carried our callback data.
    await add_channel_status("wamid.before-crash", "delivered", callback_data=f"outbox:{outbox_id}")
    result = await process_due(10, client=graph.client())
    assert result.reconciled == 1
    row = await outbox_row(outbox_id)
    assert (row.status, row.wamid, row.last_error) == (
        OutboxStatus.DELIVERED,
        "wamid.before-crash",
        None,
    )
    assert graph.requests == []


async def test_a_live_workers_row_is_left_alone(graph: FakeGraph) -> None:
    outbox_id = await queue()
    await _left_sending(outbox_id, utcnow() - timedelta(minutes=1), by="busy-worker")
    result = await process_due(10, client=graph.client())
    assert (result.reconciled, result.claimed) == (0, 0)
    row = await outbox_row(outbox_id)
    assert (row.status, row.claimed_by) == (OutboxStatus.SENDING, "busy-worker")
    assert graph.requests == []


@pytest.mark.parametrize("webhook_arrives", [True, False])
async def test_crash_after_send_never_sends_twice(
    graph: FakeGraph, monkeypatch: pytest.MonkeyPatch, webhook_arrives: bool
) -> None:
    outbox_id = await queue()

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("process killed between send and mark")

    real = OutboxWorker._record_success
    monkeypatch.setattr(OutboxWorker, "_record_success", crash)
    with pytest.raises(RuntimeError):
        await process_due(10, client=graph.client())
    monkeypatch.setattr(OutboxWorker, "_record_success", real)
    assert len(graph.requests) == 1
    assert (await outbox_row(outbox_id)).status is OutboxStatus.SENDING
    if webhook_arrives:
        await add_channel_status("wamid.fake.1", "sent", callback_data=f"outbox:{outbox_id}")
    # A new process, after the lease.
    result = await process_due(10, client=graph.client(), now=later(minutes=11))
    assert result.reconciled == 1
    row = await outbox_row(outbox_id)
    if webhook_arrives:
        assert (row.status, row.wamid) == (OutboxStatus.SENT, "wamid.fake.1")
    else:
        assert (row.status, row.last_error_code) == (OutboxStatus.FAILED, UNKNOWN_AFTER_CRASH)
    await process_due(10, client=graph.client(), now=later(minutes=60))
    assert len(graph.requests) == 1


async def test_unknown_outcome_is_corrected_when_the_status_arrives_later(
    graph: FakeGraph,
) -> None:
    outbox_id = await queue()
    await _left_sending(outbox_id, utcnow() - SENDING_LEASE - timedelta(minutes=1))
    await process_due(10, client=graph.client())
    assert (await outbox_row(outbox_id)).status is OutboxStatus.FAILED
    await add_channel_status("wamid.late", "read", callback_data=f"outbox:{outbox_id}")
    async with session_scope() as session:
        assert await refresh_statuses(session) == 1
    row = await outbox_row(outbox_id)
    assert (row.status, row.wamid, row.last_error_code) == (OutboxStatus.READ, "wamid.late", None)


async def test_timeout_then_trace_found_is_not_resent(graph: FakeGraph) -> None:
    graph.then(raise_error(httpx.ReadTimeout))
    outbox_id = await queue()
    start = utcnow()
    await process_due(10, client=graph.client(), now=start)
    row = await outbox_row(outbox_id)
    assert (row.status, row.attempts, row.last_error_code) == (
        OutboxStatus.PENDING,
        1,
        OUTCOME_UNKNOWN,
    )
    # Long enough for Meta's status webhook to arrive before the retry.
    assert row.next_attempt_at >= start + timedelta(seconds=60)
    await add_channel_status("wamid.accepted-anyway", "sent", callback_data=f"outbox:{outbox_id}")
    result = await process_due(10, client=graph.client(), now=row.next_attempt_at)
    assert result.sent == 1
    assert len(graph.requests) == 1
    row = await outbox_row(outbox_id)
    assert (row.status, row.wamid) == (OutboxStatus.SENT, "wamid.accepted-anyway")


async def test_timeout_without_trace_is_retried(graph: FakeGraph) -> None:
    graph.then(raise_error(httpx.ReadTimeout))
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    row = await outbox_row(outbox_id)
    await process_due(10, client=graph.client(), now=row.next_attempt_at)
    assert len(graph.requests) == 2
    assert (await outbox_row(outbox_id)).status is OutboxStatus.SENT


# --------------------------------------------------------------------------- several workers


async def test_two_workers_never_send_the_same_row() -> None:
    for n in range(30):
        await queue(f"k{n}")
    sent: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        sent.append(body["biz_opaque_callback_data"])
        wamid = f"wamid.{len(sent)}"
        await asyncio.sleep(0.005)  # let the other worker run meanwhile
        return httpx.Response(200, json=accepted(body, wamid))

    def client() -> GraphClient:
        return GraphClient(
            base_url="http://graph.test",
            api_version="v23.0",
            phone_number_id=PNID,
            access_token=TOKEN,
            transport=httpx.MockTransport(slow),
        )

    async def worker(name: str) -> list[int]:
        ids: list[int] = []
        for _ in range(10):
            result = await process_due(4, client=client(), worker_id=name)
            ids.extend(result.outbox_ids_sent)
        return ids

    first, second = await asyncio.gather(worker("worker-a"), worker("worker-b"))
    assert len(sent) == 30 and len(set(sent)) == 30
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30
    assert first and second  # both did part of the work
    rows = await outbox_rows()
    assert all(row.status is OutboxStatus.SENT for row in rows)
    assert len({row.wamid for row in rows}) == 30


# ------------------------------------------------------------------------------ WhatsApp down


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def fake_graph_server(port: int, received: list[dict[str, Any]]) -> AsyncIterator[None]:
    """A real HTTP/1.1 server on ``port`` answering like Graph's ``/messages`` (stdlib only)."""
    import json

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = json.loads(await reader.readexactly(length))
            received.append(body)
            answer = json.dumps(accepted(body, f"wamid.server.{len(received)}")).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(answer)}\r\nConnection: close\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


async def test_whatsapp_down_then_back(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _free_port()
    monkeypatch.setenv("WHATSAPP_API_BASE_URL", f"http://127.0.0.1:{port}")
    reset_settings_cache()
    ids = [await queue(f"k{n}") for n in range(5)]
    worker = OutboxWorker()  # the real shared client, against a port nobody listens on
    start = utcnow()
    now = start
    for _ in range(4):
        result = await worker.process_due(10, now=now)
        assert result.sent == 0 and result.deferred == 5
        rows = await outbox_rows()
        assert all(row.status is OutboxStatus.PENDING for row in rows)
        assert all(row.attempts == 0 for row in rows)  # an outage uses up no attempts
        assert all(row.next_attempt_at > now for row in rows)
        now = max(row.next_attempt_at for row in rows)
    first = rows[0]
    assert first.last_error_code == NETWORK_UNREACHABLE
    assert first.last_error is not None and "tidak dapat dihubungi" in first.last_error
    assert max(row.next_attempt_at for row in rows) <= now + timedelta(minutes=6)

    received: list[dict[str, Any]] = []
    async with fake_graph_server(port, received):
        result = await worker.process_due(10, now=now)
    assert result.sent == 5
    assert sorted(r["biz_opaque_callback_data"] for r in received) == sorted(
        f"outbox:{i}" for i in ids
    )
    assert all(row.status is OutboxStatus.SENT for row in await outbox_rows())


async def test_not_configured_sends_nothing(
    graph: FakeGraph, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    outbox_id = await queue()
    monkeypatch.delenv("WHATSAPP_ACCESS_TOKEN")
    reset_settings_cache()
    result = await process_due(10, client=graph.client())
    assert result.not_configured and result.claimed == 0
    assert "WHATSAPP_ACCESS_TOKEN" in caplog.text
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", "")
    reset_settings_cache()
    assert (await process_due(10, client=graph.client())).not_configured
    assert graph.requests == []
    row = await outbox_row(outbox_id)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


# ------------------------------------------------------------------------- delivery status


async def test_channel_record_and_status_mirroring(graph: FakeGraph) -> None:
    ticket = await make_ticket()
    async with session_scope() as session:
        loaded = await session.get(Ticket, ticket.id)
        assert loaded is not None
        event = await transition(
            session, loaded, TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI, actor="verifikator"
        )
        content = citizen_not_actionable(loaded.number, "bukan kewenangan Satpol PP", "Dinas PUPR")
        message = await enqueue_citizen_update(session, loaded, event, content)
        assert message is not None
        outbox_id = message.id
    await process_due(10, client=graph.client())
    (record,) = await channel_rows()
    row = await outbox_row(outbox_id)
    assert record["wamid"] == row.wamid
    assert record["callback_data"] == f"outbox:{outbox_id}"
    assert record["status"] == "accepted"
    assert record["recipient"] == row.recipient_ref  # a pseudonym, not the phone number
    assert record["kind"] == "citizen_update"

    # The channel applies Meta's status webhooks to its record; the outbox follows.
    await add_channel_status(row.wamid or "", "delivered")
    async with session_scope() as session:
        (shown,) = await ticket_notifications(session, ticket.id)
        assert shown.status is OutboxStatus.DELIVERED
    await add_channel_status(row.wamid or "", "read")
    async with session_scope() as session:
        assert await refresh_statuses(session) == 1
        assert await refresh_statuses(session) == 0
    assert (await outbox_row(outbox_id)).status is OutboxStatus.READ
    # Never downgraded.
    await add_channel_status(row.wamid or "", "delivered")
    async with session_scope() as session:
        await refresh_statuses(session)
    assert (await outbox_row(outbox_id)).status is OutboxStatus.READ


async def test_delivery_failure_is_visible(graph: FakeGraph) -> None:
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    row = await outbox_row(outbox_id)
    await add_channel_status(row.wamid or "", "failed", error_code=131026)
    async with session_scope() as session:
        await refresh_statuses(session)
    row = await outbox_row(outbox_id)
    assert (row.status, row.last_error_code) == (OutboxStatus.FAILED, 131026)
    assert row.last_error is not None and row.last_error.startswith("WhatsApp melaporkan")


async def test_webhook_before_record_keeps_its_status(graph: FakeGraph) -> None:
    async def answer_after_webhook(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        # Meta's status webhook is processed by the channel before our record is written.
        await add_channel_status(
            "wamid.fast", "delivered", callback_data=body["biz_opaque_callback_data"]
        )
        return httpx.Response(200, json=accepted(body, "wamid.fast"))

    graph.then(answer_after_webhook)
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    (record,) = await channel_rows()
    assert (record["status"], record["kind"], record["attempts"]) == (
        "delivered",
        "citizen_update",
        1,
    )
    async with session_scope() as session:
        await refresh_statuses(session)
    assert (await outbox_row(outbox_id)).status is OutboxStatus.DELIVERED


async def test_async_131047_failure_resends_as_template(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow())
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    first = await outbox_row(outbox_id)
    assert first.sent_as == "text"
    await add_channel_status(first.wamid or "", "failed", error_code=131047)
    async with session_scope() as session:
        await refresh_statuses(session)
    assert (await outbox_row(outbox_id)).status is OutboxStatus.PENDING
    await process_due(10, client=graph.client())
    assert [r["type"] for r in graph.requests] == ["text", "template"]
    row = await outbox_row(outbox_id)
    assert (row.status, row.sent_as, row.force_template) == (OutboxStatus.SENT, "template", True)
    assert row.wamid != first.wamid


async def test_manual_resend_after_failure(graph: FakeGraph) -> None:
    graph.then(graph_error(400, 131026, "Message undeliverable"))
    outbox_id = await queue()
    await process_due(10, client=graph.client())
    async with session_scope() as session:
        await resend(session, outbox_id)
    await process_due(10, client=graph.client())
    row = await outbox_row(outbox_id)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert len(graph.requests) == 2


async def test_verified_ticket_message_reaches_the_reporter(graph: FakeGraph) -> None:
    ticket = await make_ticket(sender=CITIZEN)
    await add_inbound(CITIZEN, utcnow())
    async with session_scope() as session:
        loaded = await session.get(Ticket, ticket.id)
        assert loaded is not None
        event = await transition(session, loaded, TicketStatus.DIVERIFIKASI, actor="admin")
        await enqueue_citizen_update(session, loaded, event, citizen_verified(loaded.number))
    await process_due(10, client=graph.client())
    (request,) = graph.requests
    assert request["to"] == "+" + CITIZEN
    assert ticket.number in request["text"]["body"]


async def test_worker_loop_runs_and_stops(
    graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "0.05")
    reset_settings_cache()
    await queue()
    worker = OutboxWorker(client=graph.client())
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    for _ in range(200):
        if (await outbox_rows())[0].status is OutboxStatus.SENT:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert len(graph.requests) == 1
