"""Revision 0007_takeover: chained after the settings revision, matches the models, up and down."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import lalisa.takeover_models  # noqa: F401 (registers the tables)
from lalisa.db import alembic_config, create_engine_for_url, migrate
from lalisa.models import Base

TAKEOVER_TABLES = {"takeovers", "handoff_requests", "takeover_messages"}


def _only_takeover(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    if type_ == "table":
        return name in TAKEOVER_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in TAKEOVER_TABLES


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _only_takeover}
    )
    return list(compare_metadata(context, Base.metadata))


def _inspect(url: str, read: Any) -> Any:
    async def run() -> Any:
        engine = create_engine_for_url(url, null_pool=True)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(lambda c: read(inspect(c)))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_revision_is_chained_after_the_settings() -> None:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0007_takeover")
    assert revision is not None
    assert revision.down_revision == "0006_settings"


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            indexes = await connection.run_sync(lambda c: inspect(c).get_indexes("takeovers"))
    finally:
        await engine.dispose()
    unique = {index["name"]: index["unique"] for index in indexes}
    assert unique["uq_takeovers_active_sender"]


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'takeover.db'}"
    migrate(url, "0006_settings")
    assert _inspect(url, lambda i: set(i.get_table_names())) & TAKEOVER_TABLES == set()
    migrate(url, "0007_takeover")
    assert TAKEOVER_TABLES <= _inspect(url, lambda i: set(i.get_table_names()))
    command.downgrade(alembic_config(url), "0006_settings")
    assert _inspect(url, lambda i: set(i.get_table_names())) & TAKEOVER_TABLES == set()
