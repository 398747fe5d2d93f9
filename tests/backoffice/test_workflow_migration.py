"""Revision 0005_workflow: chained after the outbox, matches the models, upgrades and downgrades."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

import lalisa.dispatch.models
import lalisa.tickets.models
from lalisa.core.db import alembic_config, migrate
from lalisa.models import Base
from tests.migration_helpers import column_names, schema_diff, table_names

WORKFLOW_TABLES = {
    "ticket_notes",
    "officer_contacts",
    "dispatches",
    "dispatch_officers",
    "field_reports",
    "field_report_photos",
}
COMPARED = WORKFLOW_TABLES | {"tickets"}


def test_models_are_registered() -> None:
    assert lalisa.tickets.models.TicketNote.__tablename__ in Base.metadata.tables
    assert lalisa.dispatch.models.Dispatch.__tablename__ in Base.metadata.tables
    assert WORKFLOW_TABLES <= set(Base.metadata.tables)


def test_revision_is_chained_after_the_outbox() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision("0005_workflow")
    assert revision is not None
    assert revision.down_revision == "0004_outbox"


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert await schema_diff(database_url, COMPARED) == []


def test_upgrade_keeps_existing_tickets_and_downgrade_removes_everything(tmp_path: Path) -> None:
    path = tmp_path / "wf.db"
    url = f"sqlite:///{path}"
    migrate(url, "0004_outbox")
    assert table_names(url) & WORKFLOW_TABLES == set()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO reporters (id, phone_blind_index, phone_encrypted, channel, created_at) "
            "VALUES (1, 'x', 'y', 'whatsapp', '2026-11-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO tickets (id, number, reporter_id, category, description, status, "
            "submission_key, received_out_of_hours, created_at, updated_at) VALUES (1, "
            "'LLS-2026-000001', 1, 'pkl', 'lama', 'baru', 'k', 0, '2026-11-01 00:00:00', "
            "'2026-11-01 00:00:00')"
        )
    migrate(url, "0005_workflow")
    assert WORKFLOW_TABLES <= table_names(url)
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT version, review_flagged_at FROM tickets").fetchone()
    assert row == (1, None)
    assert {"version", "on_site_at", "review_flagged_at"} <= column_names(url, "tickets")
    command.downgrade(alembic_config(url), "0004_outbox")
    assert table_names(url) & WORKFLOW_TABLES == set()
    assert "version" not in column_names(url, "tickets")
    migrate(url)
    assert WORKFLOW_TABLES <= table_names(url)
