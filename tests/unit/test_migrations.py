"""Alembic migrations: the migrated schema matches the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from lalisa.core.db import alembic_config, migrate
from lalisa.tickets.models import Base
from tests.migration_helpers import schema_diff, table_names

OUR_TABLES = set(Base.metadata.tables)


async def test_migrated_schema_matches_models(database_url: str) -> None:
    # Later revisions owned by other parts (e.g. the WhatsApp channel tables) are not mapped
    # in lalisa.tickets.models; the comparison covers the tables the models declare.
    assert await schema_diff(database_url, OUR_TABLES) == []


def test_initial_revision_is_the_base() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_base() == "0001_initial"
    revision = script.get_revision("0001_initial")
    assert revision is not None
    assert revision.down_revision is None


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate(url)
    assert OUR_TABLES <= table_names(url)
    command.downgrade(alembic_config(url), "base")
    assert table_names(url) & OUR_TABLES == set()
    migrate(url)
    assert OUR_TABLES <= table_names(url)


def test_cli_entry_point(tmp_path: Path) -> None:
    from lalisa.core.db import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    main(["--url", url])
    assert OUR_TABLES <= table_names(url)
