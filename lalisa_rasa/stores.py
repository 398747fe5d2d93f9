"""Tracker and lock stores configured from DATABASE_URL / REDIS_URL.

Rasa's endpoints.yml cannot express "SQLite unless DATABASE_URL is set"
(``${VAR}`` fails hard when a variable is unset), so endpoints.yml names these
classes and they read the environment themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import (
    DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core import events as events_module
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from redis import asyncio as redis_asyncio
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher, identity_key
from lalisa_common.env import read_env
from lalisa_rasa import event_types, fast_path, remote_actions, turn_states
from lalisa_rasa.config import env, tracker_database_url

logger = logging.getLogger(__name__)

# Conversations whose stored length this process remembers (a few hundred bytes each).
REMEMBERED_CONVERSATIONS = 10_000
# Of those, conversations whose stored events this process keeps, to build the next turn's
# tracker without reading them back (a session is ~20-100 KB of event objects).
CACHED_TRACKERS = 500
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Threads that run the tracker store's database work off the event loop (not on SQLite).
STORE_THREADS = 8

_T = TypeVar("_T")


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


@dataclass
class _Stored:
    """What this process knows of a conversation's stored events.

    Attributes:
        count: Events of the tracker it loaded or saved that are stored (a position in
            ``tracker.events``: the events of the current session as loaded, plus those saved).
        last: The last of them (the object), to recognise that tracker when it is saved.
        rows: The conversation's rows in the table (all sessions) right after that load or
            save, with ``max_id``, the largest of their ids; None when not known for sure.
        max_id: See ``rows``.
    """

    count: int
    last: Event | None
    rows: int | None = None
    max_id: int | None = None


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

    **Tracker cache.** A conversation's next message usually reaches the same worker, which
    saved the tracker a few seconds before. Instead of reading, decrypting and deserialising
    the whole session again, the store keeps the saved session's event objects (for the last
    :data:`CACHED_TRACKERS` conversations) and builds the tracker from them. It trusts them
    only when the table says nothing changed: every ``retrieve`` first asks for the number of
    the conversation's rows and their largest id, and uses the kept events only when both are
    what this store recorded right after its own last write, in the same transaction as that
    write, and only if that write found exactly the rows it expected. Any other writer (a
    second worker, the Rasa server, a turn this store did not see) adds rows, so the next
    ``retrieve`` loads from the table; a restarted worker has no cache and loads. The turn
    gets a new tracker each time (replayed from the kept events), never the kept list, so a
    turn that fails half-way leaves the cache as the table is.

    Each event's ``data`` (texts, slot values, metadata) is stored encrypted under a key derived
    from ``LALISA_IDENTITY_KEY``; rows written before that are read as they are and converted
    by :func:`lalisa_common.tracker_crypt.encrypt_tracker_events`.

    **Off the event loop (PostgreSQL).** Rasa's store is synchronous (psycopg2) and Rasa awaits
    it on the event loop, which then stands still for every round trip and, at a save, for the
    server's WAL flush: 20-30 ms a turn on the 2-core machine while the database gets its CPU,
    during which none of the worker's other turns (``WHATSAPP_MAX_CONCURRENT``) could run. On
    PostgreSQL the statements and the rows' decoding run in a small thread pool
    (:data:`STORE_THREADS`); the cache's bookkeeping stays on the loop, so its rules above hold
    as before. On SQLite (one process, a pooled connection, commits without a sync) the calls
    stay on the loop, as Rasa makes them.
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
        self._stored: OrderedDict[str, _Stored] = OrderedDict()
        # The events a load of the conversation would return, while its _Stored rows and
        # max_id describe the table that holds exactly them (the tracker cache).
        self._sessions: OrderedDict[str, list[Event]] = OrderedDict()
        self._cipher = at_rest_cipher(identity_key(read_env()), TRACKER_EVENTS)
        self._executor = (
            None
            if self.engine.dialect.name == "sqlite"
            else ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="tracker-store")
        )
        self._build_statements()
        # Every Rasa process that serves conversations builds this store from endpoints.yml,
        # which makes it the place where La-Lisa's processor hooks are installed.
        fast_path.install()
        remote_actions.install()
        event_types.install()
        turn_states.install()

    def _build_statements(self) -> None:
        """Core statements, built once: the ORM query cost more than reading the rows."""
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        self._state_statement = sa.select(sa.func.count(table.c.id), sa.func.max(table.c.id)).where(
            table.c.sender_id == sender
        )
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender)
            .where(table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        self._all_rows_statement = (
            sa.select(table.c.data).where(table.c.sender_id == sender).order_by(table.c.id)
        )
        # Rasa's _event_query: the events from the latest session start on, or all of them.
        self._session_rows_statement = (
            sa.select(table.c.data)
            .where(table.c.sender_id == sender)
            .where(sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))
            .order_by(table.c.id)
        )

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

    async def _off_loop(self, function: Callable[..., _T], *args: Any) -> _T:
        """Runs ``function(*args)`` in the store's threads, or right here on SQLite."""
        if self._executor is None:
            return function(*args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, *args))

    def _table_state(self, connection: Any, sender_id: str) -> tuple[int, int | None]:
        """The conversation's rows in the table and their largest id."""
        rows, max_id = connection.execute(self._state_statement, {"sender_id": sender_id}).one()
        return int(rows), max_id

    def _events(self, connection: Any, sender_id: str, all_sessions: bool) -> list[Event]:
        statement = self._all_rows_statement if all_sessions else self._session_rows_statement
        result = connection.execute(statement, {"sender_id": sender_id})
        dumps = [self._cipher.loads(data) for (data,) in result.all()]
        events: list[Event] = events_module.deserialise_events(dumps)
        return events

    def _tracker(self, sender_id: str, events: list[Event]) -> DialogueStateTracker | None:
        if self.domain and events:
            return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        return None

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's ``_retrieve``, decrypting each event's ``data`` (old plain rows as they are)."""
        events = await self._off_loop(self._load, sender_id, fetch_events_from_all_sessions)
        return self._tracker(sender_id, events)

    def _load(self, sender_id: str, all_sessions: bool) -> list[Event]:
        with self.engine.connect() as connection:
            return self._events(connection, sender_id, all_sessions)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """Loads the conversation's current session (the kept events when the table agrees)."""
        known = self._stored.get(sender_id)
        session = self._sessions.pop(sender_id, None)
        kept = (
            None
            if session is None or known is None or known.rows is None
            else (known.rows, known.max_id)
        )
        rows, max_id, events = await self._off_loop(self._read, sender_id, kept)
        if events is None:
            events = session or []
        else:
            session = None
        tracker = self._tracker(sender_id, events)
        if tracker is None:
            self._stored.pop(sender_id, None)
            if rows == 0 and self.domain:
                # A new conversation: its first save writes every event of the tracker.
                self._remember(sender_id, _Stored(0, None, 0, None))
            return None
        self._remember(sender_id, _Stored(len(events), tracker.events[-1], rows, max_id), session)
        return tracker

    def _read(
        self, sender_id: str, kept: tuple[int, int | None] | None
    ) -> tuple[int, int | None, list[Event] | None]:
        """The conversation's rows and largest id, and its session's events.

        Returns:
            ``(rows, max_id, events)``; ``events`` is None when the table holds exactly the
            ``kept`` rows and largest id (the kept events are the session).
        """
        with self.engine.connect() as connection:
            rows, max_id = self._table_state(connection, sender_id)
            if kept is not None and (rows, max_id) == kept:
                return rows, max_id, None
            # Counted before the rows are read: a write between the two statements makes
            # the recorded state older than the events, never newer (no reuse from it).
            events = self._events(connection, sender_id, all_sessions=False) if rows else []
        return rows, max_id, events

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Writes the events of ``tracker`` that are not stored yet."""
        sender_id = tracker.sender_id
        known = self._stored.pop(sender_id, None)
        self._sessions.pop(sender_id, None)
        if self.event_broker is not None:
            await self.stream_events(tracker)
        if known is None or self.event_broker is not None or not _same_tracker(tracker, known):
            new_events = await self._off_loop(self._unstored_events, tracker)
            await self._insert(sender_id, new_events, None)
            self._remember(sender_id, _Stored(len(tracker.events), _last(tracker)))
            return
        events = list(tracker.events)
        new_events = events[known.count :]
        expected = None if known.rows is None else known.rows + len(new_events)
        if new_events:
            state = await self._insert(sender_id, new_events, expected)
        else:
            state = None if expected is None else (expected, known.max_id)
        if state is None:
            self._remember(sender_id, _Stored(len(events), _last(tracker)))
        else:
            rows, max_id = state
            self._remember(
                sender_id,
                _Stored(len(events), _last(tracker), rows, max_id),
                _current_session(events),
            )

    def _unstored_events(self, tracker: DialogueStateTracker) -> list[Event]:
        """Rasa's count of the stored events of the session (see the class docstring)."""
        with self.session_scope() as session:
            return list(self._additional_events(session, tracker))

    def _remember(
        self, sender_id: str, stored: _Stored, session: list[Event] | None = None
    ) -> None:
        self._stored[sender_id] = stored
        self._stored.move_to_end(sender_id)
        while len(self._stored) > REMEMBERED_CONVERSATIONS:
            dropped, _ = self._stored.popitem(last=False)
            self._sessions.pop(dropped, None)
        if session is None:
            self._sessions.pop(sender_id, None)
            return
        self._sessions[sender_id] = session
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > CACHED_TRACKERS:
            self._sessions.popitem(last=False)

    async def _insert(
        self, sender_id: str, events: list[Event], expected_rows: int | None
    ) -> tuple[int, int | None] | None:
        """Inserts ``events`` as Rasa's ``save`` does (same columns, one transaction).

        ``data`` is encrypted (:mod:`lalisa_common.at_rest`); the plain columns keep only the
        event type, time, intent and action or slot name, never what the citizen said.

        One multi-row INSERT (a Core executemany) instead of an ORM object per event: the ORM
        flush sent one ``INSERT … RETURNING id`` per event to fetch ids nobody reads (~9 % of a
        worker's CPU on PostgreSQL). Rows are inserted in the order of the events, so their
        ids (Rasa reads events ordered by id) follow that order as before.

        Returns:
            With ``expected_rows`` (the conversation's rows the table should hold after the
            insert): the rows and their largest id, read in the same transaction, when they
            are as expected; None otherwise (another writer, or nothing to compare with).
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
            return None
        state = await self._off_loop(self._write, sender_id, rows, expected_rows is not None)
        if state is not None and state[0] == expected_rows:
            return state
        return None

    def _write(
        self, sender_id: str, rows: list[dict[str, Any]], count: bool
    ) -> tuple[int, int | None] | None:
        """Inserts ``rows``; with ``count`` also returns the conversation's rows and max id."""
        state = None
        with self.engine.begin() as connection:
            connection.execute(self.SQLEvent.__table__.insert(), rows)
            if count:
                # In the transaction of the insert: on SQLite nobody else can write before
                # the commit; on PostgreSQL a row committed by another writer meanwhile makes
                # the count differ (and one it commits later changes it before any reuse).
                state = self._table_state(connection, sender_id)
        return state


def _last(tracker: DialogueStateTracker) -> Event | None:
    events = tracker.events
    return events[-1] if events else None


def _current_session(events: list[Event]) -> list[Event]:
    """The events a load returns: those from the latest session start on (as Rasa's query).

    Rasa reads the rows whose ``timestamp`` is at least the largest ``session_started``
    timestamp of the conversation, or all rows when there is none. ``events`` are the stored
    events of the tracker, which hold that latest session start if the table has one.
    """
    starts = [event.timestamp for event in events if isinstance(event, SessionStarted)]
    if not starts:
        return events
    start = max(starts)
    return [event for event in events if event.timestamp >= start]


def _same_tracker(tracker: DialogueStateTracker, known: _Stored) -> bool:
    """Whether ``tracker`` still starts with the events remembered for its conversation."""
    events = tracker.events
    if len(events) < known.count:
        return False
    return known.count == 0 or events[known.count - 1] is known.last


# Rasa's ticket lock (rasa.core.lock.TicketLock) as one atomic step per script, on the value
# Rasa stores: {"conversation_id": …, "tickets": ["{\"number\": n, \"expires\": t}", …]}.
# A ticket has expired when now > expires (Ticket.has_expired). Tickets are kept as the strings
# they were stored as; a new one is written as Python's json.dumps writes it.
_LOCK_LUA = """
local function live(raw, now)
  local kept = {}
  if raw then
    local tickets = cjson.decode(raw)['tickets']
    if type(tickets) == 'table' then
      for _, text in ipairs(tickets) do
        if tonumber(cjson.decode(text)['expires']) >= now then
          table.insert(kept, text)
        end
      end
    end
  end
  return kept
end
local function number(text)
  return tonumber(cjson.decode(text)['number'])
end
local function store(key, conversation_id, kept)
  local quoted = {}
  for i, text in ipairs(kept) do
    quoted[i] = cjson.encode(text)
  end
  redis.call('SET', key, '{"conversation_id": ' .. cjson.encode(conversation_id)
    .. ', "tickets": [' .. table.concat(quoted, ', ') .. ']}')
end
"""
# ARGV: conversation id, now, expiry of the new ticket. Returns {ticket, number now served}.
_ISSUE_LUA = (
    _LOCK_LUA
    + """
local kept = live(redis.call('GET', KEYS[1]), tonumber(ARGV[2]))
local last = -1
if #kept > 0 then last = number(kept[#kept]) end
local ticket = last + 1
local text = '{"number": ' .. string.format('%d', ticket) .. ', "expires": ' .. ARGV[3] .. '}'
table.insert(kept, text)
store(KEYS[1], ARGV[1], kept)
return {ticket, number(kept[1])}
"""
)
# ARGV: conversation id, now, ticket. Drops expired tickets (LockStore.update_lock); returns
# the number now served, or -1 when the ticket is no longer there (the lock expired).
_SERVING_LUA = (
    _LOCK_LUA
    + """
local raw = redis.call('GET', KEYS[1])
if not raw then return -1 end
local kept = live(raw, tonumber(ARGV[2]))
store(KEYS[1], ARGV[1], kept)
local ticket = tonumber(ARGV[3])
for _, text in ipairs(kept) do
  if number(text) == ticket then return number(kept[1]) end
end
return -1
"""
)
# ARGV: conversation id, now, ticket. LockStore.cleanup: the ticket (and expired ones) leave the
# lock, which is deleted when nobody else holds a ticket.
_FINISH_LUA = (
    _LOCK_LUA
    + """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local kept = {}
local ticket = tonumber(ARGV[3])
for _, text in ipairs(live(raw, tonumber(ARGV[2]))) do
  if number(text) ~= ticket then table.insert(kept, text) end
end
if #kept == 0 then
  redis.call('DEL', KEYS[1])
else
  store(KEYS[1], ARGV[1], kept)
end
return #kept
"""
)


class AsyncRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock, taken and released without blocking the event loop.

    Rasa's ``RedisLockStore`` runs its ticket lock on the synchronous redis client: issue
    (GET, SET), check (GET), release (GET, SET, GET, DEL), seven round trips a turn during which
    the worker's event loop stands still (4-7 ms a turn on the loaded 2-core machine, while
    the other turns of the worker waited). Here :meth:`lock` runs on ``redis.asyncio`` and does
    each step in one Lua script: two round trips a turn when nobody else holds the
    conversation, each atomic (Rasa's GET-then-SET could lose a ticket between two processes).

    The key and the value are Rasa's (``<prefix>:lock:<conversation id>``, a JSON
    ``TicketLock``), tickets are served in order and expire after ``lock_lifetime`` as
    Rasa's do, and the synchronous methods inherited from Rasa's store keep working, so the
    Rasa server and the workers lock the same conversations whichever store each runs.

    Differences from Rasa's: a Redis failure is raised as redis-py's own error (Rasa wraps
    it in ``LockError``), so a worker puts the message back in the queue instead of
    answering "gangguan"; a waiting turn whose ticket expired gets ``LockError`` instead of
    waiting for ever.
    """

    def __init__(self, url: str, key_prefix: str = "lalisa") -> None:
        """Connects (lazily) to the Redis of ``url`` (``redis://`` or ``rediss://``)."""
        parts = urlsplit(url)
        super().__init__(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(parts.path.lstrip("/") or 0),
            username=parts.username,
            password=parts.password,
            use_ssl=parts.scheme == "rediss",
            key_prefix=key_prefix,
        )
        self.url = url
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}

    def _async_client(self) -> Any:
        # One client per event loop: redis.asyncio's connections belong to the loop that
        # opened them (a process has one; tests make a loop per test).
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = redis_asyncio.from_url(
                self.url,
                socket_timeout=DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
                socket_connect_timeout=DEFAULT_SOCKET_TIMEOUT_IN_SECONDS,
            )
            self._client_loop = loop
            self._scripts = {
                name: self._client.register_script(text)
                for name, text in (
                    ("issue", _ISSUE_LUA),
                    ("serving", _SERVING_LUA),
                    ("finish", _FINISH_LUA),
                )
            }
        return self._client

    async def _script(self, name: str, conversation_id: str, *args: object) -> Any:
        self._async_client()
        key = self.key_prefix + conversation_id
        return await self._scripts[name](
            keys=[key], args=[conversation_id, repr(time.time()), *args]
        )

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Holds the conversation's lock (see :meth:`LockStore.lock`)."""
        expires = time.time() + lock_lifetime
        ticket, serving = await self._script("issue", conversation_id, repr(expires))
        try:
            while serving != ticket:
                if serving < 0:
                    raise LockError(
                        f"Could not acquire lock for conversation_id '{conversation_id}'."
                    )
                await asyncio.sleep(wait_time_in_seconds)
                serving = await self._script("serving", conversation_id, ticket)
            yield TicketLock(conversation_id, deque([Ticket(ticket, expires)]))
        finally:
            await self._script("finish", conversation_id, ticket)


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
        logger.info(
            "Lock store: Redis at %s:%s/%s", parts.hostname, parts.port, parts.path.lstrip("/")
        )
        return AsyncRedisLockStore(redis_url, key_prefix="lalisa")
