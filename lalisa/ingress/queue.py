"""The receiver's side of the inbound queue: accept messages and statuses with group commit.

Every request hands its messages and statuses to one writer task, which takes whatever has
gathered meanwhile and writes it in ONE transaction, then answers each request. Under a burst
this turns hundreds of small commits (each an fsync, and on SQLite a turn of the single write
lock) into a few larger ones, while a lone request is written at once. A request's answer
tells whether each of its messages was new (inserted) or a redelivery (its wamid was known).

The citizen is stored by key (:mod:`lalisa_common.identity`): the queue row's ``sender_id``
and the payload's ``from`` are the key (status webhooks store no recipient), and the number
goes, encrypted, only into ``citizen_contacts`` (upserted in the same transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from lalisa.core.contacts import citizen_contacts
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import create_engine_for_url
from lalisa.notifications.channel_tables import inbound_messages, outbound_messages
from lalisa_common.at_rest import INBOUND_PAYLOAD, AtRestCipher, at_rest_cipher, identity_key
from lalisa_common.conflict import insert_ignore
from lalisa_common.env import read_env
from lalisa_common.identity import contact_values, upsert_contacts
from lalisa_common.whatsapp.payload import InboundMessage, StatusUpdate
from lalisa_common.whatsapp.queue import OrderKeys, enqueue_values
from lalisa_common.whatsapp.statuses import apply_status

logger = logging.getLogger(__name__)

#: At most this many requests share one transaction.
MAX_BATCH = 256


@dataclass
class _Job:
    messages: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    statuses: list[StatusUpdate]
    done: asyncio.Future[list[bool]] = field(repr=False)


class InboundQueue:
    """Writes accepted deliveries durably; one writer task per process (group commit)."""

    def __init__(
        self,
        database_url: str,
        *,
        engine: AsyncEngine | None = None,
        cipher: AtRestCipher | None = None,
    ) -> None:
        """Initialises the queue.

        Args:
            database_url: The La-Lisa database (``DATABASE_URL``).
            engine: An engine to use instead of a new one (tests).
            cipher: Encrypts the queued payloads; by default the inbound payload key derived
                from ``LALISA_IDENTITY_KEY``.
        """
        # No ping before each transaction (a round trip per delivery on PostgreSQL): a
        # connection the server dropped fails its transaction, SQLAlchemy then discards the
        # pool's older connections, and the batch is written once more (:meth:`_write_loop`).
        self.engine = engine or create_engine_for_url(database_url, pre_ping=False)
        self.cipher = cipher or at_rest_cipher(identity_key(read_env()), INBOUND_PAYLOAD)
        self.order_keys = OrderKeys()
        self._jobs: asyncio.Queue[_Job] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._insert_statement: Any = None

    def payload_of(self, message: InboundMessage, phone_number_id: str, key: str) -> dict[str, Any]:
        """What a worker needs to process ``message`` (parsed again with the shared parser).

        The sender (``from``, or ``from_user_id`` when the number is hidden) is replaced by the
        citizen's key: the queue never holds the number.
        """
        raw = {k: v for k, v in message.raw.items() if k not in ("from", "from_user_id")}
        return {"message": {"from": key, **raw}, "phone_number_id": phone_number_id}

    async def accept(
        self,
        messages: list[InboundMessage],
        statuses: list[StatusUpdate],
        phone_number_id: str,
    ) -> list[bool]:
        """Stores one delivery's messages (and applies its statuses), committed on return.

        Args:
            messages: Parsed messages, in delivery order.
            statuses: Parsed status updates.
            phone_number_id: The business number (kept with each message for the worker).

        Returns:
            For each message, True if it is new, False for a redelivery.

        Raises:
            Exception: Whatever the database raised; nothing of this delivery is stored then.
        """
        if not messages and not statuses:
            return []
        keys = get_identity_cipher()
        contacts = [contact_values(keys, message.sender_id) for message in messages]
        rows = [
            enqueue_values(
                wamid=message.wamid,
                sender_id=contact["sender_key"],
                message_type=message.message_type,
                wa_timestamp=message.timestamp,
                payload=self.payload_of(message, phone_number_id, contact["sender_key"]),
                order_key=self.order_keys.next(message.timestamp),
                cipher=self.cipher,
            )
            for message, contact in zip(messages, contacts, strict=True)
        ]
        if self._jobs is None:
            self._jobs = asyncio.Queue()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_loop(self._jobs))
        job = _Job(rows, contacts, statuses, asyncio.get_running_loop().create_future())
        await self._jobs.put(job)
        return await job.done

    async def _write_loop(self, jobs: asyncio.Queue[_Job]) -> None:
        while True:
            batch = [await jobs.get()]
            while not jobs.empty() and len(batch) < MAX_BATCH:
                batch.append(jobs.get_nowait())
            try:
                try:
                    results = await self._write(batch)
                except sa.exc.DBAPIError as exc:
                    if not exc.connection_invalidated:
                        raise
                    # A pooled connection the server had closed (a restart): nothing of the
                    # batch was committed, or, if the loss hit the COMMIT's answer, the
                    # insert-or-ignore finds the rows and calls them redeliveries. Both
                    # answer 200, and nothing is acknowledged that is not stored.
                    logger.warning("WhatsApp queue connection was lost; writing again")
                    results = await self._write(batch)
            except Exception as exc:
                for job in batch:
                    if not job.done.done():
                        job.done.set_exception(exc)
                continue
            for job, result in zip(batch, results, strict=True):
                if not job.done.done():
                    job.done.set_result(result)

    def _insert_new(self) -> Any:
        """INSERT … ON CONFLICT DO NOTHING RETURNING wamid: the rows it returns are the new ones.

        One statement stores the new messages and tells them from redeliveries; a look-up of
        the known ids before the insert was a round trip more per delivery.
        """
        if self._insert_statement is None:
            self._insert_statement = insert_ignore(
                inbound_messages, self.engine.dialect.name, returning=[inbound_messages.c.wamid]
            )
        return self._insert_statement

    async def _write(self, batch: list[_Job]) -> list[list[bool]]:
        # Deduplicate inside the batch first (Meta may deliver one message twice at once),
        # then ONE multi-row insert: a statement per message cost a round trip through the
        # driver thread each and held SQLite's write lock longer.
        first: dict[str, dict[str, Any]] = {}
        for job in batch:
            for row in job.messages:
                first.setdefault(row["wamid"], row)
        async with self.engine.begin() as conn:
            inserted: set[str] = set()
            if first:
                # "Insert or ignore": a known id (a redelivery, or a message another receiver
                # stored meanwhile) is not returned.
                result = await conn.execute(self._insert_new(), list(first.values()))
                inserted.update(result.scalars())
            known = set(first) - inserted
            if inserted:
                # The number behind each new message's key, once per citizen.
                contacts = {
                    contact["sender_key"]: contact
                    for job in batch
                    for row, contact in zip(job.messages, job.contacts, strict=True)
                    if row["wamid"] in inserted
                }
                await upsert_contacts(conn, citizen_contacts, list(contacts.values()))
            for job in batch:
                for status in job.statuses:
                    await apply_status(
                        conn,
                        outbound_messages,
                        status.wamid,
                        status.status,
                        timestamp=status.timestamp,
                        error_code=status.error_code,
                        error_title=status.error_title,
                        callback_data=status.callback_data,
                    )
        results: list[list[bool]] = []
        claimed: set[str] = set()
        for job in batch:
            flags = []
            for row in job.messages:
                wamid = row["wamid"]
                flags.append(wamid not in known and wamid not in claimed)
                claimed.add(wamid)
            results.append(flags)
        return results

    async def ping(self) -> None:
        """Raises when the queue table cannot be read (readiness)."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.select(inbound_messages.c.wamid).limit(1))

    async def close(self) -> None:
        """Stops the writer and disposes of the engine."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        await self.engine.dispose()
