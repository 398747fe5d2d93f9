"""``python -m lalisa.pseudonymise``: replace phone numbers by citizen keys in existing data.

Since revision ``0012_contacts`` every store knows a citizen by their key (the blind index of the
number, :mod:`lalisa_common.identity`). Data written before keeps the number in plain text;
this command converts it and records the number, encrypted, in ``citizen_contacts``:

* Rasa's trackers: ``events.sender_id`` in the tracker database (its own SQLite file or
  PostgreSQL URL, ``TRACKER_DATABASE_URL``);
* the inbound queue/log: ``sender_id`` and the ``from`` of the stored payload (decrypted and
  encrypted again under the inbound payload key);
* the outbound log: ``recipient`` (the status webhooks wrote numbers there too);
* the numbered-menu memory: old rows are dropped (they live minutes and are remade);
* ``reporters``: each reporter's key (their blind index) gets a contact with the reporter's
  encrypted number, so a citizen who wrote before the change can be answered.

Where it rewrote rows it then runs ``VACUUM`` on those databases (:mod:`lalisa_common.vacuum`),
since the replaced numbers otherwise stay in SQLite's free pages or PostgreSQL's dead rows.
Rows that already hold a key are left alone, so the command is idempotent and safe to run at
every deployment: ``python -m lalisa.migrate`` runs it after the schema upgrade. Takeover,
handoff and review rows keep their Fernet token of the old sender id; the code turns a number
found there into its key when it reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from lalisa.core.contacts import citizen_contacts
from lalisa.core.crypto import IdentityCipher, get_identity_cipher
from lalisa.core.db import create_engine_for_url
from lalisa.core.models import aware_now
from lalisa.core.settings import get_settings
from lalisa.notifications.channel_tables import inbound_messages, menus, outbound_messages
from lalisa.review.tracker import events_table
from lalisa.tickets.models import Reporter
from lalisa_common.at_rest import INBOUND_PAYLOAD, AtRestCipher, at_rest_cipher
from lalisa_common.database import to_async_url
from lalisa_common.identity import contact_values, is_sender_key, upsert_contact
from lalisa_common.logs import configure_logging
from lalisa_common.vacuum import vacuum_rewritten
from lalisa_common.whatsapp.queue import decode_payload

__all__ = ["Conversion", "main", "pseudonymise"]

logger = logging.getLogger(__name__)


@dataclass
class Conversion:
    """What one run converted (numbers of distinct senders, or of rows)."""

    tracker_senders: int = 0
    inbound_senders: int = 0
    outbound_recipients: int = 0
    menus_dropped: int = 0
    reporter_contacts: int = 0
    tracker_available: bool = True
    vacuumed: list[str] = field(default_factory=list)
    """What :func:`lalisa_common.vacuum.vacuum_rewritten` did afterwards (one line a database)."""

    @property
    def changed(self) -> int:
        """Everything converted or recorded."""
        return (
            self.tracker_senders
            + self.inbound_senders
            + self.outbound_recipients
            + self.menus_dropped
            + self.reporter_contacts
        )


def _plain(values: Sequence[Any]) -> list[str]:
    """The values that are not keys yet (and not empty)."""
    return [str(value) for value in values if value and not is_sender_key(str(value).strip())]


async def _remember(conn: AsyncConnection, cipher: IdentityCipher, sender_id: str) -> str:
    values = contact_values(cipher, sender_id, aware_now())
    await upsert_contact(conn, citizen_contacts, values)
    return str(values["sender_key"])


def _payload_with_key(payload: str | None, key: str, cipher: AtRestCipher) -> str | None:
    """The stored ``{"message": …}`` with the sender replaced by the key, encrypted again."""
    if not payload:
        return payload
    data = decode_payload(payload, cipher)
    if data is None:
        return None  # unreadable: a worker drops it anyway; never keep a number in it
    message = data.get("message")
    if isinstance(message, dict):
        message.pop("from_user_id", None)
        message["from"] = key
    return cipher.encrypt(json.dumps(data, ensure_ascii=False))


async def _convert_app(conn: AsyncConnection, cipher: IdentityCipher, result: Conversion) -> None:
    payloads = at_rest_cipher(get_settings().identity.key, INBOUND_PAYLOAD)
    senders = (await conn.execute(select(inbound_messages.c.sender_id).distinct())).scalars()
    for sender in _plain(list(senders)):
        key = await _remember(conn, cipher, sender)
        rows = await conn.execute(
            select(inbound_messages.c.wamid, inbound_messages.c.payload).where(
                inbound_messages.c.sender_id == sender
            )
        )
        for wamid, payload in rows.all():
            await conn.execute(
                update(inbound_messages)
                .where(inbound_messages.c.wamid == wamid)
                .values(sender_id=key, payload=_payload_with_key(payload, key, payloads))
            )
        result.inbound_senders += 1

    recipients = (await conn.execute(select(outbound_messages.c.recipient).distinct())).scalars()
    for recipient in _plain(list(recipients)):
        key = await _remember(conn, cipher, recipient)
        await conn.execute(
            update(outbound_messages)
            .where(outbound_messages.c.recipient == recipient)
            .values(recipient=key)
        )
        result.outbound_recipients += 1

    remembered = (await conn.execute(select(menus.c.recipient))).scalars()
    for recipient in _plain(list(remembered)):
        await conn.execute(delete(menus).where(menus.c.recipient == recipient))
        result.menus_dropped += 1

    reporters: Any = Reporter.__table__
    known = select(citizen_contacts.c.sender_key)
    missing = await conn.execute(
        select(
            reporters.c.phone_blind_index, reporters.c.phone_encrypted, reporters.c.created_at
        ).where(reporters.c.phone_blind_index.not_in(known))
    )
    for index, token, created_at in missing.all():
        await upsert_contact(
            conn,
            citizen_contacts,
            {
                "sender_key": index,
                "phone_encrypted": token,  # same identity key: the token is reused as is
                "first_seen_at": created_at,
                "last_seen_at": created_at,
            },
        )
        result.reporter_contacts += 1


async def _tracker_senders(tracker: AsyncEngine, result: Conversion) -> list[str]:
    """The tracker conversations still named by a number."""
    try:
        async with tracker.connect() as conn:
            senders = list(
                (await conn.execute(select(events_table.c.sender_id).distinct())).scalars()
            )
    except Exception as exc:  # a fresh install has no events table yet
        logger.info("No tracker events to convert (%s)", type(exc).__name__)
        result.tracker_available = False
        return []
    return _plain(senders)


async def _convert_trackers(
    tracker: AsyncEngine, cipher: IdentityCipher, senders: list[str], result: Conversion
) -> None:
    async with tracker.begin() as conn:
        for sender in senders:
            await conn.execute(
                update(events_table)
                .where(events_table.c.sender_id == sender)
                .values(sender_id=cipher.key_for(sender))
            )
            result.tracker_senders += 1


async def pseudonymise(
    database_url: str | None = None, tracker_url: str | None = None, *, trackers: bool = True
) -> Conversion:
    """Convert every stored sender id that is still a number (idempotent).

    The application database's changes (the contacts of every tracker sender first) commit in
    one transaction, then the trackers are renamed in another; a crash in between leaves the
    trackers to do, and running again finishes them. When rows were rewritten, the databases
    they are in get a ``VACUUM`` (:mod:`lalisa_common.vacuum`), so the numbers do not stay in
    free pages (SQLite) or dead rows (PostgreSQL).

    Args:
        database_url: The La-Lisa database (``DATABASE_URL`` by default).
        tracker_url: Rasa's tracker database (the configured one by default).
        trackers: False leaves the trackers alone (a migration of another database).

    Returns:
        What was converted.
    """
    settings = get_settings()
    cipher = get_identity_cipher()
    app_url = database_url or settings.database.url
    tracker_url = tracker_url or settings.database.tracker_url
    app_engine = create_engine_for_url(app_url, null_pool=True)
    tracker_engine = create_async_engine(to_async_url(tracker_url), poolclass=NullPool)
    result = Conversion(tracker_available=trackers)
    try:
        senders = await _tracker_senders(tracker_engine, result) if trackers else []
        async with app_engine.begin() as conn:
            # The numbers are recorded (committed) before the trackers lose them.
            for sender in senders:
                await _remember(conn, cipher, sender)
            await _convert_app(conn, cipher, result)
        if senders:
            await _convert_trackers(tracker_engine, cipher, senders, result)
    finally:
        await tracker_engine.dispose()
        await app_engine.dispose()
    result.vacuumed = await vacuum_rewritten(
        [
            (app_url, _rewritten_app_tables(result)),
            (tracker_url, [events_table.name] if result.tracker_senders else []),
        ]
    )
    return result


def _rewritten_app_tables(result: Conversion) -> list[str]:
    """The application tables whose rows held numbers and were rewritten or deleted.

    ``citizen_contacts`` only gains encrypted rows, so it needs no ``VACUUM``.
    """
    counts = (
        (inbound_messages.name, result.inbound_senders),
        (outbound_messages.name, result.outbound_recipients),
        (menus.name, result.menus_dropped),
    )
    return [table for table, count in counts if count]


def report(result: Conversion) -> str:
    """One line for the operator."""
    if not result.changed:
        return "Pseudonymisation: nothing to convert (every sender id is already a key)."
    return (
        "Pseudonymisation: "
        f"{result.tracker_senders} tracker conversation(s), "
        f"{result.inbound_senders} inbound sender(s), "
        f"{result.outbound_recipients} outbound recipient(s) converted to keys; "
        f"{result.menus_dropped} menu(s) dropped; "
        f"{result.reporter_contacts} reporter contact(s) recorded."
        + "".join(f" {line}." for line in result.vacuumed)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m lalisa.pseudonymise", description=__doc__)
    parser.add_argument("--url", help="La-Lisa database URL (default: DATABASE_URL)")
    parser.add_argument("--tracker-url", help="Rasa tracker database URL (default: configured)")
    args = parser.parse_args(argv)
    configure_logging()
    result = asyncio.run(pseudonymise(args.url, args.tracker_url))
    print(report(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
