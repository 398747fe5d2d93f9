"""Which databases La-Lisa uses, and the URL forms each environment's drivers need.

``DATABASE_URL`` holds tickets, the outbox, the WhatsApp tables and everything Alembic owns
(default: ``<LALISA_VAR_DIR>/lalisa.db``). Rasa's conversation trackers live in
:func:`tracker_database_url`. The app talks to both through async drivers
(:func:`to_async_url`: aiosqlite, asyncpg); Rasa's SQL tracker store needs sync drivers
(:func:`to_sync_url`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lalisa_common.env import REPO_ROOT, env_value, var_dir

__all__ = [
    "database_url",
    "is_postgresql",
    "resolve_database_url",
    "to_async_url",
    "to_sync_url",
    "tracker_database_url",
]


def is_postgresql(url: str) -> bool:
    """Tell whether a URL points at PostgreSQL (any driver, ``postgres://`` too)."""
    return url.startswith(("postgres://", "postgresql"))


def resolve_database_url(raw: str, var: Path) -> str:
    """Complete a configured database URL.

    Args:
        raw: ``DATABASE_URL`` as written (may be empty).
        var: The runtime data folder.

    Returns:
        ``sqlite:///<var>/lalisa.db`` when empty; a relative SQLite path made absolute against
        the repository root (the action server and the back office must open the same file
        whatever their working directory); anything else unchanged.
    """
    if not raw:
        return f"sqlite:///{var / 'lalisa.db'}"
    scheme, sep, rest = raw.partition(":///")
    if sep and scheme.split("+")[0] == "sqlite" and rest and not rest.startswith("/"):
        if not rest.startswith(":memory:") and not rest.startswith("file:"):
            return f"{scheme}:///{(REPO_ROOT / rest).resolve()}"
    return raw


def database_url(env: Mapping[str, str | None]) -> str:
    """The La-Lisa database (``DATABASE_URL``, completed by :func:`resolve_database_url`)."""
    return resolve_database_url(env_value(env, "DATABASE_URL"), var_dir(env))


def tracker_database_url(env: Mapping[str, str | None]) -> str:
    """Where Rasa keeps its conversation trackers (read-only for the back office).

    ``TRACKER_DATABASE_URL`` wins. Otherwise a PostgreSQL ``DATABASE_URL`` is shared (Rasa owns
    its ``events`` table; Alembic leaves it alone), while SQLite gets a file of its own
    (``<LALISA_VAR_DIR>/tracker.db``) so Rasa's writes never wait on ticket writes.

    Args:
        env: Variables from :func:`lalisa_common.env.read_env`.

    Returns:
        The URL as configured (map it with :func:`to_sync_url` or :func:`to_async_url`).
    """
    var = var_dir(env)
    explicit = env_value(env, "TRACKER_DATABASE_URL")
    if explicit:
        return resolve_database_url(explicit, var)
    shared = env_value(env, "DATABASE_URL")
    if is_postgresql(shared):
        return shared
    return f"sqlite:///{var / 'tracker.db'}"


def to_async_url(url: str) -> str:
    """Map a database URL to the async driver La-Lisa uses.

    ``sqlite:///x`` becomes ``sqlite+aiosqlite:///x``; ``postgresql://``, ``postgres://`` and
    sync PostgreSQL drivers become ``postgresql+asyncpg://``, with a libpq-style ``sslmode``
    query parameter renamed to asyncpg's ``ssl``. Other URLs are returned unchanged.

    Args:
        url: URL as written in ``DATABASE_URL``.

    Returns:
        The URL with an async driver.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    backend, _, driver = scheme.partition("+")
    if backend == "sqlite" and driver != "aiosqlite":
        return f"sqlite+aiosqlite://{rest}"
    if backend in {"postgresql", "postgres"}:
        if "sslmode=" in rest:
            rest = rest.replace("sslmode=", "ssl=")
        return f"postgresql+asyncpg://{rest}"
    return url


def to_sync_url(url: str) -> str:
    """Map a database URL to the sync driver SQLAlchemy's default dialects use (Rasa's stores).

    Args:
        url: URL in any of the accepted forms (``postgres://``, ``+asyncpg``, ``+aiosqlite`` …).

    Returns:
        ``postgresql://…`` (psycopg2) or ``sqlite://…``; other URLs unchanged.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    backend = scheme.partition("+")[0]
    if backend in {"postgresql", "postgres"}:
        return f"postgresql://{rest}"
    if backend == "sqlite":
        return f"sqlite://{rest}"
    return url
