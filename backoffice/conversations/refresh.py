"""Refresh the conversation-review index from Rasa's tracker store (a periodic job).

The review list refreshes the index on every page load, bounded to one batch; this job catches
up after a busy period or runs from cron/systemd so the first page load stays fast::

    .venv/bin/python -m backoffice.conversations.refresh            # catch up once
    .venv/bin/python -m backoffice.conversations.refresh --every 60 # keep refreshing

Safe to run next to the back office: racing refreshes index every event once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Final

from backoffice.cli import run_unit_of_work
from lalisa.review.indexer import refresh_index
from lalisa.review.tracker import dispose_tracker_engines, tracker_engine
from lalisa_common.logs import configure_logging

logger = logging.getLogger(__name__)

MAX_BATCHES: Final = 1000
"""Upper bound of one catch-up (1000 batches of 2000 events)."""


async def catch_up() -> int:
    """Index every settled tracker event not indexed yet, one transaction per batch.

    Returns:
        How many events were indexed.
    """
    total = 0
    try:
        for _ in range(MAX_BATCHES):
            result = await run_unit_of_work(
                lambda session: refresh_index(session, tracker_engine())
            )
            if result.events == 0 and not result.raced:
                break
            total += result.events
    finally:
        await dispose_tracker_engines()
    return total


async def _run(every: float | None) -> None:
    while True:
        indexed = await catch_up()
        logger.info("review index: %d events indexed", indexed)
        if every is None:
            return
        await asyncio.sleep(every)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=None, help="repeat every N seconds")
    args = parser.parse_args(argv)
    configure_logging(fmt="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(_run(args.every))


if __name__ == "__main__":
    main()
