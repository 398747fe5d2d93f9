"""Revision 0007_takeover: chained after the settings revision, matches the models, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

import lalisa.takeover.models  # noqa: F401 (registers the tables)
from lalisa.core.db import alembic_config, migrate
from tests.migration_helpers import inspect_async, schema_diff, table_names

TAKEOVER_TABLES = {"takeovers", "handoff_requests", "takeover_messages"}


def test_revision_is_chained_after_the_settings() -> None:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0007_takeover")
    assert revision is not None
    assert revision.down_revision == "0006_settings"


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert await schema_diff(database_url, TAKEOVER_TABLES) == []
    indexes = await inspect_async(database_url, lambda i: i.get_indexes("takeovers"))
    unique = {index["name"]: index["unique"] for index in indexes}
    assert unique["uq_takeovers_active_sender"]


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'takeover.db'}"
    migrate(url, "0006_settings")
    assert table_names(url) & TAKEOVER_TABLES == set()
    migrate(url, "0007_takeover")
    assert TAKEOVER_TABLES <= table_names(url)
    command.downgrade(alembic_config(url), "0006_settings")
    assert table_names(url) & TAKEOVER_TABLES == set()
