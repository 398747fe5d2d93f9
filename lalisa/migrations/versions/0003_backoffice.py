"""Back office: users, backoffice_sessions, audit_log.

Revision ID: 0003_backoffice
Revises: 0002_whatsapp
Create Date: 2026-11-28

Written by hand to match lalisa/users/models.py; tests/unit/test_migrations.py compares the
migrated schema with the models whenever they are imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003_backoffice"
down_revision: str | None = "0002_whatsapp"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the role values at this revision; a later revision that adds a role must
# rebuild the check constraint itself.
_ROLES = ("superadmin", "admin", "verifikator", "komandan_trc", "petugas_trc", "pimpinan")


def _timestamp(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the back-office tables."""
    role_list = ", ".join(f"'{role}'" for role in _ROLES)
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        _timestamp("locked_until"),
        _timestamp("created_at", nullable=False),
        _timestamp("last_login_at"),
        sa.CheckConstraint(f"role IN ({role_list})", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )

    op.create_table(
        "backoffice_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("expires_at", nullable=False),
        _timestamp("last_seen_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_backoffice_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_backoffice_sessions")),
    )
    op.create_index(op.f("ix_backoffice_sessions_user_id"), "backoffice_sessions", ["user_id"])
    op.create_index(
        op.f("ix_backoffice_sessions_expires_at"), "backoffice_sessions", ["expires_at"]
    )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("at", nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_actor"), "audit_log", ["actor"])
    op.create_index(op.f("ix_audit_log_action"), "audit_log", ["action"])


def downgrade() -> None:
    """Drop the back-office tables."""
    for column in ("action", "actor", "at"):
        op.drop_index(op.f(f"ix_audit_log_{column}"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_backoffice_sessions_expires_at"), table_name="backoffice_sessions")
    op.drop_index(op.f("ix_backoffice_sessions_user_id"), table_name="backoffice_sessions")
    op.drop_table("backoffice_sessions")
    op.drop_table("users")
