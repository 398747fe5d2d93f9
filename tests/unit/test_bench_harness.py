"""The `make bench` harness, without a stack: signing, reading the sent log, counting.

The bench itself is a measurement and stays out of `make test`; these checks make sure that
what it sends is what Meta sends and that it counts replies the way the report says.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from pathlib import Path

import httpx
import pytest

from lalisa_common.whatsapp.payload import parse_webhook
from lalisa_common.whatsapp.signature import verify
from scripts import bench
from scripts.stack import Stack

SECRET = "bench-secret"
PHONE_NUMBER_ID = "100000000000001"


def make_stack(**env: str) -> Stack:
    return Stack(
        rasa_url="http://127.0.0.1:5005",
        sandbox_url="http://127.0.0.1:5006",
        receiver_url="http://127.0.0.1:5004",
        database_url="sqlite:///x.db",
        env={"WHATSAPP_APP_SECRET": SECRET, "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID, **env},
        log_dir=Path("."),
        commands={
            "sandbox": ["python", "-m", "sandbox"],
            "rasa": ["python", "-m", "lalisa_rasa", "run"],
            "worker-2": ["python", "-m", "lalisa_rasa.worker"],
        },
    )


async def test_deliveries_are_signed_and_shaped_as_meta_sends_them() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    stack = make_stack()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        hook = bench.Webhook(stack, client)
        status, ms, error = await hook.deliver("6281234", "wamid.B-1", "halo")
    assert (status, error) == (200, "")
    assert ms >= 0
    (request,) = seen
    assert str(request.url) == "http://127.0.0.1:5004/webhooks/whatsapp/webhook"
    assert verify(request.content, request.headers["X-Hub-Signature-256"], [SECRET])
    parsed = parse_webhook(json.loads(request.content), PHONE_NUMBER_ID)
    (message,) = parsed.messages
    assert (message.wamid, message.sender_id, message.text) == ("wamid.B-1", "6281234", "halo")


async def test_a_refused_connection_is_reported_not_raised() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        status, _, error = await bench.Webhook(make_stack(), client).deliver("62", "w", "x")
    assert (status, error) == (None, "ConnectError")


async def test_sent_log_reads_each_request_once() -> None:
    log_items = [
        {"time": 10.0, "kind": "message", "json": {"to": "+62 811", "type": "text"}},
        {"time": 11.0, "kind": "message", "json": {"to": "62811", "type": "interactive"}},
        {"time": 12.0, "kind": "message", "json": {"to": "62822", "type": "text"}},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        since = int(request.url.params["since"])
        return httpx.Response(
            200, json=log_items[since:], headers={"X-Sandbox-Next": str(len(log_items))}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        log = bench.SentLog(make_stack(), client)
        await log.poll()
        await log.poll()
    assert log.by_phone == {"62811": [10.0, 11.0], "62822": [12.0]}
    assert log.total == 3


async def test_concurrent_polls_count_each_request_once() -> None:
    # The burst's drain loop polls while the background poller does: both used to send the
    # same ``since`` and count the same replies twice.
    log_items = [
        {"time": float(n), "kind": "message", "json": {"to": f"628{n}", "type": "text"}}
        for n in range(5)
    ]

    async def handler(request: httpx.Request) -> httpx.Response:
        since = int(request.url.params["since"])
        await asyncio.sleep(0.01)  # both requests are in flight at once
        return httpx.Response(
            200, json=log_items[since:], headers={"X-Sandbox-Next": str(len(log_items))}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        log = bench.SentLog(make_stack(), client)
        await asyncio.gather(log.poll(), log.poll(), log.poll())
    assert log.total == 5
    assert bench.count_replies([f"628{n}" for n in range(5)], log.by_phone, 1).duplicated == 0


def test_replies_are_counted_per_citizen() -> None:
    sent = {"a": [1.0, 1.1], "b": [2.0], "c": [3.0, 3.1, 4.0, 4.1]}
    tally = bench.count_replies(["a", "b", "c", "d"], sent, expected=2)
    assert tally == bench.ReplyCount(
        citizens=4, answered_once=1, unanswered=1, incomplete=1, duplicated=1
    )


def test_topology_names_the_processes_that_run_rasa() -> None:
    stack = make_stack(LALISA_RASA_WORKERS="2")
    line = bench.topology(stack, bench.PROFILES["pg2"])
    assert "2 Rasa process(es) (rasa, worker-2)" in line
    assert "LALISA_RASA_WORKERS=2" in line


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert bench.percentile(values, 0.99) == 99.0
    assert bench.percentile(values, 0.50) == 50.0
    assert bench.percentile([], 0.5) != bench.percentile([], 0.5)  # NaN


def test_quick_shortens_every_duration() -> None:
    args = bench.parse_args(["--quick", "--profiles", "sqlite"])
    assert args.ack_seconds <= 3 and args.step_seconds <= 5 and args.burst_seconds <= 5
    assert [p.name for p in args.profiles] == ["sqlite"]
    assert args.ack_rates == [50, 200, 500]


def test_memory_of_a_process_tree() -> None:
    assert bench.tree_rss_mb(os.getpid()) > 1


@pytest.mark.parametrize("value", [float("nan"), 1234.5, 3.14159])
def test_table_cells(value: float) -> None:
    assert bench.fmt(value) in {"-", "1,234", "3.1"}


async def test_raw_sender_reuses_its_connections_and_sends_signed_deliveries() -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            lines = head.decode().split("\r\n")[1:]
            headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)}
            body = await reader.readexactly(int(headers["content-length"]))
            received.append((headers, body))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nOK")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stack = make_stack()
    stack.receiver_url = f"http://127.0.0.1:{port}"
    hook = bench.Webhook(stack)
    sender = bench.RawSender(hook.url, connections=2)
    requests = [sender.request(*hook.signed("6281234", f"wamid.R-{i}", "halo")) for i in range(10)]
    results = await asyncio.gather(*(sender.post(r) for r in requests))
    await sender.close()
    server.close()
    await server.wait_closed()
    assert [(status, error) for status, _, error in results] == [(200, "")] * 10
    assert connections == 2
    for headers, body in received:
        assert verify(body, headers["x-hub-signature-256"], [SECRET])
    wamids = sorted(
        parse_webhook(json.loads(b), PHONE_NUMBER_ID).messages[0].wamid for _, b in received
    )
    assert wamids == sorted(f"wamid.R-{i}" for i in range(10))


async def test_raw_sender_reports_a_refused_connection() -> None:
    sender = bench.RawSender("http://127.0.0.1:9/webhooks/whatsapp/webhook", connections=1)
    status, _, error = await sender.post(sender.request(b"{}", {}))
    assert status is None and error in {"ConnectionRefusedError", "OSError"}


def test_busy_notices_are_not_counted_as_replies() -> None:
    log = bench.SentLog(make_stack(), httpx.AsyncClient())
    items = [
        {"time": 1.0, "json": {"to": "62811", "type": "text", "text": {"body": bench.BUSY_TEXT}}},
        {"time": 2.0, "json": {"to": "62811", "type": "text", "text": {"body": "Halo!"}}},
    ]
    log.record(items)
    assert log.notices == {"62811": 1}
    assert bench.count_replies(["62811"], log.by_phone, 1).duplicated == 0


def test_cpu_account_reads_the_cpu_time_of_a_process_tree() -> None:
    from scripts import cpu

    account = cpu.CpuAccount({"bench": os.getpid()})
    account.start()
    total = 0
    for i in range(300_000):  # ~tens of ms of CPU in this process
        total += i * i
    spent = account.stop()
    assert total > 0
    assert set(spent) == {"bench"}
    assert 0.0 <= spent["bench"] < 60
    assert cpu.process_cpu_seconds(2**22 + 12345) is None  # no such process


def test_cpu_per_message_and_capacity() -> None:
    from scripts import cpu

    table = cpu.per_message_ms({"worker": 2.0, "actions": 0.5}, messages=50)
    assert table == {"worker": 40.0, "actions": 10.0, "total": 50.0}
    assert cpu.capacity_msg_per_s(table["total"]) == 40.0  # 2 cores x 1,000 ms / 50 ms
    assert math.isnan(cpu.per_message_ms({"worker": 1.0}, messages=0)["total"])
