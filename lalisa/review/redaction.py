"""Identity masking of a reviewed conversation (the sender's number and reported name)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.contacts import citizen_address
from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher
from lalisa.review.models import (
    ReviewConversation,
)
from lalisa.review.tracker import identity_redactor
from lalisa.tickets.models import Reporter
from lalisa_common.phone import normalise_sender_id

logger = logging.getLogger(__name__)


async def conversation_redactor(
    session: AsyncSession, conversation: ReviewConversation
) -> tuple[str | None, Callable[[str], str]]:
    """The sender id (server side only) and a function masking the reporter's identity.

    The reporter is found through the blind index; when the citizen never reported (no
    ``reporters`` row) only the number is masked.

    Args:
        session: Session of the La-Lisa database.
        conversation: The conversation.

    Returns:
        The decrypted sender id (``None`` when it cannot be decrypted) and the redactor.
    """
    cipher = get_identity_cipher()
    try:
        # The Rasa sender id is the citizen key; rows indexed before the pseudonymisation
        # hold the number, which gives the same key.
        sender_id = cipher.key_for(cipher.decrypt(conversation.sender_encrypted))
    except IdentityDecryptionError:
        logger.warning("review conversation %s: sender cannot be decrypted", conversation.id)
        return None, lambda text: text
    name: str | None = None
    reporter = (
        await session.execute(
            select(Reporter).where(Reporter.phone_blind_index == conversation.sender_index)
        )
    ).scalar_one_or_none()
    if reporter is not None and reporter.name_encrypted:
        try:
            name = cipher.decrypt(reporter.name_encrypted)
        except IdentityDecryptionError:
            name = None
    address = await citizen_address(session, sender_id)
    if reporter is not None and address is None:
        try:
            address = cipher.decrypt(reporter.phone_encrypted)
        except IdentityDecryptionError:
            address = None
    try:
        phone = normalise_sender_id(address) if address else None
    except ValueError:
        phone = None
    return sender_id, identity_redactor(phone, name)
