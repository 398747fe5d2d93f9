"""The inbound queue: ``whatsapp_inbound_messages`` rows leased by workers, per-citizen order.

Written with SQLAlchemy Core on an ``AsyncConnection`` so the webhook receiver (app env,
SQLAlchemy 2.0) and the Rasa workers (SQLAlchemy 1.4) run the very same statements.

* :func:`enqueue_values` builds the row the receiver inserts (``status = received``).
* :func:`claim` leases the oldest claimable message of a citizen none of whose messages is
  leased: one ``UPDATE … WHERE wamid IN (SELECT … LIMIT 1)`` (with ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL), so two workers never take the same row or two rows of one citizen. On PostgreSQL
  the UPDATE returns the row; on SQLite it is found again by its unique lease token (SQLAlchemy
  1.4 has no ``RETURNING`` there).
* A lease that runs out (a worker killed mid-turn) makes the row claimable again, for any worker;
  ``attempts`` counts the claims.
* :func:`finish` ends a lease with the outcome, only while the caller still holds it, and drops
  the stored payload: the citizen's message is kept only while it may still be processed.

The payload (the raw WhatsApp message, with the citizen's text) is stored encrypted under the
inbound payload key derived from the identity key (:mod:`lalisa_common.at_rest`); rows queued
before that are read as plain JSON.

Order: ``order_key`` is WhatsApp's send time in microseconds plus the receiver's arrival counter
(:class:`OrderKeys`), so one citizen's messages are processed in the order WhatsApp stamped them,
and messages of the same second in the order they arrived.
"""

from __future__ import annotations

import functools
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from lalisa_common.at_rest import AtRestCipher, AtRestDecryptionError
from lalisa_common.whatsapp.statuses import from_unix

__all__ = [
    "BUSY_NOTICE_INDEX",
    "DONE_STATUSES",
    "PENDING",
    "PROCESSING",
    "ClaimedMessage",
    "OrderKeys",
    "busy_candidates",
    "claim",
    "decode_payload",
    "enqueue_values",
    "extend",
    "finish",
    "has_history",
    "pending_count",
    "release",
]

#: Accepted and waiting for a worker.
PENDING = "received"
#: Leased by a worker (``lease_owner`` until ``lease_until``).
PROCESSING = "processing"
#: Final outcomes a worker records.
DONE_STATUSES = ("processed", "replied", "ignored", "stale", "refused", "failed")

_MICRO = 1_000_000


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(timezone.utc)


class OrderKeys:
    """Makes ``order_key`` values: WhatsApp time (µs) plus a per-process arrival counter."""

    def __init__(self) -> None:
        """Starts the counter."""
        self._counter = itertools.count()

    def next(self, wa_timestamp: int | None) -> int:
        """The key of a message stamped ``wa_timestamp`` (Unix seconds; now when unknown)."""
        seconds = wa_timestamp if wa_timestamp is not None else int(time.time())
        return seconds * _MICRO + next(self._counter) % _MICRO


def enqueue_values(
    *,
    wamid: str,
    sender_id: str,
    message_type: str,
    wa_timestamp: int | None,
    payload: dict[str, Any],
    order_key: int,
    cipher: AtRestCipher,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The column values of a newly accepted message.

    Args:
        wamid: WhatsApp message id (primary key: a redelivery conflicts).
        sender_id: The citizen.
        message_type: WhatsApp message type.
        wa_timestamp: WhatsApp's send time (Unix seconds).
        payload: What a worker needs to process the message (the raw message and the number id).
        order_key: From :class:`OrderKeys`.
        cipher: The inbound payload cipher (``at_rest_cipher(key, INBOUND_PAYLOAD)``).
        now: Receipt time (now by default).

    Returns:
        Values for an insert into the inbound table.
    """
    return {
        "wamid": wamid[:255],
        "sender_id": sender_id[:64],
        "message_type": message_type[:32],
        "status": PENDING,
        "received_at": now or utcnow(),
        "wa_timestamp": from_unix(wa_timestamp),
        "payload": cipher.encrypt(json.dumps(payload, ensure_ascii=False)),
        "order_key": order_key,
        "attempts": 0,
    }


@dataclass(frozen=True)
class ClaimedMessage:
    """A leased queue row.

    Attributes:
        wamid: WhatsApp message id.
        sender_id: The citizen.
        payload: The stored ``{"message": …, "phone_number_id": …}`` (None if unreadable).
        received_at: When the receiver accepted it.
        attempts: Claims so far, this one included (above 1: a re-claim after a lost lease).
        lease_owner: The lease token (pass it to :func:`finish`).
    """

    wamid: str
    sender_id: str
    payload: dict[str, Any] | None
    received_at: datetime | None
    attempts: int
    lease_owner: str


def _claimable(table: Any, now: Any) -> Any:
    return sa.or_(
        table.c.status == PENDING,
        sa.and_(table.c.status == PROCESSING, table.c.lease_until < now),
    )


def _candidate(table: sa.Table, now: Any, postgresql: bool, expired: bool) -> Any:
    """The oldest claimable row of a citizen with no live lease and nothing older waiting.

    ``expired`` picks among rows whose lease ran out, otherwise among waiting rows. One status
    per query keeps it an ordered walk of the ``(status, order_key)`` index that stops at the
    first fit; an ``OR`` of both made SQLite sort every waiting row first (28 ms at 11,000
    waiting, under the write lock the receiver needs for its next commit).
    """
    # Aliases, so the subquery is never correlated with the UPDATE of the same table.
    row = table.alias("candidate")
    other = table.alias("other")
    earlier_waiting = (
        sa.select(other.c.wamid)
        .where(other.c.sender_id == row.c.sender_id)
        .where(other.c.status.in_((PENDING, PROCESSING)))
        .where(
            sa.or_(
                other.c.order_key < row.c.order_key,
                sa.and_(other.c.order_key == row.c.order_key, other.c.wamid < row.c.wamid),
            )
        )
    )
    leased = (
        sa.select(other.c.wamid)
        .where(other.c.sender_id == row.c.sender_id)
        .where(other.c.status == PROCESSING)
        .where(other.c.lease_until >= now)
    )
    claimable = (
        sa.and_(row.c.status == PROCESSING, row.c.lease_until < now)
        if expired
        else row.c.status == PENDING
    )
    query = (
        sa.select(row.c.wamid)
        .where(claimable)
        .where(~earlier_waiting.exists())
        .where(~leased.exists())
        .order_by(row.c.order_key, row.c.wamid)
        .limit(1)
    )
    if postgresql:
        query = query.with_for_update(of=row, skip_locked=True)
    return query


# The lease statements are built once per table and dialect, with the values as bound
# parameters: building the claim's UPDATE (two correlated subqueries) and its cache key cost
# ~2 ms of CPU per call in SQLAlchemy, and a worker claims on every message and, while the
# queue is empty, every poll. Parameter names differ from the column names (SQLAlchemy
# reserves those for the SET clause).
_NOW, _TOKEN, _UNTIL, _WAMID = "q_now", "q_token", "q_until", "q_wamid"


def _moment(table: sa.Table, name: str) -> Any:
    return sa.bindparam(name, type_=table.c.lease_until.type)


def _claimed_columns(table: sa.Table) -> tuple[Any, ...]:
    return (
        table.c.wamid,
        table.c.sender_id,
        table.c.payload,
        table.c.received_at,
        table.c.attempts,
    )


@functools.lru_cache(maxsize=32)
def _claim_statement(table: sa.Table, postgresql: bool, expired: bool) -> Any:
    now = _moment(table, _NOW)
    candidate = _candidate(table, now, postgresql, expired).scalar_subquery()
    statement = (
        table.update()
        .where(table.c.wamid == candidate)
        .where(_claimable(table, now))
        .values(
            status=PROCESSING,
            lease_owner=sa.bindparam(_TOKEN, type_=table.c.lease_owner.type),
            lease_until=_moment(table, _UNTIL),
            attempts=table.c.attempts + 1,
        )
    )
    if postgresql:
        # The leased row comes back with the UPDATE: no SELECT by token after it. (SQLite
        # has RETURNING too, but not through SQLAlchemy 1.4, which the workers run.)
        statement = statement.returning(*_claimed_columns(table))
    return statement


@functools.lru_cache(maxsize=8)
def _claimed_row(table: sa.Table) -> Any:
    return sa.select(*_claimed_columns(table)).where(
        table.c.lease_owner == sa.bindparam(_TOKEN, type_=table.c.lease_owner.type)
    )


def _held(table: sa.Table) -> Any:
    """An UPDATE of the row of a lease still held (``q_wamid``, ``q_token``)."""
    return (
        table.update()
        .where(table.c.wamid == sa.bindparam(_WAMID, type_=table.c.wamid.type))
        .where(table.c.lease_owner == sa.bindparam(_TOKEN, type_=table.c.lease_owner.type))
        .where(table.c.status == PROCESSING)
    )


@functools.lru_cache(maxsize=8)
def _extend_statement(table: sa.Table) -> Any:
    return _held(table).values(lease_until=_moment(table, _UNTIL))


_STATUS, _AT, _DETAIL = "q_status", "q_at", "q_detail"


@functools.lru_cache(maxsize=8)
def _finish_statement(table: sa.Table) -> Any:
    return _held(table).values(
        status=sa.bindparam(_STATUS, type_=table.c.status.type),
        processed_at=sa.bindparam(_AT, type_=table.c.processed_at.type),
        detail=sa.bindparam(_DETAIL, type_=table.c.detail.type),
        lease_until=None,
        payload=None,
    )


def decode_payload(stored: str | None, cipher: AtRestCipher) -> dict[str, Any] | None:
    """A stored payload (encrypted, or plain JSON from before), or None when unreadable."""
    if not stored:
        return None
    try:
        payload = json.loads(cipher.decrypt(stored))
    except (AtRestDecryptionError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


async def claim(
    conn: Any,
    table: sa.Table,
    worker: str,
    lease: timedelta,
    cipher: AtRestCipher,
    now: datetime | None = None,
    expired: bool = True,
) -> ClaimedMessage | None:
    """Leases the next message in per-citizen order.

    Each UPDATE is atomic on its own, so the caller may run it in a transaction or, as the
    workers do on SQLite, in autocommit (the write lock is then held only per statement).

    Args:
        conn: An ``AsyncConnection`` in a transaction (commit right after).
        table: The inbound table.
        worker: Name of the worker (kept in the token for diagnostics).
        lease: How long the lease lasts before another worker may take the message.
        cipher: The inbound payload cipher.
        now: The current time (tests).
        expired: Look for a lease that ran out first (a statement more); a caller that
            looked a moment ago may skip it. A citizen's order holds either way: a row whose
            lease ran out still keeps that citizen's later messages from being claimed.

    Returns:
        The leased message, or None when nothing is claimable.
    """
    now = now or utcnow()
    token = f"{worker[:28]}:{uuid.uuid4().hex}"
    postgresql = conn.dialect.name == "postgresql"
    # A lease that ran out first (its message is older than anything still waiting), then
    # the waiting messages.
    values = {_NOW: now, _TOKEN: token, _UNTIL: now + lease}
    row: Any = None
    for lapsed in (True, False) if expired else (False,):
        result = await conn.execute(_claim_statement(table, postgresql, lapsed), values)
        if postgresql:
            row = result.first()
            if row is not None:
                break
        elif result.rowcount:
            row = (await conn.execute(_claimed_row(table), {_TOKEN: token})).one()
            break
    else:
        return None
    return ClaimedMessage(
        wamid=row.wamid,
        sender_id=row.sender_id,
        payload=decode_payload(row.payload, cipher),
        received_at=row.received_at,
        attempts=int(row.attempts),
        lease_owner=token,
    )


async def finish(
    conn: Any,
    table: sa.Table,
    message: ClaimedMessage,
    status: str,
    detail: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Records the outcome, ends the lease and drops the payload, if the caller still holds it.

    Args:
        conn: An ``AsyncConnection`` in a transaction.
        table: The inbound table.
        message: The claimed message.
        status: One of :data:`DONE_STATUSES`.
        detail: Short detail (truncated to 255 characters).
        now: The current time (tests).

    Returns:
        False when the lease was lost (another worker took the message over).
    """
    result = await conn.execute(
        _finish_statement(table),
        {
            _WAMID: message.wamid,
            _TOKEN: message.lease_owner,
            _STATUS: status[:16],
            _AT: now or utcnow(),
            _DETAIL: detail[:255] if detail else None,
        },
    )
    return bool(result.rowcount)


async def extend(conn: Any, table: sa.Table, message: ClaimedMessage, lease: timedelta) -> bool:
    """Extends a lease still held (a long turn). Returns False when it was lost."""
    result = await conn.execute(
        _extend_statement(table),
        {_WAMID: message.wamid, _TOKEN: message.lease_owner, _UNTIL: utcnow() + lease},
    )
    return bool(result.rowcount)


async def release(conn: Any, table: sa.Table, message: ClaimedMessage) -> bool:
    """Hands a leased message back to the queue (a worker stopping before it started the turn)."""
    result = await conn.execute(
        table.update()
        .where(table.c.wamid == message.wamid)
        .where(table.c.lease_owner == message.lease_owner)
        .where(table.c.status == PROCESSING)
        .values(status=PENDING, lease_owner=None, lease_until=None)
    )
    return bool(result.rowcount)


@functools.lru_cache(maxsize=8)
def _pending_count_statement(table: sa.Table) -> Any:
    return (
        sa.select(sa.func.count())
        .select_from(table)
        .where(table.c.status.in_((PENDING, PROCESSING)))
    )


async def pending_count(conn: Any, table: sa.Table) -> int:
    """Messages waiting or being processed (the back-pressure measure)."""
    result = await conn.execute(_pending_count_statement(table))
    return int(result.scalar_one())


async def has_history(conn: Any, table: sa.Table, sender_id: str, wamid: str) -> bool:
    """True when the citizen sent anything before ``wamid`` that is already done or in flight.

    A citizen without such a message starts a new conversation (the back-pressure rule).
    """
    result = await conn.execute(
        sa.select(table.c.wamid)
        .where(table.c.sender_id == sender_id)
        .where(table.c.wamid != wamid)
        .where(table.c.status != PENDING)
        .limit(1)
    )
    return result.first() is not None


#: ``reply_index`` of the "sedang ramai" notice in the outbound log (turn replies count from 0).
BUSY_NOTICE_INDEX = -1


async def busy_candidates(
    conn: Any,
    inbound: sa.Table,
    outbound: sa.Table,
    limit: int,
    quiet_for: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """Queued first messages of new conversations that have had no busy notice yet.

    A conversation is new when the citizen has no message handled or in flight received in
    the last ``quiet_for``; only their first queued message qualifies.

    Args:
        conn: An ``AsyncConnection``.
        inbound: The inbound table.
        outbound: The outbound table (the notice is recorded there, keyed by the wamid).
        limit: At most this many.
        quiet_for: How long without a handled message makes a conversation new.
        now: The current time (tests).

    Returns:
        ``(wamid, sender_id)`` pairs, newest first (they would wait longest).
    """
    now = now or utcnow()
    row = inbound.alias("candidate")
    other = inbound.alias("other")
    earlier_or_active = (
        sa.select(other.c.wamid)
        .where(other.c.sender_id == row.c.sender_id)
        .where(other.c.wamid != row.c.wamid)
        .where(
            sa.or_(
                sa.and_(other.c.status == PENDING, other.c.order_key < row.c.order_key),
                sa.and_(other.c.status != PENDING, other.c.received_at >= now - quiet_for),
            )
        )
    )
    noticed = (
        sa.select(outbound.c.id)
        .where(outbound.c.reply_to == row.c.wamid)
        .where(outbound.c.reply_index == BUSY_NOTICE_INDEX)
    )
    query = (
        sa.select(row.c.wamid, row.c.sender_id)
        .where(row.c.status == PENDING)
        .where(~earlier_or_active.exists())
        .where(~noticed.exists())
        .order_by(row.c.order_key.desc())
        .limit(limit)
    )
    return [(wamid, sender) for wamid, sender in (await conn.execute(query)).all()]
