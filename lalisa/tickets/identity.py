"""Revealing the reporter's identity to an admin, for a stated reason that is logged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.crypto import get_identity_cipher
from lalisa.tickets import errors
from lalisa.tickets.models import Reporter, Ticket
from lalisa.tickets.workflow import WorkflowError, clean_text, ticket_target

MIN_REVEAL_REASON: Final = 5


@dataclass(frozen=True)
class RevealedIdentity:
    """The reporter's identity, decrypted for one page view.

    Attributes:
        phone: Phone number / WhatsApp id.
        name: Name the citizen gave, or ``None``.
        channel: Channel the citizen used.
    """

    phone: str
    name: str | None
    channel: str


async def reveal_identity(
    session: AsyncSession, ticket: Ticket, *, actor: str, reason: str
) -> RevealedIdentity:
    """Decrypt the reporter's identity for an admin, and log who did it and why.

    Args:
        session: The unit of work (the audit entry is saved with it).
        ticket: The ticket.
        actor: Username of the admin.
        reason: Why the identity is needed (mandatory).

    Returns:
        The identity.

    Raises:
        WorkflowError: No reason, or a reason shorter than :data:`MIN_REVEAL_REASON`.
        lalisa.core.crypto.IdentityDecryptionError: The stored identity cannot be decrypted.
    """
    reason_text = clean_text(reason, errors.LABEL_REVEAL_REASON, required=True, limit=500)
    assert reason_text is not None
    if len(reason_text) < MIN_REVEAL_REASON:
        raise WorkflowError(errors.REVEAL_REASON_TOO_SHORT.format(minimum=MIN_REVEAL_REASON))
    reporter = await session.get(Reporter, ticket.reporter_id)
    if reporter is None:  # pragma: no cover - foreign key
        raise WorkflowError(errors.REPORTER_NOT_FOUND)
    cipher = get_identity_cipher()
    phone = cipher.decrypt(reporter.phone_encrypted)
    name = cipher.decrypt(reporter.name_encrypted) if reporter.name_encrypted else None
    await audit.record(
        session,
        actor=actor,
        action=audit.REPORTER_IDENTITY_REVEALED,
        target=ticket_target(ticket),
        detail={"reason": reason_text},
    )
    return RevealedIdentity(phone=phone, name=name, channel=reporter.channel)
