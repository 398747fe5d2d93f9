"""Encrypts the plain ``data`` of Rasa's ``events`` rows written before encryption at rest.

``python -m lalisa_common.tracker_crypt [--url URL]`` (run by ``make migrate`` after the schema
upgrade; works from either environment) converts, in batches of :data:`BATCH_SIZE` rows by id,
every row whose ``data`` is still a JSON object into a token of the tracker events key
(:mod:`lalisa_common.at_rest`). It is idempotent and safe while Rasa runs: Rasa only inserts
rows, and each update is conditional on the row still holding the plain value it read. When it
converted rows it runs ``VACUUM`` (:mod:`lalisa_common.vacuum`), so the plain JSON does not
stay behind in free pages or dead rows.

Written with SQLAlchemy Core statements that behave the same on 1.4 (Rasa env) and 2.0 (app
env), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lalisa_common import database
from lalisa_common.at_rest import TRACKER_EVENTS, AtRestCipher, at_rest_cipher, identity_key
from lalisa_common.env import SettingsError, read_env
from lalisa_common.vacuum import vacuum_rewritten

__all__ = ["BATCH_SIZE", "encrypt_tracker_events", "main"]

logger = logging.getLogger(__name__)

BATCH_SIZE: Final = 500

_metadata = sa.MetaData()
_events = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("data", sa.Text),
)


async def encrypt_tracker_events(
    engine: Any, cipher: AtRestCipher, *, batch_size: int = BATCH_SIZE
) -> int:
    """Encrypts every plain ``data`` value of the ``events`` table of ``engine``.

    Args:
        engine: An ``AsyncEngine`` on the tracker database (aiosqlite or asyncpg).
        cipher: The tracker events cipher (``at_rest_cipher(key, TRACKER_EVENTS)``).
        batch_size: Rows per transaction.

    Returns:
        Rows converted; 0 when there is no ``events`` table (Rasa never ran).
    """
    async with engine.connect() as connection:
        if not await connection.run_sync(lambda sync: sa.inspect(sync).has_table("events")):
            return 0
    converted = 0
    after = 0
    while True:
        async with engine.begin() as connection:
            rows = (
                await connection.execute(
                    sa.select(_events.c.id, _events.c.data)
                    .where(_events.c.id > after)
                    .where(_events.c.data.like("{%"))
                    .order_by(_events.c.id)
                    .limit(batch_size)
                )
            ).all()
            for row_id, data in rows:
                result = await connection.execute(
                    _events.update()
                    .where(_events.c.id == row_id)
                    .where(_events.c.data == data)
                    .values(data=cipher.encrypt(data))
                )
                converted += int(result.rowcount or 0)
        if len(rows) < batch_size:
            return converted
        after = rows[-1][0]


async def _convert(url: str, key: str) -> int:
    parsed = make_url(database.to_sync_url(url))
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return 0  # Rasa never ran: nothing to convert, and no empty file to create
    engine = create_async_engine(database.to_async_url(url), poolclass=NullPool)
    try:
        converted = await encrypt_tracker_events(engine, at_rest_cipher(key, TRACKER_EVENTS))
    finally:
        await engine.dispose()
    if converted:
        # The plain JSON stays in free pages / dead rows until a VACUUM (lalisa_common.vacuum).
        await vacuum_rewritten([(url, [_events.name])])
    return converted


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m lalisa_common.tracker_crypt``: converts the configured tracker database."""
    parser = argparse.ArgumentParser(
        prog="python -m lalisa_common.tracker_crypt",
        description="Encrypt the conversation events Rasa stored in plain text.",
    )
    parser.add_argument("--url", help="tracker database URL (default: TRACKER_DATABASE_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    env = read_env()
    try:
        key = identity_key(env)
    except SettingsError as error:
        print(f"tracker_crypt: {error}", file=sys.stderr)
        return 2
    converted = asyncio.run(_convert(args.url or database.tracker_database_url(env), key))
    if converted:
        logger.info("Tracker events encrypted: %d rows converted", converted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
