"""Settings read by the Rasa-process plugins.

The Rasa environment cannot import :mod:`lalisa.core.settings` (SQLAlchemy 2.0), so
the few values the plugins need are read here, with the same defaults and the
same precedence: the process environment wins over the repository's ``.env``.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _dotenv() -> dict[str, str]:
    path = REPO_ROOT / ".env"
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def env(name: str, default: str = "") -> str:
    """Returns a setting from the environment, then ``.env``, then ``default``."""
    value = os.environ.get(name)
    if value is not None and value != "":
        return value
    return _dotenv().get(name, default) or default


def var_dir() -> Path:
    """The folder for runtime data (SQLite files, media)."""
    return Path(env("LALISA_VAR_DIR", str(REPO_ROOT / "var")))


def sync_database_url(url: str) -> str:
    """Maps a DATABASE_URL to the synchronous driver SQLAlchemy 1.4 expects."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    for prefix in ("postgresql+asyncpg://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            url = "postgresql://" + url[len(prefix) :]
    if url.startswith("sqlite+aiosqlite://"):
        url = "sqlite://" + url[len("sqlite+aiosqlite://") :]
    return url


def tracker_database_url() -> str:
    """Where Rasa keeps its conversation trackers.

    TRACKER_DATABASE_URL wins. Otherwise a PostgreSQL DATABASE_URL is shared
    (Rasa owns its `events` table, Alembic never touches it), while SQLite gets
    a file of its own so Rasa's writes never wait on ticket writes.
    """
    explicit = env("TRACKER_DATABASE_URL")
    if explicit:
        return sync_database_url(explicit)
    database_url = env("DATABASE_URL")
    if database_url.startswith(("postgres://", "postgresql")):
        return sync_database_url(database_url)
    path = var_dir() / "tracker.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
