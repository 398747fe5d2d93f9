"""Starts the real servers (actions, Rasa, WhatsApp sandbox) for end-to-end tests.

The servers run as subprocesses on free ports with a fresh database: a SQLite
file always, and a freshly created PostgreSQL database as well when
DATABASE_URL points at PostgreSQL (as in CI).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack, local_stack  # noqa: E402

__all__ = ["Stack"]


def _admin_sql(dsn: str, statement: str) -> None:
    """Runs one statement outside a transaction (CREATE/DROP DATABASE)."""

    async def run() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _postgres_databases() -> list[str]:
    base = os.environ.get("DATABASE_URL", "")
    return [base] if base.startswith(("postgresql://", "postgres://")) else []


@pytest.fixture(
    scope="session", params=["sqlite", *(["postgresql"] if _postgres_databases() else [])]
)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The running servers on one database backend."""
    work = tmp_path_factory.mktemp(f"e2e-{request.param}")
    if request.param == "sqlite":
        with local_stack(
            work,
            database_url=f"sqlite:///{work / 'lalisa.db'}",
            tracker_url=f"sqlite:///{work / 'tracker.db'}",
            extra_env={"REDIS_URL": ""},
        ) as running:
            yield running
        return
    base = _postgres_databases()[0].replace("postgres://", "postgresql://", 1)
    name = f"lalisa_e2e_{uuid.uuid4().hex[:10]}"
    _admin_sql(base, f'CREATE DATABASE "{name}"')
    database_url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        with local_stack(work, database_url=database_url, tracker_url=database_url) as running:
            yield running
    finally:
        _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
