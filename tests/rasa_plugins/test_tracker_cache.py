"""The tracker store's cache of a conversation's last saved session (lalisa_rasa.stores).

Every test runs on SQLite and, when PostgreSQL is configured (``TEST_POSTGRES_URL`` or a
PostgreSQL ``DATABASE_URL``), on a fresh PostgreSQL database too. "Another writer" is a second
store instance on the same database: a second worker process, or the Rasa server.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from lalisa_rasa import stores
from lalisa_rasa.stores import EnvSQLTrackerStore
from tests.postgres_helpers import (
    DATABASE_BACKENDS,
    postgres_admin_url,
    run_admin_sql,
    with_database,
)

KEY = "mHq6tL0Kj1cM0xq2Yk3nV8bF5rW9sD4eA7uZ1pG6oTc="
DOMAIN = Domain.from_yaml(
    "version: '3.1'\nintents: [greet, thank]\n"
    "slots:\n  category:\n    type: text\n    mappings: [{type: custom}]"
)


class LoadCountingStore(EnvSQLTrackerStore):
    """Counts the times the store read a conversation's rows (instead of its cache)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loads = 0

    def _events(self, connection: Any, sender_id: str, all_sessions: bool) -> list[Event]:
        self.loads += 1
        return super()._events(connection, sender_id, all_sessions)


@pytest.fixture(params=DATABASE_BACKENDS)
def tracker_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """TRACKER_DATABASE_URL on an empty SQLite file or PostgreSQL database."""
    monkeypatch.setenv("LALISA_ENV_FILE", "")
    monkeypatch.setenv("LALISA_IDENTITY_KEY", KEY)
    monkeypatch.setenv("LALISA_VAR_DIR", str(tmp_path / "var"))
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/tracker.db"
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        yield url
        return
    admin = postgres_admin_url()
    assert admin is not None
    name = f"lalisa_cache_{uuid.uuid4().hex[:10]}"
    run_admin_sql(admin, f'CREATE DATABASE "{name}"')
    url = with_database(admin, name)
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    try:
        yield url
    finally:
        run_admin_sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _store() -> LoadCountingStore:
    return LoadCountingStore(domain=DOMAIN)


def _turn(tracker: DialogueStateTracker, text: str, category: str, stamp: float) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=stamp))
    tracker.update(SlotSet("category", category, timestamp=stamp + 0.01))
    tracker.update(BotUttered(f"jawaban untuk {text}", timestamp=stamp + 0.02))
    tracker.update(ActionExecuted("action_listen", timestamp=stamp + 0.03))


async def _start(store: EnvSQLTrackerStore, sender_id: str) -> None:
    """A conversation as the processor starts it: an empty tracker, then a session start."""
    tracker = await store.get_or_create_tracker(sender_id, append_action_listen=False)
    tracker.update(ActionExecuted("action_session_start", timestamp=1.0))
    tracker.update(SessionStarted(timestamp=1.1))
    tracker.update(ActionExecuted("action_listen", timestamp=1.2))
    _turn(tracker, "halo", "pkl", 2.0)
    await store.save(tracker)


async def _fresh(sender_id: str) -> DialogueStateTracker:
    """The tracker as a process without any cache loads it (a restarted worker)."""
    other = EnvSQLTrackerStore(domain=DOMAIN)
    try:
        tracker = await other.retrieve(sender_id)
    finally:
        other.engine.dispose()
    assert tracker is not None
    return tracker


def _same_state(tracker: DialogueStateTracker, expected: DialogueStateTracker) -> None:
    assert [event.as_dict() for event in tracker.events] == [
        event.as_dict() for event in expected.events
    ]
    assert tracker.current_slot_values() == expected.current_slot_values()
    assert tracker.latest_message.text == expected.latest_message.text
    assert tracker.latest_action_name == expected.latest_action_name


async def test_the_saved_session_is_reused_and_equals_a_load(tracker_url: str) -> None:
    """Turn after turn in one process: no rows read, and the same tracker as a fresh load."""
    store = _store()
    await _start(store, "c1")
    for turn, category in enumerate(("miras", "sampah", "odgj")):
        tracker = await store.retrieve("c1")
        assert tracker is not None
        _same_state(tracker, await _fresh("c1"))
        _turn(tracker, f"pesan {turn}", category, 3.0 + turn)
        await store.save(tracker)
    assert store.loads == 0
    final = await store.retrieve("c1")
    assert final is not None
    assert final.get_slot("category") == "odgj"
    _same_state(final, await _fresh("c1"))
    # Each retrieve hands out a tracker of its own: changing one leaves the next untouched.
    final.update(UserUttered("tidak disimpan", timestamp=9.0))
    again = await store.retrieve("c1")
    assert again is not None and again.latest_message.text == "pesan 2"
    assert store.loads == 0


async def test_another_writer_makes_the_next_retrieve_read_the_table(tracker_url: str) -> None:
    """A second worker (or the Rasa server) appended to the conversation: never stale."""
    first, second = _store(), _store()
    await _start(first, "c2")
    other = await second.retrieve("c2")  # the second worker takes the next message
    assert other is not None
    _turn(other, "dari pekerja kedua", "miras", 3.0)
    await second.save(other)

    tracker = await first.retrieve("c2")
    assert tracker is not None
    assert first.loads == 1
    assert tracker.latest_message.text == "dari pekerja kedua"
    assert tracker.get_slot("category") == "miras"
    _same_state(tracker, await _fresh("c2"))
    # The first store saves on top of what it read, then reuses its own save again.
    _turn(tracker, "kembali ke pekerja pertama", "sampah", 4.0)
    await first.save(tracker)
    assert (await first.retrieve("c2")) is not None
    assert first.loads == 1
    # ... and the second store, whose cache is older than that, reads the table.
    latest = await second.retrieve("c2")
    assert latest is not None and latest.get_slot("category") == "sampah"
    assert second.loads == 2


async def test_rows_deleted_and_appended_in_equal_number_are_noticed(tracker_url: str) -> None:
    """Same row count, other rows (retention pruned, another writer appended): read again."""
    store, other = _store(), _store()
    await _start(store, "c3")
    with store.engine.begin() as connection:
        table = store.SQLEvent.__table__
        first_id = (
            connection.execute(
                table.select().with_only_columns(table.c.id).where(table.c.sender_id == "c3")
            )
            .scalars()
            .first()
        )
        connection.execute(table.delete().where(table.c.id == first_id))
    tracker = await other.retrieve("c3")
    assert tracker is not None
    tracker.update(BotUttered("pesan petugas", timestamp=5.0))
    await other.save(tracker)

    reloaded = await store.retrieve("c3")
    assert reloaded is not None
    assert store.loads == 1
    assert reloaded.events[-1].as_dict()["text"] == "pesan petugas"


async def test_a_turn_that_failed_before_its_save_leaves_the_cache_as_the_table(
    tracker_url: str,
) -> None:
    """Events added by a turn that never saved (a crash, a failed action) are not reused."""
    store = _store()
    await _start(store, "c4")
    tracker = await store.retrieve("c4")
    assert tracker is not None
    _turn(tracker, "tidak pernah disimpan", "miras", 3.0)  # no save
    again = await store.retrieve("c4")
    assert again is not None
    assert again.latest_message.text == "halo"
    assert again.get_slot("category") == "pkl"
    assert store.loads == 0
    _same_state(again, await _fresh("c4"))


async def test_a_worker_restart_reads_the_table(tracker_url: str) -> None:
    """A new process has no cache; what it loads is what the old one saved."""
    old = _store()
    await _start(old, "c5")
    tracker = await old.retrieve("c5")
    assert tracker is not None
    _turn(tracker, "sebelum restart", "sampah", 3.0)
    await old.save(tracker)
    old.engine.dispose()

    restarted = _store()
    loaded = await restarted.retrieve("c5")
    assert loaded is not None
    assert restarted.loads == 1
    _same_state(loaded, tracker)
    _turn(loaded, "sesudah restart", "odgj", 4.0)
    await restarted.save(loaded)
    assert (await restarted.retrieve("c5")) is not None
    assert restarted.loads == 1


async def test_a_new_session_is_cached_as_a_load_returns_it(tracker_url: str) -> None:
    """A session that started during the turn: the next tracker holds only that session."""
    store = _store()
    await _start(store, "c6")
    tracker = await store.retrieve("c6")
    assert tracker is not None
    tracker.update(ActionExecuted("action_session_start", timestamp=10.0))
    tracker.update(SessionStarted(timestamp=10.1))
    tracker.update(SlotSet("category", "pkl", timestamp=10.2))
    tracker.update(ActionExecuted("action_listen", timestamp=10.3))
    await store.save(tracker)

    cached = await store.retrieve("c6")
    assert cached is not None
    assert store.loads == 0
    assert [event.type_name for event in cached.events] == ["session_started", "slot", "action"]
    _same_state(cached, await _fresh("c6"))


async def test_only_the_most_recent_conversations_are_kept(
    tracker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache holds CACHED_TRACKERS conversations; older ones are read from the table."""
    monkeypatch.setattr(stores, "CACHED_TRACKERS", 2)
    store = _store()
    for sender_id in ("a", "b", "c"):
        await _start(store, sender_id)
    assert list(store._sessions) == ["b", "c"]
    for sender_id in ("a", "b", "c"):
        tracker = await store.retrieve(sender_id)
        assert tracker is not None and tracker.latest_message.text == "halo"
    assert store.loads == 1  # "a" only


async def test_the_rasa_lookup_of_event_classes_is_unchanged() -> None:
    """The cached event class look-up answers as Rasa's walk over the subclasses."""
    import rasa.shared.utils.common

    from lalisa_rasa import event_types

    event_types.install()
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        first = next(
            c
            for c in rasa.shared.utils.common.all_subclasses(Event)
            if c.type_name == cls.type_name
        )
        assert Event.resolve_by_type(cls.type_name) is first
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=BotUttered) is BotUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no such event")


class ThreadRecordingStore(EnvSQLTrackerStore):
    """Records the thread of every statement the store runs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threads: set[int] = set()

    def _table_state(self, connection: Any, sender_id: str) -> tuple[int, int | None]:
        self.threads.add(threading.get_ident())
        return super()._table_state(connection, sender_id)


async def test_server_round_trips_leave_the_event_loop_free(tracker_url: str) -> None:
    """On PostgreSQL the round trips run in the store's threads while other turns go on.

    On SQLite they stay on the loop (one process, commits without a sync), as Rasa runs them.
    """
    store = ThreadRecordingStore(domain=DOMAIN)
    ticks = 0
    running = True

    async def other_turns() -> None:
        nonlocal ticks
        while running:
            ticks += 1
            await asyncio.sleep(0)

    background = asyncio.ensure_future(other_turns())
    try:
        await _start(store, "c1")
        for turn in range(3):
            tracker = await store.retrieve("c1")
            assert tracker is not None
            _turn(tracker, f"pesan {turn}", "pkl", 3.0 + turn)
            await store.save(tracker)
    finally:
        running = False
        await background
    _same_state(tracker, await _fresh("c1"))
    loop_thread = threading.get_ident()
    if tracker_url.startswith("sqlite"):
        assert store.threads == {loop_thread}
    else:
        assert loop_thread not in store.threads
        assert ticks > 10  # the loop ran other work while the statements were under way
