"""Human takeover: handoff requests, takeovers (one active per citizen), admin replies.

Revision ID: 0007_takeover
Revises: 0005_workflow
Create Date: 2026-11-28

Written by hand to match ``lalisa/takeover/models.py``;
tests/backoffice/test_takeover_migration.py compares the migrated schema with the models.
The partial unique indexes work on SQLite (3.8+) and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_takeover"
down_revision: str | None = "0006_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values at this revision.
_REASONS = ("request_human", "fallback_twice")
_ENDS = ("handed_back", "idle")


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    """Create the takeover tables."""
    op.create_table(
        "takeovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_ref", sa.String(length=64), nullable=False),
        sa.Column("sender_encrypted", sa.Text(), nullable=False),
        sa.Column("taken_by", sa.String(length=128), nullable=False),
        _timestamp("taken_at", nullable=False),
        _timestamp("last_activity_at", nullable=False),
        _timestamp("ended_at"),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.CheckConstraint(
            f"end_reason IS NULL OR end_reason IN ({_sql_list(_ENDS)})",
            name=op.f("ck_takeovers_end_reason"),
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (end_reason IS NULL)",
            name=op.f("ck_takeovers_ended_with_reason"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takeovers")),
    )
    op.create_index("ix_takeovers_sender_ref", "takeovers", ["sender_ref"])
    op.create_index(
        "uq_takeovers_active_sender",
        "takeovers",
        ["sender_ref"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("last_seen_at", nullable=False),
        sa.Column("sender_ref", sa.String(length=64), nullable=False),
        sa.Column("sender_encrypted", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("out_of_hours", sa.Boolean(), nullable=False),
        _timestamp("resolved_at"),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("takeover_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            f"reason IN ({_sql_list(_REASONS)})", name=op.f("ck_handoff_requests_reason")
        ),
        sa.ForeignKeyConstraint(
            ["takeover_id"],
            ["takeovers.id"],
            name=op.f("fk_handoff_requests_takeover_id_takeovers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_requests")),
    )
    op.create_index(op.f("ix_handoff_requests_created_at"), "handoff_requests", ["created_at"])
    op.create_index(op.f("ix_handoff_requests_sender_ref"), "handoff_requests", ["sender_ref"])
    op.create_index(op.f("ix_handoff_requests_takeover_id"), "handoff_requests", ["takeover_id"])
    op.create_index(
        "uq_handoff_requests_open",
        "handoff_requests",
        ["sender_ref", "reason"],
        unique=True,
        sqlite_where=sa.text("resolved_at IS NULL"),
        postgresql_where=sa.text("resolved_at IS NULL"),
    )

    op.create_table(
        "takeover_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("takeover_id", sa.Integer(), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["takeover_id"],
            ["takeovers.id"],
            name=op.f("fk_takeover_messages_takeover_id_takeovers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_messages.id"],
            name=op.f("fk_takeover_messages_outbox_id_outbox_messages"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takeover_messages")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_takeover_messages_outbox_id")),
    )
    op.create_index(op.f("ix_takeover_messages_takeover_id"), "takeover_messages", ["takeover_id"])


def downgrade() -> None:
    """Drop the takeover tables."""
    op.drop_index(op.f("ix_takeover_messages_takeover_id"), table_name="takeover_messages")
    op.drop_table("takeover_messages")
    op.drop_index("uq_handoff_requests_open", table_name="handoff_requests")
    op.drop_index(op.f("ix_handoff_requests_takeover_id"), table_name="handoff_requests")
    op.drop_index(op.f("ix_handoff_requests_sender_ref"), table_name="handoff_requests")
    op.drop_index(op.f("ix_handoff_requests_created_at"), table_name="handoff_requests")
    op.drop_table("handoff_requests")
    op.drop_index("uq_takeovers_active_sender", table_name="takeovers")
    op.drop_index("ix_takeovers_sender_ref", table_name="takeovers")
    op.drop_table("takeovers")
