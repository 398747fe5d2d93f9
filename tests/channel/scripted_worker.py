"""A real queue-worker process with a scripted assistant instead of Rasa (fault tests).

``python -m tests.channel.scripted_worker`` (Rasa env) runs :class:`lalisa_rasa.worker.QueueWorker`
with the WhatsApp processor configured from ``WHATSAPP_*``/``DATABASE_URL``, like the real
worker, but each turn is: reply 1 → write ``SCRIPTED_MARKERS/<pid>`` (the test may kill -9 the
process now, mid-turn) → wait ``SCRIPTED_TURN_SECONDS`` → reply 2 → append the turn to the
``SCRIPTED_TRACKER`` file, the way Rasa saves the tracker at the end of a turn.

``SCRIPTED_GRAPH_READ_TIMEOUT`` (seconds) gives the Graph client short timeouts and backoff,
and ``SCRIPTED_TRACE_WAIT`` the wait for a status webhook after a send timed out (stress tests
against a faulty sandbox).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from lalisa_common.env import read_env  # noqa: E402
from lalisa_rasa.channels.config import WhatsAppSettings  # noqa: E402
from lalisa_rasa.channels.graph import GraphClient  # noqa: E402
from lalisa_rasa.channels.whatsapp import WhatsAppProcessor  # noqa: E402
from lalisa_rasa.worker import STARTED, QueueWorker, WorkerSettings  # noqa: E402

TRACKER = Path(os.environ["SCRIPTED_TRACKER"])
MARKERS = Path(os.environ["SCRIPTED_MARKERS"])
TURN_SECONDS = float(os.environ.get("SCRIPTED_TURN_SECONDS", "0.1"))


async def handle(message: Any) -> None:
    """One scripted turn with two replies."""
    out = message.output_channel
    await out.send_text_message(message.sender_id, f"jawaban 1 untuk {message.text}")
    (MARKERS / str(os.getpid())).write_text(message.message_id, encoding="utf-8")
    await asyncio.sleep(TURN_SECONDS)
    await out.send_text_message(message.sender_id, f"jawaban 2 untuk {message.text}")
    with TRACKER.open("a", encoding="utf-8") as tracker:
        tracker.write(json.dumps({"sender": message.sender_id, "wamid": message.message_id}) + "\n")


async def turn_recorded(sender_id: str, wamid: str) -> bool:
    """Whether the scripted 'tracker' holds the turn of ``wamid``."""
    if not TRACKER.exists():
        return False
    lines = TRACKER.read_text(encoding="utf-8").splitlines()
    return any(json.loads(line) == {"sender": sender_id, "wamid": wamid} for line in lines)


async def main() -> None:
    """Runs the worker until SIGTERM."""
    env = read_env()
    settings = WhatsAppSettings.from_env(env)
    options: dict[str, Any] = {}
    read_timeout = os.environ.get("SCRIPTED_GRAPH_READ_TIMEOUT")
    if read_timeout:
        import aiohttp

        options["graph"] = GraphClient(
            settings.api_base_url,
            settings.api_version,
            settings.phone_number_id,
            settings.access_token,
            backoff_base=0.05,
            timeout=aiohttp.ClientTimeout(
                total=float(read_timeout) + 1, connect=1, sock_read=float(read_timeout)
            ),
        )
    if os.environ.get("SCRIPTED_TRACE_WAIT"):
        options["trace_wait_seconds"] = float(os.environ["SCRIPTED_TRACE_WAIT"])
    processor = WhatsAppProcessor(settings, **options)
    worker = QueueWorker(
        processor,
        handle,
        name=f"scripted:{os.getpid()}",
        settings=WorkerSettings.from_env(env),
        concurrency=settings.max_concurrent_messages,
        turn_recorded=turn_recorded,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print(STARTED, flush=True)
    try:
        await worker.run(stop)
    finally:
        await processor.close()


if __name__ == "__main__":
    asyncio.run(main())
