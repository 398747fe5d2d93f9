"""ORM model of the notification outbox (table ``outbox_messages``, revision ``0004_outbox``).

One row is one WhatsApp message to send to a citizen or an officer. The row is written in the
same transaction as the state change that causes it (see :func:`lalisa.notifications.outbox.
enqueue`) and sent later by the worker (:mod:`lalisa.notifications.worker`).

The recipient's phone number is stored only as a Fernet token (:mod:`lalisa.core.crypto`);
``recipient_ref`` is a stable pseudonym (the reporter's blind index, or ``user:<id>`` for an
officer) that can be shown and joined on without revealing the number.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lalisa.core.models import Base, utcnow

__all__ = [
    "OUTBOX_STATUS_VALUES",
    "RECIPIENT_KIND_VALUES",
    "NotificationKind",
    "OutboxMessage",
    "OutboxStatus",
    "RecipientKind",
]


class OutboxStatus(str, enum.Enum):
    """Life cycle of an outbox row.

    ``pending`` → ``sending`` (claimed by a worker) → ``sent`` (accepted by WhatsApp, wamid
    known) → ``delivered`` → ``read``; ``failed`` when it cannot be sent (permanent error,
    attempts used up, unknown outcome after a crash) or WhatsApp reports a delivery failure.
    """

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value

    @property
    def label(self) -> str:
        """Bahasa Indonesia label for the ticket page."""
        return _STATUS_LABELS[self]


_STATUS_LABELS: dict[OutboxStatus, str] = {
    OutboxStatus.PENDING: "Menunggu dikirim",
    OutboxStatus.SENDING: "Sedang dikirim",
    OutboxStatus.SENT: "Terkirim",
    OutboxStatus.DELIVERED: "Diterima",
    OutboxStatus.READ: "Dibaca",
    OutboxStatus.FAILED: "Gagal",
}

OUTBOX_STATUS_VALUES: tuple[str, ...] = tuple(status.value for status in OutboxStatus)


class RecipientKind(str, enum.Enum):
    """Who receives the message."""

    CITIZEN = "citizen"
    OFFICER = "officer"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value


RECIPIENT_KIND_VALUES: tuple[str, ...] = tuple(kind.value for kind in RecipientKind)


class NotificationKind(str, enum.Enum):
    """Known values of :attr:`OutboxMessage.kind` (the column accepts other short names)."""

    CITIZEN_UPDATE = "citizen_update"
    TRC_DISPATCH = "trc_dispatch"
    ADMIN_REPLY = "admin_reply"

    def __str__(self) -> str:
        """Return the machine value."""
        return self.value


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class OutboxMessage(Base):
    """One notification waiting for, or done with, delivery through WhatsApp.

    Attributes:
        id: Primary key; also sent to Meta as ``biz_opaque_callback_data`` (``outbox:<id>``).
        created_at: When the row was written (the state change's transaction).
        updated_at: Last change of the row.
        kind: What the message is about: ``citizen_update``, ``trc_dispatch``, ``admin_reply``.
        event: Finer event name (``verified``, ``closed_selesai`` …) for display; optional.
        ticket_id: The ticket it is about, if any.
        recipient_kind: ``citizen`` or ``officer``.
        recipient_phone_encrypted: Fernet token of the normalised phone number (or WhatsApp
            user id); never stored in clear text.
        recipient_ref: Stable pseudonym of the recipient (reporter blind index, ``user:<id>``).
        body: Free text (Bahasa Indonesia) for inside the 24-hour window; ``None`` for
            template-only messages.
        template_name: Approved template for outside the window; ``None`` for text-only.
        template_language: Template language code (``id``).
        template_params: Positional body parameters of the template (list of strings).
        buttons: Reply buttons ``[{"id", "title"}]`` (at most 3): an interactive message
            inside the window, the quick-reply payloads (same order) of the template outside.
        idempotency_key: Unique key of the cause; enqueueing it twice yields one row.
        status: See :class:`OutboxStatus`.
        force_template: Send as template even inside the window (set after error 131047).
        sent_as: ``text`` or ``template`` once sent.
        attempts: Send attempts that reached (or may have reached) WhatsApp.
        next_attempt_at: Earliest time the worker may (re)try.
        claimed_at: When a worker set ``sending``; used to detect rows left by a crash.
        claimed_by: Id of the worker process that claimed it.
        last_error_code: Graph error code, or a negative local code (see
            :mod:`lalisa.notifications.graph`).
        last_error: Readable explanation of the last error, for officers.
        wamid: Id WhatsApp gave the message; joins ``whatsapp_outbound_messages``.
        sent_at: When WhatsApp accepted it.
        status_at: When the delivery status last changed (sent/delivered/read/failed).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(OUTBOX_STATUS_VALUES)})", name="status"),
        CheckConstraint(
            f"recipient_kind IN ({_sql_list(RECIPIENT_KIND_VALUES)})", name="recipient_kind"
        ),
        CheckConstraint("body IS NOT NULL OR template_name IS NOT NULL", name="body_or_template"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow, onupdate=utcnow)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    event: Mapped[str | None] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), index=True
    )
    recipient_kind: Mapped[RecipientKind] = mapped_column(
        Enum(
            RecipientKind,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda kinds: [kind.value for kind in kinds],
            validate_strings=True,
        ),
        nullable=False,
    )
    recipient_phone_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    recipient_ref: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    body: Mapped[str | None] = mapped_column(Text)
    template_name: Mapped[str | None] = mapped_column(String(512))
    template_language: Mapped[str | None] = mapped_column(String(16))
    template_params: Mapped[list[str] | None] = mapped_column(JSON)
    # Revision 0009_survey: reply buttons (``[{"id": payload, "title": label}]``) sent with the
    # free text as an interactive message, and as quick-reply payloads of the template.
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            native_enum=False,
            create_constraint=False,
            length=16,
            values_callable=lambda statuses: [status.value for status in statuses],
            validate_strings=True,
        ),
        nullable=False,
        default=OutboxStatus.PENDING,
    )
    force_template: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    sent_as: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    last_error_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    wamid: Mapped[str | None] = mapped_column(String(255), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column()
    status_at: Mapped[datetime | None] = mapped_column()

    @property
    def callback_data(self) -> str:
        """The ``biz_opaque_callback_data`` sent with this message (``outbox:<id>``)."""
        return callback_data_for(self.id)

    @property
    def is_final(self) -> bool:
        """True when the worker will not send the row (again): sent or later, or failed.

        A sent row can still move on to delivered/read/failed from status webhooks, and a free
        text failed asynchronously with 131047 goes back to pending once, as the template.
        """
        return self.status not in (OutboxStatus.PENDING, OutboxStatus.SENDING)


CALLBACK_PREFIX = "outbox:"
"""Prefix of ``biz_opaque_callback_data`` for outbox messages (other senders use other data)."""


def callback_data_for(outbox_id: int) -> str:
    """Return the ``biz_opaque_callback_data`` of an outbox row.

    Args:
        outbox_id: Primary key of the row.

    Returns:
        ``"outbox:<id>"``.
    """
    return f"{CALLBACK_PREFIX}{outbox_id}"
