"""Set-up shared by the end-to-end tests: databases, stacks, officers, browser login.

Every database backend a test runs on gets a database of its own: a SQLite file always, and a
freshly created PostgreSQL database (dropped afterwards) when DATABASE_URL points at
PostgreSQL, as in CI.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, ViewportSize, expect

from backoffice.auth.roles import Role
from scripts.stack import Stack, backoffice, backoffice_env, free_port, local_stack, migrate
from tests.postgres_helpers import (
    DATABASE_BACKENDS,
    postgres_admin_url,
    run_admin_sql,
    with_database,
)

T = TypeVar("T")

TIMEOUT_MS = 30_000
"""How long a browser action or expectation may take."""
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

SETTINGS_CACHE_SECONDS = "1"
"""The action server's settings cache in the stacks (the product default is 30 s): settings
edited in a test reach the assistant within a second."""
STACK_ENV = {"LALISA_SETTINGS_CACHE_SECONDS": SETTINGS_CACHE_SECONDS}


BACKENDS = DATABASE_BACKENDS
"""The database backends every end-to-end test runs on (the ``params`` of its fixture)."""


@contextmanager
def fresh_database(backend: str, work: Path, label: str) -> Iterator[tuple[str, str]]:
    """A new, empty database on ``backend``, dropped afterwards (PostgreSQL).

    Args:
        backend: ``sqlite`` or ``postgresql`` (one of :data:`BACKENDS`).
        work: The test's own folder (holds the SQLite files).
        label: Part of the PostgreSQL database name, to tell the tests' databases apart.

    Yields:
        The La-Lisa database URL and the Rasa tracker store URL (the same database on
        PostgreSQL, a second file on SQLite).
    """
    if backend == "sqlite":
        yield f"sqlite:///{work / 'lalisa.db'}", f"sqlite:///{work / 'tracker.db'}"
        return
    base = postgres_admin_url()
    assert base is not None, "PostgreSQL runs need DATABASE_URL or TEST_POSTGRES_URL"
    name = f"lalisa_e2e_{label}_{uuid.uuid4().hex[:10]}"
    run_admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        url = with_database(base, name)
        yield url, url
    finally:
        run_admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def stack_on(
    backend: str,
    work: Path,
    label: str,
    *,
    with_backoffice: bool = False,
    extra_env: Mapping[str, str] | None = None,
    production: bool = False,
) -> Iterator[Stack]:
    """A running stack (see :func:`scripts.stack.local_stack`) on a fresh database of ``backend``.

    The SQLite runs go without Redis (as a developer machine may); the PostgreSQL runs use
    the ``REDIS_URL`` of the environment, as in CI. ``extra_env`` adds variables for every
    process of the stack; ``production`` runs it with ``LALISA_ENV=production``.
    """
    env = {
        **STACK_ENV,
        **({"REDIS_URL": ""} if backend == "sqlite" else {}),
        **(extra_env or {}),
    }
    with (
        fresh_database(backend, work, label) as (database_url, tracker_url),
        local_stack(
            work,
            database_url=database_url,
            tracker_url=tracker_url,
            extra_env=env,
            with_backoffice=with_backoffice,
            production=production,
        ) as running,
    ):
        yield running


def run_with_settings(env: Mapping[str, str], main: Callable[[], Awaitable[T]]) -> T:
    """Runs ``main`` in this process with La-Lisa's settings taken from ``env``.

    The servers under test have their own identity key and database; code that runs in the
    test process (seeding) must use them too. The process-wide engine that ``main`` may open
    (``session_scope``, the runtime settings) is disposed in the same event loop: left behind,
    it would send the next module's seeding to this database.
    """
    from lalisa.core.db import dispose_engine
    from lalisa.core.settings import reset_settings_cache

    async def run() -> T:
        try:
            return await main()
        finally:
            await dispose_engine()

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        reset_settings_cache()
        try:
            return asyncio.run(run())
        finally:
            reset_settings_cache()


@contextmanager
def backoffice_alone(
    backend: str,
    work: Path,
    label: str,
    seed: Callable[[dict[str, str]], T],
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, T]]:
    """A fresh database, migrated and seeded, and the back office alone (no Rasa, no worker).

    Args:
        backend: ``sqlite`` or ``postgresql`` (one of :data:`BACKENDS`).
        work: The test's own folder (the SQLite file, var/ and the log).
        label: Part of the PostgreSQL database name (see :func:`fresh_database`).
        seed: Fills the migrated database; called with the back office's La-Lisa variables
            (use :func:`run_with_settings` to run code against them).
        extra_env: More variables for the back office (and the seeding).

    Yields:
        The back office URL and what ``seed`` returned.
    """
    with fresh_database(backend, work, label) as (database_url, _tracker_url):
        port = free_port()
        env = {
            "LALISA_ENV_FILE": "",
            "DATABASE_URL": database_url,
            "LALISA_VAR_DIR": str(work / "var"),
            "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
            "REDIS_URL": "",
            **backoffice_env(port),
            **(extra_env or {}),
        }
        full_env = {**os.environ, **env}
        migrate(full_env)
        seeded = seed(env)
        with backoffice(full_env, work, worker=False, port=port) as url:
            yield url, seeded


@dataclass(frozen=True)
class Officer:
    """A back-office account a test creates."""

    username: str
    full_name: str
    role: Role
    password: str
    must_change_password: bool = False


async def add_officers(database_url: str, *officers: Officer) -> dict[str, int]:
    """Creates the accounts with the service function the users page uses; ids by username."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from backoffice.auth.service import create_user
    from lalisa.core.db import create_engine_for_url

    engine = create_engine_for_url(database_url, null_pool=True)
    try:
        maker = async_sessionmaker(engine, expire_on_commit=False)
        async with maker() as session, session.begin():
            ids = {}
            for officer in officers:
                user, _ = await create_user(
                    session,
                    username=officer.username,
                    full_name=officer.full_name,
                    role=officer.role,
                    password=officer.password,
                    must_change_password=officer.must_change_password,
                    actor=None,
                    via="e2e",
                )
                ids[officer.username] = user.id
            return ids
    finally:
        await engine.dispose()


def create_officers(database_url: str, *officers: Officer) -> dict[str, int]:
    """:func:`add_officers` from synchronous code."""
    return asyncio.run(add_officers(database_url, *officers))


def new_page(
    browser: Browser,
    base_url: str,
    *,
    viewport: ViewportSize | None = None,
    mobile: bool = False,
) -> Page:
    """A page in a fresh browser context (own cookies) on ``base_url``.

    ``viewport`` defaults to Playwright's (1280 x 720); ``mobile`` makes it a touch phone.
    """
    context = browser.new_context(
        base_url=base_url, viewport=viewport, is_mobile=mobile, has_touch=mobile
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def log_in(page: Page, username: str, password: str) -> None:
    """Submits the login form (no check of where it lands)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")


def sign_in(page: Page, officer: Officer) -> None:
    """Logs ``officer`` in and checks that the page greets them by name."""
    log_in(page, officer.username, officer.password)
    expect(page.locator(".who-name")).to_have_text(officer.full_name)
