"""The WhatsApp 24-hour customer service window: may a free text be sent to someone now?

WhatsApp delivers a free text only within 24 hours of the recipient's last message; outside it
an approved template is needed. The outbox worker, the takeover replies and the survey
invitations ask this module, which reads the channel's inbound log
(``whatsapp_inbound_messages``) and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.crypto import get_identity_cipher
from lalisa.notifications.channel_tables import inbound_messages
from lalisa_common.phone import normalise_sender_id

__all__ = ["SERVICE_WINDOW", "WINDOW_SAFETY_MARGIN", "in_service_window", "last_inbound_at"]

SERVICE_WINDOW = timedelta(hours=24)
WINDOW_SAFETY_MARGIN = timedelta(minutes=30)
"""Free text is only used while at least this much of the 24-hour window is left."""


def _sender_candidates(phone: str) -> list[str]:
    # The inbound log knows a citizen by their key; older rows held the number (migrated by
    # ``python -m lalisa.pseudonymise``), so both are looked for.
    normalised = normalise_sender_id(phone)
    candidates = [get_identity_cipher().key_for(phone)]
    if normalised.isdigit():
        return [*candidates, normalised, "+" + normalised]
    return [*candidates, normalised.lower()]


async def last_inbound_at(session: AsyncSession, phone: str, now: datetime) -> datetime | None:
    """When the recipient last wrote to La-Lisa, within the last 24 hours.

    The WhatsApp receiver logs every inbound message in ``whatsapp_inbound_messages`` with the
    citizen's key (:mod:`lalisa_common.identity`) in ``sender_id``.

    Args:
        session: Any session.
        phone: The recipient's number (any spelling), user id or key.
        now: Current time.

    Returns:
        The latest message time (WhatsApp's timestamp when known), or ``None``.
    """
    sent_at = func.coalesce(inbound_messages.c.wa_timestamp, inbound_messages.c.received_at)
    query = select(func.max(sent_at)).where(
        inbound_messages.c.received_at >= now - SERVICE_WINDOW,
        func.lower(inbound_messages.c.sender_id).in_(_sender_candidates(phone)),
    )
    value = (await session.execute(query)).scalar_one_or_none()
    if value is None:
        return None
    if isinstance(value, str):  # SQLite returns the aggregate as text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


async def in_service_window(session: AsyncSession, phone: str, now: datetime) -> bool:
    """Tell whether a free text to ``phone`` can be sent now (24-hour window open).

    Args:
        session: Any session.
        phone: The recipient's number or user id.
        now: Current time.

    Returns:
        True when the recipient wrote within the last 24 hours minus a safety margin.
    """
    last = await last_inbound_at(session, phone, now)
    return last is not None and last > now - (SERVICE_WINDOW - WINDOW_SAFETY_MARGIN)
