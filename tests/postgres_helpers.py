"""Which PostgreSQL server the tests may use, and how they create and drop databases on it.

PostgreSQL takes part when ``TEST_POSTGRES_URL`` is set, or when ``DATABASE_URL`` is a
PostgreSQL URL at start-up (fixtures later point ``DATABASE_URL`` at per-test databases, so the
original value is read once, at import). Tests never write to that database itself: they create
uniquely named ones next to it.

Loaded by both environments' test runs, so nothing from ``lalisa`` is imported here.
"""

from __future__ import annotations

import asyncio
import os

_ORIGINAL_DATABASE_URL = os.environ.get("DATABASE_URL", "")


def postgres_admin_url() -> str | None:
    """The PostgreSQL URL the tests may create databases on, or ``None`` (SQLite only)."""
    for candidate in (os.environ.get("TEST_POSTGRES_URL", ""), _ORIGINAL_DATABASE_URL):
        if candidate.startswith(("postgresql", "postgres:")):
            return candidate
    return None


DATABASE_BACKENDS = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
"""The ``params`` of every fixture that runs a test once per database backend."""


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


def run_admin_sql(admin_url: str, statement: str) -> None:
    """Runs one statement outside a transaction (``CREATE``/``DROP DATABASE``)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    # asyncpg wants a libpq-style DSN without the SQLAlchemy driver suffix.
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


async def vacuum_counts(url: str, tables: list[str]) -> dict[str, int]:
    """How often each table was vacuumed by hand (``pg_stat_user_tables.vacuum_count``)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT relname, vacuum_count FROM pg_stat_user_tables WHERE relname = ANY($1)",
            tables,
        )
    finally:
        await connection.close()
    return {row["relname"]: int(row["vacuum_count"]) for row in rows}
