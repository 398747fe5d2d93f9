"""The durable notification outbox: write a message with the state change, read its status.

:func:`enqueue` only adds a row to the caller's session, so the message is committed together
with the ticket change that caused it, or rolled back with it: a message is never sent for a
change that did not happen, and never lost for one that did. The worker
(:mod:`lalisa.notifications.worker`) sends it later.

Delivery status (sent, delivered, read, failed) comes from Meta's status webhooks, which the
WhatsApp channel writes to ``whatsapp_outbound_messages`` by wamid; :func:`refresh_statuses`
copies it onto the outbox rows (the worker does so on every poll, :func:`ticket_notifications`
before showing a ticket's messages).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from lalisa.core.contacts import citizen_address
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import insert_or_find
from lalisa.core.models import aware_now
from lalisa.core.settings import get_settings
from lalisa.notifications.channel_tables import CHANNEL_STATUS_TO_OUTBOX, outbound_messages
from lalisa.notifications.graph import MAX_TEXT_LENGTH, OUTCOME_UNKNOWN
from lalisa.notifications.models import (
    CALLBACK_PREFIX,
    OutboxMessage,
    OutboxStatus,
    RecipientKind,
    callback_data_for,
)
from lalisa.notifications.texts import ERROR_DELIVERY_FAILED, GRAPH_ERROR_EXPLANATIONS
from lalisa_common.phone import normalise_sender_id
from lalisa_common.whatsapp.errors import REENGAGEMENT_REQUIRED

__all__ = [
    "UNKNOWN_AFTER_CRASH",
    "ChannelRecord",
    "channel_records_for",
    "enqueue",
    "explain_error",
    "refresh_statuses",
    "resend",
    "ticket_notifications",
]

logger = logging.getLogger(__name__)

UNKNOWN_AFTER_CRASH = -3
"""Local error code: a worker stopped between claiming and recording, and WhatsApp has no trace
of the message (yet). The row is failed for an officer to check, never resent automatically."""

_RANK: dict[OutboxStatus, int] = {
    OutboxStatus.SENT: 1,
    OutboxStatus.DELIVERED: 2,
    OutboxStatus.READ: 3,
}


def explain_error(code: int | None, title: str | None) -> str:
    """Describe a Graph error for officers, in Bahasa Indonesia, keeping Meta's own words.

    Args:
        code: Graph error code (or a negative local code).
        title: Graph error message.

    Returns:
        E.g. ``"131026 nomor tidak dapat menerima pesan WhatsApp …: Message undeliverable"``.
    """
    parts = []
    if code is not None:
        explanation = GRAPH_ERROR_EXPLANATIONS.get(code)
        parts.append(f"{code} {explanation}" if explanation else f"kode {code}")
    if title:
        parts.append(title)
    text = ": ".join(parts) if parts else "kesalahan tidak dikenal"
    return text[:1000]


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    ticket_id: int | None,
    recipient_phone: str,
    recipient_kind: RecipientKind | str,
    recipient_ref: str,
    body: str | None,
    template_name: str | None,
    template_params: Sequence[str] | None,
    idempotency_key: str,
    template_language: str | None = None,
    event: str | None = None,
    now: datetime | None = None,
    buttons: Sequence[Mapping[str, str]] | None = None,
) -> OutboxMessage:
    """Add a message to the outbox inside the caller's transaction (nothing is committed here).

    Args:
        session: Session of the caller's unit of work (the one that changes the ticket).
        kind: ``citizen_update``, ``trc_dispatch``, ``admin_reply`` …
        ticket_id: The ticket the message is about, if any.
        recipient_phone: Phone number (any spelling) or WhatsApp user id; stored encrypted.
        recipient_kind: ``citizen`` or ``officer``.
        recipient_ref: Stable pseudonym (reporter blind index, ``user:<id>``), ≤ 64 characters.
        body: Free text for inside the 24-hour window, or ``None`` (template only).
        template_name: Approved template for outside the window, or ``None`` (text only).
        template_params: Positional template body parameters.
        idempotency_key: Unique key of the cause (e.g. ``citizen_update:ticket_event:42``).
        template_language: Template language; defaults to ``WHATSAPP_TEMPLATE_LANGUAGE``.
        event: Finer event name for display (``verified``, ``closed_selesai`` …).
        now: Creation time (aware); defaults to now.
        buttons: Reply buttons ``{"id", "title"}`` (at most 3, title at most 20 characters):
            sent with the free text as an interactive message, and as the quick-reply
            payloads of the template (which must have as many quick-reply buttons).

    Returns:
        The new row (flushed, so ``id`` is set), or the existing row with the same
        ``idempotency_key``.

    Raises:
        ValueError: Neither body nor template, an over-long text or name, or an empty key,
            phone or reference.
    """
    key = idempotency_key.strip()
    if not key or len(key) > 128:
        raise ValueError("idempotency_key must be 1 to 128 characters")
    existing = await _by_key(session, key)
    if existing is not None:
        return existing

    if body is not None and not body.strip():
        body = None
    if body is None and not template_name:
        raise ValueError("a notification needs a body, a template, or both")
    if body is not None and len(body) > MAX_TEXT_LENGTH:
        raise ValueError(f"body is longer than {MAX_TEXT_LENGTH} characters")
    if not recipient_ref.strip() or len(recipient_ref) > 64:
        raise ValueError("recipient_ref must be 1 to 64 characters")
    if not kind.strip() or len(kind) > 32 or (event is not None and len(event) > 64):
        raise ValueError("kind must be 1 to 32 characters and event at most 64")
    button_rows = _check_buttons(buttons)
    now = aware_now(now)
    # A citizen key is resolved to the number behind it here, so the row holds the number
    # (encrypted); an unknown key is kept and resolved again by the worker.
    normalise_sender_id(recipient_phone)  # ValueError when empty
    address = await citizen_address(session, recipient_phone) or recipient_phone.strip()
    message = OutboxMessage(
        created_at=now,
        updated_at=now,
        kind=kind,
        event=event,
        ticket_id=ticket_id,
        recipient_kind=RecipientKind(recipient_kind),
        recipient_phone_encrypted=get_identity_cipher().encrypt(address),
        recipient_ref=recipient_ref.strip(),
        body=body,
        template_name=template_name or None,
        template_language=(template_language or get_settings().whatsapp.template_language)
        if template_name
        else None,
        template_params=[str(value) for value in template_params or ()] if template_name else None,
        buttons=button_rows,
        idempotency_key=key,
        status=OutboxStatus.PENDING,
        force_template=False,
        attempts=0,
        next_attempt_at=now,
    )
    # A concurrent enqueue of the same key may win; then its row is the answer.
    message, _ = await insert_or_find(session, message, lambda: _by_key(session, key))
    return message


MAX_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256


def _check_buttons(buttons: Sequence[Mapping[str, str]] | None) -> list[dict[str, str]] | None:
    """Validate reply buttons against WhatsApp's limits (they are sent as they are)."""
    if not buttons:
        return None
    rows = [
        {"id": str(b.get("id") or "").strip(), "title": str(b.get("title") or "").strip()}
        for b in buttons
    ]
    if len(rows) > MAX_BUTTONS:
        raise ValueError(f"at most {MAX_BUTTONS} reply buttons")
    for row in rows:
        if not row["id"] or len(row["id"]) > MAX_BUTTON_ID:
            raise ValueError(f"button id must be 1 to {MAX_BUTTON_ID} characters")
        if not row["title"] or len(row["title"]) > MAX_BUTTON_TITLE:
            raise ValueError(f"button title must be 1 to {MAX_BUTTON_TITLE} characters")
    if len({row["id"] for row in rows}) != len(rows):
        raise ValueError("button ids must be unique")
    return rows


async def _by_key(session: AsyncSession, key: str) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
    return (await session.execute(query)).scalar_one_or_none()


async def resend(
    session: AsyncSession, outbox_id: int, *, now: datetime | None = None
) -> OutboxMessage:
    """Queue a failed message again (the officer's "kirim ulang" after checking it).

    Args:
        session: Session of the caller's unit of work.
        outbox_id: The row.
        now: Time (aware); defaults to now.

    Returns:
        The row, ``pending`` again with its attempts reset.

    Raises:
        LookupError: No such row.
        ValueError: The row is not ``failed``.
    """
    now = aware_now(now)
    message = await session.get(OutboxMessage, outbox_id, with_for_update=True)
    if message is None:
        raise LookupError(f"outbox message {outbox_id} does not exist")
    if message.status is not OutboxStatus.FAILED:
        raise ValueError(f"only failed messages can be sent again (this one is {message.status})")
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.claimed_at = None
    message.claimed_by = None
    message.wamid = None
    message.sent_as = None
    message.sent_at = None
    message.status_at = None
    message.updated_at = now
    await session.flush()
    return message


class ChannelRecord:
    """A row of ``whatsapp_outbound_messages`` that belongs to an outbox message.

    Attributes:
        wamid: WhatsApp message id.
        status: Channel status (``accepted``, ``sent``, ``delivered``, ``read``, ``failed``).
        error_code: Error code of a failed delivery.
        error_title: Error title of a failed delivery.
        status_at: When the status was reported.
    """

    __slots__ = ("error_code", "error_title", "status", "status_at", "wamid")

    def __init__(
        self,
        wamid: str,
        status: str,
        error_code: int | None,
        error_title: str | None,
        status_at: datetime | None,
    ) -> None:
        """Hold one record."""
        self.wamid = wamid
        self.status = status
        self.error_code = error_code
        self.error_title = error_title
        self.status_at = status_at

    @property
    def outbox_status(self) -> OutboxStatus:
        """The matching outbox status."""
        return OutboxStatus(CHANNEL_STATUS_TO_OUTBOX.get(self.status, "sent"))


async def channel_records_for(session: AsyncSession, outbox_id: int) -> list[ChannelRecord]:
    """List WhatsApp's traces of an outbox message, best first.

    They exist when this or another worker recorded the send, or when a status webhook for it
    arrived (the channel keeps the ``biz_opaque_callback_data`` ``outbox:<id>``), even if the
    worker stopped before it could record the send itself.

    Args:
        session: Any session.
        outbox_id: The row.

    Returns:
        Records with a wamid; delivered/read/sent before failed ones.
    """
    query = select(
        outbound_messages.c.wamid,
        outbound_messages.c.status,
        outbound_messages.c.error_code,
        outbound_messages.c.error_title,
        outbound_messages.c.status_at,
    ).where(
        outbound_messages.c.callback_data == callback_data_for(outbox_id),
        outbound_messages.c.wamid.is_not(None),
    )
    rows = (await session.execute(query)).all()
    records = [ChannelRecord(*row) for row in rows]
    order = {"read": 0, "played": 0, "delivered": 1, "sent": 2, "accepted": 3, "failed": 9}
    records.sort(key=lambda record: order.get(record.status, 5))
    return records


def apply_channel_record(
    message: OutboxMessage, record: ChannelRecord, now: datetime
) -> dict[str, Any]:
    """Compute the outbox changes that mirror a channel record (status never goes backwards).

    Args:
        message: The outbox row (only read).
        record: Its channel record.
        now: Current time.

    Returns:
        Column values to set; empty when nothing changes.
    """
    target = record.outbox_status
    changes: dict[str, Any] = {}
    current = message.status
    if target is OutboxStatus.FAILED:
        if current in (OutboxStatus.DELIVERED, OutboxStatus.READ, OutboxStatus.FAILED):
            return {}
        changes["status"] = OutboxStatus.FAILED
        changes["last_error_code"] = record.error_code
        changes["last_error"] = ERROR_DELIVERY_FAILED.format(
            detail=explain_error(record.error_code, record.error_title)
        )
    else:
        if current in _RANK and _RANK[current] >= _RANK[target]:
            return {}
        changes["status"] = target
        if current in (OutboxStatus.FAILED, OutboxStatus.SENDING, OutboxStatus.PENDING):
            changes["last_error_code"] = None
            changes["last_error"] = None
    if message.wamid is None:
        changes["wamid"] = record.wamid
    if message.sent_at is None:
        changes["sent_at"] = record.status_at or now
    changes["status_at"] = record.status_at or now
    changes["updated_at"] = now
    return changes


async def refresh_statuses(
    session: AsyncSession,
    *,
    ticket_id: int | None = None,
    limit: int = 500,
    now: datetime | None = None,
) -> int:
    """Copy delivery statuses from the channel's records onto outbox rows.

    * ``sent``/``delivered`` rows follow their wamid's record to delivered, read or failed.
    * A free text that WhatsApp failed with 131047 (window closed) goes back to ``pending`` to
      be sent once as the template.
    * A row failed as "outcome unknown" whose message did reach WhatsApp after all (a status
      webhook carried its ``outbox:<id>``) gets its real status.

    Args:
        session: Session of the caller's unit of work.
        ticket_id: Only this ticket's messages.
        limit: Maximum rows looked at per group.
        now: Current time (aware).

    Returns:
        Number of rows changed.
    """
    now = aware_now(now)
    changed = 0
    tracked = (
        select(
            OutboxMessage,
            outbound_messages.c.wamid,
            outbound_messages.c.status,
            outbound_messages.c.error_code,
            outbound_messages.c.error_title,
            outbound_messages.c.status_at,
        )
        .join(outbound_messages, outbound_messages.c.wamid == OutboxMessage.wamid)
        .where(
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.DELIVERED]),
            or_(
                and_(
                    OutboxMessage.status == OutboxStatus.SENT,
                    outbound_messages.c.status.in_(["delivered", "read", "played", "failed"]),
                ),
                and_(
                    OutboxMessage.status == OutboxStatus.DELIVERED,
                    outbound_messages.c.status.in_(["read", "played"]),
                ),
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if ticket_id is not None:
        tracked = tracked.where(OutboxMessage.ticket_id == ticket_id)
    for message, *columns in (await session.execute(tracked)).all():
        record = ChannelRecord(*columns)
        if (
            record.status == "failed"
            and record.error_code == REENGAGEMENT_REQUIRED
            and message.sent_as == "text"
            and message.template_name
            and not message.force_template
        ):
            changed += await _requeue_as_template(session, message, now)
            continue
        changes = apply_channel_record(message, record, now)
        if changes:
            changed += await _update_if(session, message, changes)

    unknown = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.last_error_code.in_([UNKNOWN_AFTER_CRASH, OUTCOME_UNKNOWN]),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if ticket_id is not None:
        unknown = unknown.where(OutboxMessage.ticket_id == ticket_id)
    for message in (await session.execute(unknown)).scalars().all():
        records = [
            r for r in await channel_records_for(session, message.id) if r.status != "failed"
        ]
        if records:
            changed += await _update_if(
                session, message, apply_channel_record(message, records[0], now)
            )
    return changed


async def _update_if(session: AsyncSession, message: OutboxMessage, changes: dict[str, Any]) -> int:
    """Apply ``changes`` unless another process changed the row's status meanwhile."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == message.status)
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        for name, value in changes.items():
            # The row is already written; only bring the loaded object up to date.
            set_committed_value(message, name, value)
        return 1
    return 0


async def _requeue_as_template(session: AsyncSession, message: OutboxMessage, now: datetime) -> int:
    logger.info("Outbox %s: free text refused (131047), sending the template instead", message.id)
    return await _update_if(
        session,
        message,
        {
            "status": OutboxStatus.PENDING,
            "force_template": True,
            "wamid": None,
            "sent_as": None,
            "sent_at": None,
            "claimed_at": None,
            "claimed_by": None,
            "next_attempt_at": now,
            "last_error_code": REENGAGEMENT_REQUIRED,
            "last_error": explain_error(REENGAGEMENT_REQUIRED, None),
            "updated_at": now,
        },
    )


async def ticket_notifications(
    session: AsyncSession, ticket_id: int, *, now: datetime | None = None
) -> list[OutboxMessage]:
    """List a ticket's notifications with fresh delivery statuses (for the ticket page).

    Args:
        session: Session of the caller's unit of work (statuses are updated in it).
        ticket_id: The ticket.
        now: Current time (aware).

    Returns:
        The rows, oldest first.
    """
    await refresh_statuses(session, ticket_id=ticket_id, now=now)
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.ticket_id == ticket_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return list((await session.execute(query)).scalars())


def is_outbox_callback(callback_data: str | None) -> bool:
    """Tell whether ``biz_opaque_callback_data`` belongs to an outbox message.

    Args:
        callback_data: The value echoed by Meta.

    Returns:
        True for ``outbox:<id>``.
    """
    return bool(callback_data) and str(callback_data).startswith(CALLBACK_PREFIX)
