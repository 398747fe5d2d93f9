"""``python -m lalisa_rasa.worker [--model M]``: a Rasa worker that drains the WhatsApp queue.

Each worker process loads the model once (with the endpoints of ``endpoints.yml``: tracker
store, lock store, action server) and loops: lease the next queued message in per-citizen
order → run the turn with the WhatsApp output channel → record the outcome. Several loops run
in one process (``WHATSAPP_MAX_CONCURRENT``) and several processes may run on several machines
(``LALISA_RASA_WORKERS``; more than one needs PostgreSQL and the Redis lock store).

Delivery is at least once: a worker killed mid-turn leaves its lease to run out, and another
worker takes the message again. The effect is exactly once: before a re-claimed message is
run, the tracker is searched for a user event with its message id (the turn was saved: only
the outcome is recorded), and every reply is keyed by ``(wamid, n)``, so a turn run again sends
none of the replies that already went out; a ticket's submission key is the message id too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sanic.app  # noqa: F401 (installs sanic's warning filter now, so ours can go in front)

from lalisa_common.logs import configure_logging
from lalisa_common.quiet import ignore_known_third_party_warnings

ignore_known_third_party_warnings()

import uvloop  # noqa: E402
from rasa.core.agent import load_agent  # noqa: E402 (after the filters: importing Rasa warns)
from rasa.core.utils import AvailableEndpoints  # noqa: E402
from rasa.model import get_local_model  # noqa: E402
from rasa.shared.core.events import UserUttered  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402
from rasa.utils.tensorflow.environment import setup_tf_environment  # noqa: E402
from redis import Redis  # noqa: E402

from lalisa_common.database import is_postgresql, tracker_database_url  # noqa: E402
from lalisa_common.env import SettingsError, env_float, env_int, env_value, read_env  # noqa: E402
from lalisa_common.whatsapp.payload import parse_message  # noqa: E402
from lalisa_common.whatsapp.queue import ClaimedMessage  # noqa: E402
from lalisa_rasa import remote_actions  # noqa: E402
from lalisa_rasa.channels.config import ConfigurationError, WhatsAppSettings  # noqa: E402
from lalisa_rasa.channels.whatsapp import (  # noqa: E402
    INFRASTRUCTURE_ERRORS,
    OnNewMessage,
    WhatsAppProcessor,
)
from lalisa_rasa.launch import ACTION_SECRET_VARIABLE  # noqa: E402

logger = logging.getLogger(__name__)

#: Printed once the model is loaded and the loop runs (process managers wait for it).
STARTED = "Rasa worker started"
DEFAULT_LEASE_SECONDS = 120
DEFAULT_POLL_SECONDS = 0.1
DEFAULT_BUSY_LIMIT = 200
#: Pause after a shared store failed (Redis, database), before the message is tried again.
OUTAGE_PAUSE_SECONDS = 2.0
#: Busy notices sent per check at most.
BUSY_BATCH = 50
#: CPU priority a worker gives up (``os.nice``), none by default. Niced (10) workers lost the
#: CPU to every process of their session (receiver, action server, and on the bench the fake
#: Graph API and the load generator): pg2 at 50 msg/s answered with p95 965-1,497 ms against
#: 288 ms at 0, while the acknowledgement's p99 at 200/s moved within the noise (87-92 ms at
#: 10, 78-115 ms at 0, load 15; docs/benchmarks.md). A waking receiver preempts a busy worker
#: at equal priority anyway; nice matters only for a process that stays runnable. Nice also
#: weighs only inside one session (Linux autogroups), so it never acted between systemd units.
DEFAULT_NICE = 0

TurnRecorded = Callable[[str, str], Awaitable[bool]]


class WorkerConfigurationError(SettingsError):
    """The configuration cannot run the requested workers safely."""


@dataclass(frozen=True)
class WorkerSettings:
    """How the workers run.

    Attributes:
        workers: ``LALISA_RASA_WORKERS``, worker processes in the deployment (default 1).
        lease_seconds: ``LALISA_QUEUE_LEASE_SECONDS``: a message whose worker died is taken
            again after this long (the lease is renewed while a turn runs).
        poll_seconds: ``LALISA_QUEUE_POLL_SECONDS``: pause when the queue is empty.
        busy_limit: ``LALISA_QUEUE_BUSY_LIMIT``: above this many queued messages a new
            conversation's first message gets the "sedang ramai" notice at once.
        nice: ``LALISA_RASA_WORKER_NICE``: niceness the worker process adds to itself
            (default 0, the inherited priority; see :data:`DEFAULT_NICE`).
    """

    workers: int = 1
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    poll_seconds: float = DEFAULT_POLL_SECONDS
    busy_limit: int = DEFAULT_BUSY_LIMIT
    nice: int = DEFAULT_NICE

    @classmethod
    def from_env(cls, env: Mapping[str, str | None]) -> WorkerSettings:
        """Reads the settings and refuses a scale-out without its shared stores.

        Raises:
            WorkerConfigurationError: A wrong number, or more than one worker without
                PostgreSQL (queue and trackers) and ``REDIS_URL`` (lock store).
        """
        settings = cls(
            workers=env_int(env, "LALISA_RASA_WORKERS", 1, minimum=1),
            lease_seconds=env_float(
                env, "LALISA_QUEUE_LEASE_SECONDS", DEFAULT_LEASE_SECONDS, positive=True
            ),
            poll_seconds=env_float(
                env, "LALISA_QUEUE_POLL_SECONDS", DEFAULT_POLL_SECONDS, positive=True
            ),
            busy_limit=env_int(env, "LALISA_QUEUE_BUSY_LIMIT", DEFAULT_BUSY_LIMIT, minimum=1),
            nice=env_int(env, "LALISA_RASA_WORKER_NICE", DEFAULT_NICE, minimum=0),
        )
        problem = scale_out_problem(env, settings.workers)
        if problem:
            raise WorkerConfigurationError(problem)
        return settings


def scale_out_problem(env: Mapping[str, str | None], workers: int) -> str | None:
    """Why ``workers`` Rasa workers cannot run on this configuration, or None.

    One worker is fine anywhere. Several share the conversation trackers and must never run two
    turns of one conversation at once: that needs the trackers and the queue on PostgreSQL and
    Rasa's lock store in Redis (an in-memory lock protects one process only).
    """
    if workers <= 1:
        return None
    missing = []
    if not is_postgresql(env_value(env, "DATABASE_URL")):
        missing.append("DATABASE_URL on PostgreSQL")
    if not is_postgresql(tracker_database_url(env)):
        missing.append("the tracker database on PostgreSQL")
    if not env_value(env, "REDIS_URL"):
        missing.append("REDIS_URL (Redis lock store)")
    if not missing:
        return None
    return (
        f"LALISA_RASA_WORKERS={workers} needs " + ", ".join(missing) + "; "
        "with SQLite and the in-memory lock store run one worker (LALISA_RASA_WORKERS=1)."
    )


def redis_problem(redis_url: str, timeout: float = 2.0) -> str | None:
    """Pings Redis; returns why it cannot be used, or None."""
    client = Redis.from_url(redis_url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except Exception as exc:
        return f"Redis at REDIS_URL is unreachable ({exc.__class__.__name__}: {exc})"
    finally:
        client.close()
    return None


class QueueWorker:
    """Leases queued messages and runs them through a :class:`WhatsAppProcessor`."""

    def __init__(
        self,
        processor: WhatsAppProcessor,
        handle: OnNewMessage,
        *,
        name: str,
        settings: WorkerSettings | None = None,
        concurrency: int = 1,
        turn_recorded: TurnRecorded | None = None,
    ) -> None:
        """Initialises the worker.

        Args:
            processor: Does the channel's work for one message.
            handle: Rasa's handler (``agent.handle_message``).
            name: Worker name (kept in the lease token; host and pid by default).
            settings: Lease, poll and busy settings.
            concurrency: Messages of different citizens processed at once in this process.
            turn_recorded: Tells whether the tracker holds a user event with a message id.
        """
        self.processor = processor
        self.handle = handle
        self.name = name
        self.settings = settings or WorkerSettings()
        self.concurrency = max(1, concurrency)
        self.turn_recorded = turn_recorded
        self.lease = timedelta(seconds=self.settings.lease_seconds)
        self.in_flight = 0
        self.handled = 0
        self.notices = 0
        self._busy_lock = asyncio.Lock()
        self._busy_checked = 0.0
        # While the queue is empty only one loop polls it; the others wait for their turn.
        self._queue_empty = False
        self._poll_turn = asyncio.Lock()

    @property
    def store(self) -> Any:
        """The processor's store (queue, outbound records)."""
        return self.processor.store

    async def notify_if_busy(self) -> int:
        """Above the busy limit, sends new conversations the "sedang ramai" notice.

        At most once a second per process; the messages stay queued and are answered in turn.

        Returns:
            Notices sent.
        """
        loop = asyncio.get_running_loop()
        if self._busy_lock.locked() or loop.time() - self._busy_checked < 1.0:
            return 0
        async with self._busy_lock:
            self._busy_checked = loop.time()
            if await self.store.pending_count() <= self.settings.busy_limit:
                return 0
            sent = 0
            for wamid, sender_id in await self.store.busy_candidates(BUSY_BATCH):
                if await self.processor.send_busy_notice(wamid, sender_id):
                    sent += 1
            if sent:
                logger.warning(
                    "Queue above LALISA_QUEUE_BUSY_LIMIT=%d: %d new conversation(s) told to wait",
                    self.settings.busy_limit,
                    sent,
                )
            self.notices += sent
            return sent

    async def step(self) -> bool:
        """Leases and handles one message.

        Returns:
            False when nothing was claimable.
        """
        claimed = await self._claim()
        if claimed is None:
            return False
        await self._run(claimed)
        return True

    async def _claim(self) -> ClaimedMessage | None:
        await self.notify_if_busy()
        claimed: ClaimedMessage | None = await self.store.claim(self.name, self.lease)
        self._queue_empty = claimed is None
        return claimed

    async def _run(self, claimed: ClaimedMessage) -> None:
        self.in_flight += 1
        try:
            await self._handle(claimed)
        finally:
            self.in_flight -= 1

    async def _next(self, stop: asyncio.Event) -> ClaimedMessage | None:
        """The next message for one loop; None once ``stop`` is set.

        While messages are waiting every loop claims on its own. Once a claim found nothing,
        the idle loops take turns: one polls every ``poll_seconds`` while the others wait
        for the turn, and the loop that finds a message hands the turn on at once, so the
        next waits no longer than a claim. Eight loops polling each on their own made ~40
        empty claims a second, about a sixth of a core of an idle worker.
        """
        if not self._queue_empty:
            claimed = await self._claim()
            if claimed is not None:
                return claimed
        async with self._poll_turn:
            while not stop.is_set():
                claimed = await self._claim()
                if claimed is not None:
                    return claimed
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_seconds)
        return None

    async def _handle(self, claimed: ClaimedMessage) -> None:
        data = claimed.payload or {}
        value = {"metadata": {"phone_number_id": data.get("phone_number_id")}}
        message = parse_message(data.get("message"), value)
        if message is None or message.wamid != claimed.wamid:
            logger.error("Queued WhatsApp message %s cannot be parsed; dropped", claimed.wamid)
            await self.store.finish(claimed, "failed", "unreadable payload")
            return
        if claimed.attempts > 1:
            logger.warning(
                "WhatsApp message %s taken again (attempt %d): its worker stopped mid-turn",
                claimed.wamid,
                claimed.attempts,
            )
            if self.turn_recorded is not None and await self.turn_recorded(
                message.sender_id, message.wamid
            ):
                logger.info("The turn of %s was saved before; not run again", message.wamid)
                await self.store.finish(claimed, "processed", "turn already recorded")
                return
        heartbeat = asyncio.ensure_future(self._keep_lease(claimed))
        try:
            status, detail = await self.processor.process(
                message, self.handle, first_run=claimed.attempts == 1
            )
        except INFRASTRUCTURE_ERRORS as exc:
            logger.error(
                "A shared store or WhatsApp failed during the turn of %s (%s: %s); the message "
                "goes back to the queue",
                message.wamid,
                exc.__class__.__name__,
                exc,
            )
            with contextlib.suppress(Exception):
                await self.store.release(claimed)
            await asyncio.sleep(OUTAGE_PAUSE_SECONDS)
            return
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        if not await self.store.finish(claimed, status, detail):
            logger.warning("The lease of %s ran out before the turn ended", message.wamid)
        self.handled += 1

    async def _keep_lease(self, claimed: ClaimedMessage) -> None:
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            try:
                if not await self.store.extend(claimed, self.lease):
                    return
            except Exception:
                logger.exception("Could not renew the lease of %s", claimed.wamid)

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                claimed = await self._next(stop)
            except Exception:
                logger.exception("The WhatsApp queue is unavailable; trying again")
                await asyncio.sleep(OUTAGE_PAUSE_SECONDS)
                continue
            if claimed is not None:
                try:
                    await self._run(claimed)
                except Exception:
                    logger.exception("The WhatsApp queue is unavailable; trying again")
                    await asyncio.sleep(OUTAGE_PAUSE_SECONDS)

    async def run(self, stop: asyncio.Event) -> None:
        """Runs ``concurrency`` loops until ``stop`` is set (each finishes its current turn)."""
        await asyncio.gather(*(self._loop(stop) for _ in range(self.concurrency)))


def worker_name() -> str:
    """``<host>:<pid>``: unique per process, readable in ``lease_owner``."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}"


async def serve(model: str, endpoints: str, settings: WorkerSettings) -> None:
    """Loads the agent and runs the worker until SIGTERM or SIGINT."""
    channel = WhatsAppSettings.from_env()
    agent = await load_agent(
        model_path=get_local_model(model), endpoints=AvailableEndpoints.read_endpoints(endpoints)
    )
    if not agent.is_ready():
        raise RuntimeError(f"no model could be loaded from {model}")
    processor = WhatsAppProcessor(channel)

    async def turn_recorded(sender_id: str, wamid: str) -> bool:
        tracker = await agent.tracker_store.retrieve(sender_id)
        return tracker is not None and any(
            isinstance(event, UserUttered) and event.message_id == wamid for event in tracker.events
        )

    worker = QueueWorker(
        processor,
        agent.handle_message,
        name=worker_name(),
        settings=settings,
        concurrency=channel.max_concurrent_messages,
        turn_recorded=turn_recorded,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logger.info("%s: %s, %d loop(s)", STARTED, worker.name, worker.concurrency)
    print(f"{STARTED} ({worker.name})", flush=True)
    try:
        await worker.run(stop)
    finally:
        await processor.close()
        await remote_actions.close_kept_sessions()


def main(argv: Sequence[str] | None = None) -> int:
    """Checks the configuration, then serves; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m lalisa_rasa.worker", description=__doc__)
    parser.add_argument(
        "--model", default="models", help="trained model, or a folder: its newest (default models)"
    )
    parser.add_argument("--endpoints", default="endpoints.yml", help="default endpoints.yml")
    args = parser.parse_args(argv)
    configure_logging()
    # Rasa's structured log (its `rasa run` configures it): without this call structlog prints
    # every debug event, the citizen's texts and slot values (the name) among them, ~5 KB of
    # formatting and writing per message.
    configure_structlog(logging.INFO)
    # endpoints.yml reads ${LALISA_ACTION_SECRET}; the action server refuses an empty one.
    os.environ.setdefault(ACTION_SECRET_VARIABLE, "")
    env = read_env()
    try:
        settings = WorkerSettings.from_env(env)
        WhatsAppSettings.from_env(env)
    except (WorkerConfigurationError, ConfigurationError, SettingsError) as exc:
        print(f"lalisa_rasa.worker refuses to start: {exc}", file=sys.stderr)
        return 2
    redis_url = env_value(env, "REDIS_URL")
    if redis_url:
        problem = redis_problem(redis_url)
        if problem:
            # The lock store is Redis: without it two workers could run one conversation at once.
            print(f"lalisa_rasa.worker refuses to start: {problem}", file=sys.stderr)
            return 3
    if settings.nice:
        os.nice(min(settings.nice, 19))
    # TF_INTRA_OP/INTER_OP_PARALLELISM_THREADS (the launchers set 1, lalisa_common.threads):
    # `rasa run` applies them in its command line, which the worker does not go through.
    setup_tf_environment()
    # uvloop, as Rasa's own server runs under Sanic: a turn is dozens of awaits (queue, lock
    # store, tracker store, action server, Graph API) and the standard event loop's own
    # bookkeeping was ~10 % of a busy worker's CPU.
    uvloop.run(serve(args.model, args.endpoints, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
