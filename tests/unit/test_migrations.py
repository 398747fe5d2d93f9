"""Alembic migrations: the migrated schema matches the models, on SQLite and PostgreSQL."""

from __future__ import annotations

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

OUR_TABLES = set(Base.metadata.tables)


def _only_our_tables(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    # Later revisions owned by other parts (e.g. the WhatsApp channel tables) are not mapped
    # in lalisa.models; the comparison covers the tables the models declare.
    if type_ == "table":
        return name in OUR_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in OUR_TABLES


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "include_object": _only_our_tables},
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_schema_matches_models(database_url: str) -> None:
    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_initial_revision_is_the_base() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_base() == "0001_initial"
    revision = script.get_revision("0001_initial")
    assert revision is not None
    assert revision.down_revision is None


def _tables(url: str) -> set[str]:
    import asyncio

    async def read() -> set[str]:
        engine = create_engine_for_url(url, null_pool=True)
        try:
            async with engine.connect() as connection:
                names = await connection.run_sync(lambda c: inspect(c).get_table_names())
                return set(names)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate(url)
    assert OUR_TABLES <= _tables(url)
    command.downgrade(alembic_config(url), "base")
    assert _tables(url) & OUR_TABLES == set()
    migrate(url)
    assert OUR_TABLES <= _tables(url)


def test_cli_entry_point(tmp_path: Path) -> None:
    from lalisa.db import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    main(["--url", url])
    assert OUR_TABLES <= _tables(url)
