"""Revision 0006_settings: chained after 0005, matches the model, upgrades and downgrades."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from lalisa.core.db import alembic_config, migrate
from lalisa.models import Base
from lalisa.runtime_settings.models import AppSetting
from tests.migration_helpers import schema_diff, table_names

TABLE = "app_settings"


def test_model_is_registered_and_revision_chained() -> None:
    assert AppSetting.__tablename__ in Base.metadata.tables
    revision = ScriptDirectory.from_config(alembic_config()).get_revision("0006_settings")
    assert revision is not None
    assert revision.down_revision == "0005_workflow"


async def test_migrated_schema_matches_the_model(database_url: str) -> None:
    assert await schema_diff(database_url, {TABLE}) == []


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'settings.db'}"
    migrate(url, "0005_workflow")
    assert TABLE not in table_names(url)
    migrate(url, "0006_settings")
    assert TABLE in table_names(url)
    command.downgrade(alembic_config(url), "0005_workflow")
    assert TABLE not in table_names(url)
    migrate(url)
    assert TABLE in table_names(url)
