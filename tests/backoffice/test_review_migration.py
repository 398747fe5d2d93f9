"""Migration 0008_review creates exactly the review tables of ``lalisa.review.models``."""

from __future__ import annotations

from pathlib import Path

from alembic import command

import lalisa.review.models
from lalisa.core.db import alembic_config, migrate
from lalisa.models import Base
from tests.migration_helpers import schema_diff, table_names

REVIEW_TABLES = {name for name in Base.metadata.tables if name.startswith("review_")}


def test_review_models_are_registered() -> None:
    assert lalisa.review.models.ReviewConversation.__tablename__ in REVIEW_TABLES
    assert len(REVIEW_TABLES) == 8


async def test_migrated_review_schema_matches_the_models(database_url: str) -> None:
    assert await schema_diff(database_url, REVIEW_TABLES) == []


def test_downgrade_drops_only_the_review_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'review.db'}"
    migrate(url, "0008_review")
    before = table_names(url)
    assert before >= REVIEW_TABLES
    command.downgrade(alembic_config(url), "0007_takeover")
    assert table_names(url) == before - REVIEW_TABLES
    migrate(url, "0008_review")
    assert table_names(url) == before
