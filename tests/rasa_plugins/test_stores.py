"""Tracker/lock store selection from DATABASE_URL and REDIS_URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore

from lalisa_rasa.config import tracker_database_url
from lalisa_rasa.stores import EnvLockStore, EnvSQLTrackerStore


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
