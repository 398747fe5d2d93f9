"""An idle worker polls the queue with one loop, not with every loop; work still spreads."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from lalisa_common.whatsapp.queue import ClaimedMessage
from lalisa_rasa.worker import QueueWorker, WorkerSettings


class FakeStore:
    """A queue in memory that counts the claims."""

    def __init__(self) -> None:
        self.waiting: list[ClaimedMessage] = []
        self.claims = 0
        self.finished: list[str] = []

    async def claim(self, worker: str, lease: Any) -> ClaimedMessage | None:
        self.claims += 1
        return self.waiting.pop(0) if self.waiting else None

    async def finish(self, claimed: ClaimedMessage, status: str, detail: str | None) -> bool:
        self.finished.append(claimed.wamid)
        return True

    async def pending_count(self) -> int:
        return len(self.waiting)


class FakeProcessor:
    """Parses nothing: every queued payload is unreadable, so the turn is one finish."""

    def __init__(self) -> None:
        self.store = FakeStore()


def message(index: int) -> ClaimedMessage:
    return ClaimedMessage(
        wamid=f"wamid.{index}",
        sender_id=f"citizen-{index}",
        payload=None,
        received_at=datetime.now(timezone.utc),
        attempts=1,
        lease_owner=f"token-{index}",
    )


def worker(poll: float) -> QueueWorker:
    async def handle(_: Any) -> None:
        return None

    return QueueWorker(
        FakeProcessor(),  # type: ignore[arg-type]
        handle,
        name="test",
        settings=WorkerSettings(poll_seconds=poll),
        concurrency=8,
    )


async def run_for(subject: QueueWorker, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.ensure_future(subject.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, timeout=5)


async def test_an_idle_worker_polls_with_one_loop() -> None:
    subject = worker(poll=0.05)
    await run_for(subject, 0.5)
    # One poller every 50 ms: ~10 claims (plus one per loop at the start), where eight
    # loops polling on their own made ~80.
    assert subject.store.claims <= 25


async def test_messages_arriving_at_an_idle_worker_are_all_taken_promptly() -> None:
    subject = worker(poll=0.05)
    stop = asyncio.Event()
    task = asyncio.ensure_future(subject.run(stop))
    await asyncio.sleep(0.2)  # idle: the loops wait for their turn
    subject.store.waiting.extend(message(i) for i in range(20))
    deadline = asyncio.get_running_loop().time() + 2
    while len(subject.store.finished) < 20 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert sorted(subject.store.finished) == sorted(f"wamid.{i}" for i in range(20))
    assert subject.handled == 0  # unreadable payloads are finished as failed, not handled


async def test_step_still_handles_one_message() -> None:
    subject = worker(poll=0.05)
    assert not await subject.step()
    subject.store.waiting.append(message(1))
    assert await subject.step()
    assert subject.store.finished == ["wamid.1"]


async def test_only_a_message_s_first_claim_runs_its_turn_as_a_first_run() -> None:
    # A first run sends the turn's replies without looking each up (nothing can have been
    # sent yet); a re-claim (attempts above 1) must look them up and skip the ones sent.
    from tests.common.payloads import PNID
    from tests.common.payloads import message as payload_message

    runs: list[tuple[str, bool]] = []

    class Recording(FakeProcessor):
        async def process(self, parsed: Any, _handle: Any, *, first_run: bool = False) -> Any:
            runs.append((parsed.wamid, first_run))
            return "processed", None

    subject = worker(poll=0.05)
    subject.processor = Recording()  # type: ignore[assignment]
    for attempts in (1, 2, 3):
        wamid = f"wamid.attempt-{attempts}"
        data = {"message": payload_message("text", msg_id=wamid), "phone_number_id": PNID}
        subject.store.waiting.append(
            ClaimedMessage(wamid, "citizen", data, datetime.now(timezone.utc), attempts, "token")
        )
    await run_for(subject, 0.3)
    assert sorted(runs) == [
        ("wamid.attempt-1", True),
        ("wamid.attempt-2", False),
        ("wamid.attempt-3", False),
    ]
