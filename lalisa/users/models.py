"""ORM models of the back office's officers (users) and their server-side sessions.

The schema is created by the Alembic revision ``0003_backoffice`` (with the audit log, whose
model is :class:`lalisa.core.models.AuditLog`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lalisa.core.models import Base, utcnow

__all__ = ["ROLE_VALUES", "BackofficeSession", "Role", "User"]


class Role(str, enum.Enum):
    """Role of a back-office user (machine value, see docs/CONTRACTS.md)."""

    SUPERADMIN = "superadmin"
    ADMIN = "admin"
    VERIFIKATOR = "verifikator"
    KOMANDAN_TRC = "komandan_trc"
    PETUGAS_TRC = "petugas_trc"
    PIMPINAN = "pimpinan"

    def __str__(self) -> str:
        """Return the machine value (not ``Role.ADMIN``)."""
        return self.value


ROLE_VALUES: tuple[str, ...] = tuple(role.value for role in Role)
_ROLE_VALUES_SQL = ", ".join(f"'{value}'" for value in ROLE_VALUES)


class User(Base):
    """An officer who signs in to the back office.

    Attributes:
        username: Login name (lower case, unique).
        full_name: Name shown in the interface and audit views (free text, always escaped).
        role: One of :class:`Role`.
        password_hash: Argon2id hash (PHC string, ``$argon2id$…``).
        active: False once deactivated; inactive users cannot sign in and lose their sessions.
        must_change_password: True for generated passwords; the user must pick a new one first.
        failed_attempts: Consecutive failed logins since the last success or lock.
        locked_until: Sign-in refused until this time after too many failures.
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({_ROLE_VALUES_SQL})", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            create_constraint=False,
            length=32,
            values_callable=lambda roles: [role.value for role in roles],
            validate_strings=True,
        ),
        nullable=False,
    )
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()

    sessions: Mapped[list[BackofficeSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class BackofficeSession(Base):
    """A signed-in browser session, kept server-side.

    The cookie holds a random 256-bit token; only its SHA-256 (``id_hash``) is stored, so a
    copy of the database does not hand out live sessions.
    """

    __tablename__ = "backoffice_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")
