"""SKM satisfaction survey: survey_responses, and reply buttons on outbox messages.

Revision ID: 0009_survey
Revises: 0005_workflow
Create Date: 2026-11-28

Written by hand to match lalisa/survey/service.py (``SurveyResponse``) and the ``buttons`` column of
lalisa/notifications/models.py (the survey invitation carries "Isi survei" / "Tidak mau").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009_survey"
down_revision: str | None = "0008_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values at this revision.
_STATUSES = ("invited", "partial", "completed", "declined")
_UNSUR = (
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "pengaduan",
    "sarana",
)


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create ``survey_responses`` and add ``outbox_messages.buttons``."""
    statuses = ", ".join(f"'{value}'" for value in _STATUSES)
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("close_status", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("invited_at", nullable=False),
        _timestamp("started_at"),
        _timestamp("completed_at"),
        _timestamp("declined_at"),
        _timestamp("updated_at", nullable=False),
        *(sa.Column(f"score_{key}", sa.SmallInteger(), nullable=True) for key in _UNSUR),
        sa.Column("saran", sa.Text(), nullable=True),
        sa.Column("saran_done", sa.Boolean(), nullable=False),
        sa.CheckConstraint(f"status IN ({statuses})", name=op.f("ck_survey_responses_status")),
        *(
            sa.CheckConstraint(
                f"score_{key} IS NULL OR score_{key} BETWEEN 1 AND 4",
                name=op.f(f"ck_survey_responses_score_{key}"),
            )
            for key in _UNSUR
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_survey_responses_ticket_id_tickets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["reporters.id"],
            name=op.f("fk_survey_responses_reporter_id_reporters"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_survey_responses_ticket_id")),
    )
    op.create_index(op.f("ix_survey_responses_reporter_id"), "survey_responses", ["reporter_id"])
    op.create_index(op.f("ix_survey_responses_invited_at"), "survey_responses", ["invited_at"])
    op.add_column("outbox_messages", sa.Column("buttons", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop ``survey_responses`` and ``outbox_messages.buttons``."""
    op.drop_column("outbox_messages", "buttons")
    op.drop_index(op.f("ix_survey_responses_invited_at"), table_name="survey_responses")
    op.drop_index(op.f("ix_survey_responses_reporter_id"), table_name="survey_responses")
    op.drop_table("survey_responses")
