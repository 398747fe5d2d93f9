"""Revision 0004_outbox: the migrated table matches the model; it chains and rolls back."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Inspector

from lalisa.core.db import alembic_config, migrate
from lalisa.notifications.models import OutboxMessage
from tests.migration_helpers import inspect_async, inspect_database, schema_diff

TABLE = OutboxMessage.__tablename__


def _index_names(inspector: Inspector) -> set[str | None]:
    return {index["name"] for index in inspector.get_indexes("whatsapp_outbound_messages")}


async def test_migrated_outbox_table_matches_the_model(database_url: str) -> None:
    assert await schema_diff(database_url, {TABLE}) == []
    indexes = await inspect_async(database_url, _index_names)
    assert "ix_whatsapp_outbound_messages_callback_data" in indexes


def test_revision_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision("0004_outbox")
    assert revision is not None
    assert revision.down_revision == "0003_backoffice"
    assert "0004_outbox" in {rev.revision for rev in script.walk_revisions()}


def _tables_and_indexes(url: str) -> tuple[set[str], set[str | None]]:
    return inspect_database(url, lambda i: (set(i.get_table_names()), _index_names(i)))


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
