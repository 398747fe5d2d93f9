"""The inbound log becomes the inbound queue; replies keyed per turn; shared menu memory.

Revision ID: 0011_ingress
Revises: 0010_reports
Create Date: 2026-12-06

Written by hand to match :func:`lalisa_common.whatsapp.tables.whatsapp_tables`. The webhook
receiver (``lalisa.ingress``) inserts queued rows; the Rasa workers (``lalisa_rasa.worker``)
lease them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_ingress"
down_revision: str | None = "0010_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INBOUND = "whatsapp_inbound_messages"
_OUTBOUND = "whatsapp_outbound_messages"


def upgrade() -> None:
    """Add the lease columns, the reply key and ``whatsapp_menus``."""
    with op.batch_alter_table(_INBOUND) as batch:
        batch.add_column(
            sa.Column("order_key", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index(f"ix_{_INBOUND}_sender_id_order_key", ["sender_id", "order_key"])
        batch.create_index(f"ix_{_INBOUND}_status_order_key", ["status", "order_key"])
    with op.batch_alter_table(_OUTBOUND) as batch:
        batch.add_column(sa.Column("reply_to", sa.String(255), nullable=True))
        batch.add_column(sa.Column("reply_index", sa.Integer(), nullable=True))
        batch.create_unique_constraint(f"uq_{_OUTBOUND}_reply", ["reply_to", "reply_index"])
    op.create_table(
        "whatsapp_menus",
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("payloads", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("recipient"),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("whatsapp_menus")
    with op.batch_alter_table(_OUTBOUND) as batch:
        batch.drop_constraint(f"uq_{_OUTBOUND}_reply", type_="unique")
        batch.drop_column("reply_index")
        batch.drop_column("reply_to")
    with op.batch_alter_table(_INBOUND) as batch:
        batch.drop_index(f"ix_{_INBOUND}_status_order_key")
        batch.drop_index(f"ix_{_INBOUND}_sender_id_order_key")
        batch.drop_column("attempts")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
        batch.drop_column("order_key")
