"""Look-ups of TRC dispatch: officers and their WhatsApp numbers, dispatches of a ticket or officer.

The actions that change a ticket (dispatching, "berangkat", "tiba di lokasi", the field report)
live in :mod:`lalisa.tickets.trc`. Officers' phone numbers are stored only as Fernet tokens under
the reporter identity key (:mod:`lalisa.core.crypto`), like reporter identity.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher
from lalisa.dispatch.models import TRC_ROLES, Dispatch, DispatchOfficer, FieldReport, OfficerContact
from lalisa.users.models import Role, User
from lalisa_common.phone import normalise_sender_id

__all__ = [
    "dispatches_for_officer",
    "get_dispatch",
    "mask_phone",
    "normalise_officer_phone",
    "officer_contacts",
    "officer_phone",
    "ticket_dispatches",
    "trc_officers",
]

_PHONE_RE = re.compile(r"^62\d{7,13}$")


def normalise_officer_phone(raw: str) -> str:
    """Validate and normalise an Indonesian mobile number typed by the superadmin.

    Args:
        raw: ``0812-3456-7890``, ``+62 812 3456 7890``, ``6281234567890``…

    Returns:
        Digits in international form (``6281234567890``).

    Raises:
        ValueError: Not a plausible Indonesian number (message in Bahasa Indonesia).
    """
    try:
        phone = normalise_sender_id(raw)
    except ValueError as exc:
        raise ValueError("Nomor WhatsApp kosong.") from exc
    if not _PHONE_RE.fullmatch(phone):
        raise ValueError("Nomor WhatsApp tidak valid; tulis seperti 0812-3456-7890.")
    return phone


def mask_phone(phone: str) -> str:
    """Hide the middle of a phone number (``6281****7890``)."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return f"{phone[:4]}{'*' * (len(phone) - 8)}{phone[-4:]}"


async def trc_officers(session: AsyncSession, *, include_inactive: bool = False) -> list[User]:
    """List the TRC users (komandan first, then by name).

    Args:
        session: Any session.
        include_inactive: Also list deactivated users.

    Returns:
        The users.
    """
    query = select(User).where(User.role.in_(list(TRC_ROLES)))
    if not include_inactive:
        query = query.where(User.active.is_(True))
    users = list((await session.execute(query)).scalars())
    users.sort(key=lambda user: (user.role is not Role.KOMANDAN_TRC, user.full_name.lower()))
    return users


async def officer_contacts(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, OfficerContact]:
    """Return the stored contacts of some users, by user id."""
    if not user_ids:
        return {}
    query = select(OfficerContact).where(OfficerContact.user_id.in_(list(user_ids)))
    return {contact.user_id: contact for contact in (await session.execute(query)).scalars()}


async def officer_phone(session: AsyncSession, user_id: int) -> str | None:
    """Decrypt an officer's WhatsApp number.

    Args:
        session: Any session.
        user_id: The officer.

    Returns:
        The number, or ``None`` when none is stored or it cannot be decrypted.
    """
    contact = await session.get(OfficerContact, user_id)
    if contact is None:
        return None
    try:
        return get_identity_cipher().decrypt(contact.phone_encrypted)
    except IdentityDecryptionError:
        return None


# ---------------------------------------------------------------------------- dispatches


def _with_details(
    query: Select[tuple[Dispatch]], *, with_ticket: bool = True
) -> Select[tuple[Dispatch]]:
    query = query.options(
        selectinload(Dispatch.officers),
        selectinload(Dispatch.reports).selectinload(FieldReport.photos),
    )
    # Not for a ticket's own page: reloading the ticket here would reset its loaded
    # relationships (media, events) and make the template load them lazily.
    return query.options(selectinload(Dispatch.ticket)) if with_ticket else query


async def get_dispatch(session: AsyncSession, dispatch_id: int) -> Dispatch | None:
    """Load a dispatch with its officers, ticket and reports."""
    query = _with_details(select(Dispatch).where(Dispatch.id == dispatch_id)).execution_options(
        populate_existing=True
    )
    return (await session.execute(query)).scalar_one_or_none()


async def ticket_dispatches(session: AsyncSession, ticket_id: int) -> list[Dispatch]:
    """List a ticket's dispatches, oldest first, with officers and reports (not the ticket)."""
    query = (
        _with_details(select(Dispatch).where(Dispatch.ticket_id == ticket_id), with_ticket=False)
        .order_by(Dispatch.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def dispatches_for_officer(
    session: AsyncSession, user_id: int | None, *, open_only: bool = True, limit: int = 100
) -> list[Dispatch]:
    """List dispatches of one officer (or of everybody), open ones first, newest first.

    Args:
        session: Any session.
        user_id: The officer, or ``None`` for every dispatch (superadmin).
        open_only: Only dispatches still open.
        limit: Maximum number.

    Returns:
        The dispatches, with officers, ticket and reports loaded.
    """
    query = _with_details(select(Dispatch)).execution_options(populate_existing=True)
    if user_id is not None:
        query = query.join(DispatchOfficer, DispatchOfficer.dispatch_id == Dispatch.id).where(
            DispatchOfficer.user_id == user_id
        )
    if open_only:
        query = query.where(Dispatch.closed_at.is_(None))
    query = query.order_by(Dispatch.closed_at.is_not(None), Dispatch.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())
