"""Where the milliseconds of one WhatsApp message go, stage by stage.

Run with the Rasa environment (``.venv-rasa/bin/python scripts/profile_message.py``). It
starts the fake Graph API (sandbox) and the action server as processes, loads the trained
model in this process with the project's endpoints (SQL tracker store, lock store, action
server over HTTP) and the WhatsApp output channel, and feeds messages one at a time, the
way a worker does once the webhook has accepted them. Each message is timed as a whole
and per stage:

- ``lock``: waiting for and taking the conversation lock;
- ``tracker load`` / ``tracker save``: the SQL tracker store;
- ``nlu``: parsing the message (the NLU pipeline, or the structured-payload fast path);
- ``policies``: choosing the next action (all predictions of the turn);
- ``action server``: HTTP round trips to the custom actions, database work included;
- ``graph send``: sending the replies to the (fake) Graph API, outbound log included;
- ``other``: Rasa's bookkeeping in between.

Typed texts and button replies (``interactive`` messages whose id is an ``/intent``
payload) are reported separately. One message at a time, so the figures are cost, not
queueing; they still vary with the load of the machine.

CPU time is the figure that does not: for every message the script also reads the CPU
seconds this process (Rasa: NLU, policies, tracker store, channel), the action server and
the sandbox spent on it, and prints ``cpu ms/msg`` per process with the capacity that cost
allows on 2 idle cores (2,000 / total). ``--cprofile FILE`` writes a cProfile of this
process for the measured messages, in CPU time (``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import functools
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import load_agent
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import LockStore
from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import SQLTrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.utils.log_utils import configure_structlog
from rasa.utils.tensorflow.environment import setup_tf_environment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lalisa_common.threads import serving_thread_env  # noqa: E402
from lalisa_rasa.channels.config import WhatsAppSettings  # noqa: E402
from lalisa_rasa.channels.graph import GraphClient  # noqa: E402
from lalisa_rasa.channels.store import WhatsAppStore  # noqa: E402
from lalisa_rasa.channels.whatsapp import WhatsAppOutput  # noqa: E402
from lalisa_rasa.stores import EnvSQLTrackerStore  # noqa: E402
from scripts.cpu import CpuAccount, capacity_msg_per_s  # noqa: E402
from scripts.model import model_path  # noqa: E402
from scripts.stack import PYTHON, free_ports, migrate, run_processes  # noqa: E402

STAGES = (
    "lock",
    "tracker load",
    "nlu",
    "policies",
    "action server",
    "graph send",
    "tracker save",
)

# One conversation: what the citizen types or taps, and whether it is a button reply.
SCRIPT: tuple[tuple[str, bool], ...] = (
    ("halo", False),
    ("/ask_duties", True),
    ("apa tugas satpol pp", False),
    ("/check_status", True),
    ("jam berapa kantor buka", False),
    ("makasih", False),
)

_current: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "profile_stages", default=None
)


_active: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "profile_active", default=frozenset()
)


def _add(stage: str, started: float) -> None:
    stages = _current.get()
    if stages is not None:
        stages[stage] = stages.get(stage, 0.0) + (time.perf_counter() - started) * 1000


def _time_async(owner: type, name: str, stage: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        active = _active.get()
        if stage in active:  # a subclass calling its parent: counted once, by the outer call
            return await original(*args, **kwargs)
        token = _active.set(active | {stage})
        started = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            _add(stage, started)
            _active.reset(token)

    setattr(owner, name, timed)


def _time_sync(owner: type, name: str, stage: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            _add(stage, started)

    setattr(owner, name, timed)


def _time_lock(owner: type) -> None:
    """The lock store's ``lock`` is an async context manager; time its entry only."""
    original = owner.lock

    @functools.wraps(original)
    def lock(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)

        class Timed:
            async def __aenter__(self) -> Any:
                started = time.perf_counter()
                try:
                    return await manager.__aenter__()
                finally:
                    _add("lock", started)

            async def __aexit__(self, *exc: Any) -> Any:
                return await manager.__aexit__(*exc)

        return Timed()

    owner.lock = lock  # type: ignore[method-assign]


def instrument() -> None:
    """Wraps the stages' entry points with timers (this process only)."""
    # La-Lisa's store overrides both; timing the parent too keeps the script usable on a
    # store that does not.
    for store in (SQLTrackerStore, EnvSQLTrackerStore):
        _time_async(store, "retrieve", "tracker load")
        _time_async(store, "save", "tracker save")
    _time_async(MessageProcessor, "parse_message", "nlu")
    _time_sync(MessageProcessor, "_predict_next_with_tracker", "policies")
    _time_async(RemoteAction, "run", "action server")
    _time_async(WhatsAppOutput, "send", "graph send")
    _time_lock(LockStore)


@contextmanager
def side_processes(
    work: Path, env: dict[str, str]
) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """Migrates the database and runs the sandbox and the action server.

    Yields:
        Their URLs and their pids, by name.
    """
    action_port, sandbox_port = free_ports(2)
    env.update(
        SANDBOX_PORT=str(sandbox_port),
        WHATSAPP_API_BASE_URL=f"http://127.0.0.1:{sandbox_port}",
        SANDBOX_STATUS_WEBHOOKS="0",
    )
    migrate(env)
    commands = {
        "sandbox": [str(ROOT / ".venv-rasa/bin/python"), "-m", "sandbox"],
        "actions": [PYTHON, "-m", "actions.serve", "--port", str(action_port)],
    }
    health: dict[str, str | None] = {
        "sandbox": f"http://127.0.0.1:{sandbox_port}/health",
        "actions": f"http://127.0.0.1:{action_port}/health",
    }
    logs = {name: work / f"{name}.log" for name in commands}
    with run_processes(commands, health, env, logs) as processes:
        yield (
            {"action": f"http://127.0.0.1:{action_port}/webhook"},
            {name: process.pid for name, process in processes.items()},
        )


def summarise(rows: list[dict[str, float]]) -> list[tuple[str, float, float, float, float]]:
    """Per stage: mean, p50, p95 (ms) and share of the total."""
    total_mean = statistics.fmean(r["total"] for r in rows)
    table = []
    for stage in (*STAGES, "other", "total"):
        values = sorted(r.get(stage, 0.0) for r in rows)
        mean = statistics.fmean(values)
        p50 = values[len(values) // 2]
        p95 = values[min(len(values) - 1, round(0.95 * len(values)) - 1)]
        table.append((stage, mean, p50, p95, 100 * mean / total_mean if total_mean else 0.0))
    return table


def print_table(title: str, rows: list[dict[str, float]]) -> None:
    """Prints the stage table of ``rows``."""
    print(f"\n{title} ({len(rows)} messages)")
    print(f"  {'stage':<14} {'mean ms':>8} {'p50 ms':>8} {'p95 ms':>8} {'share':>6}")
    for stage, mean, p50, p95, share in summarise(rows):
        print(f"  {stage:<14} {mean:8.1f} {p50:8.1f} {p95:8.1f} {share:5.0f}%")


CPU_PREFIX = "cpu "


def print_cpu(title: str, rows: list[dict[str, float]]) -> None:
    """Prints the mean CPU milliseconds per message of every process of ``rows``."""
    names = [key for key in rows[0] if key.startswith(CPU_PREFIX)]
    total = sum(statistics.fmean(r[name] for r in rows) for name in names)
    print(f"\n{title}: CPU ms per message ({len(rows)} messages)")
    for name in names:
        values = sorted(r[name] for r in rows)
        print(
            f"  {name[len(CPU_PREFIX) :]:<14} mean {statistics.fmean(values):7.1f}"
            f"  p50 {values[len(values) // 2]:7.1f}"
        )
    capacity = capacity_msg_per_s(total)
    print(f"  {'total':<14} mean {total:7.1f}  -> {capacity:.1f} msg/s on 2 idle cores")


async def profile(
    args: argparse.Namespace, endpoints_file: Path, log_file: Path, pids: dict[str, int]
) -> None:
    """Loads the agent and times every message of the script for each citizen."""
    # INFO, as `rasa run` logs by default (debug logging alone would double the figures),
    # into a file so that the tables stay readable.
    logging.basicConfig(
        filename=log_file, level=logging.INFO, format="%(name)s %(message)s", force=True
    )
    configure_structlog(logging.INFO)
    instrument()
    agent = await load_agent(
        model_path=str(model_path()), endpoints=AvailableEndpoints.read_endpoints(endpoints_file)
    )
    settings = WhatsAppSettings.from_env()
    graph = GraphClient(
        settings.api_base_url,
        settings.api_version,
        settings.phone_number_id,
        settings.access_token,
    )
    store = WhatsAppStore(settings.database_url)
    output = WhatsAppOutput(graph, store=store)
    typed: list[dict[str, float]] = []
    buttons: list[dict[str, float]] = []
    counter = 0
    account = CpuAccount({"rasa": os.getpid(), **pids})
    # CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours.
    profiler = cProfile.Profile(time.process_time) if args.cprofile else None

    async def one(phone: str, text: str, button: bool) -> dict[str, float]:
        nonlocal counter
        counter += 1
        wamid = f"wamid.PROFILE-{counter}"
        metadata: dict[str, Any] = {"wa_message_id": wamid, "wa_type": "text"}
        if button:
            metadata.update(wa_type="interactive", reply_title=text.lstrip("/"))
        stages: dict[str, float] = {}
        token = _current.set(stages)
        # The side processes finish their part before the turn ends (HTTP round trips).
        account.start()
        started = time.perf_counter()
        try:
            await agent.handle_message(
                UserMessage(
                    text, output, phone, input_channel="whatsapp", message_id=wamid,
                    metadata=metadata,
                )
            )  # fmt: skip
        finally:
            stages["total"] = (time.perf_counter() - started) * 1000
            _current.reset(token)
            for name, seconds in account.stop().items():
                stages[CPU_PREFIX + name] = seconds * 1000
        stages["other"] = stages["total"] - sum(stages.get(s, 0.0) for s in STAGES)
        return stages

    async def measured(phone: str, text: str, button: bool) -> dict[str, float]:
        if profiler is None:
            return await one(phone, text, button)
        profiler.enable()
        try:
            return await one(phone, text, button)
        finally:
            profiler.disable()

    # Warm-up: the first message of a process pays for lazy imports and graph set-up.
    for text, button in SCRIPT:
        await one("6281999999999", text, button)
    whole_run = CpuAccount({"rasa": os.getpid(), **pids})
    whole_run.start()
    for citizen in range(args.citizens):
        phone = f"62812{citizen:08d}"
        for text, button in SCRIPT:
            (buttons if button else typed).append(await measured(phone, text, button))
    spent = whole_run.stop()
    await graph.close()
    await store.close()
    print_table("Typed text (full NLU pipeline)", typed)
    print_table("Button replies (/intent payload from an interactive message)", buttons)
    print_table("All messages", typed + buttons)
    print_cpu("Typed text", typed)
    print_cpu("Button replies", buttons)
    print_cpu("All messages", typed + buttons)
    count = len(typed) + len(buttons)
    print(
        "  whole run (no per-message sampling): "
        + ", ".join(f"{name} {1000 * seconds / count:.1f}" for name, seconds in spent.items())
        + f" ms/msg; total {1000 * sum(spent.values()) / count:.1f}"
    )
    if profiler is not None:
        profiler.dump_stats(args.cprofile)
        print(f"\ncProfile of this process written to {args.cprofile}")
    load = os.getloadavg()
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--citizens", type=int, default=10, help=f"conversations of {len(SCRIPT)} messages each"
    )
    parser.add_argument("--cprofile", type=Path, help="write a cProfile of the measured messages")
    args = parser.parse_args()
    missing = serving_thread_env(os.environ)
    if missing:
        # The served Rasa processes run with one thread per pool (lalisa_common.threads);
        # OpenBLAS reads its variable only when it loads, so start again with them. Without it
        # OpenBLAS's spinning worker thread added ~10 ms of CPU per message to "rasa" here.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **missing})
    setup_tf_environment()  # as the worker does (lalisa_rasa.worker.main)
    with tempfile.TemporaryDirectory(prefix="lalisa-profile-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'lalisa.db'}",
            "TRACKER_DATABASE_URL": f"sqlite:///{work / 'tracker.db'}",
            "LALISA_VAR_DIR": str(work / "var"),
            "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
            "LALISA_MEDIA_DIR": str(work / "media"),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "WHATSAPP_VERIFY_TOKEN": "local-verify-token",
            "WHATSAPP_APP_SECRET": "local-app-secret",
            "WHATSAPP_ACCESS_TOKEN": "local-access-token",
            "WHATSAPP_PHONE_NUMBER_ID": "100000000000001",
            # The action server refuses calls without it; Rasa sends it (endpoints.yml).
            "LALISA_ACTION_SECRET": secrets.token_urlsafe(24),
        }
        with side_processes(work, env) as (urls, pids):
            endpoints = work / "endpoints.yml"
            endpoints.write_text(
                (ROOT / "endpoints.yml")
                .read_text(encoding="utf-8")
                .replace("http://localhost:5055/webhook", urls["action"]),
                encoding="utf-8",
            )
            os.environ.update(env)
            asyncio.run(profile(args, endpoints, work / "rasa.log", pids))


if __name__ == "__main__":
    main()
