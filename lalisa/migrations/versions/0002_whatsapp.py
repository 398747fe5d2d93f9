"""WhatsApp channel tables: inbound dedupe/log and outbound message records.

Revision ID: 0002_whatsapp
Revises: 0001_initial

Written by hand. The Rasa process (``lalisa_rasa/channels``) reads and writes these
tables with SQLAlchemy 1.4 Core; ``lalisa_rasa/channels/tables.py`` mirrors them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_whatsapp"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Creates ``whatsapp_inbound_messages`` and ``whatsapp_outbound_messages``."""
    op.create_table(
        "whatsapp_inbound_messages",
        sa.Column("wamid", sa.String(255), primary_key=True),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("message_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wa_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(255), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_whatsapp_inbound_messages_status_received_at",
        "whatsapp_inbound_messages",
        ["status", "received_at"],
    )
    op.create_index(
        "ix_whatsapp_inbound_messages_received_at",
        "whatsapp_inbound_messages",
        ["received_at"],
    )
    op.create_table(
        "whatsapp_outbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("wamid", sa.String(255), nullable=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload_summary", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("callback_data", sa.String(512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("wamid", name="uq_whatsapp_outbound_messages_wamid"),
    )
    op.create_index(
        "ix_whatsapp_outbound_messages_recipient_created_at",
        "whatsapp_outbound_messages",
        ["recipient", "created_at"],
    )
    op.create_index(
        "ix_whatsapp_outbound_messages_status",
        "whatsapp_outbound_messages",
        ["status"],
    )


def downgrade() -> None:
    """Drops the WhatsApp tables."""
    op.drop_index("ix_whatsapp_outbound_messages_status", "whatsapp_outbound_messages")
    op.drop_index(
        "ix_whatsapp_outbound_messages_recipient_created_at", "whatsapp_outbound_messages"
    )
    op.drop_table("whatsapp_outbound_messages")
    op.drop_index("ix_whatsapp_inbound_messages_received_at", "whatsapp_inbound_messages")
    op.drop_index("ix_whatsapp_inbound_messages_status_received_at", "whatsapp_inbound_messages")
    op.drop_table("whatsapp_inbound_messages")
