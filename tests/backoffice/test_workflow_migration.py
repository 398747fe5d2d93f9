"""Revision 0005_workflow: chained after the outbox, matches the models, upgrades and downgrades."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import lalisa.dispatch
import lalisa.workflow
from lalisa.db import alembic_config, create_engine_for_url, migrate
from lalisa.models import Base

WORKFLOW_TABLES = {
    "ticket_notes",
    "officer_contacts",
    "dispatches",
    "dispatch_officers",
    "field_reports",
    "field_report_photos",
}
COMPARED = WORKFLOW_TABLES | {"tickets"}


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine_for_url(url, null_pool=True)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _columns(url: str, table: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine_for_url(url, null_pool=True)
        try:
            async with engine.connect() as connection:
                columns = await connection.run_sync(lambda c: inspect(c).get_columns(table))
                return {column["name"] for column in columns}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _only_compared(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    if type_ == "table":
        return name in COMPARED
    table = getattr(obj, "table", None)
    return table is None or table.name in COMPARED


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _only_compared}
    )
    return list(compare_metadata(context, Base.metadata))


def test_models_are_registered() -> None:
    assert lalisa.workflow.TicketNote.__tablename__ in Base.metadata.tables
    assert lalisa.dispatch.Dispatch.__tablename__ in Base.metadata.tables
    assert WORKFLOW_TABLES <= set(Base.metadata.tables)


def test_revision_is_chained_after_the_outbox() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revision = script.get_revision("0005_workflow")
    assert revision is not None
    assert revision.down_revision == "0004_outbox"


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_upgrade_keeps_existing_tickets_and_downgrade_removes_everything(tmp_path: Path) -> None:
    path = tmp_path / "wf.db"
    url = f"sqlite:///{path}"
    migrate(url, "0004_outbox")
    assert _tables(url) & WORKFLOW_TABLES == set()
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
    assert WORKFLOW_TABLES <= _tables(url)
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT version, review_flagged_at FROM tickets").fetchone()
    assert row == (1, None)
    assert {"version", "on_site_at", "review_flagged_at"} <= _columns(url, "tickets")
    command.downgrade(alembic_config(url), "0004_outbox")
    assert _tables(url) & WORKFLOW_TABLES == set()
    assert "version" not in _columns(url, "tickets")
    migrate(url)
    assert WORKFLOW_TABLES <= _tables(url)
