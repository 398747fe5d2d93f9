"""Conversation review: index of Rasa's tracker store and the reviewers' work.

Revision ID: 0008_review
Revises: 0005_workflow
Create Date: 2026-11-28

Written to match ``lalisa/review/models.py``; tests/backoffice/test_review_migration.py compares
the migrated schema with the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008_review"
down_revision: str | None = "0007_takeover"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _conversation_fk() -> sa.Column[Any]:
    return sa.Column("conversation_id", sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    """Create the review tables."""
    op.create_table(
        "review_index_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_index_state")),
    )
    op.create_table(
        "review_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender_index", sa.String(length=64), nullable=False),
        sa.Column("sender_encrypted", sa.Text(), nullable=False),
        sa.Column("pseudonym", sa.String(length=32), nullable=False),
        sa.Column("first_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        _timestamp("first_at", nullable=False),
        _timestamp("last_at", nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("turn_count", sa.Integer(), nullable=False),
        sa.Column("had_fallback", sa.Boolean(), nullable=False),
        sa.Column("ended_in_ticket", sa.Boolean(), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=True),
        sa.Column("max_confidence", sa.Float(), nullable=True),
        _timestamp("reviewed_at"),
        sa.Column("reviewed_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_conversations")),
        sa.UniqueConstraint(
            "sender_index",
            "first_event_id",
            name=op.f("uq_review_conversations_sender_index"),
        ),
    )
    for column in ("channel", "first_at", "last_at", "reviewed_at", "sender_index"):
        op.create_index(op.f(f"ix_review_conversations_{column}"), "review_conversations", [column])
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_fk(),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.CheckConstraint(
            "kind IN ('intent', 'action', 'slot')", name=op.f("ck_review_items_kind")
        ),
        _fk("review_items", "conversation_id", "review_conversations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint(
            "conversation_id", "kind", "name", name=op.f("uq_review_items_conversation_id")
        ),
    )
    op.create_index(op.f("ix_review_items_name"), "review_items", ["name"])
    op.create_table(
        "review_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_fk(),
        sa.Column("event_id", sa.Integer(), nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("entities", sa.Text(), nullable=False),
        _timestamp("flagged_at"),
        sa.Column("flagged_by", sa.String(length=128), nullable=True),
        _fk("review_turns", "conversation_id", "review_conversations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_turns")),
        sa.UniqueConstraint("event_id", name=op.f("uq_review_turns_event_id")),
    )
    for column in ("at", "confidence", "conversation_id"):
        op.create_index(op.f(f"ix_review_turns_{column}"), "review_turns", [column])
    op.create_table(
        "review_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_fk(),
        sa.Column("tag", sa.String(length=64), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _fk("review_tags", "conversation_id", "review_conversations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_tags")),
        sa.UniqueConstraint("conversation_id", "tag", name=op.f("uq_review_tags_conversation_id")),
    )
    op.create_index(op.f("ix_review_tags_tag"), "review_tags", ["tag"])
    op.create_table(
        "review_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        _conversation_fk(),
        _timestamp("at", nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _fk("review_notes", "conversation_id", "review_conversations", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_notes")),
    )
    op.create_index(op.f("ix_review_notes_conversation_id"), "review_notes", ["conversation_id"])
    op.create_table(
        "review_annotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("turn_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("original_intent", sa.String(length=128), nullable=True),
        sa.Column("intent", sa.String(length=128), nullable=False),
        sa.Column("entities", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        _timestamp("at", nullable=False),
        _fk("review_annotations", "turn_id", "review_turns", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_annotations")),
        sa.UniqueConstraint("turn_id", name=op.f("uq_review_annotations_turn_id")),
    )
    op.create_index(op.f("ix_review_annotations_intent"), "review_annotations", ["intent"])
    op.create_table(
        "review_saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        _timestamp("created_at", nullable=False),
        _fk("review_saved_filters", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_saved_filters")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_review_saved_filters_user_id")),
    )
    op.create_index(op.f("ix_review_saved_filters_user_id"), "review_saved_filters", ["user_id"])


def downgrade() -> None:
    """Drop the review tables (the tracker store itself is untouched)."""
    for table in (
        "review_saved_filters",
        "review_annotations",
        "review_notes",
        "review_tags",
        "review_turns",
        "review_items",
        "review_conversations",
        "review_index_state",
    ):
        op.drop_table(table)
