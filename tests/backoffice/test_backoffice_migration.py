"""Revision 0003_backoffice: chained after 0002_whatsapp, creates and drops its tables."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from lalisa.core.db import alembic_config, migrate
from lalisa.core.models import AuditLog
from lalisa.users.models import BackofficeSession, User
from tests.migration_helpers import table_names

BACKOFFICE_TABLES = {"users", "backoffice_sessions", "audit_log"}


def test_models_name_the_migrated_tables() -> None:
    assert {User.__tablename__, BackofficeSession.__tablename__, AuditLog.__tablename__} == (
        BACKOFFICE_TABLES
    )


def test_revision_is_chained_after_the_whatsapp_tables() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision("0003_backoffice")
    assert revision is not None
    assert revision.down_revision == "0002_whatsapp"


def test_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bo.db'}"
    migrate(url, "0002_whatsapp")
    assert table_names(url) & BACKOFFICE_TABLES == set()
    migrate(url, "0003_backoffice")
    assert BACKOFFICE_TABLES <= table_names(url)
    command.downgrade(alembic_config(url), "0002_whatsapp")
    assert table_names(url) & BACKOFFICE_TABLES == set()
    migrate(url)
    assert BACKOFFICE_TABLES <= table_names(url)
