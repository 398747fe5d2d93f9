"""Run the database migrations: ``python -m lalisa.migrate [revision] [--url URL]``.

After an upgrade to ``head`` the stored phone numbers are turned into citizen keys
(:mod:`lalisa.pseudonymise`; idempotent, so every later run finds nothing to do).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence

from lalisa.core.db import migrate
from lalisa.pseudonymise import pseudonymise, report
from lalisa_common.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> None:
    """Upgrade the schema, then convert numbers to keys when the target is ``head``.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m lalisa.migrate",
        description="Upgrade the La-Lisa database schema (alembic upgrade), then replace "
        "stored phone numbers by citizen keys.",
    )
    parser.add_argument("revision", nargs="?", default="head", help="target revision")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL)")
    parser.add_argument(
        "--tracker-url",
        help="Rasa's tracker database to convert (default: the configured one, unless --url "
        "names another database: then trackers are left alone)",
    )
    args = parser.parse_args(argv)
    configure_logging()
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    migrate(args.url, args.revision)
    if args.revision == "head":
        trackers = args.url is None or args.tracker_url is not None
        result = asyncio.run(pseudonymise(args.url, args.tracker_url, trackers=trackers))
        print(report(result), flush=True)


if __name__ == "__main__":
    main()
