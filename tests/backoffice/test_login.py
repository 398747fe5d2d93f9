"""Login, lock-out, sessions and logout."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from backoffice.auth.deps import SESSION_COOKIE
from backoffice.auth.roles import Role
from backoffice.auth.service import hash_session_token
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.core.models import utcnow
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import BackofficeSession, User
from tests.backoffice.helpers import (
    COOKIE_DOMAIN,
    TEST_PASSWORD,
    add_user,
    audit_entries,
    csrf_from,
    login,
    make_client,
    reload_user,
    session_cookie,
)


async def _session_count() -> int:
    async with session_scope() as session:
        result = await session.execute(select(func.count()).select_from(BackofficeSession))
        return int(result.scalar_one())


async def test_login_page_is_indonesian_and_has_csrf(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    assert "Masuk ke back office" in page.text
    assert '<html lang="id">' in page.text
    assert csrf_from(page.text)


async def test_anonymous_visitor_is_sent_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/users?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fusers%3Fx%3D1"


async def test_login_success_sets_a_secure_session_cookie(client: httpx.AsyncClient) -> None:
    await add_user("budi", Role.ADMIN)
    response = await login(client, "budi", TEST_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = session_cookie(response)
    assert cookie is not None
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "secure" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes

    home = await client.get("/")
    assert home.status_code == 200
    assert "Petugas budi" in home.text
    assert "Admin La-Lisa" in home.text

    user = await reload_user("budi")
    assert user.last_login_at is not None
    assert user.failed_attempts == 0
    # Only a hash of the 256-bit cookie value is stored.
    token = client.cookies[SESSION_COOKIE]
    assert len(token) >= 43
    async with session_scope() as session:
        row = await session.get(BackofficeSession, hash_session_token(token))
        assert row is not None
        assert row.user_id == user.id
        assert row.expires_at > row.created_at


async def test_username_is_case_insensitive(client: httpx.AsyncClient) -> None:
    await add_user("budi", Role.ADMIN)
    response = await login(client, "  BUDI ", TEST_PASSWORD)
    assert response.status_code == 303


async def test_login_continues_to_the_page_asked_for(client: httpx.AsyncClient) -> None:
    await add_user("root", Role.SUPERADMIN)
    response = await login(client, "root", TEST_PASSWORD, next_path="/users")
    assert response.headers["location"] == "/users"


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
async def test_login_never_redirects_to_another_site(
    client: httpx.AsyncClient, next_path: str
) -> None:
    await add_user("budi", Role.ADMIN)
    response = await login(client, "budi", TEST_PASSWORD, next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("username", "password"),
    [("budi", "salah-sekali-123"), ("tidakada", TEST_PASSWORD), ("", "")],
)
async def test_login_failure(client: httpx.AsyncClient, username: str, password: str) -> None:
    await add_user("budi", Role.ADMIN)
    response = await login(client, username, password)
    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in response.text
    assert session_cookie(response) is None
    assert await _session_count() == 0
    assert (await client.get("/")).status_code == 303


async def test_inactive_user_cannot_log_in(client: httpx.AsyncClient) -> None:
    await add_user("lama", Role.ADMIN, active=False)
    response = await login(client, "lama", TEST_PASSWORD)
    assert response.status_code == 401
    [entry] = await audit_entries(audit.LOGIN_FAILED)
    assert '"reason": "inactive"' in (entry.detail or "")


async def test_lock_out_after_five_failures_for_fifteen_minutes(
    client: httpx.AsyncClient,
) -> None:
    await add_user("budi", Role.ADMIN)
    for attempt in range(1, 5):
        response = await login(client, "budi", "salah-sekali-123")
        assert response.status_code == 401
        assert (await reload_user("budi")).failed_attempts == attempt
    before = utcnow()
    fourth_text = response.text
    fifth = await login(client, "budi", "salah-sekali-123")
    # The lock answers exactly like a wrong password: a guesser learns nothing.
    assert fifth.status_code == 401
    assert fifth.text == fourth_text
    user = await reload_user("budi")
    assert user.locked_until is not None
    assert before + timedelta(minutes=15) <= user.locked_until <= utcnow() + timedelta(minutes=15)

    # While locked, even the right password is refused.
    locked = await login(client, "budi", TEST_PASSWORD)
    assert locked.status_code == 401
    assert locked.text == fourth_text
    assert session_cookie(locked) is None

    # Once the lock has passed, the right password works again.
    async with session_scope() as session:
        await session.execute(
            update(User)
            .where(User.username == "budi")
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    unlocked = await login(client, "budi", TEST_PASSWORD)
    assert unlocked.status_code == 303
    user = await reload_user("budi")
    assert user.locked_until is None
    assert user.failed_attempts == 0
    assert [entry.action for entry in await audit_entries()] == [
        *[audit.LOGIN_FAILED] * 4,
        audit.LOGIN_LOCKED,
        audit.LOGIN_FAILED,
        audit.LOGIN,
    ]


async def test_lock_out_thresholds_are_settings(db: str) -> None:
    from backoffice.app import create_app

    app = create_app(BackofficeSettings(max_failed_logins=2, lockout=timedelta(minutes=1)))
    await add_user("budi", Role.ADMIN)
    async with make_client(app) as client:
        assert (await login(client, "budi", "salah-sekali-123")).status_code == 401
        assert (await login(client, "budi", "salah-sekali-123")).status_code == 401
    user = await reload_user("budi")
    assert user.locked_until is not None
    assert user.locked_until <= utcnow() + timedelta(minutes=1)


async def test_lock_out_per_client_address_across_accounts(db: str) -> None:
    from backoffice.app import create_app

    app = create_app(BackofficeSettings(max_failed_logins_per_address=3))
    await add_user("budi", Role.ADMIN)
    await add_user("sari", Role.ADMIN)
    async with make_client(app) as client:
        wrong = [await login(client, name, "salah-sekali-123") for name in ("budi", "sari", "x")]
        assert [response.status_code for response in wrong] == [401, 401, 401]
        # Each account saw at most one failure, but the address is now refused for all of
        # them, with the same answer as a wrong password, even with the right password.
        refused = await login(client, "sari", TEST_PASSWORD)
        assert refused.status_code == 401
        assert refused.text == wrong[1].text
        assert session_cookie(refused) is None
    assert (await reload_user("sari")).locked_until is None
    entries = await audit_entries(audit.LOGIN_FAILED)
    assert '"reason": "address_locked"' in (entries[-1].detail or "")


async def test_logout_deletes_the_session(app: FastAPI, client: httpx.AsyncClient) -> None:
    await add_user("budi", Role.ADMIN)
    await login(client, "budi", TEST_PASSWORD)
    token = client.cookies[SESSION_COOKIE]
    home = await client.get("/")
    assert await _session_count() == 1

    response = await client.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?notice=logged_out"
    assert await _session_count() == 0
    assert [e.action for e in await audit_entries()] == [audit.LOGIN, audit.LOGOUT]

    # The old cookie value is worthless now, even if a browser kept it.
    async with make_client(app) as replay:
        replay.cookies.set(SESSION_COOKIE, token, domain=COOKIE_DOMAIN)
        assert (await replay.get("/")).status_code == 303


async def test_login_replaces_a_planted_session(app: FastAPI) -> None:
    await add_user("budi", Role.ADMIN)
    await add_user("penyerang", Role.ADMIN)
    async with make_client(app) as attacker:
        await login(attacker, "penyerang", TEST_PASSWORD)
        planted = attacker.cookies[SESSION_COOKIE]
    async with make_client(app) as victim:
        page = await victim.get("/login")
        victim.cookies.set(SESSION_COOKIE, planted, domain=COOKIE_DOMAIN)
        response = await victim.post(
            "/login",
            data={
                "username": "budi",
                "password": TEST_PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
        )
        assert response.status_code == 303
        assert victim.cookies[SESSION_COOKIE] != planted
        assert "Petugas budi" in (await victim.get("/")).text
    assert await _session_count() == 1


async def test_expired_and_idle_sessions_end(app: FastAPI) -> None:
    await add_user("budi", Role.ADMIN)
    async with make_client(app) as idle, make_client(app) as expired:
        await login(idle, "budi", TEST_PASSWORD)
        await login(expired, "budi", TEST_PASSWORD)
        async with session_scope() as session:
            await session.execute(
                update(BackofficeSession)
                .where(
                    BackofficeSession.id_hash == hash_session_token(idle.cookies[SESSION_COOKIE])
                )
                .values(last_seen_at=utcnow() - timedelta(hours=5))
            )
            await session.execute(
                update(BackofficeSession)
                .where(
                    BackofficeSession.id_hash == hash_session_token(expired.cookies[SESSION_COOKIE])
                )
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        assert (await idle.get("/")).status_code == 303
        assert (await expired.get("/")).status_code == 303

    # Ended rows are swept when the next session starts.
    async with make_client(app) as fresh:
        await login(fresh, "budi", TEST_PASSWORD)
    assert await _session_count() == 1


async def test_insecure_cookie_flag_for_local_http(db: str) -> None:
    from backoffice.app import create_app

    app = create_app(BackofficeSettings(secure_cookies=False))
    await add_user("budi", Role.ADMIN)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await login(client, "budi", TEST_PASSWORD)
        cookie = session_cookie(response)
        assert cookie is not None
        assert "secure" not in cookie.lower()
        assert (await client.get("/")).status_code == 200


async def test_new_account_must_change_its_generated_password(app: FastAPI) -> None:
    await add_user("baru", Role.PETUGAS_TRC, must_change_password=True)
    async with make_client(app) as client:
        response = await login(client, "baru", TEST_PASSWORD, next_path="/")
        assert response.headers["location"] == "/account/password"
        assert (await client.get("/")).headers["location"] == "/account/password"
        page = await client.get("/account/password")
        assert page.status_code == 200
        assert "Buat kata sandi Anda sendiri" in page.text
        changed = await client.post(
            "/account/password",
            data={
                "csrf_token": csrf_from(page.text),
                "current_password": TEST_PASSWORD,
                "new_password": "sandi-pilihan-77",
                "confirm_password": "sandi-pilihan-77",
            },
        )
        assert changed.status_code == 303
        assert changed.headers["location"] == "/?notice=password_changed"
        home = await client.get(changed.headers["location"])
        assert home.status_code == 200
        assert "Kata sandi berhasil diganti." in home.text
    user = await reload_user("baru")
    assert not user.must_change_password
    async with make_client(app) as other:
        assert (await login(other, "baru", "sandi-pilihan-77")).status_code == 303
    async with make_client(app) as other:
        assert (await login(other, "baru", TEST_PASSWORD)).status_code == 401
    assert [e.action for e in await audit_entries(audit.PASSWORD_CHANGED)] == [
        audit.PASSWORD_CHANGED
    ]


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("salah-sekali-123", "sandi-pilihan-77", "sandi-pilihan-77", "saat ini salah"),
        (TEST_PASSWORD, "pendek", "pendek", "minimal 10 karakter"),
        (TEST_PASSWORD, "sandi-pilihan-77", "kata-sandi-lain-77", "tidak sama"),
        (TEST_PASSWORD, "budi-punya-sandi", "budi-punya-sandi", "nama pengguna"),
    ],
)
async def test_password_change_is_checked(
    client: httpx.AsyncClient, current: str, new: str, confirm: str, message: str
) -> None:
    await add_user("budi", Role.ADMIN)
    await login(client, "budi", TEST_PASSWORD)
    page = await client.get("/account/password")
    response = await client.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(page.text),
            "current_password": current,
            "new_password": new,
            "confirm_password": confirm,
        },
    )
    assert response.status_code == 400
    assert message in response.text
