"""``python -m lalisa.pseudonymise``: numbers in old rows become citizen keys, once."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from lalisa.core.contacts import citizen_address, citizen_contacts
from lalisa.core.crypto import get_identity_cipher, sender_key
from lalisa.core.db import create_engine_for_url, session_scope
from lalisa.core.settings import get_settings
from lalisa.notifications.channel_tables import inbound_messages, menus, outbound_messages
from lalisa.pseudonymise import pseudonymise, report
from lalisa.review.tracker import events_table
from lalisa.tickets.models import Reporter
from lalisa_common.at_rest import INBOUND_PAYLOAD, at_rest_cipher
from lalisa_common.whatsapp.queue import decode_payload
from tests.postgres_helpers import vacuum_counts

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
CITIZEN = "6281234500001"
OTHER = "6281234500002"
REPORTER_ONLY = "6281234500003"


@pytest.fixture
async def tracker_url(db: str, tmp_path: Path) -> AsyncIterator[str]:
    """Rasa's tracker database: shared with La-Lisa on PostgreSQL, a file of its own on SQLite."""
    url = db if db.startswith("postgresql") else f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(events_table.metadata.create_all)
        yield url
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(events_table.metadata.drop_all)
        await engine.dispose()


async def seed(db: str, tracker: str) -> None:
    engine = create_engine_for_url(tracker, null_pool=True)
    try:
        async with engine.begin() as conn:
            for sender in (CITIZEN, CITIZEN, OTHER, sender_key("6281299999999")):
                await conn.execute(
                    events_table.insert().values(
                        sender_id=sender, type_name="user", timestamp=NOW.timestamp(), data="{}"
                    )
                )
    finally:
        await engine.dispose()
    payload = {
        "message": {"from": CITIZEN, "id": "wamid.p1", "type": "text"},
        "phone_number_id": "1",
    }
    cipher = get_identity_cipher()
    async with session_scope() as session:
        await session.execute(
            inbound_messages.insert().values(
                wamid="wamid.p1",
                sender_id=CITIZEN,
                message_type="text",
                status="processed",
                received_at=NOW,
                payload=json.dumps(payload),
                order_key=1,
                attempts=1,
            )
        )
        await session.execute(
            outbound_messages.insert().values(
                wamid="wamid.o1",
                recipient=OTHER,
                kind="text",
                status="delivered",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await session.execute(
            menus.insert().values(
                recipient=CITIZEN, payloads="[]", expires_at=NOW + timedelta(minutes=5)
            )
        )
        session.add(
            Reporter(
                phone_blind_index=cipher.blind_index(REPORTER_ONLY),
                phone_encrypted=cipher.encrypt(REPORTER_ONLY),
                channel="whatsapp",
                created_at=NOW,
            )
        )


async def snapshot(tracker: str) -> dict[str, Any]:
    engine = create_engine_for_url(tracker, null_pool=True)
    try:
        async with engine.connect() as conn:
            events = sorted((await conn.execute(select(events_table.c.sender_id))).scalars().all())
    finally:
        await engine.dispose()
    async with session_scope() as session:
        return {
            "events": events,
            "inbound": (await session.execute(select(inbound_messages))).mappings().all(),
            "outbound": (await session.execute(select(outbound_messages.c.recipient)))
            .scalars()
            .all(),
            "menus": (await session.execute(select(menus.c.recipient))).scalars().all(),
            "contacts": sorted(
                (await session.execute(select(citizen_contacts.c.sender_key))).scalars().all()
            ),
        }


async def test_numbers_become_keys_once(db: str, tracker_url: str) -> None:
    await seed(db, tracker_url)

    first = await pseudonymise(db, tracker_url)

    assert (first.tracker_senders, first.inbound_senders, first.outbound_recipients) == (2, 1, 1)
    assert (first.menus_dropped, first.reporter_contacts) == (1, 1)
    after = await snapshot(tracker_url)
    assert after["events"] == sorted(
        [sender_key(CITIZEN)] * 2 + [sender_key(OTHER), sender_key("6281299999999")]
    )
    [row] = after["inbound"]
    assert row["sender_id"] == sender_key(CITIZEN)
    payloads = at_rest_cipher(get_settings().identity.key, INBOUND_PAYLOAD)
    stored = decode_payload(row["payload"], payloads)
    assert stored is not None and stored["message"]["from"] == sender_key(CITIZEN)
    assert not row["payload"].startswith("{")  # encrypted again
    assert after["outbound"] == [sender_key(OTHER)]
    assert after["menus"] == []
    assert after["contacts"] == sorted(sender_key(n) for n in (CITIZEN, OTHER, REPORTER_ONLY))
    async with session_scope() as session:
        for number in (CITIZEN, OTHER, REPORTER_ONLY):
            assert await citizen_address(session, sender_key(number)) == number

    again = await pseudonymise(db, tracker_url)

    assert again.changed == 0
    assert await snapshot(tracker_url) == after


async def test_a_missing_tracker_table_is_not_an_error(db: str, tmp_path: Path) -> None:
    result = await pseudonymise(db, f"sqlite:///{tmp_path / 'no-tracker.db'}")
    assert (result.tracker_available, result.changed) == (False, 0)


def raw_sqlite_bytes(url: str) -> bytes:
    """The bytes of a SQLite database file and of its write-ahead log, as on disk."""
    path = Path(make_url(url).database or "")
    files = (path, path.with_name(f"{path.name}-wal"))
    return b"".join(file.read_bytes() for file in files if file.exists())


async def test_the_databases_it_rewrote_are_vacuumed(
    db: str, tracker_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(db, tracker_url)
    app_tables = [inbound_messages.name, outbound_messages.name, menus.name]
    postgres = db.startswith("postgresql")
    before = await vacuum_counts(db, [*app_tables, events_table.name]) if postgres else {}

    with caplog.at_level(logging.INFO, logger="lalisa_common.vacuum"):
        result = await pseudonymise(db, tracker_url)

    assert result.tracker_senders and result.inbound_senders
    if postgres:
        # La-Lisa and the trackers share the database: one VACUUM of the four tables.
        [line] = result.vacuumed
        assert line.startswith("VACUUM of " + ", ".join(sorted([*app_tables, "events"])))
        after = await vacuum_counts(db, [*app_tables, events_table.name])
        assert all(after[table] > before.get(table, 0) for table in after), (before, after)
        assert len(after) == 4
    else:
        assert result.vacuumed == [
            f"VACUUM of the SQLite file {make_url(url).database}" for url in (db, tracker_url)
        ]
        # Nothing of the old numbers is left in free pages or in the log.
        for url in (db, tracker_url):
            raw = raw_sqlite_bytes(url)
            assert raw
            for number in (CITIZEN, OTHER):
                assert number.encode() not in raw, (url, number)
    assert all(line in caplog.text for line in result.vacuumed)
    assert report(result).endswith(f" {result.vacuumed[-1]}.")

    again = await pseudonymise(db, tracker_url)

    assert (again.changed, again.vacuumed) == (0, [])  # nothing rewritten: no VACUUM
