"""CSRF protection: every state-changing request needs the right token."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from backoffice.auth.csrf import LOGIN_CSRF_COOKIE, tokens_match
from backoffice.auth.roles import Role
from backoffice.permissions import route_permissions
from lalisa.core.db import session_scope
from lalisa.users.models import BackofficeSession, User
from tests.backoffice.helpers import (
    COOKIE_DOMAIN,
    TEST_PASSWORD,
    SignedIn,
    add_user,
    csrf_from,
    login_csrf_cookie,
    reload_user,
    session_cookie,
)

BAD_TOKENS = [None, "", "salah", "x" * 43]


async def _sessions() -> int:
    async with session_scope() as session:
        result = await session.execute(select(func.count()).select_from(BackofficeSession))
        return int(result.scalar_one())


def test_tokens_match_is_strict() -> None:
    assert tokens_match("abc", "abc")
    assert not tokens_match("abc", "abd")
    assert not tokens_match("abc", None)
    assert not tokens_match(None, None)
    assert not tokens_match("", "")


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_logout_without_the_right_token_is_refused(
    superadmin: SignedIn, token: str | None
) -> None:
    data = {} if token is None else {"csrf_token": token}
    response = await superadmin.client.post("/logout", data=data)
    assert response.status_code == 403
    assert "kedaluwarsa atau tidak sah" in response.text
    assert await _sessions() == 6  # nobody was logged out


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_user_creation_without_the_right_token_changes_nothing(
    superadmin: SignedIn, token: str | None
) -> None:
    data = {"username": "siluman", "full_name": "Siluman", "role": "superadmin"}
    if token is not None:
        data["csrf_token"] = token
    response = await superadmin.client.post("/users", data=data)
    assert response.status_code == 403
    async with session_scope() as session:
        assert (
            await session.execute(select(User).where(User.username == "siluman"))
        ).scalar_one_or_none() is None


async def test_token_of_another_session_is_refused(as_role: dict[Role, SignedIn]) -> None:
    admin, superadmin = as_role[Role.ADMIN], as_role[Role.SUPERADMIN]
    response = await superadmin.client.post(
        f"/users/{admin.user.id}/deactivate", data={"csrf_token": admin.csrf}
    )
    assert response.status_code == 403
    assert (await reload_user("admin")).active


async def test_token_in_header_is_accepted(superadmin: SignedIn) -> None:
    response = await superadmin.client.post("/logout", headers={"X-CSRF-Token": superadmin.csrf})
    assert response.status_code == 303


async def test_token_in_multipart_form_is_accepted(as_role: dict[Role, SignedIn]) -> None:
    trc = as_role[Role.PETUGAS_TRC]
    response = await trc.client.post(
        "/logout",
        data={"csrf_token": trc.csrf},
        files={"foto": ("a.jpg", b"\xff\xd8", "image/jpeg")},
    )
    assert response.status_code == 303


@pytest.mark.parametrize("token", BAD_TOKENS)
async def test_login_without_the_right_token_is_refused(
    client: httpx.AsyncClient, token: str | None
) -> None:
    await add_user("budi", Role.ADMIN)
    page = await client.get("/login")
    assert login_csrf_cookie(page) is not None
    data = {"username": "budi", "password": TEST_PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = await client.post("/login", data=data)
    assert response.status_code == 403
    assert session_cookie(response) is None


async def test_login_token_must_match_its_cookie(client: httpx.AsyncClient) -> None:
    await add_user("budi", Role.ADMIN)
    page = await client.get("/login")
    token = csrf_from(page.text)
    client.cookies.delete(LOGIN_CSRF_COOKIE)
    response = await client.post(
        "/login", data={"username": "budi", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    client.cookies.set(LOGIN_CSRF_COOKIE, "lain", domain=COOKIE_DOMAIN)
    response = await client.post(
        "/login", data={"username": "budi", "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


async def test_every_state_changing_route_checks_the_token(
    app: FastAPI, as_role: dict[Role, SignedIn]
) -> None:
    """Whatever the route, a POST from an allowed user without a token gets 403."""
    for entry in route_permissions(app):
        if entry.method in {"GET", "HEAD", "OPTIONS"}:
            continue
        role = Role.SUPERADMIN if entry.allows(Role.SUPERADMIN) else next(iter(entry.roles or ()))
        signed_in = as_role[role]
        path = entry.path.replace("{user_id}", str(as_role[Role.PIMPINAN].user.id))
        response = await signed_in.client.post(path, data={"role": "admin"})
        assert response.status_code == 403, entry.describe()
