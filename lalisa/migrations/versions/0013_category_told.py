"""The citizen's own words for a category the form could not read, kept on the ticket.

Revision ID: 0013_category_told
Revises: 0012_contacts
Create Date: 2026-12-07

A report whose typed category could not be read is filed as ``lainnya`` with the citizen's
words ("Lainnya (karoke ilegal)" in the summary); the officer needs those words to decide the
real category. Nullable: older tickets and every readable category have none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_category_told"
down_revision: str | None = "0012_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``tickets.category_told``."""
    op.add_column("tickets", sa.Column("category_told", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop ``tickets.category_told`` (batch mode: SQLite rebuilds the table)."""
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("category_told")
