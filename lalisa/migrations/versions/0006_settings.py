"""Settings the superadmin edits in the back office (``app_settings``).

Revision ID: 0006_settings
Revises: 0005_workflow
Create Date: 2026-11-28

Written by hand to match :class:`lalisa.runtime_settings.service.AppSetting`;
tests/backoffice/test_settings_migration.py compares the migrated schema with the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_settings"
down_revision: str | None = "0005_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``app_settings``."""
    op.create_table(
        "app_settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_settings")),
    )


def downgrade() -> None:
    """Drop ``app_settings`` (stored values are lost; the defaults apply again)."""
    op.drop_table("app_settings")
