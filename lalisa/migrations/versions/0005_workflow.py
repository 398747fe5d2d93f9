"""Complaint workflow: ticket columns, notes, officer phones, dispatches, field reports.

Revision ID: 0005_workflow
Revises: 0004_outbox
Create Date: 2026-11-28

Written by hand to match the workflow columns of ``lalisa/tickets/models.py`` (``Ticket``) and the
tables of ``lalisa/tickets/models.py`` (``ticket_notes``) and ``lalisa/dispatch/models.py``;
tests/backoffice/test_workflow_migration.py compares the migrated schema with the models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005_workflow"
down_revision: str | None = "0004_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values at this revision; a later revision that adds a value must
# rebuild the check constraint itself.
_PRIORITIES = ("rendah", "sedang", "tinggi", "darurat")
_DISPATCH_STATUSES = ("ditugaskan", "berangkat", "tiba", "dilaporkan", "ditutup")
_OUTCOMES = ("dalam_penanganan", "selesai", "tidak_ditemukan")

_TICKET_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("on_site_at", sa.DateTime(timezone=True)),
    ("closing_reason_code", sa.String(length=40)),
    ("closing_explanation", sa.Text()),
    ("closing_contact", sa.Text()),
    ("redirected_to", sa.String(length=255)),
    ("duplicate_of_number", sa.String(length=20)),
    ("review_flagged_at", sa.DateTime(timezone=True)),
    ("review_note", sa.Text()),
)


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def upgrade() -> None:
    """Add the workflow columns to ``tickets`` and create the workflow tables."""
    op.add_column("tickets", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    for name, type_ in _TICKET_COLUMNS:
        op.add_column("tickets", sa.Column(name, type_, nullable=True))
    op.create_index(op.f("ix_tickets_review_flagged_at"), "tickets", ["review_flagged_at"])

    op.create_table(
        "ticket_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_notes_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_ticket_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_notes")),
    )
    op.create_index(op.f("ix_ticket_notes_ticket_id"), "ticket_notes", ["ticket_id"])

    op.create_table(
        "officer_contacts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_officer_contacts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_officer_contacts")),
    )

    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("departed_at"),
        _timestamp("arrived_at"),
        _timestamp("reported_at"),
        _timestamp("closed_at"),
        sa.CheckConstraint(
            f"priority IN ({_sql_list(_PRIORITIES)})", name=op.f("ck_dispatches_priority")
        ),
        sa.CheckConstraint(
            f"status IN ({_sql_list(_DISPATCH_STATUSES)})", name=op.f("ck_dispatches_status")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_dispatches_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
    )
    op.create_index(op.f("ix_dispatches_ticket_id"), "dispatches", ["ticket_id"])

    op.create_table(
        "dispatch_officers",
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_dispatch_officers_dispatch_id_dispatches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_dispatch_officers_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("dispatch_id", "user_id", name=op.f("pk_dispatch_officers")),
    )
    op.create_index(op.f("ix_dispatch_officers_user_id"), "dispatch_officers", ["user_id"])

    op.create_table(
        "field_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("actions_taken", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("citizen_message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            f"outcome IN ({_sql_list(_OUTCOMES)})", name=op.f("ck_field_reports_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_field_reports_dispatch_id_dispatches"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_field_reports_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_field_reports_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_reports")),
    )
    op.create_index(op.f("ix_field_reports_dispatch_id"), "field_reports", ["dispatch_id"])
    op.create_index(op.f("ix_field_reports_ticket_id"), "field_reports", ["ticket_id"])

    op.create_table(
        "field_report_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        _timestamp("created_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["field_reports.id"],
            name=op.f("fk_field_report_photos_report_id_field_reports"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_report_photos")),
    )
    op.create_index(op.f("ix_field_report_photos_report_id"), "field_report_photos", ["report_id"])


def downgrade() -> None:
    """Drop the workflow tables and columns."""
    op.drop_index(op.f("ix_field_report_photos_report_id"), table_name="field_report_photos")
    op.drop_table("field_report_photos")
    op.drop_index(op.f("ix_field_reports_ticket_id"), table_name="field_reports")
    op.drop_index(op.f("ix_field_reports_dispatch_id"), table_name="field_reports")
    op.drop_table("field_reports")
    op.drop_index(op.f("ix_dispatch_officers_user_id"), table_name="dispatch_officers")
    op.drop_table("dispatch_officers")
    op.drop_index(op.f("ix_dispatches_ticket_id"), table_name="dispatches")
    op.drop_table("dispatches")
    op.drop_table("officer_contacts")
    op.drop_index(op.f("ix_ticket_notes_ticket_id"), table_name="ticket_notes")
    op.drop_table("ticket_notes")
    op.drop_index(op.f("ix_tickets_review_flagged_at"), table_name="tickets")
    for name, _type in reversed(_TICKET_COLUMNS):
        op.drop_column("tickets", name)
    op.drop_column("tickets", "version")
