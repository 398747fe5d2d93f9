"""Tracker/lock store selection from DATABASE_URL and REDIS_URL."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher
from lalisa_rasa.config import tracker_database_url
from lalisa_rasa.stores import AsyncRedisLockStore, EnvLockStore, EnvSQLTrackerStore
from tests.postgres_helpers import postgres_admin_url, run_admin_sql, with_database

KEY = "mHq6tL0Kj1cM0xq2Yk3nV8bF5rW9sD4eA7uZ1pG6oTc="


@pytest.fixture(autouse=True)
def _identity_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every store of these tests encrypts with a known key, away from the developer's var/."""
    monkeypatch.setenv("LALISA_ENV_FILE", "")
    monkeypatch.setenv("LALISA_IDENTITY_KEY", KEY)
    monkeypatch.setenv("LALISA_VAR_DIR", str(tmp_path / "var"))


def _decrypted(data: str) -> dict:  # type: ignore[type-arg]
    value = at_rest_cipher(KEY, TRACKER_EVENTS).loads(data)
    assert isinstance(value, dict)
    return value


def test_sqlite_trackers_get_their_own_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the default SQLite database, trackers live in var/tracker.db."""
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/lalisa.db")
    monkeypatch.setenv("LALISA_VAR_DIR", str(tmp_path))
    assert tracker_database_url() == f"sqlite:///{tmp_path}/tracker.db"


def test_postgres_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL DATABASE_URL also holds Rasa's events table."""
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://p@127.0.0.1:5432/test")
    assert tracker_database_url() == "postgresql://p@127.0.0.1:5432/test"


async def test_tracker_store_round_trip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The store saves and reloads a conversation."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    domain = Domain.from_yaml("version: '3.1'\nintents: [greet]")
    store = EnvSQLTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events("c1", [UserUttered("halo", {"name": "greet"})])
    await store.save(tracker)
    loaded = await store.retrieve("c1")
    assert loaded is not None
    assert loaded.latest_message.text == "halo"


def test_in_memory_lock_store_without_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """One process needs no Redis."""
    monkeypatch.setenv("REDIS_URL", "")
    assert isinstance(EnvLockStore(endpoint_config=None), InMemoryLockStore)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")
def test_redis_lock_store_when_configured() -> None:
    """With REDIS_URL the lock store is Redis and works."""
    store = EnvLockStore(endpoint_config=None)
    assert isinstance(store, RedisLockStore)
    lock = store.issue_ticket("conversation-test")
    assert isinstance(lock, int)
    store.delete_lock("conversation-test")


class CountingStore(EnvSQLTrackerStore):
    """Counts how often the database is asked which events are stored already."""

    count_queries = 0

    def _additional_events(self, session, tracker):  # type: ignore[no-untyped-def]
        type(self).count_queries += 1
        return super()._additional_events(session, tracker)


def _stored_rows(store: EnvSQLTrackerStore, sender_id: str) -> list[tuple[str, str]]:
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender_id)
            .order_by(store.SQLEvent.id)
            .all()
        )
        return [(row.type_name, row.data) for row in rows]


async def test_save_after_retrieve_skips_the_count_query(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A turn (load, add events, save) writes exactly the new events, without counting first."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    domain = Domain.from_yaml("version: '3.1'\nintents: [greet, thank]")
    store = CountingStore(domain=domain)
    CountingStore.count_queries = 0
    first = DialogueStateTracker.from_events(
        "c1",
        [
            ActionExecuted("action_session_start", timestamp=1.0),
            SessionStarted(timestamp=1.1),
            ActionExecuted("action_listen", timestamp=1.2),
        ],
    )
    await store.save(first)  # never loaded by this store: Rasa's way
    assert CountingStore.count_queries == 1

    for turn, text in enumerate(("halo", "makasih")):
        tracker = await store.retrieve("c1")
        assert tracker is not None
        stamp = 2.0 + turn
        tracker.update(UserUttered(text, {"name": "greet"}, timestamp=stamp))
        tracker.update(BotUttered("Halo!", timestamp=stamp + 0.1))
        tracker.update(ActionExecuted("action_listen", timestamp=stamp + 0.2))
        await store.save(tracker)
    assert CountingStore.count_queries == 1

    expected = [
        ("action", "action_session_start"),
        ("session_started", None),
        ("action", "action_listen"),
        ("user", "halo"),
        ("bot", "Halo!"),
        ("action", "action_listen"),
        ("user", "makasih"),
        ("bot", "Halo!"),
        ("action", "action_listen"),
    ]
    rows = _stored_rows(store, "c1")
    assert [
        (kind, _decrypted(data).get("name") or _decrypted(data).get("text")) for kind, data in rows
    ] == expected


async def test_a_tracker_it_did_not_load_is_counted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A different tracker object for the conversation (another copy) falls back to Rasa's count."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    domain = Domain.from_yaml("version: '3.1'\nintents: [greet]")
    store = CountingStore(domain=domain)
    await store.save(await store.create_tracker("c2"))
    loaded = await store.retrieve("c2")
    other = await store.retrieve("c2")  # the store now remembers this copy
    assert loaded is not None and other is not None
    CountingStore.count_queries = 0
    loaded.update(UserUttered("halo", {"name": "greet"}))
    loaded.update(ActionExecuted("action_listen"))
    await store.save(loaded)
    assert CountingStore.count_queries == 1
    reloaded = await store.retrieve("c2")
    assert reloaded is not None
    assert [e.type_name for e in reloaded.events][-2:] == ["user", "action"]
    assert len(reloaded.events) == len(loaded.events)


async def test_saving_a_new_session_twice_writes_each_event_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Two saves of a tracker that started a session: no event twice (Rasa's count would)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    domain = Domain.from_yaml("version: '3.1'\nintents: [greet]")
    store = CountingStore(domain=domain)
    await store.save(await store.create_tracker("c3"))
    tracker = await store.retrieve("c3")
    assert tracker is not None
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    CountingStore.count_queries = 0
    await store.save(tracker)
    assert CountingStore.count_queries == 0
    tracker.update(UserUttered("halo", {"name": "greet"}))
    await store.save(tracker)
    assert CountingStore.count_queries == 0
    reloaded = await store.retrieve("c3")
    assert reloaded is not None
    assert [e.type_name for e in reloaded.events] == ["session_started", "action", "user"]


async def test_sqlite_trackers_use_wal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commits of the SQLite tracker store do not fsync a rollback journal each time."""
    from rasa.shared.core.domain import Domain

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    store = EnvSQLTrackerStore(domain=Domain.from_yaml("version: '3.1'\nintents: [greet]"))
    with store.session_scope() as session:
        connection = session.connection()
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


async def test_event_data_is_stored_encrypted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the citizen typed and the name slot are nowhere in the tracker file in clear."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    path = tmp_path / "t.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{path}")
    domain = Domain.from_yaml(
        "version: '3.1'\nintents: [greet]\n"
        "slots:\n  reporter_name:\n    type: text\n    mappings: [{type: custom}]"
    )
    store = EnvSQLTrackerStore(domain=domain)
    tracker = DialogueStateTracker.from_events(
        "c1",
        [
            UserUttered("nama saya Siti Rahmawati", {"name": "greet"}),
            SlotSet("reporter_name", "Siti Rahmawati"),
            ActionExecuted("action_listen"),
        ],
        domain.slots,
    )
    await store.save(tracker)  # Rasa's path (count query)
    loaded = await store.retrieve("c1")
    assert loaded is not None
    loaded.update(UserUttered("rumah Pak Budiman di Paringin", {"name": "greet"}))
    await store.save(loaded)  # the remembered path
    store.engine.dispose()

    reloaded = await EnvSQLTrackerStore(domain=domain).retrieve("c1")
    assert reloaded is not None
    assert reloaded.get_slot("reporter_name") == "Siti Rahmawati"
    assert reloaded.latest_message.text == "rumah Pak Budiman di Paringin"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(FULL)")
        rows = connection.execute("SELECT type_name, action_name, data FROM events").fetchall()
    assert [row[:2] for row in rows] == [
        ("user", None),
        ("slot", "reporter_name"),
        ("action", "action_listen"),
        ("user", None),
    ]
    assert all(not data.startswith("{") for _, _, data in rows)
    raw = path.read_bytes() + (tmp_path / "t.db-wal").read_bytes()
    for secret in (b"Siti", b"Rahmawati", b"Budiman", b"Paringin"):
        assert secret not in raw


async def test_rows_stored_in_plain_text_are_read_and_converted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Rows written before encryption load as they are; the conversion encrypts them."""
    import json

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.ext.asyncio import create_async_engine

    from lalisa_common.tracker_crypt import encrypt_tracker_events

    path = tmp_path / "t.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{path}")
    domain = Domain.from_yaml("version: '3.1'\nintents: [greet]")
    store = EnvSQLTrackerStore(domain=domain)
    await store.save(DialogueStateTracker.from_events("old", [UserUttered("halo lama", {})]))
    with store.session_scope() as session:  # as Rasa's own store wrote it
        for row in session.query(store.SQLEvent).all():
            row.data = json.dumps(_decrypted(row.data))
        session.commit()
    store._stored.clear()

    old = await store.retrieve("old")
    assert old is not None and old.latest_message.text == "halo lama"
    old.update(UserUttered("halo baru", {}))
    await store.save(old)

    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    try:
        cipher = at_rest_cipher(KEY, TRACKER_EVENTS)
        assert await encrypt_tracker_events(engine, cipher, batch_size=1) == 1
        assert await encrypt_tracker_events(engine, cipher) == 0  # idempotent
    finally:
        await engine.dispose()
    assert [_decrypted(data).get("text") for _, data in _stored_rows(store, "old")] == [
        "halo lama",
        "halo baru",
    ]
    assert all(not data.startswith("{") for _, data in _stored_rows(store, "old"))
    reloaded = await EnvSQLTrackerStore(domain=domain).retrieve("old")
    assert reloaded is not None and reloaded.latest_message.text == "halo baru"


@pytest.mark.skipif(postgres_admin_url() is None, reason="no PostgreSQL (TEST_POSTGRES_URL)")
async def test_encrypted_events_and_their_conversion_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same store and conversion on PostgreSQL (Rasa shares La-Lisa's database there)."""
    import json
    import uuid

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from lalisa_common.database import to_async_url, to_sync_url
    from lalisa_common.tracker_crypt import encrypt_tracker_events

    admin = postgres_admin_url()
    assert admin is not None
    name = f"lalisa_store_{uuid.uuid4().hex[:10]}"
    # run_admin_sql runs its own event loop: in a thread, next to this test's loop.
    await asyncio.to_thread(run_admin_sql, admin, f'CREATE DATABASE "{name}"')
    url = with_database(admin, name)
    try:
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        domain = Domain.from_yaml("version: '3.1'\nintents: [greet]")
        store = EnvSQLTrackerStore(domain=domain)
        await store.save(DialogueStateTracker.from_events("pg", [UserUttered("halo Siti", {})]))
        with store.session_scope() as session:
            [row] = session.query(store.SQLEvent).all()
            assert "Siti" not in row.data
            row.data = json.dumps(_decrypted(row.data))  # as before encryption
            session.commit()
        store.engine.dispose()
        engine = create_async_engine(to_async_url(to_sync_url(url)), poolclass=NullPool)
        try:
            cipher = at_rest_cipher(KEY, TRACKER_EVENTS)
            assert await encrypt_tracker_events(engine, cipher) == 1
        finally:
            await engine.dispose()
        reloaded = await EnvSQLTrackerStore(domain=domain).retrieve("pg")
        assert reloaded is not None and reloaded.latest_message.text == "halo Siti"
        assert all("Siti" not in data for _, data in _stored_rows(store, "pg"))
        # One save writes all new events in one multi-row INSERT; they come back in order.
        texts = [f"pesan {i}" for i in range(12)]
        many = DialogueStateTracker.from_events("order", [UserUttered(t, {}) for t in texts])
        await store.save(many)
        again = await EnvSQLTrackerStore(domain=domain).retrieve("order")
        assert again is not None
        assert [e.text for e in again.events if isinstance(e, UserUttered)] == texts
    finally:
        await asyncio.to_thread(
            run_admin_sql, admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )


# ---------------------------------------------------------------- the asynchronous Redis lock


@pytest.fixture
def redis_lock_store() -> Any:
    """The lock store of REDIS_URL (skipped without it), on a conversation id of its own."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("REDIS_URL not set")
    store = EnvLockStore(endpoint_config=None)
    assert isinstance(store, AsyncRedisLockStore)
    return store


def _conversation() -> str:
    return f"lock-test-{uuid.uuid4().hex}"


async def test_the_lock_serves_one_turn_of_a_conversation_at_a_time(redis_lock_store: Any) -> None:
    """A second turn of the conversation waits until the first released it; then no key."""
    conversation = _conversation()
    order: list[str] = []
    first_holds = asyncio.Event()

    async def first() -> None:
        async with redis_lock_store.lock(conversation, wait_time_in_seconds=0.01):
            order.append("first in")
            first_holds.set()
            await asyncio.sleep(0.2)
            order.append("first out")

    async def second() -> None:
        await first_holds.wait()
        async with redis_lock_store.lock(conversation, wait_time_in_seconds=0.01):
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first in", "first out", "second in"]
    assert redis_lock_store.get_lock(conversation) is None  # deleted: nobody waits


async def test_the_lock_keeps_rasa_s_format_and_waits_for_rasa_s_tickets(
    redis_lock_store: Any,
) -> None:
    """The Rasa server's own RedisLockStore and this store lock the same conversations."""
    from rasa.core.lock_store import RedisLockStore

    conversation = _conversation()
    rasa_store = RedisLockStore(
        host=redis_lock_store.red.connection_pool.connection_kwargs.get("host", "localhost"),
        port=redis_lock_store.red.connection_pool.connection_kwargs.get("port", 6379),
        db=redis_lock_store.red.connection_pool.connection_kwargs.get("db", 0),
        key_prefix="lalisa",
    )
    held = rasa_store.issue_ticket(conversation, 30)  # the Rasa server serves a REST message
    assert held == 0
    entered = asyncio.Event()

    async def worker_turn() -> None:
        async with redis_lock_store.lock(conversation, wait_time_in_seconds=0.01):
            lock = rasa_store.get_lock(conversation)  # Rasa reads what this store wrote
            assert lock is not None
            assert [ticket.number for ticket in lock.tickets] == [1]
            assert not lock.is_locked(1)
            entered.set()

    turn = asyncio.ensure_future(worker_turn())
    await asyncio.sleep(0.1)
    assert not entered.is_set()  # Rasa's ticket 0 is served first
    waiting = rasa_store.get_lock(conversation)
    assert waiting is not None
    assert [ticket.number for ticket in waiting.tickets] == [0, 1]
    rasa_store.cleanup(conversation, held)
    await asyncio.wait_for(turn, timeout=5)
    assert rasa_store.get_lock(conversation) is None


async def test_expired_tickets_are_skipped(redis_lock_store: Any) -> None:
    """A ticket whose holder died (lifetime over) no longer blocks the conversation."""
    conversation = _conversation()
    redis_lock_store.issue_ticket(conversation, 0.05)  # a turn that never released the lock
    await asyncio.sleep(0.1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with redis_lock_store.lock(conversation, wait_time_in_seconds=5) as lock:
        # As Rasa's issue_ticket: the expired ticket is dropped first, numbering starts again.
        assert [ticket.number for ticket in lock.tickets] == [0]
    assert loop.time() - started < 1  # no wait for the dead ticket
    assert redis_lock_store.get_lock(conversation) is None


async def test_a_redis_outage_is_raised_as_redis_error_for_the_worker_to_retry() -> None:
    """The worker's INFRASTRUCTURE_ERRORS put the message back on redis-py's errors."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = AsyncRedisLockStore(f"redis://127.0.0.1:{port}/0")
    with pytest.raises(RedisConnectionError):
        async with store.lock(_conversation()):
            pass
