"""The conversions ``make migrate`` runs for rows written before encryption, on both backends.

* Rasa's ``events.data`` in plain JSON becomes a token of the tracker events key
  (:func:`lalisa_common.tracker_crypt.encrypt_tracker_events`);
* ticket submission keys ``<sender id>:<message id>`` become the HMAC new tickets get
  (:func:`lalisa.tickets.submission_keys.rekey_submission_keys`).
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.engine import make_url

from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import create_engine_for_url, session_scope
from lalisa.core.settings import get_settings
from lalisa.tickets.models import Ticket
from lalisa.tickets.service import ComplaintDraft, submit_complaint
from lalisa.tickets.submission_keys import rekey_and_vacuum, rekey_submission_keys
from lalisa_common import tracker_crypt
from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher
from lalisa_common.tracker_crypt import encrypt_tracker_events
from tests.postgres_helpers import vacuum_counts
from tests.unit.test_pseudonymise import raw_sqlite_bytes

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


async def test_plain_tracker_rows_are_encrypted_once(db: str) -> None:
    cipher = at_rest_cipher(get_settings().identity.key, TRACKER_EVENTS)
    engine = create_engine_for_url(db)
    events = [{"event": "user", "text": f"pesan {n} dari Siti", "timestamp": n} for n in range(7)]
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
            for index, event in enumerate(events):
                data = cipher.dumps(event) if index == 3 else json.dumps(event)
                await connection.execute(
                    insert(EVENTS).values(sender_id="s", type_name="user", data=data)
                )
        assert await encrypt_tracker_events(engine, cipher, batch_size=2) == 6
        assert await encrypt_tracker_events(engine, cipher) == 0
        async with engine.connect() as connection:
            stored = (await connection.execute(select(EVENTS.c.data).order_by(EVENTS.c.id))).all()
        assert all("Siti" not in data and not data.startswith("{") for (data,) in stored)
        assert [cipher.loads(data) for (data,) in stored] == events
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.drop_all)
        await engine.dispose()


async def test_no_events_table_means_nothing_to_convert(db: str) -> None:
    engine = create_engine_for_url(db)
    try:
        cipher = at_rest_cipher(get_settings().identity.key, TRACKER_EVENTS)
        assert await encrypt_tracker_events(engine, cipher) == 0
    finally:
        await engine.dispose()


def _draft(key: str) -> ComplaintDraft:
    return ComplaintDraft(
        category="pkl",
        description="PKL di trotoar.",
        latitude=None,
        longitude=None,
        kecamatan="Paringin",
        desa="Paringin Kota",
        location_text=None,
        incident_time_text=None,
        reporter_sender_id="6281200000077",
        reporter_channel="whatsapp",
        reporter_name=None,
        submission_key=key,
        received_out_of_hours=False,
    )


async def test_submission_keys_lose_the_sender_id(db: str) -> None:
    cipher = get_identity_cipher()
    keyed = cipher.submission_key("6281200000077", "wamid.new")
    async with session_scope() as session:
        await submit_complaint(session, _draft("6281200000077:wamid.old"))
    async with session_scope() as session:
        await submit_complaint(session, _draft(keyed))
    assert await rekey_submission_keys() == 1
    assert await rekey_submission_keys() == 0
    async with session_scope() as session:
        keys = set((await session.execute(select(Ticket.submission_key))).scalars())
    # The sender id is the citizen's key after the upgrade (lalisa.pseudonymise).
    rekeyed = cipher.submission_key(cipher.key_for("6281200000077"), "wamid.old")
    assert keys == {rekeyed, keyed}
    # The same confirming message submitted again after the upgrade finds its ticket.
    async with session_scope() as session:
        again = await submit_complaint(session, _draft(rekeyed))
        assert again.number.endswith("000001")


async def test_converted_tracker_leaves_no_plain_text_on_disk(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """``make migrate``'s tracker conversion runs VACUUM once it rewrote rows (both backends).

    The entry point runs its own event loop, so it runs in a thread here.
    """
    name, phone = "Siti Aminah Binti Rahmat", "6281234509876"
    engine = create_engine_for_url(db)
    postgres = db.startswith("postgresql")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.create_all)
            for n in range(300):  # several pages of rows
                event = {"event": "slot", "name": "reporter_name", "value": name, "phone": phone}
                await connection.execute(
                    insert(EVENTS).values(
                        sender_id=f"s{n}", type_name="slot", data=json.dumps(event)
                    )
                )
        before = await vacuum_counts(db, ["events"]) if postgres else {}

        with caplog.at_level(logging.INFO, logger="lalisa_common"):
            assert await asyncio.to_thread(tracker_crypt.main, ["--url", db]) == 0

        assert "Tracker events encrypted: 300 rows converted" in caplog.text
        if postgres:
            assert "VACUUM of events in the postgresql database" in caplog.text
            assert (await vacuum_counts(db, ["events"]))["events"] > before.get("events", 0)
        else:
            assert f"VACUUM of the SQLite file {make_url(db).database}" in caplog.text
            raw = raw_sqlite_bytes(db)
            assert name.encode() not in raw and phone.encode() not in raw

        caplog.clear()
        with caplog.at_level(logging.INFO, logger="lalisa_common"):
            assert await asyncio.to_thread(tracker_crypt.main, ["--url", db]) == 0
        assert "VACUUM" not in caplog.text  # nothing rewritten: no VACUUM
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.drop_all)
        await engine.dispose()


async def test_rewritten_submission_keys_leave_no_number_on_disk(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with session_scope() as session:
        await submit_complaint(session, _draft("6281200000077:wamid.old"))
    postgres = db.startswith("postgresql")
    before = await vacuum_counts(db, ["tickets"]) if postgres else {}

    with caplog.at_level(logging.INFO, logger="lalisa_common.vacuum"):
        assert await rekey_and_vacuum() == 1

    if postgres:
        assert "VACUUM of tickets in the postgresql database" in caplog.text
        assert (await vacuum_counts(db, ["tickets"]))["tickets"] > before.get("tickets", 0)
    else:
        assert f"VACUUM of the SQLite file {make_url(db).database}" in caplog.text
        assert b"6281200000077" not in raw_sqlite_bytes(db)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lalisa_common.vacuum"):
        assert await rekey_and_vacuum() == 0
    assert "VACUUM" not in caplog.text
