"""Tracker and lock stores configured from DATABASE_URL / REDIS_URL.

Rasa's endpoints.yml cannot express "SQLite unless DATABASE_URL is set"
(``${VAR}`` fails hard when a variable is unset), so endpoints.yml names these
classes and they read the environment themselves.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher, identity_key
from lalisa_common.env import read_env
from lalisa_rasa import fast_path, remote_actions
from lalisa_rasa.config import env, tracker_database_url

logger = logging.getLogger(__name__)

# Conversations whose stored length this process remembers (a few hundred bytes each).
REMEMBERED_CONVERSATIONS = 10_000
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_connection_settings(dbapi_connection: Any, _record: Any) -> None:
    # WAL with synchronous=NORMAL (as the application database, lalisa/core/db.py) syncs at
    # checkpoints instead of at every commit: a crash of the process loses nothing, a power
    # cut at most the last commits. busy_timeout lets several processes queue for the lock.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


class EnvSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the URL chosen by :func:`tracker_database_url`.

    Rasa's ``save`` counts the stored events of the conversation's session in the database
    before every write, to find out which events of the tracker are new. Every message is
    loaded (``retrieve``) and saved by the same process under the conversation lock, so the
    count is already known: it is the number of events loaded, plus what this process saved
    since. The store remembers it per conversation, together with the last stored event
    object, and writes the new events without the count query when the tracker being saved
    is the one it loaded (same event objects); otherwise it asks the database as Rasa does.
    (Remembering is also right where Rasa's count is not: a second save of a tracker that
    started a new session, which Rasa would count from the new session start.)

    Each event's ``data`` (texts, slot values, metadata) is stored encrypted under a key derived
    from ``LALISA_IDENTITY_KEY``; rows written before that are read as they are and converted
    by :func:`lalisa_common.tracker_crypt.encrypt_tracker_events`.
    """

    engine: Any  # Rasa's SQLAlchemy 1.4 engine; replaced on SQLite (see below)

    def __init__(
        self,
        domain: Domain | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        """Creates the store; `host`/`url` from endpoints.yml are ignored."""
        kwargs.pop("host", None)
        url = tracker_database_url()
        logger.info("Tracker store: %s", urlsplit(url).scheme)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._keep_sqlite_connection()
        self._stored: OrderedDict[str, tuple[int, Event | None]] = OrderedDict()
        self._cipher = at_rest_cipher(identity_key(read_env()), TRACKER_EVENTS)
        # Every Rasa process that serves conversations builds this store from endpoints.yml,
        # which makes it the place where La-Lisa's processor hooks are installed.
        fast_path.install()
        remote_actions.install()

    def _keep_sqlite_connection(self) -> None:
        """Replaces Rasa's SQLite engine with one that keeps its connection (and uses WAL).

        SQLAlchemy 1.4 opens and closes a SQLite file connection per session (NullPool); every
        close of the last connection checkpoints the write-ahead log and every commit of a
        rollback journal syncs the disk, together about 40 ms per tracker save on a busy
        machine. Rasa calls the store from its event loop thread, one call at a time, so one
        pooled connection serves it; ``check_same_thread`` is off because the pool, not the
        thread, guarantees that.
        """
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _sqlite_connection_settings)
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")  # stored in the file
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's ``_retrieve``, decrypting each event's ``data`` (old plain rows as they are)."""
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            events = [self._cipher.loads(row.data) for row in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """Loads the conversation's current session and remembers how many events it has."""
        tracker = await super().retrieve(sender_id)
        if tracker is None:
            self._stored.pop(sender_id, None)
        else:
            self._remember(tracker)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Writes the events of ``tracker`` that are not stored yet."""
        known = self._stored.pop(tracker.sender_id, None)
        if self.event_broker is not None:
            await self.stream_events(tracker)
        if known is None or self.event_broker is not None or not _same_tracker(tracker, known):
            with self.session_scope() as session:
                # Rasa's count of the stored events of the session (see the class docstring).
                new_events = list(self._additional_events(session, tracker))
            self._insert(tracker.sender_id, new_events)
        else:
            self._insert(tracker.sender_id, list(tracker.events)[known[0] :])
        self._remember(tracker)

    def _remember(self, tracker: DialogueStateTracker) -> None:
        events = tracker.events
        self._stored[tracker.sender_id] = (len(events), events[-1] if events else None)
        self._stored.move_to_end(tracker.sender_id)
        while len(self._stored) > REMEMBERED_CONVERSATIONS:
            self._stored.popitem(last=False)

    def _insert(self, sender_id: str, events: list[Event]) -> None:
        """Inserts ``events`` as Rasa's ``save`` does (same columns, one transaction).

        ``data`` is encrypted (:mod:`lalisa_common.at_rest`); the plain columns keep only the
        event type, time, intent and action or slot name, never what the citizen said.

        One multi-row INSERT (a Core executemany) instead of an ORM object per event: the ORM
        flush sent one ``INSERT … RETURNING id`` per event to fetch ids nobody reads (~9 % of a
        worker's CPU on PostgreSQL). Rows are inserted in the order of the events, so their
        ids (Rasa reads events ordered by id) follow that order as before.
        """
        rows = []
        for event in events:
            data = event.as_dict()
            rows.append(
                {
                    "sender_id": sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {})
                    .get("intent", {})
                    .get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": self._cipher.dumps(data),
                }
            )
        if not rows:
            return
        with self.session_scope() as session:
            session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()


def _same_tracker(tracker: DialogueStateTracker, known: tuple[int, Event | None]) -> bool:
    """Whether ``tracker`` still starts with the events remembered for its conversation."""
    count, last = known
    events = tracker.events
    if len(events) < count:
        return False
    return count == 0 or events[count - 1] is last


class EnvLockStore(LockStore):
    """Redis lock store when REDIS_URL is set, else the in-memory one.

    Several Rasa replicas need Redis so that two messages of one conversation
    are never processed at once; a single process is fine with memory.
    """

    def __new__(cls, endpoint_config: Any = None, **kwargs: Any) -> LockStore:
        """Returns the concrete lock store for the environment."""
        redis_url = env("REDIS_URL")
        if not redis_url:
            return InMemoryLockStore()
        parts = urlsplit(redis_url)
        db = int(parts.path.lstrip("/") or 0)
        logger.info("Lock store: Redis at %s:%s/%s", parts.hostname, parts.port, db)
        return RedisLockStore(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=db,
            username=parts.username,
            password=parts.password,
            use_ssl=parts.scheme == "rediss",
            key_prefix="lalisa",
        )
