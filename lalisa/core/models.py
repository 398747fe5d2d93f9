"""Foundation of every ORM model: the declarative base, UTC timestamps, the audit log table.

Every model shares :class:`Base` (one metadata with a constraint naming convention, so Alembic
sees stable names). Every timestamp is stored and returned as a timezone-aware UTC datetime, on
SQLite too. The schema itself is owned by Alembic (``lalisa/migrations``); :mod:`lalisa.models`
imports every model module so the whole schema is registered on :attr:`Base.metadata`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer, MetaData, String, Text, event
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING_CONVENTION",
    "AppendOnlyError",
    "AuditLog",
    "Base",
    "UTCDateTime",
    "aware_now",
    "utcnow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def aware_now(now: datetime | None = None) -> datetime:
    """Return ``now``, or the current time when it is ``None`` (a seam for tests).

    Args:
        now: A time given by the caller; must be aware.

    Returns:
        An aware datetime.

    Raises:
        ValueError: ``now`` is naive.
    """
    if now is None:
        return utcnow()
    if now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}; pass an aware datetime")
    return now


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back aware UTC datetimes.

    SQLite has no time zone type and returns naive values; PostgreSQL returns the session's
    zone. Normalising here keeps comparisons and arithmetic in application code safe.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Reject naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}; use an aware datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to naive values (SQLite) and convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(AsyncAttrs, DeclarativeBase):
    """Declarative base with a constraint naming convention (stable names for migrations).

    Relationships are not loaded implicitly under asyncio: use ``selectinload`` in queries or
    ``await obj.awaitable_attrs.<relationship>``.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (read by SQLAlchemy)


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


class AuditLog(Base):
    """Append-only record of who did what in the back office (see :mod:`lalisa.core.audit`)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(Text)


@event.listens_for(AuditLog, "before_update")
def _refuse_audit_update(_mapper: Mapper[Any], _connection: Any, target: AuditLog) -> None:
    raise AppendOnlyError(f"audit log entry {target.id} is append-only")


@event.listens_for(AuditLog, "before_delete")
def _refuse_audit_delete(_mapper: Mapper[Any], _connection: Any, target: AuditLog) -> None:
    raise AppendOnlyError(f"audit log entry {target.id} is append-only")
