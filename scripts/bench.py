"""`make bench`: what the WhatsApp service sustains, measured from the outside.

Starts private stacks (``scripts/stack.py``: sandbox fake Graph API, action server, Rasa and,
once they exist, the webhook receiver and Rasa workers) and drives them the way Meta does:
webhooks signed with the app secret (``X-Hub-Signature-256``), POSTed over real HTTP to the
webhook URL the stack reports; the replies are read back from the fake Graph API's log of
sent messages. Scenarios, each printing a table:

1. ``ack``: deliveries at 50/200/500 per second for 60 s (a fresh stack per rate, because
   every accepted message leaves work behind); time to HTTP 200 and the deliveries lost:
   not accepted (Meta would retry) or accepted but missing from the inbound log.
2. ``throughput``: citizens in conversation at rising rates; the highest rate whose reply
   p95 stays <= 1 s is the capacity.
3. ``burst``: one message from each of many new citizens at 5x the capacity for 2 minutes,
   Meta-style redeliveries included; then wait for the backlog to drain and count the
   citizens answered not at all and the ones answered twice (both must be 0).
4. ``memory``: resident memory (RSS) of every process of the stack, idle and peak.

Profiles: ``sqlite`` (the default embedded stack), ``pg1`` (PostgreSQL + Redis, one Rasa
worker) and ``pg2`` (two workers). The worker count is passed as ``LALISA_RASA_WORKERS``;
the bench prints which processes actually ran, so a stack that does not know the variable
shows up as one Rasa process. ``--quick`` shrinks every duration for a smoke run.

This is a measurement, not a test: it prints what it reaches and exits 0. Figures depend on
the machine and on what else runs on it; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lalisa_common.whatsapp.signature import sign  # noqa: E402
from lalisa_common.whatsapp.tables import INBOUND_TABLE  # noqa: E402
from lalisa_rasa.channels.texts import reply_text  # noqa: E402 (plain texts, no Rasa import)
from scripts.cpu import CpuAccount, capacity_msg_per_s, per_message_ms  # noqa: E402
from scripts.stack import Stack, local_stack  # noqa: E402

TARGET_ACK_P99_MS = 50.0
TARGET_REPLY_P95_MS = 1000.0
TARGET_THROUGHPUT = 50.0
# What citizens say in the throughput scenario, turn by turn (answered without a form).
CONVERSATION = ("halo", "apa tugas satpol pp", "jam berapa kantor buka", "makasih")
BURST_TEXT = "halo"
# A citizen reads the reply before typing again; it also keeps a multi-message reply from
# being taken for the answer to the citizen's next message.
READ_PAUSE_S = 1.5
# Meta redelivers a webhook that was not acknowledged; the bench does so after this pause.
REDELIVERY_PAUSE_S = 5.0
REDELIVERY_ATTEMPTS = 3
# Share of burst deliveries that Meta sends twice although the first was acknowledged.
DUPLICATE_SHARE = 0.02
ACK_TIMEOUT_S = 20.0
# The back-pressure notice a new conversation gets while the queue is long (issue 12 item 3).
BUSY_TEXT = reply_text("busy")
# Keep-alive connections of the load generator (Meta also reuses its connections).
ACK_CONNECTIONS = 64


@dataclass(frozen=True)
class Profile:
    """A stack configuration to measure."""

    name: str
    title: str
    postgres: bool
    workers: int | None


PROFILES = {
    "sqlite": Profile("sqlite", "default embedded stack (SQLite)", postgres=False, workers=None),
    "pg1": Profile("pg1", "PostgreSQL + Redis, 1 Rasa worker", postgres=True, workers=1),
    "pg2": Profile("pg2", "PostgreSQL + Redis, 2 Rasa workers", postgres=True, workers=2),
}


# ---------------------------------------------------------------- figures and tables


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` percentile (0-1) of ``values``, nearest-rank; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def fmt(value: Any) -> str:
    """A table cell."""
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    return str(value)


def print_table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Prints a plain-text table."""
    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  " + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    for row in cells:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def load_note() -> str:
    """The machine's load, printed next to every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


@dataclass
class ReplyCount:
    """How the citizens of a burst were answered."""

    citizens: int
    answered_once: int
    unanswered: int
    incomplete: int
    duplicated: int


def count_replies(phones: Iterable[str], sent: dict[str, list[float]], expected: int) -> ReplyCount:
    """Classifies each citizen by the number of messages the bot sent them.

    Args:
        phones: The citizens, each of whom sent one message.
        sent: Send times of the bot's messages, by recipient.
        expected: Messages in one complete reply (measured on a calibration citizen).
    """
    counts = [len(sent.get(phone, ())) for phone in phones]
    return ReplyCount(
        citizens=len(counts),
        answered_once=sum(1 for n in counts if n == expected),
        unanswered=sum(1 for n in counts if n == 0),
        incomplete=sum(1 for n in counts if 0 < n < expected),
        duplicated=sum(1 for n in counts if n > expected),
    )


# ------------------------------------------------------------------- talking to a stack


class Webhook:
    """Signs and POSTs WhatsApp deliveries as Meta does."""

    def __init__(self, stack: Stack, client: httpx.AsyncClient | None = None) -> None:
        """Delivers to the webhook of ``stack`` with ``client`` (None: build requests only)."""
        self.url = webhook_url(stack)
        self.secret = stack.env["WHATSAPP_APP_SECRET"]
        self.phone_number_id = stack.env["WHATSAPP_PHONE_NUMBER_ID"]
        self.client = client

    def body(self, phone: str, wamid: str, text: str) -> bytes:
        """A text-message webhook body."""
        value = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "6285100000001",
                "phone_number_id": self.phone_number_id,
            },
            "contacts": [{"profile": {"name": "Warga"}, "wa_id": phone}],
            "messages": [
                {
                    "from": phone,
                    "id": wamid,
                    "timestamp": str(int(time.time())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA-BENCH", "changes": [{"field": "messages", "value": value}]}],
        }
        return json.dumps(payload).encode()

    def signed(self, phone: str, wamid: str, text: str) -> tuple[bytes, dict[str, str]]:
        """A delivery's body and headers, signed as Meta signs them."""
        raw = self.body(phone, wamid, text)
        return raw, {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(raw, self.secret),
        }

    async def deliver(self, phone: str, wamid: str, text: str) -> tuple[int | None, float, str]:
        """POSTs one delivery; returns (HTTP status or None, milliseconds, error kind)."""
        raw = self.body(phone, wamid, text)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(raw, self.secret),
        }
        started = time.perf_counter()
        assert self.client is not None, "a Webhook without a client only signs"
        try:
            response = await self.client.post(self.url, content=raw, headers=headers)
        except httpx.HTTPError as error:
            return None, (time.perf_counter() - started) * 1000, type(error).__name__
        return response.status_code, (time.perf_counter() - started) * 1000, ""


def webhook_url(stack: Stack) -> str:
    """The WhatsApp webhook URL the stack reports: the receiver's (Rasa keeps no webhook)."""
    return stack.webhook_url


class RawSender:
    """A cheap load generator: pre-built HTTP/1.1 requests over a pool of keep-alive sockets.

    The bench shares the machine's cores with the stack it measures, so the sender must cost
    little: no HTTP client library per request (httpx with thousands of pooled connections
    spent most of a core at 200/s and fell behind), the body signed before the clock starts,
    and a fixed pool of connections reused for every request. A request waits for a free
    connection when all are busy; that wait counts in its latency (measured from the moment
    it was due), as a real sender's queue would.
    """

    def __init__(self, url: str, connections: int = 64, timeout: float = ACK_TIMEOUT_S) -> None:
        """Targets ``url`` (``http://host:port/path``) with up to ``connections`` sockets."""
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.path = parsed.path or "/"
        self.timeout = timeout
        self._idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = (
            asyncio.Queue()
        )
        for _ in range(connections):
            self._idle.put_nowait(None)  # a slot; the socket is opened on first use

    def request(self, body: bytes, headers: dict[str, str]) -> bytes:
        """The complete request bytes of a POST of ``body`` (build them before timing)."""
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    async def _exchange(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
    ) -> tuple[int, bool]:
        reader, writer = conn
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length, keep = 0, True
        for line in header_lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value.strip())
            elif name == "connection" and value.strip().lower() == "close":
                keep = False
        if length:
            await reader.readexactly(length)
        return status, keep

    async def post(self, request: bytes, due: float | None = None) -> tuple[int | None, float, str]:
        """Sends one pre-built request; (HTTP status or None, ms since ``due``, error kind)."""
        started = due if due is not None else time.perf_counter()
        conn = await self._idle.get()
        keep = False
        try:
            if conn is None:
                conn = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), self.timeout
                )
            status, keep = await asyncio.wait_for(self._exchange(conn, request), self.timeout)
            return status, (time.perf_counter() - started) * 1000, ""
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as error:
            return None, (time.perf_counter() - started) * 1000, type(error).__name__
        finally:
            if not keep and conn is not None:
                conn[1].close()
                conn = None
            self._idle.put_nowait(conn)

    async def close(self) -> None:
        """Closes every pooled socket."""
        while not self._idle.empty():
            conn = self._idle.get_nowait()
            if conn is not None:
                conn[1].close()


@dataclass
class CpuMeter:
    """CPU time this (bench) process spent during a scenario, as a share of one core."""

    started_cpu: float = field(default_factory=time.process_time)
    started_wall: float = field(default_factory=time.perf_counter)

    def share(self) -> float:
        """Percent of one core used since the meter was made."""
        wall = time.perf_counter() - self.started_wall
        return 100 * (time.process_time() - self.started_cpu) / wall if wall > 0 else 0.0


class SentLog:
    """Reads the fake Graph API's log of sent messages, each request once."""

    def __init__(self, stack: Stack, client: httpx.AsyncClient) -> None:
        """Reads the sandbox of ``stack`` with ``client``."""
        self.url = f"{stack.sandbox_url}/_sandbox/requests"
        self.client = client
        self.since = 0
        self.by_phone: dict[str, list[float]] = {}
        self.notices: dict[str, int] = {}
        self.total = 0
        self._polling = asyncio.Lock()

    async def poll(self) -> None:
        """Fetches the messages sent since the last poll.

        One poll at a time: the background poller and a scenario's own polls used to ask with
        the same ``since`` at once and both counted the answer, so citizens looked answered
        twice (the "duplicated" replies of the earlier burst runs).
        """
        async with self._polling:
            response = await self.client.get(
                self.url, params={"kind": "message", "since": self.since}
            )
            response.raise_for_status()
            self.since = int(response.headers.get("X-Sandbox-Next", self.since))
            self.record(response.json())

    def record(self, items: list[dict[str, Any]]) -> None:
        """Counts recorded Graph requests: replies by citizen, busy notices apart."""
        for item in items:
            body = item.get("json") or {}
            phone = "".join(ch for ch in str(body.get("to", "")) if ch.isdigit())
            if not phone:
                continue
            self.total += 1
            text = (body.get("text") or {}).get("body") if isinstance(body, dict) else None
            if text == BUSY_TEXT:
                # The honest "sedang ramai" notice of back pressure: not an answer, not a
                # duplicate; counted on its own.
                self.notices[phone] = self.notices.get(phone, 0) + 1
                continue
            self.by_phone.setdefault(phone, []).append(float(item["time"]))

    async def run(self, stop: asyncio.Event, every: float = 0.2) -> None:
        """Polls until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.poll()
            except httpx.HTTPError:
                pass  # the sandbox is busy; the next poll catches up
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except asyncio.TimeoutError:
                pass

    async def wait_quiet(self, quiet: float, timeout: float) -> float:
        """Waits until no message was sent for ``quiet`` seconds; returns the seconds waited."""
        started = time.monotonic()
        last_total, last_change = -1, time.monotonic()
        while time.monotonic() - started < timeout:
            await self.poll()
            if self.total != last_total:
                last_total, last_change = self.total, time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                break
            await asyncio.sleep(0.25)
        return time.monotonic() - started


# ------------------------------------------------------------------------- memory


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(p) for p in task.read_text().split())
        except OSError:
            continue
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except OSError:
            continue
        pending.extend(_children(current))
    return total_kb / 1024


@dataclass
class MemorySampler:
    """Samples the RSS of every process of a stack once a second."""

    stack: Stack
    idle: dict[str, float] = field(default_factory=dict)
    peak: dict[str, float] = field(default_factory=dict)
    peak_total: float = 0.0

    def sample(self) -> dict[str, float]:
        """One sample, by process name; updates the peaks."""
        now = {name: tree_rss_mb(p.pid) for name, p in self.stack.processes.items()}
        for name, mb in now.items():
            self.peak[name] = max(self.peak.get(name, 0.0), mb)
        self.peak_total = max(self.peak_total, sum(now.values()))
        return now

    async def run(self, stop: asyncio.Event) -> None:
        """Samples until ``stop`` is set; the first sample is the idle figure."""
        self.idle = self.sample()
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                self.sample()


# ------------------------------------------------------------------------- stacks


async def _postgres(admin_url: str, statement: str) -> None:
    import asyncpg  # noqa: PLC0415 (the app environment has it; only the pg profiles need it)

    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


def topology(stack: Stack, profile: Profile) -> str:
    """Which processes actually run, and how many of them run Rasa."""
    rasa = [
        name
        for name, command in stack.commands.items()
        if any(part.startswith("lalisa_rasa") for part in command)
    ]
    requested = stack.env.get("LALISA_RASA_WORKERS", "unset")
    return (
        f"{profile.title}: processes {', '.join(stack.commands)}; "
        f"{len(rasa)} Rasa process(es) ({', '.join(rasa)}); LALISA_RASA_WORKERS={requested}; "
        f"webhook {webhook_url(stack)}"
    )


@asynccontextmanager
async def profile_stack(profile: Profile, args: argparse.Namespace) -> AsyncIterator[Stack]:
    """A fresh stack of ``profile`` on fresh databases."""
    extra = {"SANDBOX_STATUS_WEBHOOKS": "0"}
    with tempfile.TemporaryDirectory(prefix="lalisa-bench-") as tmp:
        work = Path(tmp)
        database = f"bench_{uuid.uuid4().hex[:10]}"
        if profile.postgres:
            await _postgres(args.postgres_url, f'CREATE DATABASE "{database}"')
            url = _with_database(args.postgres_url, database)
            database_url, tracker_url = url, url
            extra["REDIS_URL"] = args.redis_url
        else:
            database_url = f"sqlite:///{work / 'lalisa.db'}"
            tracker_url = f"sqlite:///{work / 'tracker.db'}"
        if profile.workers is not None:
            extra["LALISA_RASA_WORKERS"] = str(profile.workers)
        try:
            with local_stack(
                work, database_url=database_url, tracker_url=tracker_url, extra_env=extra
            ) as stack:
                print(f"\n== {topology(stack, profile)}")
                try:
                    yield stack
                finally:
                    # The next step must not share the cores with this stack's backlog.
                    left = await queued_messages(database_url)
                    stopping = time.monotonic()
            running = [name for name, p in stack.processes.items() if p.poll() is None]
            print(
                f"  stack stopped in {time.monotonic() - stopping:.1f} s; "
                f"{left} queued message(s) abandoned"
                + (f"; STILL RUNNING: {', '.join(running)}" if running else "")
            )
            if args.keep:
                kept = args.keep / f"{profile.name}-{database}"
                shutil.copytree(work, kept, ignore=shutil.ignore_patterns("media", "var"))
                print(f"  logs and databases kept in {kept}")
        finally:
            if profile.postgres:
                await _postgres(args.postgres_url, f'DROP DATABASE IF EXISTS "{database}"')


async def queued_messages(database_url: str) -> int:
    """Messages still waiting for or held by a worker (-1 when the database cannot tell)."""
    from sqlalchemy import text  # noqa: PLC0415

    from lalisa.core.db import create_engine_for_url  # noqa: PLC0415

    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    f"SELECT count(*) FROM {INBOUND_TABLE} "
                    "WHERE status IN ('received', 'processing')"
                )
            )
            return int(result.scalar_one())
    except Exception:
        return -1
    finally:
        await engine.dispose()


async def postgres_backends(database_url: str) -> list[int]:
    """Server pids of the connections to ``database_url``'s database (PostgreSQL on this host).

    Their CPU is the stack's too (queries, commits); empty for SQLite or when the server
    cannot be asked. The bench's own short-lived connections are not among them.
    """
    if not database_url.startswith("postgresql"):
        return []
    from sqlalchemy import text  # noqa: PLC0415

    from lalisa.core.db import create_engine_for_url  # noqa: PLC0415

    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return [int(pid) for pid in result.scalars()]
    except Exception:
        return []
    finally:
        await engine.dispose()


async def stack_cpu_account(stack: Stack) -> CpuAccount:
    """A started CPU account of every process of ``stack`` (and its PostgreSQL backends)."""
    account = CpuAccount(
        {name: process.pid for name, process in stack.processes.items()},
        extra={"postgres": await postgres_backends(stack.database_url)},
    )
    account.start()
    return account


async def stack_cpu_spent(stack: Stack, account: CpuAccount) -> dict[str, float]:
    """CPU seconds per process since ``account`` started (backends connected since included)."""
    if account.extra.get("postgres"):
        account.extra = {"postgres": await postgres_backends(stack.database_url)}
    spent = account.stop()
    if not spent.get("postgres"):
        spent.pop("postgres", None)
    return spent


async def logged_wamids(database_url: str, prefix: str) -> int:
    """How many inbound messages whose id starts with ``prefix`` the inbound log holds."""
    from sqlalchemy import text  # noqa: PLC0415

    from lalisa.core.db import create_engine_for_url  # noqa: PLC0415

    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(f"SELECT count(*) FROM {INBOUND_TABLE} WHERE wamid LIKE :prefix"),
                {"prefix": f"{prefix}%"},
            )
            return int(result.scalar_one())
    finally:
        await engine.dispose()


def client(connections: int, timeout: float) -> httpx.AsyncClient:
    """An HTTP client with room for ``connections`` requests in flight."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(timeout=timeout, limits=limits)


# ---------------------------------------------------------------------- scenarios


async def paced(count: int, rate: float, fire: Any) -> tuple[list[asyncio.Task[None]], float]:
    """Calls ``fire(index, due)`` ``count`` times at ``rate``/s; returns the tasks and seconds.

    One timer per tick, never a sleep per request: when the loop wakes late it fires every
    request that is due at once (each still timed from the moment it was due).
    """
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    index = 0
    while index < count:
        now = time.perf_counter()
        while index < count and start + index / rate <= now:
            tasks.append(asyncio.create_task(fire(index, start + index / rate)))
            index += 1
        if index < count:
            await asyncio.sleep(max(0.0, start + index / rate - time.perf_counter()))
    return tasks, time.perf_counter() - start


async def scenario_ack(stack: Stack, rate: int, seconds: float, citizens: int) -> dict[str, Any]:
    """Deliveries at ``rate``/s for ``seconds``; acknowledgement latency and losses."""
    run = uuid.uuid4().hex[:10]
    prefix = f"wamid.BENCH-ACK-{run}-"
    latencies: list[float] = []
    accepted = rejected = failed = 0
    hook = Webhook(stack)
    sender = RawSender(hook.url, connections=ACK_CONNECTIONS)
    count = int(rate * seconds)
    # Signed before the clock starts: the sender's per-request work is a socket write.
    requests = [
        sender.request(*hook.signed(f"6289{index % citizens:09d}", f"{prefix}{index}", BURST_TEXT))
        for index in range(count)
    ]

    async def one(index: int, due: float) -> None:
        nonlocal accepted, rejected, failed
        status, ms, _ = await sender.post(requests[index], due)
        if status is None:
            failed += 1
        elif status == 200:
            accepted += 1
            latencies.append(ms)
        else:
            rejected += 1

    cpu = CpuMeter()
    tasks, sent_in = await paced(count, rate, one)
    await asyncio.gather(*tasks)
    bench_cpu = cpu.share()
    await sender.close()
    logged = await logged_wamids(stack.database_url, prefix)
    return {
        "rate": rate,
        "sent": len(tasks),
        "offered/s": len(tasks) / sent_in if sent_in else float("nan"),
        "p50 ms": percentile(latencies, 0.50),
        "p99 ms": percentile(latencies, 0.99),
        "max ms": max(latencies, default=float("nan")),
        "not accepted": rejected + failed,
        "accepted, not logged": max(0, accepted - logged),
        "bench cpu %": bench_cpu,
        "load": os.getloadavg()[0],
    }


@dataclass
class Citizen:
    """A simulated citizen in the throughput scenario."""

    phone: str
    turn: int = 0
    waiting_since: float | None = None
    replies_before: int = 0
    idle_at: float = 0.0


async def conversation_step(
    stack: Stack, log: SentLog, hook: Webhook, rate: float, seconds: float, run: str
) -> dict[str, Any]:
    """Citizens converse at ``rate`` messages/s for ``seconds``; reply latency and rate."""
    citizens: list[Citizen] = []
    numbers = itertools.count()
    latencies: list[float] = []
    waiting: list[Citizen] = []
    not_accepted = 0

    def idle_citizen(now: float) -> Citizen:
        for citizen in citizens:
            if citizen.waiting_since is None and citizen.idle_at <= now:
                return citizen
        citizen = Citizen(phone=f"6287{run}{next(numbers):06d}")
        citizens.append(citizen)
        return citizen

    def collect(now: float) -> None:
        for citizen in list(waiting):
            times = log.by_phone.get(citizen.phone, [])
            if len(times) > citizen.replies_before and citizen.waiting_since is not None:
                first = times[citizen.replies_before]
                latencies.append((first - citizen.waiting_since) * 1000)
                citizen.waiting_since = None
                citizen.idle_at = now + READ_PAUSE_S
                waiting.remove(citizen)

    async def send(citizen: Citizen) -> None:
        nonlocal not_accepted
        text = CONVERSATION[citizen.turn % len(CONVERSATION)]
        citizen.turn += 1
        wamid = f"wamid.BENCH-CONV-{run}-{citizen.phone}-{citizen.turn}"
        status, _, _ = await hook.deliver(citizen.phone, wamid, text)
        if status != 200:
            not_accepted += 1

    tasks: list[asyncio.Task[None]] = []
    account = await stack_cpu_account(stack)
    bench_cpu = CpuMeter()
    start = time.perf_counter()
    for index in range(max(1, int(rate * seconds))):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.time()
        collect(now)
        citizen = idle_citizen(now)
        citizen.replies_before = len(log.by_phone.get(citizen.phone, []))
        citizen.waiting_since = now
        waiting.append(citizen)
        tasks.append(asyncio.create_task(send(citizen)))
    await asyncio.gather(*tasks)
    sending = time.perf_counter() - start
    deadline = time.monotonic() + 30
    while waiting and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        collect(time.time())
    elapsed = time.perf_counter() - start
    cpu = per_message_ms(await stack_cpu_spent(stack, account), len(latencies))
    return {
        "rate": rate,
        "messages": len(tasks),
        "replies/s": len(latencies) / elapsed if elapsed else float("nan"),
        "p50 ms": percentile(latencies, 0.50),
        "p95 ms": percentile(latencies, 0.95),
        "p99 ms": percentile(latencies, 0.99),
        "unanswered": len(waiting),
        "not accepted": not_accepted,
        "citizens": len(citizens),
        "sending s": sending,
        "cpu ms/msg": cpu["total"],
        "2-core capacity/s": capacity_msg_per_s(cpu["total"]),
        "bench cpu %": bench_cpu.share(),
        "load": os.getloadavg()[0],
        "cpu": cpu,
    }


IDLE_SECONDS = 10.0


async def idle_cpu(stack: Stack, seconds: float) -> dict[str, Any]:
    """The stack's CPU use without traffic (queue polling, timers), in % of one core.

    Shown next to the per-message figures: at a low rate the idle work is a large part of
    the CPU per message, at a high rate a small one.
    """
    account = await stack_cpu_account(stack)
    await asyncio.sleep(seconds)
    spent = await stack_cpu_spent(stack, account)
    cpu = {name: 100 * value / seconds for name, value in spent.items()}
    cpu["total"] = sum(cpu.values())
    return {"rate": "idle (cpu %)", "cpu": cpu, "load": os.getloadavg()[0]}


def passed(step: dict[str, Any]) -> bool:
    """A throughput step passes when every message was answered with p95 <= 1 s."""
    p95 = step["p95 ms"]
    return bool(
        step["unanswered"] == 0 and step["not accepted"] == 0 and p95 == p95 and p95 <= 1000
    )


async def scenario_throughput(
    stack: Stack, log: SentLog, rates: Sequence[float], seconds: float
) -> tuple[list[dict[str, Any]], float, dict[str, Any]]:
    """Rising conversation rates until p95 exceeds 1 s.

    Returns:
        The steps, the capacity and the stack's idle CPU use (measured first).
    """
    steps: list[dict[str, Any]] = []
    capacity = 0.0
    run = f"{uuid.uuid4().int % 10**3:03d}"
    async with client(1000, ACK_TIMEOUT_S) as http:
        hook = Webhook(stack, http)
        idle = await idle_cpu(stack, IDLE_SECONDS)
        print(
            f"  idle stack for {IDLE_SECONDS:g} s: cpu % of a core "
            f"({', '.join(f'{k} {fmt(v)}' for k, v in idle['cpu'].items() if k != 'total')}; "
            f"total {fmt(idle['cpu']['total'])}) ({load_note()})"
        )
        for index, rate in enumerate(rates):
            step = await conversation_step(stack, log, hook, rate, seconds, f"{run}{index}")
            steps.append(step)
            print(
                f"  throughput step {rate}/s: p95 {fmt(step['p95 ms'])} ms, "
                f"cpu {fmt(step['cpu ms/msg'])} ms/msg "
                f"({', '.join(f'{k} {fmt(v)}' for k, v in step['cpu'].items() if k != 'total')}) "
                f"({load_note()})"
            )
            if not passed(step):
                break
            capacity = rate
            await log.wait_quiet(quiet=3, timeout=120)
    return steps, capacity, idle


async def calibrate(stack: Stack, log: SentLog, hook: Webhook) -> int:
    """Messages in the bot's complete answer to a new citizen's ``BURST_TEXT``."""
    phone = f"6286{uuid.uuid4().int % 10**9:09d}"
    await hook.deliver(phone, f"wamid.BENCH-CAL-{uuid.uuid4().hex}", BURST_TEXT)
    await log.wait_quiet(quiet=5, timeout=120)
    return len(log.by_phone.get(phone, []))


async def scenario_burst(
    stack: Stack, log: SentLog, rate: float, seconds: float, drain_timeout: float
) -> dict[str, Any]:
    """New citizens at ``rate``/s for ``seconds``, Meta's redeliveries included; then drain."""
    run = f"{uuid.uuid4().int % 10**3:03d}"
    latencies: list[float] = []
    gave_up = redelivered = 0
    async with client(10, ACK_TIMEOUT_S) as http:
        expected = await calibrate(stack, log, Webhook(stack, http))
    hook = Webhook(stack)
    sender = RawSender(hook.url, connections=ACK_CONNECTIONS)
    count = max(1, int(rate * seconds))
    phones = [f"6285{run}{index:07d}" for index in range(count)]
    # Meta redelivers the same signed body; build each once, before the clock starts.
    requests = [
        sender.request(*hook.signed(phone, f"wamid.BENCH-BURST-{run}-{index}", BURST_TEXT))
        for index, phone in enumerate(phones)
    ]
    every = max(1, round(1 / DUPLICATE_SHARE))

    async def deliver(index: int, due: float) -> None:
        nonlocal gave_up, redelivered
        for attempt in range(REDELIVERY_ATTEMPTS):
            status, ms, _ = await sender.post(requests[index], due if attempt == 0 else None)
            if status == 200:
                latencies.append(ms)
                break
            redelivered += 1
            await asyncio.sleep(REDELIVERY_PAUSE_S * (attempt + 1))
        else:
            gave_up += 1
            return
        if index % every == 0:
            redelivered += 1
            await asyncio.sleep(1.0)
            await sender.post(requests[index])

    cpu = CpuMeter()
    tasks, _ = await paced(count, rate, deliver)
    await asyncio.gather(*tasks)
    bench_cpu = cpu.share()
    await sender.close()
    burst_end = time.time()

    drain_started = time.monotonic()
    last_progress, last_total = time.monotonic(), -1
    while time.monotonic() - drain_started < drain_timeout:
        await log.poll()
        tally = count_replies(phones, log.by_phone, expected)
        if tally.unanswered == 0 and tally.incomplete == 0:
            break
        if log.total != last_total:
            last_total, last_progress = log.total, time.monotonic()
        elif time.monotonic() - last_progress > 120:
            break  # nothing sent for two minutes: the rest will not come
        await asyncio.sleep(1.0)
    await log.wait_quiet(quiet=5, timeout=60)  # late duplicates still count
    tally = count_replies(phones, log.by_phone, expected)
    doubled = [p for p in phones if len(log.by_phone.get(p, ())) > expected]
    if doubled:
        print(f"  duplicated replies to: {', '.join(doubled[:20])}")
    last_reply = max((t for p in phones for t in log.by_phone.get(p, [])), default=burst_end)
    return {
        "rate": rate,
        "citizens": tally.citizens,
        "ack p50 ms": percentile(latencies, 0.50),
        "ack p99 ms": percentile(latencies, 0.99),
        "redeliveries": redelivered,
        "never accepted": gave_up,
        "drain s": max(0.0, last_reply - burst_end),
        "answered once": tally.answered_once,
        "unanswered": tally.unanswered,
        "incomplete": tally.incomplete,
        "duplicated": tally.duplicated,
        "busy notices": sum(log.notices.get(phone, 0) for phone in phones),
        "reply msgs": expected,
        "bench cpu %": bench_cpu,
        "load": os.getloadavg()[0],
    }


# ---------------------------------------------------------------------------- run


def show(title: str, rows: list[dict[str, Any]], target: str) -> None:
    """Prints scenario rows as a table with the target under it."""
    if not rows:
        return
    headers = [key for key, value in rows[0].items() if not isinstance(value, dict)]
    print_table(title, headers, [[r.get(h, float("nan")) for h in headers] for r in rows])
    print(f"  target: {target}")


def show_cpu(title: str, steps: list[dict[str, Any]], *, capacity: bool = True) -> None:
    """Prints the CPU milliseconds per answered message of every process, per step.

    Capacity on 2 idle cores is 2,000 ms / the total: what the stack could serve if it had
    the machine to itself, whatever the neighbours took while the step ran.
    """
    steps = [step for step in steps if isinstance(step.get("cpu"), dict)]
    if not steps:
        return
    names: list[str] = []
    for step in steps:
        names.extend(name for name in step["cpu"] if name not in names and name != "total")
    headers = ["rate", *names, "total", *(["2-core capacity/s"] if capacity else [])]
    rows = [
        [
            step["rate"],
            *(step["cpu"].get(name, float("nan")) for name in names),
            step["cpu"]["total"],
            *([capacity_msg_per_s(step["cpu"]["total"])] if capacity else []),
        ]
        for step in steps
    ]
    print_table(title, headers, rows)


async def run_profile(profile: Profile, args: argparse.Namespace) -> dict[str, Any]:
    """Runs the chosen scenarios on fresh stacks of ``profile``."""
    figures: dict[str, Any] = {"profile": profile.name}
    memory: list[dict[str, Any]] = []

    samplers: set[asyncio.Task[None]] = set()

    async def sampled(stack: Stack) -> tuple[MemorySampler, asyncio.Event]:
        sampler, stop = MemorySampler(stack), asyncio.Event()
        task = asyncio.create_task(sampler.run(stop))
        samplers.add(task)
        task.add_done_callback(samplers.discard)
        await asyncio.sleep(0)  # the idle sample, before any traffic
        figures.setdefault("topology", topology(stack, profile))
        return sampler, stop

    def remember(sampler: MemorySampler, label: str) -> None:
        for name in sampler.peak:
            memory.append(
                {
                    "scenario": label,
                    "process": name,
                    "idle MB": sampler.idle.get(name, float("nan")),
                    "peak MB": sampler.peak[name],
                }
            )
        memory.append(
            {
                "scenario": label,
                "process": "whole stack",
                "idle MB": sum(sampler.idle.values()),
                "peak MB": sampler.peak_total,
            }
        )

    if "ack" in args.scenarios:
        rows = []
        for rate in args.ack_rates:
            try:
                async with profile_stack(profile, args) as stack:
                    sampler, stop = await sampled(stack)
                    row = await scenario_ack(stack, rate, args.ack_seconds, args.ack_citizens)
                    stop.set()
                    remember(sampler, f"ack {rate}/s")
            except RuntimeError as error:  # a stack that did not start on a busy machine
                print(f"  ack at {rate}/s skipped: {str(error).splitlines()[0]}")
                continue
            rows.append(row)
            print(f"  ack at {rate}/s: {json.dumps(row)}")
        show(
            f"[{profile.name}] 1. Webhook acknowledgement, {args.ack_seconds:g} s per rate",
            rows,
            f"p99 <= {TARGET_ACK_P99_MS:g} ms at 200/s, 0 lost",
        )
        figures["ack"] = rows

    if {"throughput", "burst"} & set(args.scenarios):
        try:
            await conversations(profile, args, figures, sampled, remember)
        except RuntimeError as error:
            print(f"  conversations skipped: {str(error).splitlines()[0]}")

    show(
        f"[{profile.name}] 4. Memory (RSS, process and children)",
        memory,
        "whole stack fits the machine",
    )
    figures["memory"] = memory
    return figures


async def conversations(
    profile: Profile,
    args: argparse.Namespace,
    figures: dict[str, Any],
    sampled: Any,
    remember: Any,
) -> None:
    """Scenarios 2 and 3 on one stack: the burst is sized by the capacity found."""
    async with profile_stack(profile, args) as stack, client(50, 30) as http:
        sampler, stop = await sampled(stack)
        log = SentLog(stack, http)
        stop_log = asyncio.Event()
        poller = asyncio.create_task(log.run(stop_log))
        capacity = args.capacity or 0.0
        if "throughput" in args.scenarios:
            steps, found, idle = await scenario_throughput(
                stack, log, args.rates, args.step_seconds
            )
            show(
                f"[{profile.name}] 2. Sustained conversations, {args.step_seconds:g} s per rate",
                steps,
                f">= {TARGET_THROUGHPUT:g} msg/s with reply p95 <= "
                f"{TARGET_REPLY_P95_MS:g} ms (pg2)",
            )
            show_cpu(f"[{profile.name}] 2b. CPU ms per answered message, by process", steps)
            show_cpu(
                f"[{profile.name}] 2c. CPU of the idle stack, % of one core",
                [idle],
                capacity=False,
            )
            print(f"  capacity (highest rate with p95 <= 1 s, all answered): {found:g} msg/s")
            figures["throughput"] = steps
            figures["idle cpu %"] = idle["cpu"]
            figures["capacity"] = found
            capacity = args.capacity or found
        if "burst" in args.scenarios:
            # A stack that never met the target gets a burst at 5x its lowest step.
            base = capacity or min(args.rates)
            await log.wait_quiet(quiet=3, timeout=300)
            burst = await scenario_burst(
                stack, log, args.burst_factor * base, args.burst_seconds, args.drain_timeout
            )
            show(
                f"[{profile.name}] 3. Burst at {args.burst_factor:g}x capacity "
                f"({args.burst_factor * base:g}/s) for {args.burst_seconds:g} s, then drain",
                [burst],
                "0 unanswered, 0 duplicated",
            )
            figures["burst"] = burst
        stop_log.set()
        await poller
        stop.set()
        remember(sampler, "conversations")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options; ``--quick`` replaces the durations with small ones."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="sqlite,pg1,pg2", help="sqlite, pg1, pg2")
    parser.add_argument("--scenarios", default="ack,throughput,burst")
    parser.add_argument("--ack-rates", default="50,200,500")
    parser.add_argument("--ack-seconds", type=float, default=60)
    parser.add_argument("--ack-citizens", type=int, default=500, help="senders, round robin")
    parser.add_argument("--rates", default="5,10,15,20,30,40,50,60,80,100")
    parser.add_argument("--step-seconds", type=float, default=30)
    parser.add_argument("--capacity", type=float, default=0, help="skip the search's result")
    parser.add_argument("--burst-factor", type=float, default=5)
    parser.add_argument("--burst-seconds", type=float, default=120)
    parser.add_argument("--drain-timeout", type=float, default=1800)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="server where the pg profiles create (and drop) a database of their own",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11"),
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--keep", type=Path, help="copy each stack's logs and SQLite databases into this folder"
    )
    parser.add_argument("--quick", action="store_true", help="seconds instead of minutes")
    args = parser.parse_args(argv)
    if args.quick:
        args.ack_seconds = min(args.ack_seconds, 3)
        args.step_seconds = min(args.step_seconds, 5)
        args.burst_seconds = min(args.burst_seconds, 5)
        args.drain_timeout = min(args.drain_timeout, 300)
        if args.rates == parser.get_default("rates"):
            args.rates = "2,5"
    args.profiles = [PROFILES[name.strip()] for name in args.profiles.split(",") if name.strip()]
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    args.ack_rates = [int(r) for r in str(args.ack_rates).split(",") if r.strip()]
    args.rates = [float(r) for r in str(args.rates).split(",") if r.strip()]
    return args


async def run(args: argparse.Namespace) -> None:
    """Runs every profile and prints the figures."""
    print(f"La-Lisa bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {load_note()}")
    print("Figures depend on the machine and on what else runs on it.")
    results = []
    for profile in args.profiles:
        results.append(await run_profile(profile, args))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"\nDone; {load_note()}")


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point (on uvloop when installed: a cheaper sender)."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        asyncio.run(run(parse_args(argv)))
    else:
        uvloop.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
