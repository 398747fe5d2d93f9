"""Durable state of the WhatsApp channel: the inbound queue, outbound records, menus.

All database access is asynchronous (SQLAlchemy 1.4 Core on ``aiosqlite`` or ``asyncpg``) so
nothing blocks the worker's event loop. The queue statements are shared with the webhook
receiver (:mod:`lalisa_common.whatsapp.queue`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from lalisa_common.at_rest import INBOUND_PAYLOAD, AtRestCipher, at_rest_cipher, identity_key
from lalisa_common.conflict import insert_ignore
from lalisa_common.database import to_async_url
from lalisa_common.env import env_int, read_env
from lalisa_common.identity import SenderKeys, contact_values, upsert_contact
from lalisa_common.whatsapp import queue
from lalisa_common.whatsapp.statuses import STATUS_FROM, apply_status, from_unix
from lalisa_rasa.channels.config import DEDUPE_TTL_SECONDS
from lalisa_rasa.channels.tables import contacts, inbound_messages, menus, outbound_messages

logger = logging.getLogger(__name__)

INBOUND_RECEIVED = "received"
INBOUND_PROCESSED = "processed"


def utcnow() -> datetime:
    """Returns the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


#: How long, and for how many citizens, :meth:`WhatsAppStore.address_of` keeps a token.
CONTACT_TOKEN_SECONDS = 600.0
CONTACT_TOKENS = 2000


@functools.lru_cache(maxsize=1)
def _contact_token_statement() -> Any:
    return sa.select(contacts.c.phone_encrypted).where(
        contacts.c.sender_key == sa.bindparam("q_key", type_=contacts.c.sender_key.type)
    )


def expired_check_interval(lease: timedelta) -> float:
    """Seconds between two looks for leases that ran out: a tenth of the lease, 1 s at most."""
    return min(1.0, lease.total_seconds() / 10)


class WhatsAppStore:
    """The channel's database tables, accessed asynchronously."""

    def __init__(self, database_url: str, cipher: AtRestCipher | None = None) -> None:
        """Initialises the WhatsAppStore.

        Args:
            database_url: Plain or async SQLAlchemy URL (``sqlite:///``, ``postgresql://``).
            cipher: Encrypts queued payloads; by default the inbound payload key derived from
                ``LALISA_IDENTITY_KEY``.
        """
        self.cipher = cipher or at_rest_cipher(identity_key(read_env()), INBOUND_PAYLOAD)
        url = to_async_url(database_url)
        kwargs: dict[str, Any] = {"future": True}
        if url.startswith("sqlite"):
            # Keep connections open (SQLAlchemy 1.4 would open one per use for SQLite).
            kwargs.update(
                connect_args={"timeout": 30},
                poolclass=AsyncAdaptedQueuePool,
                pool_size=4,
                max_overflow=4,
            )
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._write_lock: asyncio.Lock | None = None
        self._inserts: dict[str, Any] = {}
        self._expired_checked = float("-inf")
        self._contact_tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def _sqlite_writers_lock(self) -> asyncio.Lock:
        # Created on first use so that it belongs to the event loop that runs the store.
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        return self._write_lock

    @contextlib.asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; on SQLite, writers of this process queue in order.

        SQLite allows one writer at a time and its busy handler sleeps in growing steps,
        so letting this process's writers contend would add long latency spikes.
        """
        if self.dialect != "sqlite":
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._sqlite_writers_lock(), self.engine.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def _statement(self) -> AsyncIterator[AsyncConnection]:
        """A connection for writes that are one statement each (the queue's lease changes).

        Each statement commits on its own (autocommit). On SQLite the database's single
        write lock is then held only while the statement runs in the driver's thread. In a
        transaction it stayed held until the COMMIT, one trip through this process's event
        loop later; a worker's loop is often busy for 100 ms and more with NLU, and the
        receiver's next acknowledgement waited that long for the lock. On PostgreSQL a
        transaction around one statement is a BEGIN and a COMMIT more: two round trips, each
        a share of the worker's and the backend's CPU, for nothing the statement needs.
        """
        if self.dialect != "sqlite":
            async with self.engine.connect() as conn:
                yield await conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        async with self._sqlite_writers_lock(), self.engine.connect() as conn:
            yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    async def close(self) -> None:
        """Disposes of the connection pool."""
        await self.engine.dispose()

    async def check_tables(self) -> bool:
        """Checks that the Alembic revision ``0002_whatsapp`` has been applied.

        Returns:
            True when both tables can be queried.
        """
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.select(inbound_messages.c.wamid).limit(1))
                await conn.execute(sa.select(outbound_messages.c.id).limit(1))
        except Exception as exc:
            logger.error(
                "WhatsApp tables are not available (%s); run `alembic upgrade head`.",
                exc.__class__.__name__,
            )
            return False
        return True

    def _insert_ignore(self, table: sa.Table) -> Any:
        # Built once per table: the values go in as parameters.
        # SQLAlchemy recompiled the plain construct on every execution (no cache key).
        if self.dialect not in ("sqlite", "postgresql"):
            return None
        statement = self._inserts.get(table.name)
        if statement is None:
            statement = self._inserts[table.name] = insert_ignore(table, self.dialect)
        return statement

    # ---------------------------------------------------------------- contacts

    async def remember_contact(self, keys: SenderKeys, sender_id: str) -> str:
        """Records the number behind a sender id (idempotent); returns the citizen's key."""
        values = contact_values(keys, sender_id)
        async with self._write() as conn:
            await upsert_contact(conn, contacts, values)
        return str(values["sender_key"])

    async def address_of(self, keys: SenderKeys, key: str) -> str | None:
        """The number (or user id) behind a citizen key, decrypted; None when unknown.

        The encrypted number read from ``citizen_contacts`` is kept for a few minutes
        (:data:`CONTACT_TOKEN_SECONDS`, the last :data:`CONTACT_TOKENS` citizens): a query per
        turn was ~1.1 ms of a worker's CPU on PostgreSQL, and a conversation's next turn comes
        seconds later. Only the token is kept, as stored; it is decrypted per turn. A key's
        number never changes (the key is derived from it), and a turn for a citizen runs only
        after they wrote, which stored the row again if retention had removed it.
        """
        loop = asyncio.get_running_loop()
        kept = self._contact_tokens.get(key)
        if kept is not None and kept[1] > loop.time():
            self._contact_tokens.move_to_end(key)
            return keys.decrypt(kept[0])
        async with self.engine.connect() as conn:
            token = (await conn.execute(_contact_token_statement(), {"q_key": key})).scalar()
        if not token:
            self._contact_tokens.pop(key, None)
            return None
        self._contact_tokens[key] = (str(token), loop.time() + CONTACT_TOKEN_SECONDS)
        self._contact_tokens.move_to_end(key)
        while len(self._contact_tokens) > CONTACT_TOKENS:
            self._contact_tokens.popitem(last=False)
        return keys.decrypt(str(token))

    # ---------------------------------------------------------------- inbound

    async def log_inbound(
        self,
        wamid: str,
        sender_id: str,
        message_type: str,
        wa_timestamp: int | None,
        payload: dict[str, Any] | None,
    ) -> bool:
        """Inserts the inbound row unless it exists; this is also the DB dedupe claim.

        Args:
            wamid: WhatsApp message id.
            sender_id: The citizen's id.
            message_type: WhatsApp message type.
            wa_timestamp: WhatsApp timestamp (Unix seconds).
            payload: Data needed to process the message again after a crash.

        Returns:
            True if the row was inserted now, False if the id was already known.
        """
        values = {
            "wamid": wamid[:255],
            "sender_id": sender_id[:64],
            "message_type": message_type[:32],
            "status": INBOUND_RECEIVED,
            "received_at": utcnow(),
            "wa_timestamp": from_unix(wa_timestamp),
            "payload": (
                self.cipher.encrypt(json.dumps(payload, ensure_ascii=False))
                if payload is not None
                else None
            ),
        }
        statement = self._insert_ignore(inbound_messages)
        async with self._write() as conn:
            if statement is not None:
                result = await conn.execute(statement, values)
                return bool(result.rowcount)
            try:
                await conn.execute(inbound_messages.insert().values(**values))
            except IntegrityError:
                return False
            return True

    async def mark_inbound(self, wamid: str, status: str, detail: str | None = None) -> None:
        """Records how an inbound message was handled.

        Args:
            wamid: WhatsApp message id.
            status: ``processed``, ``replied``, ``ignored``, ``stale``, ``refused``, ``failed``.
            detail: Short free-text detail (truncated to 255 characters).
        """
        async with self._write() as conn:
            await conn.execute(
                inbound_messages.update()
                .where(inbound_messages.c.wamid == wamid[:255])
                .values(
                    status=status[:16],
                    processed_at=utcnow(),
                    detail=(detail or None) and detail[:255],
                )
            )

    async def inbound_status(self, wamid: str) -> str | None:
        """Returns the recorded status of an inbound message, or None if unknown."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(inbound_messages.c.status).where(inbound_messages.c.wamid == wamid[:255])
            )
            status: str | None = result.scalar_one_or_none()
            return status

    async def pending_inbound(
        self, older_than: timedelta, newer_than: timedelta, limit: int = 500
    ) -> list[tuple[str, dict[str, Any]]]:
        """Lists messages that were acknowledged but never finished (e.g. after a crash).

        Args:
            older_than: Only rows received at least this long ago (not in flight).
            newer_than: Only rows received at most this long ago (not stale).
            limit: Maximum number of rows.

        Returns:
            ``(wamid, payload)`` pairs, oldest first.
        """
        now = utcnow()
        query = (
            sa.select(inbound_messages.c.wamid, inbound_messages.c.payload)
            .where(inbound_messages.c.status == INBOUND_RECEIVED)
            .where(inbound_messages.c.received_at <= now - older_than)
            .where(inbound_messages.c.received_at >= now - newer_than)
            .order_by(inbound_messages.c.received_at)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        pending: list[tuple[str, dict[str, Any]]] = []
        for wamid, payload in rows:
            data = queue.decode_payload(payload, self.cipher)
            if data is not None:
                pending.append((wamid, data))
        return pending

    async def prune_inbound(self, older_than: timedelta | None = None) -> int:
        """Deletes inbound rows older than ``older_than`` (never less than the dedupe TTL).

        Args:
            older_than: Age of the rows to delete; by default ``LALISA_INBOUND_RETENTION_DAYS``
                (30 days), the limit :mod:`lalisa.retention` applies.

        Returns:
            Number of deleted rows.
        """
        if older_than is None:
            older_than = timedelta(days=env_int(read_env(), "LALISA_INBOUND_RETENTION_DAYS", 30))
        age = max(older_than, timedelta(seconds=DEDUPE_TTL_SECONDS))
        async with self._write() as conn:
            result = await conn.execute(
                inbound_messages.delete().where(inbound_messages.c.received_at < utcnow() - age)
            )
            return int(result.rowcount or 0)

    # --------------------------------------------------------------- outbound

    async def record_outbound(
        self,
        *,
        recipient: str,
        kind: str,
        summary: str,
        wamid: str | None,
        status: str,
        attempts: int,
        error_code: int | None = None,
        error_title: str | None = None,
        callback_data: str | None = None,
        reply_to: str | None = None,
        reply_index: int | None = None,
    ) -> None:
        """Records one send attempt's outcome (accepted with a wamid, or failed).

        Args:
            recipient: The citizen's id.
            kind: ``text``, ``buttons``, ``list``, ``location_request``, ``image``, ...
            summary: The kind of message (:func:`~lalisa_rasa.channels.render.summarise`),
                never its text.
            wamid: Id returned by Meta (None when the send failed).
            status: ``accepted`` or ``failed``.
            attempts: Number of HTTP attempts made.
            error_code: Graph error code when failed.
            error_title: Graph error message when failed.
            callback_data: ``biz_opaque_callback_data`` sent along.
            reply_to: The inbound wamid this send answers (with ``reply_index``).
            reply_index: Position of this send among the replies of that turn.
        """
        now = utcnow()
        values = {
            "wamid": wamid[:255] if wamid else None,
            "recipient": recipient[:64],
            "kind": kind[:32],
            "payload_summary": summary[:500],
            "status": status[:16],
            "error_code": error_code,
            "error_title": error_title[:255] if error_title else None,
            "attempts": attempts,
            "callback_data": callback_data[:512] if callback_data else None,
            "created_at": now,
            "updated_at": now,
            "reply_to": reply_to[:255] if reply_to else None,
            "reply_index": reply_index,
        }
        try:
            await self._record_outbound(values, wamid, reply_index, attempts, now)
        except IntegrityError:
            # The status webhook's row of this wamid was committed between our look-up and
            # our insert (the receiver and the worker raced): once more, it is updated now.
            await self._record_outbound(values, wamid, reply_index, attempts, now)

    async def _record_outbound(
        self,
        values: dict[str, Any],
        wamid: str | None,
        reply_index: int | None,
        attempts: int,
        now: datetime,
    ) -> None:
        reply_to = values["reply_to"]
        insert_ignore = self._insert_ignore(outbound_messages)
        if insert_ignore is not None:
            # The usual case first, in one statement: the first attempt of this reply, before
            # any status webhook of it. Both unique keys (the wamid, the reply key) make the
            # insert a no-op when a row exists; only then are the updates below needed. A
            # transaction of up to three statements per reply was ~1.9 ms of a worker's CPU
            # on PostgreSQL.
            async with self._statement() as conn:
                inserted = await conn.execute(insert_ignore, values)
            if inserted.rowcount:
                return
        async with self._write() as conn:
            if reply_to is not None and reply_index is not None:
                # A failed earlier attempt of this very reply keeps its row: overwrite it.
                retried = await conn.execute(
                    outbound_messages.update()
                    .where(outbound_messages.c.reply_to == values["reply_to"])
                    .where(outbound_messages.c.reply_index == reply_index)
                    .values(**{k: v for k, v in values.items() if k != "created_at"})
                )
                if retried.rowcount:
                    return
            if wamid:
                # A status webhook may have created the row first: fill in the details, the
                # reply key among them (without it a turn run again would send this reply
                # a second time).
                updated = await conn.execute(
                    outbound_messages.update()
                    .where(outbound_messages.c.wamid == wamid[:255])
                    .values(
                        recipient=values["recipient"],
                        kind=values["kind"],
                        payload_summary=values["payload_summary"],
                        attempts=attempts,
                        callback_data=values["callback_data"],
                        updated_at=now,
                        reply_to=values["reply_to"],
                        reply_index=reply_index,
                    )
                )
                if updated.rowcount:
                    return
            await conn.execute(outbound_messages.insert().values(**values))

    async def apply_status(
        self,
        wamid: str,
        status: str,
        *,
        timestamp: int | None = None,
        error_code: int | None = None,
        error_title: str | None = None,
        callback_data: str | None = None,
    ) -> bool:
        """Applies a status webhook to the outbound record, never downgrading it.

        Statuses for messages the channel did not send (e.g. notifications sent by
        another component) create a row without recipient, so every delivery report is kept.

        Args:
            wamid: Id of the outbound message.
            status: New status from Meta.
            timestamp: Status time (Unix seconds).
            error_code: Error code of a ``failed`` status.
            error_title: Error title of a ``failed`` status.
            callback_data: ``biz_opaque_callback_data`` echoed by Meta.

        Returns:
            True if the stored status changed.
        """
        if status not in STATUS_FROM:
            logger.info("WhatsApp status %r for %s recorded in the log only", status, wamid)
            return False
        async with self._write() as conn:
            return await apply_status(
                conn,
                outbound_messages,
                wamid,
                status,
                timestamp=timestamp,
                error_code=error_code,
                error_title=error_title,
                callback_data=callback_data,
            )

    async def reply_sent(self, reply_to: str, reply_index: int, key: str | None = None) -> bool:
        """True when reply ``reply_index`` to ``reply_to`` was accepted by WhatsApp before.

        Accepted means a recorded 2xx (a row with the reply key) or, with ``key``, a status
        webhook that carried the key back (:meth:`reply_trace`): a worker that died between
        Meta's 2xx and its record leaves only that trace.
        """
        keyed = sa.and_(
            outbound_messages.c.reply_to == reply_to[:255],
            outbound_messages.c.reply_index == reply_index,
        )
        if key is not None:
            keyed = sa.or_(keyed, outbound_messages.c.callback_data == key[:512])
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(outbound_messages.c.id)
                .where(keyed)
                .where(outbound_messages.c.status != "failed")
                .limit(1)
            )
            return result.first() is not None

    async def reply_trace(self, key: str) -> str | None:
        """The wamid of a message whose status webhook carried callback data ``key``, if any."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(outbound_messages.c.wamid)
                .where(outbound_messages.c.callback_data == key[:512])
                .where(outbound_messages.c.wamid.is_not(None))
                .where(outbound_messages.c.status != "failed")
                .limit(1)
            )
            wamid: str | None = result.scalar_one_or_none()
            return wamid

    # ------------------------------------------------------------------ queue

    async def claim(self, worker: str, lease: timedelta) -> queue.ClaimedMessage | None:
        """Leases the next queued message in per-citizen order (see :func:`queue.claim`).

        Leases that ran out (a worker stopped mid-turn) are looked for at most every
        :func:`expired_check_interval` instead of before every claim: a statement per message
        that finds nothing almost always. Such a message is taken over that much later at
        most, next to a lease of minutes; its citizen's later messages wait for it meanwhile.
        """
        loop = asyncio.get_running_loop()
        look = loop.time() >= self._expired_checked + expired_check_interval(lease)
        async with self._statement() as conn:
            claimed = await queue.claim(
                conn, inbound_messages, worker, lease, self.cipher, expired=look
            )
        if look and (claimed is None or claimed.attempts == 1):
            # Found none (a re-claimed row may have company: look again next time).
            self._expired_checked = loop.time()
        return claimed

    async def finish(
        self, message: queue.ClaimedMessage, status: str, detail: str | None = None
    ) -> bool:
        """Records the outcome of a leased message; False when the lease was lost."""
        async with self._statement() as conn:
            return await queue.finish(conn, inbound_messages, message, status, detail)

    async def extend(self, message: queue.ClaimedMessage, lease: timedelta) -> bool:
        """Extends a lease during a long turn; False when it was lost."""
        async with self._statement() as conn:
            return await queue.extend(conn, inbound_messages, message, lease)

    async def release(self, message: queue.ClaimedMessage) -> bool:
        """Puts a leased message back in the queue."""
        async with self._statement() as conn:
            return await queue.release(conn, inbound_messages, message)

    async def pending_count(self) -> int:
        """Messages queued or in flight."""
        async with self.engine.connect() as conn:
            return await queue.pending_count(conn, inbound_messages)

    async def has_history(self, sender_id: str, wamid: str) -> bool:
        """True when the citizen had a message handled (or in flight) besides ``wamid``."""
        async with self.engine.connect() as conn:
            return await queue.has_history(conn, inbound_messages, sender_id, wamid)

    async def busy_candidates(self, limit: int) -> list[tuple[str, str]]:
        """Queued first messages of new conversations without a busy notice yet."""
        async with self.engine.connect() as conn:
            return await queue.busy_candidates(conn, inbound_messages, outbound_messages, limit)

    # ------------------------------------------------------------------ menus

    async def remember_menu(self, recipient: str, payloads: list[str], ttl: float) -> None:
        """Stores the numbered menu of ``recipient`` (replacing an older one)."""
        values = {
            "payloads": json.dumps(payloads, ensure_ascii=False),
            "expires_at": utcnow() + timedelta(seconds=ttl),
        }
        async with self._write() as conn:
            updated = await conn.execute(
                menus.update().where(menus.c.recipient == recipient[:64]).values(**values)
            )
            if not updated.rowcount:
                await conn.execute(menus.insert().values(recipient=recipient[:64], **values))

    async def take_menu(self, recipient: str) -> list[str] | None:
        """Returns and forgets the live menu of ``recipient``."""
        async with self._write() as conn:
            row = (
                await conn.execute(
                    sa.select(menus.c.payloads, menus.c.expires_at).where(
                        menus.c.recipient == recipient[:64]
                    )
                )
            ).first()
            if row is None:
                return None
            await conn.execute(menus.delete().where(menus.c.recipient == recipient[:64]))
        expires = row.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        if expires < utcnow():
            return None
        try:
            data = json.loads(row.payloads)
        except ValueError:
            return None
        return [str(item) for item in data] if isinstance(data, list) else None

    async def outbound_rows(self, recipient: str | None = None) -> list[dict[str, Any]]:
        """Returns outbound records (for tests, diagnostics and the sandbox docs).

        Args:
            recipient: Only rows for this recipient when given.

        Returns:
            Rows as dicts, oldest first.
        """
        query = sa.select(outbound_messages).order_by(outbound_messages.c.id)
        if recipient is not None:
            query = query.where(outbound_messages.c.recipient == recipient)
        async with self.engine.connect() as conn:
            return [dict(row._mapping) for row in (await conn.execute(query)).all()]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL and a busy timeout, so the Rasa process and the app env can share the file."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()
