"""Helpers for the back-office tests (clients, sign-in, users, audit look-ups)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from backoffice.auth.csrf import LOGIN_CSRF_COOKIE
from backoffice.auth.deps import SESSION_COOKIE
from backoffice.auth.passwords import hash_password_sync
from backoffice.auth.roles import Role
from backoffice.auth.service import create_session
from lalisa.core.db import session_scope
from lalisa.core.models import AuditLog
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import User

BASE_URL = "https://testserver"
COOKIE_DOMAIN = "testserver.local"  # how http.cookiejar files cookies of a dotless host
TEST_PASSWORD = "uji-kata-sandi-2026"
_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@functools.cache
def password_hash_for_tests() -> str:
    """Argon2 hash of :data:`TEST_PASSWORD`, computed once per test run (hashing is slow)."""
    return hash_password_sync(TEST_PASSWORD)


def csrf_from(html: str) -> str:
    """Return the CSRF token of the first form in a page."""
    match = _CSRF_RE.search(html)
    assert match is not None, "page has no CSRF field"
    return match.group(1)


def make_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, follow_redirects=False
    )


async def add_user(
    username: str,
    role: Role,
    *,
    full_name: str | None = None,
    active: bool = True,
    must_change_password: bool = False,
) -> User:
    """Insert a user whose password is :data:`TEST_PASSWORD`."""
    async with session_scope() as session:
        user = User(
            username=username,
            full_name=full_name or f"Petugas {username}",
            role=role,
            password_hash=password_hash_for_tests(),
            active=active,
            must_change_password=must_change_password,
            failed_attempts=0,
        )
        session.add(user)
    return user


@dataclass
class SignedIn:
    """A client with a live session."""

    client: httpx.AsyncClient
    user: User
    csrf: str


async def sign_in_directly(app: FastAPI, user: User, settings: BackofficeSettings) -> SignedIn:
    """Open a session without the login form (fast; the login form has its own tests)."""
    async with session_scope() as session:
        token, row = await create_session(session, user=user, settings=settings)
    client = make_client(app)
    client.cookies.set(SESSION_COOKIE, token, domain=COOKIE_DOMAIN)
    return SignedIn(client=client, user=user, csrf=row.csrf_token)


async def login(
    client: httpx.AsyncClient, username: str, password: str, *, next_path: str = "/"
) -> httpx.Response:
    """Sign in through the login form, as a browser does."""
    page = await client.get("/login")
    assert page.status_code == 200
    return await client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_path,
            "csrf_token": csrf_from(page.text),
        },
    )


def session_cookie(response: httpx.Response) -> str | None:
    """Return the raw Set-Cookie header of the session cookie, if the response sets it."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            return header
    return None


def login_csrf_cookie(response: httpx.Response) -> str | None:
    """Return the raw Set-Cookie header of the login CSRF cookie, if the response sets it."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{LOGIN_CSRF_COOKIE}="):
            return header
    return None


async def audit_entries(action: str | None = None) -> list[AuditLog]:
    """Audit entries, oldest first, optionally of one action."""
    async with session_scope() as session:
        statement = select(AuditLog).order_by(AuditLog.id)
        if action is not None:
            statement = statement.where(AuditLog.action == action)
        return list((await session.execute(statement)).scalars().all())


async def reload_user(username: str) -> User:
    async with session_scope() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        return user
