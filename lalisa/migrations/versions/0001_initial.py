"""Initial schema: ticket_sequence, reporters, tickets, ticket_media, ticket_events.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27

Written by hand to match lalisa/tickets/models.py; tests/unit/test_migrations.py compares the
migrated schema with the models so the two cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the status values at this revision; a later revision that adds a status
# must rebuild the check constraint itself.
_STATUSES = (
    "baru",
    "diverifikasi",
    "didisposisikan",
    "dalam_penanganan",
    "selesai",
    "tidak_dapat_ditindaklanjuti",
    "dialihkan",
    "duplikat",
)


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the five tables of the complaint domain."""
    op.create_table(
        "ticket_sequence",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_ticket_sequence")),
    )

    op.create_table(
        "reporters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_blind_index", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("name_encrypted", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporters")),
        sa.UniqueConstraint("phone_blind_index", name=op.f("uq_reporters_phone_blind_index")),
    )

    status_list = ", ".join(f"'{status}'" for status in _STATUSES)
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("kecamatan", sa.String(length=64), nullable=True),
        sa.Column("desa", sa.String(length=64), nullable=True),
        sa.Column("location_text", sa.Text(), nullable=True),
        sa.Column("incident_time_text", sa.Text(), nullable=True),
        _timestamp("incident_at"),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("submission_key", sa.String(length=128), nullable=False),
        sa.Column("received_out_of_hours", sa.Boolean(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("updated_at", nullable=False),
        _timestamp("first_response_at"),
        _timestamp("verified_at"),
        _timestamp("dispatched_at"),
        _timestamp("in_progress_at"),
        _timestamp("closed_at"),
        sa.CheckConstraint(f"status IN ({status_list})", name=op.f("ck_tickets_status")),
        sa.CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)",
            name=op.f("ck_tickets_coordinates_both_or_none"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["reporters.id"],
            name=op.f("fk_tickets_reporter_id_reporters"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_tickets_submission_key")),
    )
    op.create_index(op.f("ix_tickets_reporter_id"), "tickets", ["reporter_id"])
    op.create_index(op.f("ix_tickets_category"), "tickets", ["category"])
    op.create_index(op.f("ix_tickets_kecamatan"), "tickets", ["kecamatan"])
    op.create_index(op.f("ix_tickets_status"), "tickets", ["status"])
    op.create_index(op.f("ix_tickets_created_at"), "tickets", ["created_at"])

    op.create_table(
        "ticket_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("sender_blind_index", sa.String(length=64), nullable=True),
        sa.Column("wa_media_id", sa.String(length=128), nullable=True),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("mime_type", sa.String(length=128), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        _timestamp("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_media_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_media")),
        sa.UniqueConstraint("wa_media_id", name=op.f("uq_ticket_media_wa_media_id")),
    )
    op.create_index(op.f("ix_ticket_media_ticket_id"), "ticket_media", ["ticket_id"])
    op.create_index(
        op.f("ix_ticket_media_sender_blind_index"), "ticket_media", ["sender_blind_index"]
    )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_events_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])


def downgrade() -> None:
    """Drop the tables in reverse dependency order."""
    op.drop_index(op.f("ix_ticket_events_ticket_id"), table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_index(op.f("ix_ticket_media_sender_blind_index"), table_name="ticket_media")
    op.drop_index(op.f("ix_ticket_media_ticket_id"), table_name="ticket_media")
    op.drop_table("ticket_media")
    for column in ("created_at", "status", "kecamatan", "category", "reporter_id"):
        op.drop_index(op.f(f"ix_tickets_{column}"), table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("reporters")
    op.drop_table("ticket_sequence")
