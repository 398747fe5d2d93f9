"""``citizen_contacts`` in the app: who is behind a citizen key, for the edge that sends.

Every store knows a citizen by their key (:mod:`lalisa_common.identity`); this table holds the
one encrypted number behind it. The webhook receiver and the REST channel write it at ingress;
the action server reads it when a ticket is filed (the reporter's encrypted number); the back
office reads it when an admin's reply is queued for the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.crypto import get_identity_cipher
from lalisa.core.models import Base, UTCDateTime, aware_now
from lalisa_common.identity import (
    contact_address,
    contact_values,
    contacts_table,
    is_sender_key,
    sender_address,
    upsert_contact,
)

__all__ = ["citizen_address", "citizen_contacts", "remember_contact"]

citizen_contacts = contacts_table(Base.metadata, UTCDateTime())


async def remember_contact(
    session: AsyncSession, sender_id: str, now: datetime | None = None
) -> str:
    """Record the number behind a sender id (idempotent) and return the citizen's key.

    Args:
        session: The caller's unit of work.
        sender_id: A phone number or WhatsApp user id (a key is returned as it is, nothing
            recorded: the number behind it is not known here).
        now: The time the citizen was seen.

    Returns:
        The citizen key.
    """
    cipher = get_identity_cipher()
    if is_sender_key(sender_id.strip()):
        return sender_id.strip()
    values = contact_values(cipher, sender_id, aware_now(now))
    await upsert_contact(session, citizen_contacts, values)
    return str(values["sender_key"])


async def citizen_address(session: AsyncSession, sender_id: str) -> str | None:
    """The number (or WhatsApp user id) to send to, for a key or a number.

    Args:
        session: Any session.
        sender_id: A citizen key, or (older rows, tests) the number itself.

    Returns:
        The address, or None for a key whose number was never recorded.
    """
    text = sender_id.strip()
    if not is_sender_key(text):
        return sender_address(text)
    return await contact_address(session, citizen_contacts, get_identity_cipher(), text)
