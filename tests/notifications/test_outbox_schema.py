"""Revision 0004_outbox: the migrated table matches the model; it chains and rolls back."""

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
from lalisa.notifications.models import OutboxMessage

TABLE = OutboxMessage.__tablename__


def _only_outbox(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    if type_ == "table":
        return name == TABLE
    table = getattr(obj, "table", None)
    return table is None or table.name == TABLE


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _only_outbox}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_migrated_outbox_table_matches_the_model(database_url: str) -> None:
    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            indexes = await connection.run_sync(
                lambda c: {
                    index["name"] for index in inspect(c).get_indexes("whatsapp_outbound_messages")
                }
            )
    finally:
        await engine.dispose()
    assert "ix_whatsapp_outbound_messages_callback_data" in indexes


def test_revision_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision("0004_outbox")
    assert revision is not None
    assert revision.down_revision == "0003_backoffice"
    assert "0004_outbox" in {rev.revision for rev in script.walk_revisions()}


def _tables_and_indexes(url: str) -> tuple[set[str], set[str]]:
    import asyncio

    async def read() -> tuple[set[str], set[str]]:
        engine = create_engine_for_url(url, null_pool=True)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda c: (
                        set(inspect(c).get_table_names()),
                        {i["name"] for i in inspect(c).get_indexes("whatsapp_outbound_messages")},
                    )
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_downgrade_to_0003_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate(url)
    tables, indexes = _tables_and_indexes(url)
    assert TABLE in tables and "ix_whatsapp_outbound_messages_callback_data" in indexes
    command.downgrade(alembic_config(url), "0003_backoffice")
    tables, indexes = _tables_and_indexes(url)
    assert TABLE not in tables and "ix_whatsapp_outbound_messages_callback_data" not in indexes
    assert "whatsapp_outbound_messages" in tables
    migrate(url)
    assert TABLE in _tables_and_indexes(url)[0]
