"""Runs the simulated citizens against a private stack and prints the figures; gates on them.

    .venv/bin/python -m tests.conversations                 # every persona, the gate
    .venv/bin/python -m tests.conversations --half dev --only dev-pkl-01 --show
    .venv/bin/python -m tests.conversations --half dev2 --no-gate   # the second author's set
    .venv/bin/python -m tests.conversations --half dev3 --no-gate   # the third author's set
    .venv/bin/python -m tests.conversations --half dev4 --no-gate   # the fourth author's set
    .venv/bin/python -m tests.conversations --half dev5 --no-gate   # the fifth author's set
    .venv/bin/python -m tests.conversations --half dev6 --no-gate   # the sixth author's set
    .venv/bin/python -m tests.conversations --half dev7 --no-gate   # the seventh author's set
    .venv/bin/python -m tests.conversations --half dev8 --no-gate   # the eighth author's set
    .venv/bin/python -m tests.conversations --half dev9 --no-gate   # the ninth author's set
    .venv/bin/python -m tests.conversations --half dev10 --no-gate  # the tenth author's set
    .venv/bin/python -m tests.conversations --half dev11 --no-gate  # the eleventh author's set
    .venv/bin/python -m tests.conversations --half dev12 --no-gate  # the twelfth author's set
    .venv/bin/python -m tests.conversations --half dev13 --no-gate  # the thirteenth author's set
    .venv/bin/python -m tests.conversations --half dev14 --no-gate  # the fourteenth author's set
    .venv/bin/python -m tests.conversations --half dev15 --no-gate  # the fifteenth author's set

One stack (Rasa, action server, WhatsApp sandbox) serves the whole run on a fresh SQLite
database; when ``DATABASE_URL`` points at PostgreSQL every other WhatsApp persona runs a
second time on a fresh PostgreSQL database (with ``REDIS_URL``), to cover that backend within
the time budget. Personas run concurrently (a bounded pool), each with its own sender id.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from lalisa.core.crypto import IdentityCipher
from lalisa.core.db import create_engine_for_url
from scripts.stack import Stack
from tests.conversations.channels import Channel, RestChannel, WhatsAppChannel
from tests.conversations.citizen import Citizen
from tests.conversations.judge import judge, stored_tickets
from tests.conversations.personas import DEV_HALVES, HALVES, Persona, load_personas
from tests.conversations.reading import read_turn
from tests.conversations.report import (
    Result,
    figures,
    gate,
    persona_counts,
    persona_line,
    render,
    transcript,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONCURRENCY = 6
STACK_ENV = {"SANDBOX_STATUS_WEBHOOKS": "0"}
"""Delivery statuses play no part in a conversation; without them Rasa has less to do."""


def sender_of(persona: Persona, index: int) -> str:
    """A distinct sender per persona: a phone number on WhatsApp, a readable id on REST."""
    if persona.channel == "whatsapp":
        return f"628990{index:06d}"
    return f"sim-{persona.id}"


async def converse(
    persona: Persona,
    channel: Channel,
    salt: str,
    noise: float = 0.0,
) -> Citizen:
    """Plays one persona's conversation to its end."""
    citizen = Citizen(persona, salt, noise)
    lines = citizen.record.transcript
    action = citizen.first_action()
    while action.kind != "end":
        lines.append(f"warga: {action.shown()}")
        messages = await channel.perform(action)
        for message in messages:
            choices = f"  {[o.title for o in message.options]}" if message.options else ""
            lines.append(f"  bot: {message.text}{choices}".replace("\n", "\n       "))
        reading = read_turn(messages)
        lines.append(f"  (read: {reading.question.value if reading.question else '-'})")
        action = citizen.next_action(reading)
    lines.append(f"warga: {action.shown()}")
    return citizen


async def run_all(
    personas: Sequence[Persona], stack: Stack, concurrency: int, salt: str, noise: float = 0.0
) -> list[Result]:
    """Runs every persona against ``stack`` (at most ``concurrency`` at a time) and judges it."""
    engine: AsyncEngine = create_engine_for_url(stack.database_url)
    cipher = IdentityCipher(stack.env["LALISA_IDENTITY_KEY"])
    slots = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency * 2 + 4)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(index: int, persona: Persona) -> Result:
            async with slots:
                sender = sender_of(persona, index)
                channel: Channel
                if persona.channel == "whatsapp":
                    channel = WhatsAppChannel(client, stack.sandbox_url, engine, sender, persona.id)
                else:
                    channel = RestChannel(client, stack.rasa_url, sender)
                started = time.monotonic()
                citizen = await converse(persona, channel, salt, noise)
                tickets = await stored_tickets(engine, cipher, sender)
                verdict = judge(persona, citizen.record, tickets)
                return Result(
                    persona, citizen.record, verdict, tuple(tickets), time.monotonic() - started
                )

        try:
            return list(await asyncio.gather(*(one(i, p) for i, p in enumerate(personas, start=1))))
        finally:
            await engine.dispose()


def build_report(
    personas: Sequence[Persona], results: Sequence[Result], meta: dict[str, Any]
) -> dict[str, Any]:
    """The JSON report: counts, figures per half and overall, the gate, dev personas."""
    halves = {
        half: figures([r for r in results if r.persona.half == half])
        for half in HALVES
        if any(r.persona.half == half for r in results)
    }
    overall = figures(results)
    problems = gate(overall)
    return {
        **meta,
        "personas": persona_counts(personas),
        "halves": halves,
        "overall": overall,
        "gate": {"passed": not problems, "problems": problems},
        "dev": [persona_line(r) for r in results if r.persona.half in DEV_HALVES],
    }


def write_transcripts(results: Sequence[Result], directory: Path) -> None:
    """Writes every dev-set conversation (never a held-out one) to ``directory/<id>.txt``."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.txt"):
        old.unlink()
    for result in results:
        if result.persona.half in DEV_HALVES:
            (directory / f"{result.persona.id}.txt").write_text(
                transcript(result), encoding="utf-8"
            )


def run_on(
    backend: str,
    personas: Sequence[Persona],
    concurrency: int,
    salt: str,
    keep_logs: Path | None = None,
    noise: float = 0.0,
) -> tuple[list[Result], float]:
    """Starts a stack on ``backend``, runs the personas, stops it; returns results and time.

    With ``keep_logs``, the servers' logs are copied there once the stack has stopped.
    """
    from tests.e2e.helpers import stack_on

    with tempfile.TemporaryDirectory(prefix=f"conversations-{backend}-") as work:
        with stack_on(backend, Path(work), "conversations", extra_env=STACK_ENV) as stack:
            started = time.monotonic()
            results = asyncio.run(run_all(personas, stack, concurrency, salt, noise))
            seconds = time.monotonic() - started
        if keep_logs is not None:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for log in Path(work).glob("*.log"):
                shutil.copy(log, keep_logs / f"{backend}-{log.name}")
        return results, seconds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m tests.conversations", description=__doc__)
    parser.add_argument(
        "--half",
        choices=[*HALVES, "devs", "all"],
        default="all",
        help="one half; devs: every dev set (what is read while fixing); all: every half",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="a dev … dev15 persona id (repeatable)"
    )
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--seed", default="0", help="changes every persona's random choices")
    parser.add_argument(
        "--noise",
        type=float,
        default=0.0,
        help="fraction of typed messages with phone typing slips (default 0: none, the gate)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "conversations.json")
    parser.add_argument("--transcripts", type=Path, default=ROOT / "results" / "conversations")
    parser.add_argument("--show", action="store_true", help="print the dev transcripts")
    parser.add_argument("--no-gate", action="store_true", help="report only, exit 0")
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs to this folder")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the suite; returns the exit code (1 when the gate fails)."""
    args = parse_args(argv)
    # A terminated run (a CI timeout) still stops the stack it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    everyone = load_personas()
    halves = {"all": HALVES, "devs": DEV_HALVES}.get(args.half, (args.half,))
    personas = [p for p in everyone if p.half in halves]
    if args.only:
        unknown = set(args.only) - {p.id for p in everyone if p.half in DEV_HALVES}
        if unknown:
            print(f"not dev-set persona ids: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        personas = [p for p in personas if p.id in args.only]
    from tests.e2e.helpers import BACKENDS

    started = time.monotonic()
    results, seconds = run_on(
        "sqlite", personas, args.concurrency, args.seed, args.keep_logs, args.noise
    )
    print(f"\n==== simulated citizens: {len(personas)} conversations in {seconds:.0f} s (sqlite)")
    meta: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seed": args.seed,
        "noise": args.noise,
        "backend": "sqlite",
        "conversation_seconds": round(seconds, 1),
    }
    report = build_report(personas, results, meta)
    if "postgresql" in BACKENDS:
        # Every other WhatsApp persona: the backend's own paths (asyncpg, Redis dedupe, row
        # locks) are covered, and the run stays within its time budget on 2 cores.
        whatsapp = [p for p in personas if p.channel == "whatsapp"][::2]
        pg_results, pg_seconds = run_on(
            "postgresql", whatsapp, args.concurrency, args.seed, args.keep_logs, args.noise
        )
        pg = figures(pg_results)
        report["postgresql_whatsapp"] = {**pg, "conversation_seconds": round(pg_seconds, 1)}
        pg_problems = gate(pg)
        if pg_problems:
            report["gate"]["problems"] += [f"PostgreSQL: {p}" for p in pg_problems]
            report["gate"]["passed"] = False
        print(
            f"PostgreSQL + Redis, WhatsApp personas: success {pg['successes']}/{pg['personas']}"
            f" in {pg_seconds:.0f} s"
        )
    report["total_seconds"] = round(time.monotonic() - started, 1)
    dev = [r for r in results if r.persona.half in DEV_HALVES]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    write_transcripts(results, args.transcripts)
    if args.show:
        for result in dev:
            print("\n" + transcript(result))
    print(render(report, dev))
    print(f"report: {args.out}; dev transcripts: {args.transcripts}/")
    if report["gate"]["problems"] and not args.no_gate:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
