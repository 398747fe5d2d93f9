"""Human takeover of a WhatsApp conversation (back office, action server, outbox worker).

The back office never writes Rasa's tracker tables. It uses Rasa's own HTTP API
(``rasa run --enable-api --auth-token …``): a ``pause`` event stops the assistant for one
citizen, a ``resume`` event gives the conversation back. Rasa keeps the pause in the tracker, so
it survives a restart; a paused tracker still logs (and NLU-parses) the citizen's messages but
predicts no action (``MessageProcessor._should_handle_message``).

What this module keeps in the La-Lisa database:

* :class:`~lalisa.takeover.models.HandoffRequest` rows: the citizen asked for a person
  (:func:`record_handoff_request`, called by ``action_request_human``) or the assistant fell back
  twice in a row (``action_note_fallback``);
* :class:`~lalisa.takeover.models.Takeover` rows: at most one active per citizen (a partial
  unique index), which is what keeps two admins from taking the same conversation;
* :class:`~lalisa.takeover.models.TakeoverMessage` rows: the admin's replies, each carried to
  WhatsApp by the durable outbox and also appended to the tracker as a ``bot`` event (with the
  admin's username in its metadata) so the conversation history is one complete chat.

A takeover without admin activity for ``TAKEOVER_IDLE_MINUTES`` is returned to the assistant by
:func:`return_idle_takeovers`, which the outbox worker runs periodically.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.crypto import citizen_pseudonym, get_identity_cipher
from lalisa.core.db import insert_or_find, session_scope
from lalisa.core.models import aware_now
from lalisa.core.settings import TakeoverSettings, get_settings
from lalisa.notifications.graph import MAX_TEXT_LENGTH
from lalisa.notifications.models import NotificationKind, OutboxMessage, RecipientKind
from lalisa.notifications.outbox import enqueue
from lalisa.notifications.window import in_service_window
from lalisa.takeover.errors import (
    OutsideServiceWindow,
    RasaApiError,
    TakeoverConflict,
    TakeoverError,
)
from lalisa.takeover.models import (
    HandoffReason,
    HandoffRequest,
    Takeover,
    TakeoverEnd,
    TakeoverMessage,
)
from lalisa.takeover.rasa_api import RasaClient, get_rasa_client
from lalisa.tickets.models import CLOSED_STATUSES, Reporter, Ticket

__all__ = [
    "active_takeover",
    "find_sender",
    "hand_back",
    "open_tickets_of",
    "pseudonym",
    "record_handoff_request",
    "replies_of",
    "return_idle_takeovers",
    "send_admin_reply",
    "take_over",
]

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ messages for the admin

MSG_TAKEN_BY_OTHER: Final = (
    "Percakapan ini sudah diambil alih oleh {holder} sejak {since}. Hanya satu petugas yang dapat "
    "menjawab warga pada satu waktu."
)
MSG_NOT_TAKEN: Final = (
    "Percakapan ini tidak sedang diambil alih (mungkin sudah dikembalikan ke asisten)."
)
MSG_NOT_YOURS: Final = (
    "Percakapan ini sedang diambil alih oleh {holder}. Hanya petugas tersebut yang dapat "
    "membalas atau mengembalikannya."
)
MSG_EMPTY_REPLY: Final = "Tulis balasan terlebih dahulu."
MSG_REPLY_TOO_LONG: Final = "Balasan terlalu panjang (paling banyak {limit} karakter)."
MSG_WINDOW_CLOSED: Final = (
    "Warga ini tidak mengirim pesan dalam 24 jam terakhir, sehingga WhatsApp tidak mengizinkan "
    "pesan bebas. Pesan TIDAK dikirim. Gunakan templat pesan yang disetujui (misalnya kabar "
    "status aduan dari halaman aduan), atau tunggu warga menghubungi lagi."
)
MSG_UNKNOWN_CONVERSATION: Final = "Percakapan tidak ditemukan."

# ------------------------------------------------------------------------------ look-ups


pseudonym = citizen_pseudonym
"""A stable, readable pseudonym of a citizen for staff pages (never the number)."""


async def find_sender(session: AsyncSession, sender_ref: str) -> str | None:
    """The Rasa sender id (the citizen key) of a citizen, from any record that knows it.

    Args:
        session: Any session.
        sender_ref: Blind index of the sender id.

    Returns:
        The decrypted sender id, or ``None`` when no takeover, request or reporter has it.
    """
    queries = (
        select(Takeover.sender_encrypted)
        .where(Takeover.sender_ref == sender_ref)
        .order_by(Takeover.id.desc()),
        select(HandoffRequest.sender_encrypted)
        .where(HandoffRequest.sender_ref == sender_ref)
        .order_by(HandoffRequest.id.desc()),
        select(Reporter.phone_encrypted).where(Reporter.phone_blind_index == sender_ref),
    )
    cipher = get_identity_cipher()
    for query in queries:
        token = (await session.execute(query.limit(1))).scalar_one_or_none()
        if token is not None:
            # Rows from before the pseudonymisation hold the number: its key is the sender id.
            return cipher.key_for(cipher.decrypt(token))
    return None


def _sender_of(takeover: Takeover) -> str:
    """The Rasa sender id (key) of a takeover; older rows hold the number, turned into its key."""
    cipher = get_identity_cipher()
    return cipher.key_for(cipher.decrypt(takeover.sender_encrypted))


async def open_tickets_of(session: AsyncSession, sender_ref: str) -> list[Ticket]:
    """The citizen's tickets that are not closed, newest first.

    Args:
        session: Any session.
        sender_ref: Blind index of the sender id.

    Returns:
        The tickets.
    """
    query = (
        select(Ticket)
        .join(Reporter, Reporter.id == Ticket.reporter_id)
        .where(
            Reporter.phone_blind_index == sender_ref,
            Ticket.status.not_in(list(CLOSED_STATUSES)),
        )
        .order_by(Ticket.created_at.desc())
    )
    return list((await session.execute(query)).scalars())


async def active_takeover(
    session: AsyncSession, sender_ref: str, *, for_update: bool = False
) -> Takeover | None:
    """The active takeover of a citizen, if any.

    Args:
        session: Any session.
        sender_ref: Blind index of the sender id.
        for_update: Lock the row (PostgreSQL) for the caller's transaction.

    Returns:
        The takeover or ``None``.
    """
    query = select(Takeover).where(Takeover.sender_ref == sender_ref, Takeover.ended_at.is_(None))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# -------------------------------------------------------------------------- handoff requests


async def record_handoff_request(
    session: AsyncSession,
    *,
    sender_id: str,
    reason: HandoffReason | str,
    out_of_hours: bool = False,
    now: datetime | None = None,
) -> HandoffRequest:
    """Record that a conversation needs a person (idempotent while the request is open).

    Args:
        session: The caller's unit of work.
        sender_id: Exact Rasa sender id.
        reason: ``request_human`` or ``fallback_twice``.
        out_of_hours: The request arrived outside working hours.
        now: Current time (aware).

    Returns:
        The open request (new, or the existing one with ``last_seen_at`` refreshed).
    """
    now = aware_now(now)
    reason_value = HandoffReason(reason).value
    if reason_value == HandoffReason.TICKET_REVIEW.value:
        raise ValueError("flagged tickets are read from the tickets table, not recorded")
    cipher = get_identity_cipher()
    sender_ref = cipher.blind_index(sender_id)
    open_query = select(HandoffRequest).where(
        HandoffRequest.sender_ref == sender_ref,
        HandoffRequest.reason == reason_value,
        HandoffRequest.resolved_at.is_(None),
    )
    existing = (await session.execute(open_query)).scalar_one_or_none()
    if existing is None:
        request = HandoffRequest(
            created_at=now,
            last_seen_at=now,
            sender_ref=sender_ref,
            sender_encrypted=cipher.encrypt(sender_id),
            reason=reason_value,
            out_of_hours=out_of_hours,
        )

        async def find() -> HandoffRequest:
            return (await session.execute(open_query)).scalar_one()

        # The same request recorded concurrently hits the partial unique index.
        row, created = await insert_or_find(session, request, find)
        if created:
            return row
        existing = row
    existing.last_seen_at = now
    await session.flush()
    return existing


# ------------------------------------------------------------------------------ take over


def _target(sender_ref: str) -> str:
    return f"conversation:{pseudonym(sender_ref)}"


def _format_since(at: datetime) -> str:
    return at.astimezone(get_settings().office.tz).strftime("%d-%m-%Y %H.%M")


async def take_over(
    session: AsyncSession,
    rasa: RasaClient,
    *,
    sender_ref: str,
    actor: str,
    now: datetime | None = None,
) -> Takeover:
    """Take a conversation over: a row (one active per citizen) and Rasa's ``pause``.

    The row is flushed before Rasa is called, so a second admin's concurrent attempt fails on
    the partial unique index (on PostgreSQL it waits for this transaction, on SQLite for the
    write lock) and gets :class:`TakeoverConflict`. If Rasa cannot pause, the error propagates
    and the caller's transaction must be rolled back: no row, nothing changed.

    Args:
        session: The caller's unit of work (committed by the caller).
        rasa: Rasa API client.
        sender_ref: Blind index of the citizen's sender id.
        actor: Username of the admin.
        now: Current time (aware).

    Returns:
        The new takeover.

    Raises:
        TakeoverError: Unknown conversation.
        TakeoverConflict: Another admin (or the same one, in another tab) holds it.
        RasaApiError: Rasa could not pause the conversation.
    """
    now = aware_now(now)
    held = await active_takeover(session, sender_ref)
    if held is not None:
        raise TakeoverConflict(
            MSG_TAKEN_BY_OTHER.format(holder=held.taken_by, since=_format_since(held.taken_at)),
            held.taken_by,
        )
    sender_id = await find_sender(session, sender_ref)
    if sender_id is None:
        raise TakeoverError(MSG_UNKNOWN_CONVERSATION)
    takeover = Takeover(
        sender_ref=sender_ref,
        sender_encrypted=get_identity_cipher().encrypt(sender_id),
        taken_by=actor,
        taken_at=now,
        last_activity_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(takeover)
            await session.flush()
    except IntegrityError as exc:
        held = await active_takeover(session, sender_ref)
        holder = held.taken_by if held is not None else "petugas lain"
        since = _format_since(held.taken_at) if held is not None else "baru saja"
        message = MSG_TAKEN_BY_OTHER.format(holder=holder, since=since)
        raise TakeoverConflict(message, holder) from exc
    await rasa.pause(sender_id)
    await session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.sender_ref == sender_ref, HandoffRequest.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=actor, takeover_id=takeover.id)
        .execution_options(synchronize_session=False)
    )
    await audit.record(
        session,
        actor=actor,
        action=audit.TAKEOVER_STARTED,
        target=_target(sender_ref),
        detail={"takeover_id": takeover.id},
    )
    return takeover


async def _end(
    session: AsyncSession,
    rasa: RasaClient,
    takeover: Takeover,
    *,
    actor: str,
    end: TakeoverEnd,
    now: datetime,
    extra_condition: Any = None,
) -> bool:
    values = {"ended_at": now, "ended_by": actor, "end_reason": end.value}
    statement = update(Takeover).where(Takeover.id == takeover.id, Takeover.ended_at.is_(None))
    if extra_condition is not None:
        statement = statement.where(extra_condition)
    result = await session.execute(
        statement.values(**values).execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    sender_id = _sender_of(takeover)
    # Resume after the row update: if Rasa fails, the caller rolls both back.
    await rasa.resume(sender_id)
    await session.refresh(takeover)
    return True


async def hand_back(
    session: AsyncSession,
    rasa: RasaClient,
    *,
    sender_ref: str,
    actor: str,
    may_end_others: bool = False,
    now: datetime | None = None,
) -> Takeover:
    """Give the conversation back to the assistant (Rasa ``resume``) and close the row.

    Args:
        session: The caller's unit of work (roll it back on any error).
        rasa: Rasa API client.
        sender_ref: Blind index of the citizen's sender id.
        actor: Username of the admin.
        may_end_others: Allow ending another admin's takeover (superadmin).
        now: Current time (aware).

    Returns:
        The ended takeover.

    Raises:
        TakeoverError: Not taken over (any more), or held by another admin.
        RasaApiError: Rasa could not resume the conversation.
    """
    now = aware_now(now)
    takeover = await active_takeover(session, sender_ref, for_update=True)
    if takeover is not None and takeover.taken_by != actor and not may_end_others:
        raise TakeoverError(MSG_NOT_YOURS.format(holder=takeover.taken_by))
    if takeover is None or not await _end(
        session, rasa, takeover, actor=actor, end=TakeoverEnd.HANDED_BACK, now=now
    ):
        raise TakeoverError(MSG_NOT_TAKEN)
    await audit.record(
        session,
        actor=actor,
        action=audit.TAKEOVER_HANDED_BACK,
        target=_target(sender_ref),
        detail={"takeover_id": takeover.id, "taken_by": takeover.taken_by},
    )
    return takeover


async def send_admin_reply(
    session: AsyncSession,
    rasa: RasaClient,
    *,
    sender_ref: str,
    actor: str,
    text: str,
    request_key: str | None = None,
    now: datetime | None = None,
) -> TakeoverMessage:
    """Send an admin's reply: outbox row (sent by the worker) + ``bot`` event in the tracker.

    Only inside the citizen's 24-hour window: outside it nothing is queued and
    :class:`OutsideServiceWindow` tells the admin a template is needed.

    Args:
        session: The caller's unit of work (roll it back on any error).
        rasa: Rasa API client.
        sender_ref: Blind index of the citizen's sender id.
        actor: Username of the admin holding the conversation.
        text: The reply.
        request_key: Unique key of the form submission (a resubmitted form sends once).
        now: Current time (aware).

    Returns:
        The reply row (its ``outbox_id`` gives the delivery status).

    Raises:
        TakeoverError: Empty or too long, not taken over, or held by another admin.
        OutsideServiceWindow: The 24-hour window is closed.
        RasaApiError: The reply could not be written into the conversation history.
    """
    now = aware_now(now)
    body = (text or "").strip()
    if not body:
        raise TakeoverError(MSG_EMPTY_REPLY)
    if len(body) > MAX_TEXT_LENGTH:
        raise TakeoverError(MSG_REPLY_TOO_LONG.format(limit=MAX_TEXT_LENGTH))
    takeover = await active_takeover(session, sender_ref, for_update=True)
    if takeover is None:
        raise TakeoverError(MSG_NOT_TAKEN)
    if takeover.taken_by != actor:
        raise TakeoverError(MSG_NOT_YOURS.format(holder=takeover.taken_by))
    sender_id = _sender_of(takeover)
    if not await in_service_window(session, sender_id, now):
        raise OutsideServiceWindow(MSG_WINDOW_CLOSED)
    key = f"admin_reply:{takeover.id}:{request_key or uuid.uuid4().hex}"[:128]
    outbox = await enqueue(
        session,
        kind=NotificationKind.ADMIN_REPLY.value,
        ticket_id=None,
        recipient_phone=sender_id,
        recipient_kind=RecipientKind.CITIZEN,
        recipient_ref=sender_ref,
        body=body,
        template_name=None,
        template_params=None,
        idempotency_key=key,
        event="takeover_reply",
        now=now,
    )
    existing = (
        await session.execute(select(TakeoverMessage).where(TakeoverMessage.outbox_id == outbox.id))
    ).scalar_one_or_none()
    if existing is not None:  # the same form submitted twice
        return existing
    message = TakeoverMessage(
        takeover_id=takeover.id, created_at=now, author=actor, body=body, outbox_id=outbox.id
    )
    session.add(message)
    takeover.last_activity_at = now
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action=audit.TAKEOVER_MESSAGE_SENT,
        target=_target(sender_ref),
        detail={"takeover_id": takeover.id, "outbox_id": outbox.id},
    )
    await rasa.log_admin_message(sender_id, body, username=actor, at=now)
    return message


async def replies_of(
    session: AsyncSession, sender_ref: str
) -> list[tuple[TakeoverMessage, OutboxMessage]]:
    """The admin replies to a citizen (every takeover) with their outbox rows, oldest first.

    Args:
        session: Any session.
        sender_ref: Blind index of the citizen's sender id.

    Returns:
        Pairs of reply and outbox row.
    """
    query = (
        select(TakeoverMessage, OutboxMessage)
        .join(Takeover, Takeover.id == TakeoverMessage.takeover_id)
        .join(OutboxMessage, OutboxMessage.id == TakeoverMessage.outbox_id)
        .where(Takeover.sender_ref == sender_ref)
        .order_by(TakeoverMessage.created_at, TakeoverMessage.id)
    )
    return [(reply, outbox) for reply, outbox in (await session.execute(query)).all()]


# ------------------------------------------------------------------------- idle return


async def return_idle_takeovers(
    rasa: RasaClient | None = None,
    *,
    settings: TakeoverSettings | None = None,
    now: datetime | None = None,
) -> int:
    """Give idle conversations back to the assistant (the outbox worker runs this).

    One transaction per takeover: the row is closed only if it is still idle at that moment (an
    admin's reply in between keeps it), then Rasa resumes; if Rasa cannot be reached the row
    stays active and the next run tries again.

    Args:
        rasa: Rasa API client; the process-wide one when omitted.
        settings: Idle time; the process-wide settings when omitted.
        now: Current time (aware).

    Returns:
        Number of conversations returned.
    """
    now = aware_now(now)
    settings = settings or get_settings().takeover
    rasa = rasa or get_rasa_client()
    cutoff = now - settings.idle_after
    async with session_scope() as session:
        ids = list(
            (
                await session.execute(
                    select(Takeover.id).where(
                        Takeover.ended_at.is_(None), Takeover.last_activity_at < cutoff
                    )
                )
            ).scalars()
        )
    returned = 0
    for takeover_id in ids:
        try:
            async with session_scope() as session:
                takeover = await session.get(Takeover, takeover_id)
                if takeover is None or not await _end(
                    session,
                    rasa,
                    takeover,
                    actor=audit.SYSTEM_ACTOR,
                    end=TakeoverEnd.IDLE,
                    now=now,
                    extra_condition=Takeover.last_activity_at < cutoff,
                ):
                    continue
                await audit.record(
                    session,
                    actor=audit.SYSTEM_ACTOR,
                    action=audit.TAKEOVER_AUTO_RETURNED,
                    target=_target(takeover.sender_ref),
                    detail={
                        "takeover_id": takeover.id,
                        "taken_by": takeover.taken_by,
                        "idle_minutes": settings.idle_minutes,
                    },
                )
                returned += 1
        except RasaApiError:
            logger.warning("Takeover %s: idle return postponed, Rasa unreachable", takeover_id)
    if returned:
        logger.info("Returned %d idle conversation(s) to the assistant", returned)
    return returned
