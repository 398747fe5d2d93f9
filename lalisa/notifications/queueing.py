"""Putting a ticket's notification into the durable outbox, in the state change's transaction.

The contents come from :mod:`lalisa.notifications.messages`; the outbox row (idempotency key,
recipient, free text and template) is made by :func:`lalisa.notifications.outbox.enqueue`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.crypto import get_identity_cipher
from lalisa.notifications.messages import WHATSAPP_CHANNEL, NotificationContent
from lalisa.notifications.models import OutboxMessage, RecipientKind
from lalisa.notifications.outbox import enqueue
from lalisa.tickets.models import Reporter, Ticket, TicketEvent

logger = logging.getLogger(__name__)


async def enqueue_citizen_update(
    session: AsyncSession,
    ticket: Ticket,
    event: TicketEvent,
    content: NotificationContent,
    *,
    now: datetime | None = None,
) -> OutboxMessage | None:
    """Queue a message to the ticket's reporter, in the transaction of the state change.

    Idempotent per ticket event: the key is ``citizen_update:ticket_event:<event id>``.

    Args:
        session: Session of the caller's unit of work.
        ticket: The ticket.
        event: The event the message tells about (from :func:`lalisa.tickets.service.transition`).
        content: What to send.
        now: Creation time (aware).

    Returns:
        The outbox row, or ``None`` when the reporter did not come through WhatsApp (there is
        no WhatsApp number to write to).
    """
    reporter = await session.get(Reporter, ticket.reporter_id)
    if reporter is None:
        raise LookupError(f"reporter {ticket.reporter_id} of ticket {ticket.number} not found")
    if reporter.channel != WHATSAPP_CHANNEL:
        logger.info(
            "Ticket %s: reporter came through %r, no WhatsApp message queued",
            ticket.number,
            reporter.channel,
        )
        return None
    phone = get_identity_cipher().decrypt(reporter.phone_encrypted)
    return await enqueue(
        session,
        kind=content.kind,
        event=content.event,
        ticket_id=ticket.id,
        recipient_phone=phone,
        recipient_kind=RecipientKind.CITIZEN,
        recipient_ref=reporter.phone_blind_index,
        body=content.body,
        template_name=content.template_name,
        template_language=content.template_language,
        template_params=content.template_params,
        idempotency_key=f"{content.kind}:ticket_event:{event.id}",
        now=now,
    )


async def enqueue_trc_dispatch(
    session: AsyncSession,
    *,
    ticket_id: int,
    officer_phone: str,
    officer_ref: str,
    content: NotificationContent,
    idempotency_key: str,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue a dispatch message to a TRC officer, in the transaction of the dispatch.

    Args:
        session: Session of the caller's unit of work.
        ticket_id: The ticket.
        officer_phone: The officer's WhatsApp number.
        officer_ref: Pseudonym of the officer, e.g. ``user:<id>``.
        content: From :func:`trc_dispatch`.
        idempotency_key: E.g. ``trc_dispatch:<dispatch id>:<user id>``.
        now: Creation time (aware).

    Returns:
        The outbox row.
    """
    return await enqueue(
        session,
        kind=content.kind,
        event=content.event,
        ticket_id=ticket_id,
        recipient_phone=officer_phone,
        recipient_kind=RecipientKind.OFFICER,
        recipient_ref=officer_ref,
        body=content.body,
        template_name=content.template_name,
        template_language=content.template_language,
        template_params=content.template_params,
        idempotency_key=idempotency_key,
        now=now,
    )
