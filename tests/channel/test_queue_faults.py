"""Faults on loopback: a worker killed mid-burst, workers down, database down, Redis down.

Also the back pressure notice of a long queue.

Real processes where it matters: the receiver (``python -m lalisa.ingress``), workers
(``tests.channel.scripted_worker``: the real queue worker with a scripted assistant), the
worker's own start-up checks (``python -m lalisa_rasa.worker``), and PostgreSQL behind a TCP
proxy the test can cut.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from lalisa_common.database import to_async_url
from lalisa_rasa.channels.store import WhatsAppStore
from sandbox.app import GRAPH_KEY
from tests.channel.conftest import (
    APP_PYTHON,
    PNID,
    REPO,
    SECRET,
    TOKEN,
    VERIFY,
    FakeGraphServer,
    start_receiver,
)
from tests.channel.test_webhook_routes import texts_sent
from tests.common.payloads import envelope, message, value
from tests.postgres_helpers import postgres_admin_url

RASA_PYTHON = Path(sys.executable)


def text_message(sender: str, body: str, ts: int) -> dict[str, Any]:
    item = message("text", sender=sender, ts=str(ts))
    item["text"]["body"] = body
    return item


async def post_all(server_url: str, items: list[dict[str, Any]]) -> list[int]:
    import aiohttp

    from lalisa_common.whatsapp.signature import sign
    from tests.common.payloads import to_bytes

    async with aiohttp.ClientSession() as session:

        async def one(item: dict[str, Any]) -> int:
            body = to_bytes(envelope(value([item])))
            headers = {"X-Hub-Signature-256": sign(body, SECRET)}
            url = f"{server_url}/webhooks/whatsapp/webhook"
            async with session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                return resp.status

        return list(await asyncio.gather(*(one(item) for item in items)))


class ScriptedWorkers:
    """Starts and kills ``tests.channel.scripted_worker`` processes."""

    def __init__(self, tmp_path: Path, database_url: str, graph: FakeGraphServer) -> None:
        self.tmp_path = tmp_path
        self.tracker = tmp_path / "tracker.jsonl"
        self.markers = tmp_path / "markers"
        self.markers.mkdir()
        self.env = {
            **os.environ,
            "LALISA_ENV_FILE": "",
            "LALISA_VAR_DIR": str(tmp_path / "var"),
            "LALISA_MEDIA_DIR": str(tmp_path / "media"),
            "DATABASE_URL": database_url,
            "WHATSAPP_VERIFY_TOKEN": VERIFY,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_ACCESS_TOKEN": TOKEN,
            "WHATSAPP_PHONE_NUMBER_ID": PNID,
            "WHATSAPP_API_BASE_URL": graph.url,
            "WHATSAPP_MAX_CONCURRENT": "1",
            "LALISA_QUEUE_LEASE_SECONDS": "2",
            "LALISA_QUEUE_POLL_SECONDS": "0.05",
            "SCRIPTED_TRACKER": str(self.tracker),
            "SCRIPTED_MARKERS": str(self.markers),
            "SCRIPTED_TURN_SECONDS": "0.3",
        }
        self.env.pop("REDIS_URL", None)
        self.processes: list[subprocess.Popen[bytes]] = []

    async def start(self) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"worker-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [str(RASA_PYTHON), "-m", "tests.channel.scripted_worker"],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        path = Path(log.name)
        for _ in range(2400):  # the machine may be busy: up to 2 minutes
            if b"Rasa worker started" in path.read_bytes():
                return process
            if process.poll() is not None:
                pytest.fail(f"scripted worker exited:\n{path.read_text()[-3000:]}")
            await asyncio.sleep(0.05)
        pytest.fail("scripted worker did not start")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
async def scripted(
    tmp_path: Path, db_url: str, graph: FakeGraphServer
) -> AsyncIterator[ScriptedWorkers]:
    workers = ScriptedWorkers(tmp_path, db_url, graph)
    yield workers
    workers.stop_all()


async def wait_drained(store: WhatsAppStore, timeout: float = 120.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if await store.pending_count() == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{await store.pending_count()} message(s) still queued")


def answered_once_in_order(graph: FakeGraphServer, bodies: dict[str, list[str]]) -> None:
    texts = texts_sent(graph)
    for sender_bodies in bodies.values():
        positions = []
        for body in sender_bodies:
            for part in (1, 2):
                reply = f"jawaban {part} untuk {body}"
                assert texts.count(reply) == 1, (reply, texts.count(reply))
            positions.append(texts.index(f"jawaban 1 untuk {body}"))
        assert positions == sorted(positions), sender_bodies


async def test_a_worker_killed_mid_burst_leaves_every_message_answered_once(
    tmp_path: Path, db_url: str, graph: FakeGraphServer, scripted: ScriptedWorkers, open_store: Any
) -> None:
    receiver, url, _ = await start_receiver(db_url, tmp_path)
    try:
        first = await scripted.start()
        bodies = {f"62812000000{c:02d}": [f"pesan {c}-{n}" for n in range(2)] for c in range(8)}
        items = [
            text_message(sender, body, 1_800_000_000 + n)
            for sender, sender_bodies in bodies.items()
            for n, body in enumerate(sender_bodies)
        ]
        assert set(await post_all(url, items)) == {200}
        marker = scripted.markers / str(first.pid)
        for _ in range(3000):
            if marker.exists():
                break
            await asyncio.sleep(0.02)
        os.kill(first.pid, signal.SIGKILL)  # mid-turn: reply 1 sent, reply 2 and tracker not
        first.wait(timeout=10)
        await scripted.start()
        store = open_store(db_url)
        await wait_drained(store)
        answered_once_in_order(graph, bodies)
        statuses = {await store.inbound_status(item["id"]) for item in items}
        assert statuses == {"processed"}
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


async def test_a_slow_and_flaky_graph_api_still_gets_every_reply_to_every_citizen_once(
    tmp_path: Path,
    any_db_url: str,
    graph: FakeGraphServer,
    scripted: ScriptedWorkers,
    open_store: Any,
) -> None:
    # The lost ticket number under load: sends whose answer timed out (accepted late, or not
    # at all), 5xx and 429, and a Graph outage longer than the client's retries; turns slower
    # than the 2 s lease. Every citizen must see every reply exactly once, in order.
    receiver, url, _ = await start_receiver(any_db_url, tmp_path)
    graph.connect(f"{url}/webhooks/whatsapp/webhook", status_webhooks=True)
    graph.inject_faults(rate=0.3, delay=1.2, seed=12)
    # A Graph outage first: 20 failed requests outlast the client's retries (4 loops, each a read
    # receipt and 3 sends: 16 < 20), so at least one turn must go back to the queue.
    await graph.fail(status=503, count=20)
    scripted.env.update(
        DATABASE_URL=any_db_url,
        SCRIPTED_GRAPH_READ_TIMEOUT="0.6",
        SCRIPTED_TRACE_WAIT="1.5",
        SCRIPTED_TURN_SECONDS="0.05",
        WHATSAPP_MAX_CONCURRENT="4",
    )
    try:
        await scripted.start()
        bodies = {f"62813000000{c:02d}": [f"pesan {c}-{n}" for n in range(3)] for c in range(6)}
        items = [
            text_message(sender, body, 1_800_000_000 + n)
            for sender, sender_bodies in bodies.items()
            for n, body in enumerate(sender_bodies)
        ]
        assert set(await post_all(url, items)) == {200}
        store = open_store(any_db_url)
        await wait_drained(store, timeout=90)
        shown: dict[str, list[str]] = {}
        for event in graph.state.events:
            if event["kind"] == "out":
                shown.setdefault(event["phone"], []).append(event["message"]["text"]["body"])
        for sender, sender_bodies in bodies.items():
            expected = [f"jawaban {k} untuk {body}" for body in sender_bodies for k in (1, 2)]
            assert shown.get(sender) == expected, (sender, shown.get(sender))
        assert graph.app[GRAPH_KEY].faults_injected >= 5
        # Turns outlasted the 2 s lease (timeouts, waits for status webhooks) and kept it.
        log = (tmp_path / "worker-0.log").read_text()
        assert "ReplyNotDelivered" in log  # the outage: the turn went back to the queue
        assert "ran out before the turn ended" not in log
        assert {await store.inbound_status(item["id"]) for item in items} == {"processed"}
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


async def test_the_receiver_acknowledges_with_every_worker_down_then_the_backlog_drains(
    tmp_path: Path, db_url: str, graph: FakeGraphServer, scripted: ScriptedWorkers, open_store: Any
) -> None:
    receiver, url, _ = await start_receiver(db_url, tmp_path)
    try:
        bodies = {f"62813000000{c:02d}": [f"antre {c}-{n}" for n in range(2)] for c in range(5)}
        items = [
            text_message(sender, body, 1_800_000_000 + n)
            for sender, sender_bodies in bodies.items()
            for n, body in enumerate(sender_bodies)
        ]
        assert set(await post_all(url, items)) == {200}
        store = open_store(db_url)
        assert await store.pending_count() == len(items)
        assert texts_sent(graph) == []
        await scripted.start()
        await wait_drained(store)
        answered_once_in_order(graph, bodies)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection) and restore."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()


async def test_database_down_gets_503_and_nothing_accepted_is_lost(tmp_path: Path) -> None:
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL: set DATABASE_URL or TEST_POSTGRES_URL")
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    admin_url = make_url(admin)
    database = f"lalisa_fault_{uuid.uuid4().hex[:10]}"
    admin_engine = create_async_engine(to_async_url(admin), isolation_level="AUTOCOMMIT")
    async with admin_engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    direct = admin_url.set(database=database).render_as_string(hide_password=False)
    proxy = Proxy(admin_url.port or 5432)
    await proxy.start()
    through_proxy = admin_url.set(database=database, port=proxy.port).render_as_string(
        hide_password=False
    )
    receiver = None
    try:
        subprocess.run(
            [str(APP_PYTHON), "-m", "lalisa.migrate", "--url", direct],
            cwd=REPO,
            env={**os.environ, "LALISA_ENV_FILE": "", "LALISA_VAR_DIR": str(tmp_path / "var")},
            check=True,
            capture_output=True,
            timeout=300,
        )
        receiver, url, _ = await start_receiver(through_proxy, tmp_path)
        before = [
            text_message("6281400000001", f"sebelum {n}", 1_800_000_000 + n) for n in range(3)
        ]
        assert await post_all(url, before) == [200, 200, 200]
        await proxy.cut()
        during = [text_message("6281400000002", "saat mati", 1_800_000_010)]
        assert await post_all(url, during) == [503]
        await proxy.start()
        statuses: list[int] = []
        for _ in range(50):  # Meta redelivers until it gets a 200
            statuses = await post_all(url, during)
            if statuses == [200]:
                break
            await asyncio.sleep(0.2)
        assert statuses == [200]
        store = WhatsAppStore(direct)
        try:
            for item in before + during:
                assert await store.inbound_status(item["id"]) == "received"
            assert await store.pending_count() == 4
        finally:
            await store.close()
    finally:
        await proxy.cut()
        if receiver is not None:
            receiver.terminate()
            for _ in range(100):  # keep serving the proxy's loop while it stops
                if receiver.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                receiver.kill()
                receiver.wait()
        async with admin_engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        await admin_engine.dispose()


def run_worker_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RASA_PYTHON), "-m", "lalisa_rasa.worker", "--model", "models/none.tar.gz"],
        cwd=REPO,
        env={**os.environ, "LALISA_ENV_FILE": "", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scale_out_refuses_loudly_without_postgresql_or_redis(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on: Redis is down
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    whatsapp = {
        "WHATSAPP_VERIFY_TOKEN": VERIFY,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PNID,
        "LALISA_VAR_DIR": str(tmp_path / "var"),
    }
    on_sqlite = run_worker_cli(
        {**whatsapp, "LALISA_RASA_WORKERS": "2", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    assert on_sqlite.returncode == 2
    assert "LALISA_RASA_WORKERS=2 needs DATABASE_URL on PostgreSQL" in on_sqlite.stderr
    redis_down = run_worker_cli(
        {
            **whatsapp,
            "LALISA_RASA_WORKERS": "2",
            "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
            "REDIS_URL": f"redis://127.0.0.1:{dead_port}/0",
        }
    )
    assert redis_down.returncode == 3
    assert "Redis at REDIS_URL is unreachable" in redis_down.stderr


def test_workers_keep_their_priority_unless_told_to_yield() -> None:
    from lalisa_common.env import SettingsError
    from lalisa_rasa.worker import DEFAULT_NICE, WorkerSettings

    assert WorkerSettings.from_env({}).nice == DEFAULT_NICE == 0
    assert WorkerSettings.from_env({"LALISA_RASA_WORKER_NICE": "10"}).nice == 10
    with pytest.raises(SettingsError):
        WorkerSettings.from_env({"LALISA_RASA_WORKER_NICE": "-5"})


async def test_a_redis_outage_during_a_turn_puts_the_message_back(
    make_channel: Any, graph: FakeGraphServer, db_url: str, open_store: Any
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    server = await make_channel()
    calls: list[str] = []

    async def flaky_lock_store(user_message: Any) -> None:
        calls.append(user_message.message_id)
        if len(calls) == 1:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")
        await user_message.output_channel.send_text_message(user_message.sender_id, "oke")

    server.agent.reply = flaky_lock_store
    item = message("text")
    assert (await server.post(envelope(value([item])))).status == 200
    await server.settle(timeout=30)
    assert calls == [item["id"], item["id"]]
    assert texts_sent(graph) == ["oke"]  # no "gangguan" apology, one answer
    assert await open_store(db_url).inbound_status(item["id"]) == "processed"


async def test_a_long_queue_tells_new_conversations_honestly_and_keeps_their_messages(
    make_channel: Any, graph: FakeGraphServer, db_url: str, open_store: Any
) -> None:
    from lalisa_rasa.worker import WorkerSettings

    server = await make_channel(
        run_loop=False, worker_settings=WorkerSettings(poll_seconds=0.02, busy_limit=2)
    )
    regular = "6281500000009"
    first_visit = text_message(regular, "halo dulu", 1_800_000_000)
    await server.post(envelope(value([first_visit])))
    assert await server.worker.step()  # the regular citizen's conversation is under way
    newcomers = [text_message(f"62815000000{c:02d}", f"baru {c}", 1_800_000_100) for c in range(3)]
    follow_up = text_message("6281500000000", "baru 0 lagi", 1_800_000_101)
    again = text_message(regular, "lanjut", 1_800_000_102)
    for item in [*newcomers, follow_up, again]:
        assert (await server.post(envelope(value([item])))).status == 200
    server.worker._busy_checked = 0.0  # step() checked a moment ago, with nothing queued
    assert await server.worker.notify_if_busy() == 3
    server.worker._busy_checked = 0.0
    assert await server.worker.notify_if_busy() == 0  # once per message, ever
    notices = [t for t in texts_sent(graph) if "sedang ramai" in t]
    assert len(notices) == 3
    told = sorted(r["json"]["to"] for r in graph.sent() if "sedang ramai" in str(r["json"]))
    assert told == sorted("+" + item["from"] for item in newcomers)
    server.start_loop()
    await server.settle()
    handled = [m.message_id for m in server.agent.messages]
    assert sorted(handled) == sorted(
        item["id"] for item in [first_visit, *newcomers, follow_up, again]
    )
    store = open_store(db_url)
    assert await store.pending_count() == 0
