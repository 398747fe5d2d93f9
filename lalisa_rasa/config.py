"""Settings read by the Rasa-process plugins, the same way every La-Lisa process reads them.

The Rasa environment cannot import :mod:`lalisa.core.settings` (SQLAlchemy 2.0), so it reads
its few values through :mod:`lalisa_common`: the ``.env`` file named by ``LALISA_ENV_FILE`` and
the process environment, which wins.
"""

from __future__ import annotations

from pathlib import Path

from lalisa_common import database
from lalisa_common.env import env_value, read_env
from lalisa_common.env import var_dir as configured_var_dir


def env(name: str, default: str = "") -> str:
    """Returns a setting from the environment, then ``.env``, then ``default``."""
    return env_value(read_env(), name, default)


def var_dir() -> Path:
    """The folder for runtime data (SQLite files, media)."""
    return configured_var_dir(read_env())


def tracker_database_url() -> str:
    """Where Rasa keeps its conversation trackers, for SQLAlchemy 1.4's sync drivers.

    See :func:`lalisa_common.database.tracker_database_url`; the folder of the default SQLite
    file is created here, because Rasa opens it before anything else has written to ``var/``.
    """
    values = read_env()
    url = database.tracker_database_url(values)
    default_file = configured_var_dir(values) / "tracker.db"
    if url == f"sqlite:///{default_file}":
        default_file.parent.mkdir(parents=True, exist_ok=True)
    return database.to_sync_url(url)
