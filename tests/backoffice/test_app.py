"""The application shell: health, static files, headers, error pages, escaping, settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from backoffice.auth.roles import Role
from backoffice.templating import local_time
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.core.settings import BackofficeSettings, SettingsError
from lalisa_common.env import read_env
from tests.backoffice.helpers import (
    TEST_PASSWORD,
    SignedIn,
    add_user,
    csrf_from,
    login,
    make_client,
)

SCRIPT = "<script>alert('xss')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;"


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_reports_an_unreachable_database(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lalisa.core.db import dispose_engine
    from lalisa.core.settings import reset_settings_cache

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{blocker}/x/y.db")
    reset_settings_cache()
    await dispose_engine()
    try:
        async with make_client(_app()) as client:
            response = await client.get("/health")
    finally:
        await dispose_engine()
    assert response.status_code == 503


def _app() -> FastAPI:
    from backoffice.app import create_app

    return create_app(BackofficeSettings())


async def test_stylesheet_is_served_locally(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert "@media (max-width: 640px)" in response.text


async def test_pages_use_no_external_resources(superadmin: SignedIn) -> None:
    for path in ("/", "/users", "/audit", "/account/password"):
        html = (await superadmin.client.get(path)).text
        assert "http://" not in html and "https://" not in html, path
        assert 'name="viewport"' in html


async def test_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    static = await client.get("/static/style.css")
    assert static.headers.get("cache-control") != "no-store"
    # Secure cookies mean https behind the proxy: browsers must never downgrade to http.
    assert response.headers["strict-transport-security"] == "max-age=31536000"


async def test_no_hsts_with_plain_http_cookies(db: str) -> None:
    from backoffice.app import create_app

    async with make_client(create_app(BackofficeSettings(secure_cookies=False))) as client:
        response = await client.get("/login")
    assert "strict-transport-security" not in response.headers


async def test_request_bodies_are_capped(db: str) -> None:
    from backoffice.app import create_app

    app = create_app(BackofficeSettings(max_body_bytes=1000))
    async with make_client(app) as client:
        declared = await client.post("/login", content=b"x" * 1001)
        assert declared.status_code == 413

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"username=budi&" * 20  # 280 bytes a chunk, no Content-Length

        streamed = await client.post(
            "/login",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert streamed.status_code == 413
        assert "terlalu besar" in streamed.text
        small = await client.post("/login", data={"username": "budi", "password": "x"})
        assert small.status_code in (401, 403)


async def test_api_docs_are_not_exposed(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await client.get(path)).status_code == 404


async def test_error_pages_are_indonesian(client: httpx.AsyncClient) -> None:
    missing = await client.get("/tidak-ada")
    assert missing.status_code == 404
    assert "Halaman tidak ditemukan" in missing.text
    wrong_method = await client.delete("/login")
    assert wrong_method.status_code == 405


async def test_navigation_depends_on_the_role(as_role: dict[Role, SignedIn]) -> None:
    superadmin_home = (await as_role[Role.SUPERADMIN].client.get("/")).text
    assert 'href="/users"' in superadmin_home
    assert 'href="/audit"' in superadmin_home
    for role in Role:
        if role is Role.SUPERADMIN:
            continue
        home = (await as_role[role].client.get("/")).text
        assert 'href="/users"' not in home, role
        assert 'href="/audit"' not in home, role
        assert 'href="/account/password"' in home
        assert 'action="/logout"' in home


async def test_full_name_with_html_is_shown_as_text(app: FastAPI, superadmin: SignedIn) -> None:
    created = await superadmin.client.post(
        "/users",
        data={
            "csrf_token": superadmin.csrf,
            "username": "iseng",
            "full_name": SCRIPT,
            "role": "admin",
        },
    )
    assert created.status_code == 200
    assert SCRIPT not in created.text
    assert ESCAPED in created.text

    listing = await superadmin.client.get("/users")
    assert SCRIPT not in listing.text
    assert ESCAPED in listing.text

    audit_page = await superadmin.client.get("/audit")
    assert "<script>" not in audit_page.text
    assert "&lt;script&gt;" in audit_page.text

    # The user's own header shows the name escaped too.
    await add_user("iseng2", Role.PETUGAS_TRC, full_name=SCRIPT)
    async with make_client(app) as officer:
        await login(officer, "iseng2", TEST_PASSWORD)
        home = await officer.get("/")
        assert SCRIPT not in home.text
        assert ESCAPED in home.text


async def test_typed_username_is_escaped_on_the_login_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": '"><script>x()</script>',
            "password": "apa-saja-123",
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 401
    assert "<script>x()" not in response.text
    assert "&#34;&gt;&lt;script&gt;" in response.text


async def test_audit_detail_is_escaped(superadmin: SignedIn) -> None:
    async with session_scope() as session:
        await audit.record(
            session, actor=SCRIPT, action=SCRIPT, target=SCRIPT, detail={"alasan": SCRIPT}
        )
        await audit.record(session, actor="budi", action=audit.LOGIN, detail=SCRIPT)
    page = await superadmin.client.get("/audit")
    assert SCRIPT not in page.text
    assert page.text.count(ESCAPED) >= 5


def test_local_time_is_indonesian_wita(lalisa_env: dict[str, str]) -> None:
    moment = datetime(2026, 8, 17, 2, 5, tzinfo=timezone.utc)
    assert local_time(moment) == "17 Agu 2026 10.05 WITA"
    assert local_time(moment, with_zone=False) == "17 Agu 2026 10.05"
    assert local_time(None) == "-"


def test_settings_from_environment(lalisa_env: dict[str, str]) -> None:
    defaults = BackofficeSettings.from_env(read_env({}, env_file=None))
    assert defaults.host == "127.0.0.1"
    assert defaults.port == 8000
    assert defaults.secure_cookies
    assert defaults.max_failed_logins == 5
    assert defaults.lockout == timedelta(minutes=15)

    custom = BackofficeSettings.from_env(
        read_env(
            {
                "BACKOFFICE_HOST": "0.0.0.0",
                "BACKOFFICE_INSECURE_COOKIES": "1",
                "BACKOFFICE_MAX_FAILED_LOGINS": "3",
                "BACKOFFICE_LOCKOUT_MINUTES": "30",
                "BACKOFFICE_SESSION_HOURS": "8",
                "BACKOFFICE_SESSION_IDLE_MINUTES": "60",
            },
            env_file=None,
        )
    )
    assert custom.host == "0.0.0.0"
    assert not custom.secure_cookies
    assert custom.max_failed_logins == 3
    assert custom.lockout == timedelta(minutes=30)
    assert custom.session_lifetime == timedelta(hours=8)
    assert custom.session_idle_timeout == timedelta(minutes=60)

    with pytest.raises(SettingsError, match="BACKOFFICE_MAX_FAILED_LOGINS"):
        BackofficeSettings.from_env(read_env({"BACKOFFICE_MAX_FAILED_LOGINS": "0"}, env_file=None))
    with pytest.raises(SettingsError, match="BACKOFFICE_INSECURE_COOKIES"):
        BackofficeSettings.from_env(
            read_env({"BACKOFFICE_INSECURE_COOKIES": "mungkin"}, env_file=None)
        )


def test_settings_read_the_env_file(lalisa_env: dict[str, str], tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("BACKOFFICE_LOCKOUT_MINUTES=20\nBACKOFFICE_HOST=10.0.0.5\n")
    settings = BackofficeSettings.from_env(
        read_env({"BACKOFFICE_HOST": "127.0.0.2"}, env_file=env_file)
    )
    assert settings.lockout == timedelta(minutes=20)
    assert settings.host == "127.0.0.2"  # the process environment wins


async def test_page_error_and_unexpected_errors_get_indonesian_pages(db: str) -> None:
    from fastapi import APIRouter, Depends

    from backoffice.app import create_app
    from backoffice.errors import PageError
    from backoffice.permissions import public_route

    router = APIRouter(dependencies=[Depends(public_route())])

    @router.get("/aduan-hilang")
    async def missing() -> None:
        raise PageError(404, "Aduan LLS-2026-000123 tidak ditemukan.")

    @router.get("/rusak")
    async def broken() -> None:
        raise RuntimeError("bug")

    app = create_app(BackofficeSettings(), routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.get("/aduan-hilang")
        assert response.status_code == 404
        assert "Aduan LLS-2026-000123 tidak ditemukan." in response.text
        response = await client.get("/rusak")
        assert response.status_code == 500
        assert "Terjadi kesalahan" in response.text
        assert "RuntimeError" not in response.text


def test_backoffice_refuses_unsafe_production_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    from backoffice.__main__ import startup_refusals

    monkeypatch.setenv("LALISA_ENV_FILE", "")
    monkeypatch.delenv("LALISA_ENV", raising=False)
    monkeypatch.setenv("BACKOFFICE_INSECURE_COOKIES", "1")
    assert startup_refusals("0.0.0.0") == []  # development keeps its convenience
    monkeypatch.setenv("LALISA_ENV", "production")
    assert [p.variable for p in startup_refusals("127.0.0.1")] == ["BACKOFFICE_INSECURE_COOKIES"]
    assert [p.variable for p in startup_refusals("0.0.0.0")] == ["BACKOFFICE_HOST"]
    monkeypatch.delenv("BACKOFFICE_INSECURE_COOKIES")
    assert startup_refusals("127.0.0.1") == []
