"""Citizen contacts: the key every store knows a citizen by, and the encrypted number behind it.

Revision ID: 0012_contacts
Revises: 0011_ingress
Create Date: 2026-12-06

Written by hand to match :func:`lalisa_common.identity.contacts_table`. The rows of existing
installations (and their trackers, queue and outbound log) are converted by
``python -m lalisa.pseudonymise``, which ``python -m lalisa.migrate`` runs after the upgrade:
it needs the identity key, which a migration must not.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_contacts"
down_revision: str | None = "0011_ingress"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``citizen_contacts``."""
    op.create_table(
        "citizen_contacts",
        sa.Column("sender_key", sa.String(64), primary_key=True),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop ``citizen_contacts`` (keys elsewhere stay keys; the numbers behind them are lost)."""
    op.drop_table("citizen_contacts")
