"""Migration 0008_review creates exactly the review tables of ``lalisa.review_models``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import lalisa.review_models
from lalisa.db import alembic_config, create_engine_for_url, migrate
from lalisa.models import Base

REVIEW_TABLES = {name for name in Base.metadata.tables if name.startswith("review_")}


def _only_review(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    if type_ == "table":
        return name in REVIEW_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in REVIEW_TABLES


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _only_review}
    )
    return list(compare_metadata(context, Base.metadata))


async def _tables(url: str) -> set[str]:
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


def test_review_models_are_registered() -> None:
    assert lalisa.review_models.ReviewConversation.__tablename__ in REVIEW_TABLES
    assert len(REVIEW_TABLES) == 8


async def test_migrated_review_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


def test_downgrade_drops_only_the_review_tables(tmp_path: Path) -> None:
    import asyncio

    url = f"sqlite:///{tmp_path / 'review.db'}"
    migrate(url, "0008_review")
    before = asyncio.run(_tables(url))
    assert before >= REVIEW_TABLES
    command.downgrade(alembic_config(url), "0007_takeover")
    assert asyncio.run(_tables(url)) == before - REVIEW_TABLES
    migrate(url, "0008_review")
    assert asyncio.run(_tables(url)) == before
