"""Tracker and lock stores configured from DATABASE_URL / REDIS_URL.

Rasa's endpoints.yml cannot express "SQLite unless DATABASE_URL is set"
(``${VAR}`` fails hard when a variable is unset), so endpoints.yml names these
classes and they read the environment themselves.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain

from lalisa_rasa.config import env, tracker_database_url

logger = logging.getLogger(__name__)


class EnvSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on the URL chosen by :func:`tracker_database_url`."""

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
