"""Durable state of the WhatsApp channel: dedupe keys, inbound log, outbound records.

All database access is asynchronous (SQLAlchemy 1.4 Core on ``aiosqlite`` or
``asyncpg``) so nothing blocks the Rasa event loop. Dedupe keys live in the
``whatsapp_inbound_messages`` table, or in Redis when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from redis import asyncio as redis_asyncio
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from lalisa_common.database import to_async_url
from lalisa_rasa.channels.config import DEDUPE_TTL_SECONDS
from lalisa_rasa.channels.tables import inbound_messages, outbound_messages

logger = logging.getLogger(__name__)

INBOUND_RECEIVED = "received"
INBOUND_PROCESSED = "processed"

# Status a record may move to -> statuses it may move from (never downgrade).
_STATUS_FROM: dict[str, tuple[str, ...]] = {
    "sent": ("accepted",),
    "delivered": ("accepted", "sent"),
    "read": ("accepted", "sent", "delivered"),
    "played": ("accepted", "sent", "delivered", "read"),
    "failed": ("accepted", "sent"),
}


def utcnow() -> datetime:
    """Returns the current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def _from_unix(seconds: int | None) -> datetime | None:
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


class WhatsAppStore:
    """The channel's database tables, accessed asynchronously."""

    def __init__(self, database_url: str) -> None:
        """Initialises the WhatsAppStore.

        Args:
            database_url: Plain or async SQLAlchemy URL (``sqlite:///``, ``postgresql://``).
        """
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
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            async with self.engine.begin() as conn:
                yield conn

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
        if self.dialect == "sqlite":
            return sqlite.insert(table).on_conflict_do_nothing()
        if self.dialect == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return None

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
            "wa_timestamp": _from_unix(wa_timestamp),
            "payload": json.dumps(payload, ensure_ascii=False) if payload is not None else None,
        }
        statement = self._insert_ignore(inbound_messages)
        async with self._write() as conn:
            if statement is not None:
                result = await conn.execute(statement.values(**values))
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
            try:
                data = json.loads(payload) if payload else None
            except ValueError:
                data = None
            if isinstance(data, dict):
                pending.append((wamid, data))
        return pending

    async def prune_inbound(self, older_than: timedelta) -> int:
        """Deletes inbound rows older than ``older_than`` (never less than the dedupe TTL).

        Args:
            older_than: Age of the rows to delete.

        Returns:
            Number of deleted rows.
        """
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
    ) -> None:
        """Records one send attempt's outcome (accepted with a wamid, or failed).

        Args:
            recipient: The citizen's id.
            kind: ``text``, ``buttons``, ``list``, ``location_request``, ``image``, ...
            summary: Short human-readable summary of the payload.
            wamid: Id returned by Meta (None when the send failed).
            status: ``accepted`` or ``failed``.
            attempts: Number of HTTP attempts made.
            error_code: Graph error code when failed.
            error_title: Graph error message when failed.
            callback_data: ``biz_opaque_callback_data`` sent along.
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
        }
        async with self._write() as conn:
            if wamid:
                # A status webhook may have created the row first: fill in the details.
                updated = await conn.execute(
                    outbound_messages.update()
                    .where(outbound_messages.c.wamid == wamid[:255])
                    .values(
                        kind=values["kind"],
                        payload_summary=values["payload_summary"],
                        attempts=attempts,
                        callback_data=values["callback_data"],
                        updated_at=now,
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
        recipient: str | None = None,
        timestamp: int | None = None,
        error_code: int | None = None,
        error_title: str | None = None,
        callback_data: str | None = None,
    ) -> bool:
        """Applies a status webhook to the outbound record, never downgrading it.

        Statuses for messages the channel did not send (e.g. notifications sent by
        another component) create a row, so every delivery report is kept.

        Args:
            wamid: Id of the outbound message.
            status: New status from Meta.
            recipient: Recipient wa_id from the webhook.
            timestamp: Status time (Unix seconds).
            error_code: Error code of a ``failed`` status.
            error_title: Error title of a ``failed`` status.
            callback_data: ``biz_opaque_callback_data`` echoed by Meta.

        Returns:
            True if the stored status changed.
        """
        allowed_from = _STATUS_FROM.get(status)
        if allowed_from is None:
            logger.info("WhatsApp status %r for %s recorded in the log only", status, wamid)
            return False
        now = utcnow()
        changes: dict[str, Any] = {
            "status": status,
            "updated_at": now,
            "status_at": _from_unix(timestamp) or now,
        }
        if status == "failed":
            changes["error_code"] = error_code
            changes["error_title"] = error_title[:255] if error_title else None
        update = (
            outbound_messages.update()
            .where(outbound_messages.c.wamid == wamid[:255])
            .where(outbound_messages.c.status.in_(allowed_from))
            .values(**changes)
        )
        async with self._write() as conn:
            result = await conn.execute(update)
            if result.rowcount:
                return True
            exists = await conn.execute(
                sa.select(outbound_messages.c.id).where(outbound_messages.c.wamid == wamid[:255])
            )
            if exists.first() is not None:
                return False
            await conn.execute(
                outbound_messages.insert().values(
                    wamid=wamid[:255],
                    recipient=(recipient or "unknown")[:64],
                    kind="unknown",
                    payload_summary=None,
                    attempts=0,
                    callback_data=callback_data[:512] if callback_data else None,
                    created_at=now,
                    error_code=changes.get("error_code"),
                    error_title=changes.get("error_title"),
                    **{k: v for k, v in changes.items() if k not in ("error_code", "error_title")},
                )
            )
            return True

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


class RedisDedupe:
    """Dedupe keys in Redis: ``SET <prefix><wamid> 1 NX EX <ttl>``."""

    def __init__(
        self,
        redis_url: str,
        ttl_seconds: int = DEDUPE_TTL_SECONDS,
        prefix: str = "lalisa:wa:dedupe:",
    ) -> None:
        """Initialises the RedisDedupe.

        Args:
            redis_url: ``redis://host:port/db``.
            ttl_seconds: Key lifetime (at least the 7 days Meta may redeliver).
            prefix: Key prefix.
        """
        self.client = redis_asyncio.from_url(
            redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix

    async def claim(self, wamid: str) -> bool:
        """Claims ``wamid`` atomically.

        Args:
            wamid: WhatsApp message id.

        Returns:
            True the first time the id is seen within the TTL.
        """
        result = await self.client.set(self.prefix + wamid, b"1", nx=True, ex=self.ttl_seconds)
        return bool(result)

    async def close(self) -> None:
        """Closes the Redis connection pool."""
        await self.client.close()
