"""Shared fixtures: isolated settings and fresh, migrated databases.

This file is also loaded by the Rasa-environment test run (tests/rasa_plugins), where the
``lalisa`` package (SQLAlchemy 2.0) is not installed, so everything from ``lalisa`` is imported
inside the fixtures, never at module level.

Databases: a SQLite file always; PostgreSQL too when ``TEST_POSTGRES_URL`` is set, or when
``DATABASE_URL`` is a PostgreSQL URL. For PostgreSQL a uniquely named database is created for
the test session (and dropped afterwards), so the configured database itself is never touched.
Both are migrated once per session with Alembic; tests get empty tables.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from lalisa_common.quiet import pytest_warning_filter_lines as warning_filter_lines
from tests.postgres_helpers import (
    DATABASE_BACKENDS,
    postgres_admin_url,
    run_admin_sql,
    with_database,
)


def pytest_configure(config: pytest.Config) -> None:
    """Leave the known third-party deprecation warnings out of the summary (lalisa_common.quiet)."""
    for line in warning_filter_lines():
        config.addinivalue_line("filterwarnings", line)


@pytest.fixture
def identity_key() -> str:
    """A fresh Fernet key for reporter identity."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


@pytest.fixture
def lalisa_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, identity_key: str
) -> Iterator[dict[str, str]]:
    """Point every La-Lisa setting at test values, away from the developer's .env and var/.

    Yields:
        The variables that were set; change more with ``monkeypatch`` and call
        ``reset_settings_cache()``.
    """
    from lalisa.core.settings import reset_settings_cache

    values = {
        "LALISA_ENV_FILE": "",
        "LALISA_IDENTITY_KEY": identity_key,
        "LALISA_VAR_DIR": str(tmp_path / "var"),
        "LALISA_TIMEZONE": "Asia/Makassar",
        "LALISA_OFFICE_HOURS": "mon-thu 08:00-16:00; fri 08:00-16:30",
        "LALISA_EXTRA_HOLIDAYS": "",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'unused.db'}",
    }
    for name in ("REDIS_URL", "LALISA_MEDIA_DIR", "LALISA_OFFICE_PHONE", "LALISA_PROGRAMS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()
    yield values
    reset_settings_cache()


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Create and migrate one database per backend for the whole test session.

    Yields:
        Backend name ("sqlite", "postgresql") to database URL.
    """
    from lalisa.core.db import migrate

    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'lalisa_test.db'}"}
    admin_url = postgres_admin_url()
    database = f"lalisa_test_{uuid.uuid4().hex[:12]}"
    if admin_url is not None:
        run_admin_sql(admin_url, f'CREATE DATABASE "{database}"')
        urls["postgresql"] = with_database(admin_url, database)
    try:
        for url in urls.values():
            migrate(url)
        yield urls
    finally:
        if admin_url is not None:
            run_admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(params=DATABASE_BACKENDS)
def database_url(
    request: pytest.FixtureRequest,
    migrated_databases: dict[str, str],
    lalisa_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """URL of an empty, migrated database, also set as ``DATABASE_URL`` (one run per backend)."""
    from lalisa.core.settings import reset_settings_cache

    url = migrated_databases[request.param]
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings_cache()
    return url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """Empty migrated database behind ``lalisa.core.db.get_engine()``; emptied again afterwards.

    Yields:
        The database URL.
    """
    from lalisa.core.db import dispose_engine

    # A test without a database may have opened an engine on another URL (the action server's
    # settings loader does); start from the engine of this test's database.
    await dispose_engine()
    await _empty_tables()
    try:
        yield database_url
    finally:
        await _empty_tables()
        await dispose_engine()


async def _empty_tables() -> None:
    from sqlalchemy import delete

    from lalisa.core.db import session_scope
    from lalisa.models import Base

    async with session_scope() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))
