"""`make bench`: webhook acknowledgement latency and end-to-end conversation throughput.

Starts a private stack (actions, Rasa with the WhatsApp channel, sandbox fake
Graph API) on a temporary SQLite database and measures, printing the figures:

1. Acknowledgement: signed WhatsApp deliveries at a fixed rate (default 200/s
   for 30 s) to /webhooks/whatsapp/webhook; p50/p99 time to HTTP 200.
2. Conversations: many simulated citizens at once, each sending messages and
   waiting for the bot's reply (read back from the fake Graph API); messages
   per second and reply latency p50/p95/p99.

Targets (PRODUCT.md): ack p99 <= 50 ms at 200 deliveries/s; >= 80 inbound
messages/s end to end with p95 <= 1 s. This is a measurement, not a test: it
prints what it reaches and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack, local_stack  # noqa: E402

MESSAGES = ("halo", "apa tugas satpol pp", "jam berapa kantor buka", "makasih")


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (0-1) of ``values``, nearest-rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def delivery(stack: Stack, phone: str, wamid: str, body: str) -> tuple[bytes, dict[str, str]]:
    """A signed Meta text-message webhook."""
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA-BENCH", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6285100000001",
                         "phone_number_id": stack.env["WHATSAPP_PHONE_NUMBER_ID"]},
            "contacts": [{"profile": {"name": "Warga"}, "wa_id": phone}],
            "messages": [{"from": phone, "id": wamid, "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": body}}],
        }}]}],
    }  # fmt: skip
    raw = json.dumps(payload).encode()
    digest = hmac.new(stack.env["WHATSAPP_APP_SECRET"].encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


async def bench_ack(stack: Stack, rate: int, seconds: int) -> dict[str, Any]:
    """Sends deliveries at ``rate``/s and times each acknowledgement."""
    url = stack.webhook_url
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: dict[str, int] = {}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def one(index: int) -> None:
            # Many senders, few messages each, like a busy evening.
            phone = f"6289{index % 500:09d}"
            raw, headers = delivery(stack, phone, f"wamid.BENCH-{run_id}-{index}", "halo")
            started = time.perf_counter()
            try:
                response = await client.post(url, content=raw, headers=headers)
            except httpx.HTTPError as error:
                # A delivery Meta would retry: counted, and timed as a failure.
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                return
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        tasks = []
        # Message ids are unique per run: Redis remembers ids for days.
        run_id = uuid.uuid4().hex[:12]
        start = time.perf_counter()
        for index in range(rate * seconds):
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(index)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return {
        "acknowledged": float(len(latencies)),
        "achieved_rate": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "non_200": float(sum(n for code, n in statuses.items() if code != 200)),
        "failed_requests": float(sum(failures.values())),
        "failure_kinds": ", ".join(f"{k} {v}" for k, v in failures.items()) or "none",
    }


async def wait_quiet(stack: Stack, seconds: float = 120) -> None:
    """Waits until the stack has answered the backlog (no new outbound for 3 s)."""
    async with httpx.AsyncClient(timeout=10) as client:
        deadline = time.monotonic() + seconds
        last = -1
        stable_since = time.monotonic()
        while time.monotonic() < deadline:
            response = await client.get(
                f"{stack.sandbox_url}/_sandbox/requests", params={"kind": "message"}
            )
            count = len(response.json()) if response.status_code == 200 else 0
            if count != last:
                last, stable_since = count, time.monotonic()
            elif time.monotonic() - stable_since > 3:
                return
            await asyncio.sleep(0.5)


async def bench_conversations(stack: Stack, citizens: int, turns: int) -> dict[str, Any]:
    """Citizens talk at once; each waits for the bot's reply before the next message."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=citizens * 2 + 10)
    async with httpx.AsyncClient(timeout=40, limits=limits) as client:

        async def citizen(number: int) -> None:
            nonlocal failures
            phone = f"6287{number:09d}"
            seen = 0
            for turn in range(turns):
                body = MESSAGES[turn % len(MESSAGES)]
                started = time.perf_counter()
                response = await client.post(
                    f"{stack.sandbox_url}/sim/api/send",
                    json={"phone": phone, "name": "Warga", "kind": "text", "text": body},
                )
                response.raise_for_status()
                answered = False
                while not answered and time.perf_counter() - started < 30:
                    events = await client.get(
                        f"{stack.sandbox_url}/sim/api/events",
                        params={"phone": phone, "after": seen, "wait": 10},
                    )
                    for event in events.json()["events"]:
                        seen = max(seen, int(event["seq"]))
                        if event.get("kind") == "out":
                            answered = True
                if answered:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures += 1

        start = time.perf_counter()
        await asyncio.gather(*(citizen(n) for n in range(citizens)))
        elapsed = time.perf_counter() - start
    return {
        "messages": float(len(latencies)),
        "throughput_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "unanswered": float(failures),
    }


def report(title: str, figures: dict[str, Any]) -> None:
    """Prints one block of figures."""
    print(f"\n{title}")
    for key, value in figures.items():
        print(f"  {key:>18}: {value:,.1f}" if isinstance(value, float) else f"  {key}: {value}")


async def run(args: argparse.Namespace) -> None:
    """Runs both benchmarks against a fresh private stack."""
    with tempfile.TemporaryDirectory(prefix="lalisa-bench-") as tmp:
        work = Path(tmp)
        with local_stack(
            work,
            database_url=f"sqlite:///{work / 'lalisa.db'}",
            tracker_url=f"sqlite:///{work / 'tracker.db'}",
            extra_env={"SANDBOX_STATUS_WEBHOOKS": "0"},
        ) as stack:
            ack = await bench_ack(stack, args.rate, args.seconds)
            report(f"Webhook acknowledgement at {args.rate} deliveries/s for {args.seconds} s", ack)
            print("  target: p99 <= 50 ms")
            await wait_quiet(stack)
            conversations = await bench_conversations(stack, args.citizens, args.turns)
            report(
                f"Conversations: {args.citizens} citizens x {args.turns} messages, end to end",
                conversations,
            )
            print("  target: >= 80 messages/s, p95 <= 1000 ms")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--turns", type=int, default=4)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
