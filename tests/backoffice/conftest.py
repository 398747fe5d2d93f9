"""Back-office fixtures: the app on an empty migrated database, clients, one user per role.

Every test using ``app`` runs once per database backend (SQLite, and PostgreSQL when
``DATABASE_URL``/``TEST_POSTGRES_URL`` is a PostgreSQL URL) through the shared ``db`` fixture.
Clients talk to the ASGI app directly over ``https://testserver``, so the ``Secure`` cookies
of the default configuration are sent as in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from backoffice.app import create_app
from backoffice.auth.roles import Role
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import User
from tests.backoffice.helpers import SignedIn, add_user, make_client, sign_in_directly


@pytest.fixture
def settings() -> BackofficeSettings:
    return BackofficeSettings(secure_cookies=True)


@pytest.fixture
async def app(db: str, settings: BackofficeSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as anonymous:
        yield anonymous


@pytest.fixture
async def users(db: str) -> dict[Role, User]:
    """One active user per role, named after the role (password ``TEST_PASSWORD``)."""
    return {role: await add_user(role.value, role) for role in Role}


@pytest.fixture
async def as_role(
    app: FastAPI, users: dict[Role, User], settings: BackofficeSettings
) -> AsyncIterator[dict[Role, SignedIn]]:
    """A signed-in client for every role."""
    clients = {role: await sign_in_directly(app, user, settings) for role, user in users.items()}
    try:
        yield clients
    finally:
        for signed_in in clients.values():
            await signed_in.client.aclose()


@pytest.fixture
async def superadmin(as_role: dict[Role, SignedIn]) -> SignedIn:
    return as_role[Role.SUPERADMIN]
