"""Database URLs: defaults, the tracker database, driver mapping for each environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from lalisa_common.database import (
    database_url,
    is_postgresql,
    resolve_database_url,
    to_async_url,
    tracker_database_url,
)
from lalisa_common.database import to_sync_url as sync_database_url
from lalisa_common.env import REPO_ROOT


def test_default_database_is_a_file_in_the_var_folder(tmp_path: Path) -> None:
    assert database_url({"LALISA_VAR_DIR": str(tmp_path)}) == f"sqlite:///{tmp_path / 'lalisa.db'}"
    assert database_url({}) == f"sqlite:///{REPO_ROOT / 'var' / 'lalisa.db'}"


def test_relative_sqlite_paths_are_taken_from_the_repository(tmp_path: Path) -> None:
    assert resolve_database_url("sqlite:///var/x.db", tmp_path) == (
        f"sqlite:///{REPO_ROOT / 'var' / 'x.db'}"
    )
    for kept in ("sqlite:////abs/x.db", "sqlite:///:memory:", "postgresql://u@h/db"):
        assert resolve_database_url(kept, tmp_path) == kept


def test_tracker_database(tmp_path: Path) -> None:
    var = {"LALISA_VAR_DIR": str(tmp_path)}
    assert tracker_database_url(var) == f"sqlite:///{tmp_path / 'tracker.db'}"
    shared = {**var, "DATABASE_URL": "postgres://p@h:5432/test"}
    assert tracker_database_url(shared) == "postgres://p@h:5432/test"
    explicit = {**shared, "TRACKER_DATABASE_URL": "sqlite:///var/t.db"}
    assert tracker_database_url(explicit) == f"sqlite:///{REPO_ROOT / 'var' / 't.db'}"
    sqlite_app = {**var, "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    assert tracker_database_url(sqlite_app) == f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///var/lalisa.db", "sqlite+aiosqlite:///var/lalisa.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite://", "sqlite+aiosqlite://"),
        ("sqlite+pysqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgres://u:p@h/d", "postgresql+asyncpg://u:p@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql://u@h/d?sslmode=require", "postgresql+asyncpg://u@h/d?ssl=require"),
        ("mysql+aiomysql://u@h/d", "mysql+aiomysql://u@h/d"),
        ("not a url", "not a url"),
    ],
)
def test_to_async_url(url: str, expected: str) -> None:
    assert to_async_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql://u@h/db"),
        ("sqlite+aiosqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgresql+psycopg://u@h/db", "postgresql://u@h/db"),
    ],
)
def test_sync_database_url(url: str, expected: str) -> None:
    """Async driver names are mapped to the drivers SQLAlchemy 1.4 uses."""
    assert sync_database_url(url) == expected


def test_is_postgresql() -> None:
    assert is_postgresql("postgres://h/db") and is_postgresql("postgresql+asyncpg://h/db")
    assert not is_postgresql("sqlite:///x.db")
