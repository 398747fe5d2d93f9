"""Async database access: one engine per process and one session per unit of work.

Usage::

    async with session_scope() as session:
        ticket = await submit_complaint(session, draft)
    # committed here; ``ticket`` stays readable because sessions do not expire on commit

The engine is created lazily (never at import) so the action server can start, and tests can
point ``DATABASE_URL`` somewhere else, before any connection is made.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from lalisa.core.settings import get_settings
from lalisa_common.database import to_async_url

RowT = TypeVar("RowT")

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling starts transactions lazily and only before DML;
        # taking it over (isolation_level None + explicit BEGIN below) makes SAVEPOINT work and
        # puts reads and writes of one unit of work in one transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # WAL lets readers run while a writer commits; busy_timeout makes writers queue
            # instead of failing with "database is locked".
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that read first and
        # then writes fails at once with SQLITE_BUSY (busy_timeout does not apply) whenever
        # another writer committed in between, e.g. two tickets allocating numbers.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_for_url(
    url: str, *, null_pool: bool = False, pre_ping: bool = True
) -> AsyncEngine:
    """Create an async engine for a configured URL, with La-Lisa's connection settings.

    Prefer :func:`get_engine`; this is for migrations and tests that need their own engine.

    Args:
        url: Database URL (sync or async form).
        null_pool: Open a fresh connection per checkout (for one-off jobs such as migrations).
        pre_ping: Test a pooled server connection before each use (a round trip per checkout);
            a caller that retries once on a dropped connection can do without.

    Returns:
        A new engine; the caller disposes it.
    """
    async_url = to_async_url(url)
    sqlite_path = _sqlite_file(async_url)
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if null_pool:
        kwargs["poolclass"] = NullPool
    elif pre_ping and make_url(async_url).get_backend_name() != "sqlite":
        # Database restarts must not leave dead connections in the pool ("nothing lost").
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(async_url, **kwargs)
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine)
    return engine


def get_engine() -> AsyncEngine:
    """Return the process-wide engine, creating it from ``DATABASE_URL`` on first use.

    Returns:
        The shared :class:`AsyncEngine`.
    """
    global _engine
    if _engine is None:
        _engine = create_engine_for_url(get_settings().database.url)
    return _engine


def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    """Return the session factory bound to :func:`get_engine`.

    Returns:
        A factory whose sessions do not expire objects on commit, so results stay readable
        after :func:`session_scope` has committed.
    """
    global _sessionmaker
    if _sessionmaker is None:
        _sessionmaker = async_sessionmaker(get_engine(), expire_on_commit=False)
    return _sessionmaker


async def dispose_engine() -> None:
    """Close all pooled connections and forget the engine (shutdown hooks, tests)."""
    global _engine, _sessionmaker
    engine, _engine, _sessionmaker = _engine, None, None
    if engine is not None:
        await engine.dispose()


@asynccontextmanager
async def session_scope() -> AsyncIterator[AsyncSession]:
    """Open one session and one transaction for a unit of work.

    Commits when the block ends normally and rolls back when it raises.

    Yields:
        The session.
    """
    async with get_sessionmaker()() as session, session.begin():
        yield session


async def insert_or_find(
    session: AsyncSession, row: RowT, find: Callable[[], Awaitable[RowT | None]]
) -> tuple[RowT, bool]:
    """Insert ``row`` unless a concurrent insert of the same row won; then return the winner.

    The insert runs in a savepoint, so a unique violation keeps the caller's transaction.

    Args:
        session: Open session inside a transaction.
        row: New ORM object.
        find: Reads the row that won the race (called only after a unique violation).

    Returns:
        ``(row, True)`` when ``row`` was inserted, ``(winner, False)`` otherwise.

    Raises:
        IntegrityError: The insert was refused and ``find`` finds nothing.
    """
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        existing = await find()
        if existing is None:
            raise
        return existing, False
    return row, True


def alembic_config(url: str | None = None) -> Config:
    """Build the Alembic configuration of the La-Lisa schema without reading alembic.ini.

    Args:
        url: Database URL; ``None`` lets ``env.py`` use ``DATABASE_URL`` from the settings.

    Returns:
        A configuration for :mod:`alembic.command` functions.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # "%" is ConfigParser interpolation syntax and may occur in URL-encoded passwords.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Upgrade the database schema with Alembic (``alembic upgrade head``).

    This is synchronous and runs its own event loop, so call it before the application's loop
    starts, or from async code through ``await asyncio.to_thread(migrate)``.

    Args:
        url: Database URL; defaults to ``DATABASE_URL`` from the settings.
        revision: Target revision.
    """
    command.upgrade(alembic_config(url), revision)
