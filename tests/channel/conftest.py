"""Fixtures for the WhatsApp channel tests (run in .venv-rasa).

* ``db_url``: a SQLite database created by the real Alembic upgrade (``.venv``), or,
  until the project's Alembic environment exists, by running the ``0002_whatsapp``
  revision's own ``upgrade()`` through Alembic operations in ``.venv``.
* ``graph``: the sandbox's fake Graph API on a free local port.
* ``make_channel``: the webhook receiver (``python -m lalisa.ingress``, app env) on a free
  port in front of the database, and a queue worker (``lalisa_rasa.worker.QueueWorker``) in
  this process with a recording agent instead of a trained model.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from sanic import Sanic

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lalisa_common.identity import SenderKeys  # noqa: E402
from lalisa_common.whatsapp.signature import sign  # noqa: E402
from lalisa_rasa.channels.config import WhatsAppSettings  # noqa: E402
from lalisa_rasa.channels.graph import GraphClient  # noqa: E402
from lalisa_rasa.channels.media import MediaDownloader  # noqa: E402
from lalisa_rasa.channels.store import WhatsAppStore  # noqa: E402
from sandbox.app import GRAPH_KEY, SIMULATOR_KEY, STATE_KEY, build_app  # noqa: E402
from sandbox.config import FAULT_MODES, SandboxSettings  # noqa: E402
from sandbox.fake_graph import SandboxState  # noqa: E402
from tests.common.payloads import PNID, to_bytes  # noqa: E402
from tests.postgres_helpers import (  # noqa: E402
    DATABASE_BACKENDS,
    postgres_admin_url,
    run_admin_sql,
    with_database,
)

Sanic.test_mode = True  # several apps named "rasa_core_no_api" in one process (REST channel)

APP_PYTHON = REPO / ".venv" / "bin" / "python"
MIGRATION = REPO / "lalisa" / "migrations" / "versions" / "0002_whatsapp.py"
SECRET = "test-app-secret"
PREVIOUS_SECRET = "old-app-secret"
TOKEN = "test-access-token"
VERIFY = "test-verify-token"
IDENTITY_KEY = "3q0c3kq0W2Xl8vQy5mZpG7tR1nB4dH6jK9sL2wE5aUo="
"""One identity key for the tests and the receivers they start: the queued payloads and the
trackers are encrypted with keys derived from it, so every process must share it."""


@pytest.fixture(autouse=True, scope="session")
def _shared_identity_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LALISA_IDENTITY_KEY", IDENTITY_KEY)
        yield


_RUN_REVISION = r"""
import importlib.util, sys
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
spec = importlib.util.spec_from_file_location("rev_0002", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert module.revision == "0002_whatsapp" and module.down_revision == "0001_initial"
engine = sa.create_engine("sqlite:///" + sys.argv[2])
with engine.begin() as conn:
    with Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
"""


def _alembic_ini() -> Path | None:
    for candidate in (REPO / "alembic.ini", REPO / "lalisa" / "migrations" / "alembic.ini"):
        if candidate.exists():
            return candidate
    return None


def _has_initial_revision() -> bool:
    versions = REPO / "lalisa" / "migrations" / "versions"
    return any(
        "0001_initial"
        in path.read_text(encoding="utf-8", errors="ignore").split("down_revision")[0]
        for path in versions.glob("*.py")
        if path.name != MIGRATION.name
    )


def build_database(path: Path) -> str:
    """Creates the WhatsApp tables in a new SQLite file with the migration code.

    Args:
        path: Database file to create.

    Returns:
        How it was built (``alembic upgrade head`` or ``revision 0002 upgrade()``).
    """
    if not APP_PYTHON.exists():
        pytest.fail(f"{APP_PYTHON} is missing: the app virtualenv is needed to run the migration")
    ini = _alembic_ini()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        # keep lalisa.core.settings away from the developer's .env and var/ (it may write a key)
        "LALISA_ENV_FILE": "",
        "LALISA_VAR_DIR": str(path.parent / "var"),
    }
    if ini is not None and _has_initial_revision():
        proc = subprocess.run(
            [str(APP_PYTHON), "-m", "alembic", "-c", str(ini), "upgrade", "head"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        how = "alembic upgrade head"
    else:
        proc = subprocess.run(
            [str(APP_PYTHON), "-c", _RUN_REVISION, str(MIGRATION), str(path)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        how = "revision 0002_whatsapp upgrade()"
    if proc.returncode != 0:
        pytest.fail(f"{how} failed:\n{proc.stdout}\n{proc.stderr}")
    with sqlite3.connect(path) as conn:
        names = {
            row[0] for row in conn.execute("select name from sqlite_master where type='table'")
        }
    missing = {"whatsapp_inbound_messages", "whatsapp_outbound_messages"} - names
    if missing:
        pytest.fail(f"{how} did not create {sorted(missing)} in {path}")
    return how


@pytest.fixture(scope="session")
def db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database per test session, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    build_database(path)
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated PostgreSQL database per test session (None without PostgreSQL)."""
    admin = postgres_admin_url()
    if admin is None:
        yield None
        return
    name = f"lalisa_channel_tmpl_{uuid.uuid4().hex[:10]}"
    run_admin_sql(admin, f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [str(APP_PYTHON), "-m", "lalisa.migrate", "--url", with_database(admin, name)],
            cwd=REPO,
            env={**os.environ, "LALISA_ENV_FILE": ""},
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield name
    finally:
        run_admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=DATABASE_BACKENDS)
def any_db_url(
    request: pytest.FixtureRequest, db_url: str, postgres_template: str | None
) -> Iterator[str]:
    """A fresh migrated database for one test, on each backend the run has (SQLite, PostgreSQL)."""
    if request.param == "sqlite":
        yield db_url
        return
    admin = postgres_admin_url()
    assert admin is not None and postgres_template is not None
    name = f"lalisa_channel_{uuid.uuid4().hex[:10]}"
    run_admin_sql(admin, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    try:
        yield with_database(admin, name)
    finally:
        run_admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def _stop_leftover_sqlite_threads() -> Iterator[None]:
    """Safety net: stops aiosqlite worker threads left open at the end of the session.

    They are not daemons; one left open (e.g. by a failing test's kept traceback) would keep
    the test process alive forever.
    """
    yield
    import threading

    from aiosqlite import core

    for thread in threading.enumerate():
        if getattr(thread, "_target", None) is core._connection_worker_thread:
            queue = thread._args[0]  # type: ignore[attr-defined]
            queue.put_nowait((None, lambda: core._STOP_RUNNING_SENTINEL))


def key_of(sender: str) -> str:
    """The citizen key of a sender id under the tests' identity key."""
    return SenderKeys(IDENTITY_KEY).key_for(sender)


@pytest_asyncio.fixture
async def open_store() -> AsyncIterator[Callable[[str], WhatsAppStore]]:
    """Factory of stores that are all closed after the test."""
    stores: list[WhatsAppStore] = []

    def factory(url: str) -> WhatsAppStore:
        stores.append(WhatsAppStore(url))
        return stores[-1]

    yield factory
    for store in stores:
        await store.close()


@pytest.fixture
def db_url(db_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the migrated database for one test."""
    target = tmp_path / "lalisa.db"
    shutil.copyfile(db_template, target)
    return f"sqlite:///{target}"


def free_socket() -> socket.socket:
    """A bound listening socket on a free local port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class FakeGraphServer:
    """The sandbox served on a local port."""

    url: str
    state: SandboxState
    settings: SandboxSettings
    app: web.Application

    def connect(self, webhook_url: str, status_webhooks: bool = True) -> None:
        """Points the simulator (and status webhooks) at a channel's webhook URL."""
        settings = replace(self.settings, webhook_url=webhook_url, status_webhooks=status_webhooks)
        self.settings = settings
        self.app[SIMULATOR_KEY].settings = settings
        self.app[GRAPH_KEY].settings = settings

    def inject_faults(
        self, rate: float, delay: float, seed: int, modes: tuple[str, ...] = FAULT_MODES
    ) -> None:
        """Answers ``rate`` of the message sends with a random fault (``SANDBOX_FAULT_*``)."""
        graph = self.app[GRAPH_KEY]
        graph.settings = replace(
            graph.settings, fault_rate=rate, fault_delay=delay, fault_modes=modes
        )
        graph.faults = random.Random(seed)

    async def fail(self, **failure: Any) -> None:
        """Queues an injected failure through the control endpoint."""
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.url}/_sandbox/fail", json=failure) as resp:
                assert resp.status == 200

    def sent(self, kind: str = "message") -> list[dict[str, Any]]:
        """Recorded Graph requests of one kind."""
        return [r for r in self.state.requests if r["kind"] == kind]


async def start_graph(
    webhook_url: str = "http://127.0.0.1:9/none", status_webhooks: bool = False
) -> Any:
    """Starts the sandbox app; returns ``(server, runner)``."""
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = SandboxSettings(
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        webhook_url=webhook_url,
        app_secret=SECRET,
        access_token=TOKEN,
        phone_number_id=PNID,
        status_webhooks=status_webhooks,
    )
    app = build_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    return FakeGraphServer(f"http://127.0.0.1:{port}", app[STATE_KEY], settings, app), runner


@pytest_asyncio.fixture
async def graph() -> AsyncIterator[FakeGraphServer]:
    """The fake Graph API (sandbox) on a free port."""
    server, runner = await start_graph()
    yield server
    await runner.cleanup()


def settings_for(graph_url: str, db: str, media_dir: Path, **overrides: Any) -> WhatsAppSettings:
    """Channel settings pointing at the fake Graph API."""
    values: dict[str, Any] = dict(
        verify_token=VERIFY,
        app_secrets=(SECRET, PREVIOUS_SECRET),
        access_token=TOKEN,
        phone_number_id=PNID,
        api_base_url=graph_url,
        api_version="v23.0",
        database_url=db,
        media_dir=media_dir,
    )
    values.update(overrides)
    return WhatsAppSettings(**values)


def fast_graph_client(settings: WhatsAppSettings, **kwargs: Any) -> GraphClient:
    """A Graph client with millisecond backoff and short timeouts."""
    options: dict[str, Any] = dict(
        backoff_base=0.005,
        timeout=aiohttp.ClientTimeout(total=1.0, connect=0.5),
    )
    options.update(kwargs)
    return GraphClient(
        settings.api_base_url,
        settings.api_version,
        settings.phone_number_id,
        settings.access_token,
        **options,
    )


@dataclass
class RecordingAgent:
    """Stands in for ``app.ctx.agent``: records messages, optionally replies."""

    messages: list[Any] = field(default_factory=list)
    reply: Callable[[Any], Awaitable[None]] | None = None

    async def handle_message(self, message: Any) -> None:
        self.messages.append(message)
        if self.reply is not None:
            await self.reply(message)


@dataclass
class ChannelServer:
    """The receiver and a worker in front of one database.

    The receiver is a real ``python -m lalisa.ingress`` process on a local port; the queue
    worker runs in this process, with a recording agent instead of Rasa.
    """

    url: str
    processor: Any
    worker: Any
    agent: RecordingAgent
    receiver: subprocess.Popen[bytes]
    log_path: Path
    session: aiohttp.ClientSession
    stop_event: asyncio.Event
    loop_task: asyncio.Future[Any]

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/whatsapp/webhook"

    def start_loop(self) -> None:
        """Starts the worker's loops (for a server made with ``run_loop=False``)."""
        self.loop_task = asyncio.ensure_future(self.worker.run(self.stop_event))

    def receiver_log(self) -> str:
        """What the receiver process logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def post(
        self,
        payload: Any,
        secret: str | None = SECRET,
        body: bytes | None = None,
        signature: str | None = None,
    ) -> aiohttp.ClientResponse:
        """Posts a (signed) webhook and returns the response (body already read)."""
        raw = body if body is not None else to_bytes(payload)
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        elif secret is not None:
            headers["X-Hub-Signature-256"] = sign(raw, secret)
        async with self.session.post(self.webhook, data=raw, headers=headers) as resp:
            await resp.read()
            return resp

    async def settle(self, timeout: float = 15.0) -> None:
        """Waits until the queue is empty and the worker finished its background work."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            try:
                pending = await self.processor.store.pending_count()
            except Exception:
                pending = 0  # a broken database (outage tests): nothing can be queued
            if pending == 0 and self.worker.in_flight == 0:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the queue did not drain")
        if self.processor._tasks:
            await asyncio.wait(list(self.processor._tasks), timeout=10)

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait([self.loop_task], timeout=10)
        await self.session.close()
        self.receiver.terminate()
        try:
            self.receiver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.receiver.kill()
            self.receiver.wait()
        await self.processor.close()


def receiver_env(database_url: str, port: int, tmp_path: Path) -> dict[str, str]:
    """The environment of a receiver process for the channel tests."""
    return {
        **os.environ,
        "LALISA_ENV_FILE": "",
        "LALISA_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "WHATSAPP_VERIFY_TOKEN": VERIFY,
        "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_APP_SECRET_PREVIOUS": PREVIOUS_SECRET,
        "WHATSAPP_PHONE_NUMBER_ID": PNID,
        "LALISA_RECEIVER_PORT": str(port),
    }


async def start_receiver(
    database_url: str, tmp_path: Path, name: str = "receiver"
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """Starts ``python -m lalisa.ingress`` on a free port; returns (process, URL, log file)."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    log_path = tmp_path / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(APP_PYTHON), "-m", "lalisa.ingress"],
            cwd=REPO,
            env=receiver_env(database_url, port, tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if process.poll() is not None:
                pytest.fail(f"receiver exited:\n{log_path.read_text()[-3000:]}")
            try:
                async with session.get(f"{url}/health") as resp:
                    await resp.read()
                    return process, url, log_path  # 503 too: it answers
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    process.kill()
    pytest.fail(f"receiver did not start:\n{log_path.read_text()[-3000:]}")


@pytest_asyncio.fixture
async def make_channel(
    db_url: str, tmp_path: Path, graph: FakeGraphServer
) -> AsyncIterator[Callable[..., Awaitable[ChannelServer]]]:
    """Factory of receiver + worker pairs (keyword arguments override the worker's settings)."""
    from lalisa_rasa.channels.whatsapp import WhatsAppProcessor
    from lalisa_rasa.worker import QueueWorker, WorkerSettings

    servers: list[ChannelServer] = []

    async def factory(**overrides: Any) -> ChannelServer:
        turn_recorded = overrides.pop("turn_recorded", None)
        run_loop = overrides.pop("run_loop", True)
        worker_settings = overrides.pop(
            "worker_settings", WorkerSettings(lease_seconds=30, poll_seconds=0.02)
        )
        database_url = overrides.pop("database_url", db_url)
        settings = settings_for(graph.url, database_url, tmp_path / "media", **overrides)
        client = fast_graph_client(settings)
        processor = WhatsAppProcessor(
            settings,
            graph=client,
            store=WhatsAppStore(settings.database_url),
            media=MediaDownloader(client, settings.media_dir),
        )
        agent = RecordingAgent()
        worker = QueueWorker(
            processor,
            agent.handle_message,
            name=f"test-worker-{len(servers)}",
            settings=worker_settings,
            concurrency=settings.max_concurrent_messages,
            turn_recorded=turn_recorded,
        )
        receiver, url, log_path = await start_receiver(database_url, tmp_path)
        stop_event = asyncio.Event()
        loop_task = asyncio.ensure_future(worker.run(stop_event) if run_loop else asyncio.sleep(0))
        running = ChannelServer(
            url,
            processor,
            worker,
            agent,
            receiver,
            log_path,
            aiohttp.ClientSession(),
            stop_event,
            loop_task,
        )
        servers.append(running)
        return running

    yield factory
    for running in servers:
        await running.stop()
