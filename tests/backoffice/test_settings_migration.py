"""Revision 0006_settings: chained after 0005, matches the model, upgrades and downgrades."""

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

from lalisa.db import alembic_config, create_engine_for_url, migrate
from lalisa.models import Base
from lalisa.runtime_settings import AppSetting

TABLE = "app_settings"


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine_for_url(url, null_pool=True)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _only_settings(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    if type_ == "table":
        return name == TABLE
    table = getattr(obj, "table", None)
    return table is None or table.name == TABLE


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _only_settings}
    )
    return list(compare_metadata(context, Base.metadata))


def test_model_is_registered_and_revision_chained() -> None:
    assert AppSetting.__tablename__ in Base.metadata.tables
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0006_settings")
    assert revision is not None
    assert revision.down_revision == "0005_workflow"


async def test_migrated_schema_matches_the_model(database_url: str) -> None:
    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'settings.db'}"
    migrate(url, "0005_workflow")
    assert TABLE not in _tables(url)
    migrate(url, "0006_settings")
    assert TABLE in _tables(url)
    command.downgrade(alembic_config(url), "0005_workflow")
    assert TABLE not in _tables(url)
    migrate(url)
    assert TABLE in _tables(url)
