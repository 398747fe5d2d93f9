"""Notification outbox: outbox_messages (citizen updates, TRC dispatch, admin replies).

Revision ID: 0004_outbox
Revises: 0003_backoffice
Create Date: 2026-11-28

Written by hand to match lalisa/notifications/models.py; tests/notifications/test_schema.py
compares the migrated table with the model. Also indexes
``whatsapp_outbound_messages.callback_data`` (revision 0002), which the outbox worker searches
for ``outbox:<id>`` before it ever resends a message whose outcome is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outbox"
down_revision: str | None = "0003_backoffice"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values at this revision; a later revision that adds a value must
# rebuild the check constraint itself.
_STATUSES = ("pending", "sending", "sent", "delivered", "read", "failed")
_RECIPIENT_KINDS = ("citizen", "officer")


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    """Create ``outbox_messages`` and index the channel's outbound callback data."""
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("recipient_phone_encrypted", sa.Text(), nullable=False),
        sa.Column("recipient_ref", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("template_name", sa.String(length=512), nullable=True),
        sa.Column("template_language", sa.String(length=16), nullable=True),
        sa.Column("template_params", sa.JSON(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("force_template", sa.Boolean(), nullable=False),
        sa.Column("sent_as", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("next_attempt_at", nullable=False),
        _timestamp("claimed_at"),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("last_error_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("wamid", sa.String(length=255), nullable=True),
        _timestamp("sent_at"),
        _timestamp("status_at"),
        sa.CheckConstraint(
            f"status IN ({_sql_list(_STATUSES)})", name=op.f("ck_outbox_messages_status")
        ),
        sa.CheckConstraint(
            f"recipient_kind IN ({_sql_list(_RECIPIENT_KINDS)})",
            name=op.f("ck_outbox_messages_recipient_kind"),
        ),
        sa.CheckConstraint(
            "body IS NOT NULL OR template_name IS NOT NULL",
            name=op.f("ck_outbox_messages_body_or_template"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_outbox_messages_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")),
        sa.UniqueConstraint("wamid", name=op.f("uq_outbox_messages_wamid")),
    )
    op.create_index(op.f("ix_outbox_messages_ticket_id"), "outbox_messages", ["ticket_id"])
    op.create_index(op.f("ix_outbox_messages_recipient_ref"), "outbox_messages", ["recipient_ref"])
    op.create_index(
        "ix_outbox_messages_status_next_attempt_at",
        "outbox_messages",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_whatsapp_outbound_messages_callback_data",
        "whatsapp_outbound_messages",
        ["callback_data"],
    )


def downgrade() -> None:
    """Drop ``outbox_messages`` and the callback data index."""
    op.drop_index(
        "ix_whatsapp_outbound_messages_callback_data", table_name="whatsapp_outbound_messages"
    )
    op.drop_index("ix_outbox_messages_status_next_attempt_at", table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_recipient_ref"), table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_ticket_id"), table_name="outbox_messages")
    op.drop_table("outbox_messages")
