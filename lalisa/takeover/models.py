"""ORM models of the human takeover (revision ``0007_takeover``).

* :class:`HandoffRequest`: a conversation that needs a person (the citizen asked for one, or the
  assistant fell back twice in a row). Open until an admin takes the conversation over.
* :class:`Takeover`: an admin answering a citizen instead of the assistant. At most one active
  takeover per citizen, enforced by a partial unique index so two admins can never hold the same
  conversation, even when they press "Ambil alih" at the same instant.
* :class:`TakeoverMessage`: a reply an admin typed; the message itself travels through the
  notification outbox (:class:`lalisa.notifications.models.OutboxMessage`).

Citizens are identified by ``sender_ref``, the blind index of their sender id (the same HMAC
that :class:`lalisa.tickets.models.Reporter` uses), and the exact Rasa sender id is kept only as a
Fernet token, like every other piece of reporter identity.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lalisa.core.models import Base, utcnow

__all__ = [
    "STORED_HANDOFF_REASONS",
    "TAKEOVER_END_VALUES",
    "HandoffReason",
    "HandoffRequest",
    "Takeover",
    "TakeoverEnd",
    "TakeoverMessage",
]


class HandoffReason(str, enum.Enum):
    """Why a conversation needs a person."""

    REQUEST_HUMAN = "request_human"
    FALLBACK_TWICE = "fallback_twice"
    TICKET_REVIEW = "ticket_review"
    """Not stored: flagged tickets are read from ``tickets.review_flagged_at``."""

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value


STORED_HANDOFF_REASONS: tuple[str, ...] = (
    HandoffReason.REQUEST_HUMAN.value,
    HandoffReason.FALLBACK_TWICE.value,
)
"""Reasons kept in ``handoff_requests`` (the check constraint)."""


class TakeoverEnd(str, enum.Enum):
    """How a takeover ended."""

    HANDED_BACK = "handed_back"
    IDLE = "idle"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value


TAKEOVER_END_VALUES: tuple[str, ...] = tuple(end.value for end in TakeoverEnd)


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class HandoffRequest(Base):
    """A conversation waiting for a person.

    Attributes:
        id: Primary key.
        created_at: When the need was recorded (first time, while open).
        last_seen_at: Latest repetition of the same need while still open.
        sender_ref: Blind index of the citizen's sender id.
        sender_encrypted: Fernet token of the exact Rasa sender id.
        reason: ``request_human`` or ``fallback_twice``.
        out_of_hours: True when it arrived outside working hours.
        resolved_at: When an admin took the conversation over; ``None`` while waiting.
        resolved_by: Username of that admin.
        takeover_id: The takeover that answered it.
    """

    __tablename__ = "handoff_requests"
    __table_args__ = (
        CheckConstraint(f"reason IN ({_sql_list(STORED_HANDOFF_REASONS)})", name="reason"),
        # One open request per citizen and reason: repeats only refresh last_seen_at.
        Index(
            "uq_handoff_requests_open",
            "sender_ref",
            "reason",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    sender_ref: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    sender_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    out_of_hours: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    takeover_id: Mapped[int | None] = mapped_column(
        ForeignKey("takeovers.id", ondelete="RESTRICT"), index=True
    )


class Takeover(Base):
    """An admin answering a citizen instead of the assistant.

    Attributes:
        id: Primary key.
        sender_ref: Blind index of the citizen's sender id.
        sender_encrypted: Fernet token of the exact Rasa sender id.
        taken_by: Username of the admin.
        taken_at: When the admin took over (and Rasa paused the conversation).
        last_activity_at: Latest take-over or reply; the idle return counts from here.
        ended_at: When the assistant got the conversation back; ``None`` while active.
        ended_by: Username, or ``system`` for the automatic return.
        end_reason: ``handed_back`` or ``idle``.
    """

    __tablename__ = "takeovers"
    __table_args__ = (
        CheckConstraint(
            f"end_reason IS NULL OR end_reason IN ({_sql_list(TAKEOVER_END_VALUES)})",
            name="end_reason",
        ),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        # The lock that makes "two admins cannot take the same conversation" hold under
        # concurrency: the second INSERT fails on this index whatever the timing.
        Index(
            "uq_takeovers_active_sender",
            "sender_ref",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_takeovers_sender_ref", "sender_ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    sender_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    taken_by: Mapped[str] = mapped_column(String(128), nullable=False)
    taken_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[str | None] = mapped_column(String(128))
    end_reason: Mapped[str | None] = mapped_column(String(16))

    @property
    def active(self) -> bool:
        """True while the admin holds the conversation."""
        return self.ended_at is None


class TakeoverMessage(Base):
    """A reply an admin sent during a takeover (delivered through the outbox).

    Attributes:
        id: Primary key.
        takeover_id: The takeover.
        created_at: When the admin sent it.
        author: Username of the admin.
        body: The text (shown escaped).
        outbox_id: The outbox row that carries it to WhatsApp (its status is the delivery
            status shown next to the reply).
    """

    __tablename__ = "takeover_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    takeover_id: Mapped[int] = mapped_column(
        ForeignKey("takeovers.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
