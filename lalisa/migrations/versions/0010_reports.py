"""Leadership recap: export jobs (XLSX/PDF) run in the background.

Revision ID: 0010_reports
Revises: 0005_workflow
Create Date: 2026-11-28

Written by hand to match ``backoffice/reports/jobs.py`` (``ReportExport``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_reports"
down_revision: str | None = "0009_survey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values at this revision.
_KINDS = ("xlsx", "pdf")
_STATUSES = ("menunggu", "berjalan", "selesai", "gagal")


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    """Create ``report_exports``."""
    op.create_table(
        "report_exports",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("include_identity", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_role", sa.String(length=32), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(f"kind IN ({_sql_list(_KINDS)})", name=op.f("ck_report_exports_kind")),
        sa.CheckConstraint(
            f"status IN ({_sql_list(_STATUSES)})", name=op.f("ck_report_exports_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_exports")),
    )
    op.create_index(op.f("ix_report_exports_requested_by"), "report_exports", ["requested_by"])


def downgrade() -> None:
    """Drop ``report_exports``."""
    op.drop_index(op.f("ix_report_exports_requested_by"), table_name="report_exports")
    op.drop_table("report_exports")
