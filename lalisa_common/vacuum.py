"""``VACUUM`` after a conversion rewrote rows, so the old plain values leave the database files.

Rewriting a row does not remove its old bytes: SQLite leaves them in free pages and in the free
space of pages (and in its write-ahead log) until the file is rebuilt, PostgreSQL keeps the old
row versions as dead rows until ``VACUUM``. The identity conversions
(:mod:`lalisa.pseudonymise`, :mod:`lalisa_common.tracker_crypt`) replace phone numbers, names
and message texts, so when they rewrote rows they call :func:`vacuum_rewritten`:

* SQLite: ``VACUUM`` of each database file they touched (outside a transaction; it rebuilds
  the whole file, indexes included), then, in WAL mode, ``PRAGMA wal_checkpoint(TRUNCATE)`` so
  the log does not keep page images either;
* PostgreSQL: ``VACUUM`` of each table they rewrote, on an autocommit connection. It removes
  the dead row versions and their index entries and runs next to Rasa and the back office
  without blocking them (``VACUUM FULL``, which also rewrites the table files, locks the table
  and is left to the operator, docs/petunjuk-teknis.md).

A failed ``VACUUM`` is logged as an error with the command to run by hand and does not undo the
conversion, which has already committed. Works on SQLAlchemy 1.4 (Rasa env) and 2.0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lalisa_common.database import to_async_url, to_sync_url

__all__ = ["SQLITE_TIMEOUT_SECONDS", "vacuum", "vacuum_rewritten"]

logger = logging.getLogger(__name__)

SQLITE_TIMEOUT_SECONDS: Final = 30.0
"""How long ``VACUUM`` waits for other connections' transactions on a SQLite file."""


def _describe(url: str) -> tuple[str, str]:
    """(backend, what it names: the SQLite file or the PostgreSQL database) of a URL."""
    parsed = make_url(to_sync_url(url))
    return parsed.get_backend_name(), str(parsed.database or "")


async def vacuum(url: str, tables: Iterable[str]) -> str | None:
    """Run ``VACUUM`` on a database whose ``tables`` a conversion rewrote.

    Args:
        url: The database (sync or async form).
        tables: The tables rewritten (PostgreSQL vacuums these; SQLite rebuilds the file).

    Returns:
        What was done, for the log; ``None`` for an in-memory SQLite database (nothing on disk).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: The ``VACUUM`` failed (e.g. the SQLite file stayed
            locked for :data:`SQLITE_TIMEOUT_SECONDS`).
    """
    backend, name = _describe(url)
    if backend == "sqlite" and name in {"", ":memory:"}:
        return None
    connect_args: dict[str, Any] = (
        {"timeout": SQLITE_TIMEOUT_SECONDS} if backend == "sqlite" else {}
    )
    engine = create_async_engine(
        to_async_url(url),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args=connect_args,
    )
    try:
        async with engine.connect() as connection:
            if backend == "sqlite":
                await connection.exec_driver_sql("VACUUM")
                mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
                if str(mode).lower() == "wal":
                    await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                return f"VACUUM of the SQLite file {name}"
            names = sorted(set(tables))
            quote = connection.dialect.identifier_preparer.quote
            for table in names:
                await connection.exec_driver_sql(f"VACUUM {quote(table)}")
            return f"VACUUM of {', '.join(names)} in the {backend} database {name}"
    finally:
        await engine.dispose()


def _same_database(url: str) -> str:
    """A key that is equal for two URLs of one database (driver and password aside)."""
    parsed = make_url(to_sync_url(url))
    return parsed.set(password=None).render_as_string(hide_password=True)


async def vacuum_rewritten(rewritten: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """``VACUUM`` every database in which rows were rewritten; log and return what was done.

    Args:
        rewritten: (database URL, tables rewritten in it) pairs; pairs with no tables are
            skipped, and the pairs of one database (the tracker sharing La-Lisa's) make one
            ``VACUUM``.

    Returns:
        One line per database vacuumed (failures are logged as errors, not raised).
    """
    grouped: dict[str, tuple[str, set[str]]] = {}
    for url, tables in rewritten:
        names = set(tables)
        if names:
            grouped.setdefault(_same_database(url), (url, set()))[1].update(names)
    done: list[str] = []
    for url, tables in grouped.values():
        backend, name = _describe(url)
        try:
            line = await vacuum(url, tables)
        except Exception as exc:
            by_hand = (
                f"sqlite3 {name} VACUUM"
                if backend == "sqlite"
                else f"VACUUM {', '.join(sorted(tables))}; (psql)"
            )
            logger.error(
                "VACUUM after the conversion failed on %s (%s: %s); old values stay in free "
                "space until it runs: %s",
                name,
                type(exc).__name__,
                exc,
                by_hand,
            )
            continue
        if line is not None:
            logger.info("%s (rows rewritten in %s)", line, ", ".join(sorted(tables)))
            done.append(line)
    return done
