"""The back-office application factory.

``create_app()`` mounts one router per domain (see :data:`ROUTERS`), the static files, the
error pages and the security headers. It refuses to start if any route lacks a role
declaration (:func:`backoffice.permissions.collect_permissions`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backoffice.auth import audit_views, users_views
from backoffice.auth import views as auth_views
from backoffice.auth.csrf import CsrfError
from backoffice.auth.deps import LoginRequired, PasswordChangeRequired
from backoffice.conversations.review_views import router as review_router
from backoffice.errors import PageError
from backoffice.home import router as home_router
from backoffice.hotspots import hotspots_router
from backoffice.limits import BodyLimitMiddleware
from backoffice.permissions import collect_permissions
from backoffice.reports import reports_router
from backoffice.reports.jobs import purge_periodically
from backoffice.settings_views import router as settings_router
from backoffice.survey import router as survey_router
from backoffice.takeover import takeover_router
from backoffice.templating import STATIC_DIR, render
from backoffice.tickets import officers_router, tickets_router, trc_router
from lalisa.core.db import dispose_engine
from lalisa.core.settings import BackofficeSettings, get_settings, tile_origin

logger = logging.getLogger(__name__)

ROUTERS: tuple[APIRouter, ...] = (
    home_router,
    auth_views.router,
    users_views.router,
    audit_views.router,
    tickets_router,
    trc_router,
    officers_router,
    settings_router,
    hotspots_router,
    review_router,
    takeover_router,
    survey_router,
    reports_router,
)
"""One router per domain; add the router of a new domain here."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
"""No inline scripts or styles and nothing from other sites (no CDN); relax here if needed."""


def content_security_policy(settings: BackofficeSettings) -> str:
    """Return the Content-Security-Policy of the application.

    Args:
        settings: Back-office settings.

    Returns:
        :data:`CONTENT_SECURITY_POLICY`, with the origin of the hotspot map's tile server added
        to ``img-src`` only when ``HOTSPOT_TILE_URL`` is configured.
    """
    if not settings.hotspot_tile_url:
        return CONTENT_SECURITY_POLICY
    origin = tile_origin(settings.hotspot_tile_url)
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data: blob:;", f"img-src 'self' data: blob: {origin};", 1
    )


HSTS = b"max-age=31536000"
"""One year; no includeSubDomains: other services of the agency's domain are not ours to pin."""

ERROR_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Permintaan tidak valid", "Data yang dikirim tidak dapat diproses."),
    403: ("Akses ditolak", "Peran Anda tidak diizinkan membuka halaman ini."),
    404: ("Halaman tidak ditemukan", "Halaman atau data yang Anda cari tidak ada."),
    405: ("Metode tidak diizinkan", "Cara membuka halaman ini tidak didukung."),
    409: ("Terjadi bentrok", "Data telah diubah orang lain. Muat ulang halaman lalu coba lagi."),
    413: ("Permintaan terlalu besar", "Data yang dikirim melebihi batas ukuran."),
    422: ("Data tidak lengkap", "Data formulir tidak lengkap atau tidak valid."),
    500: ("Terjadi kesalahan", "Terjadi kesalahan pada sistem. Coba lagi beberapa saat lagi."),
}
CSRF_MESSAGE = (
    "Formulir ini kedaluwarsa atau tidak sah. Muat ulang halaman, lalu kirim sekali lagi."
)


class SecurityHeadersMiddleware:
    """Adds security headers to every response, and ``no-store`` to every page."""

    def __init__(
        self, app: ASGIApp, policy: str = CONTENT_SECURITY_POLICY, *, hsts: bool = False
    ) -> None:
        """Wrap an ASGI application.

        Args:
            app: The application.
            policy: The Content-Security-Policy to send.
            hsts: Send Strict-Transport-Security (when cookies are Secure, i.e. behind https).
        """
        self.app = app
        self.policy = policy.encode("ascii")
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = {
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"same-origin",
                    b"content-security-policy": self.policy,
                }
                if self.hsts:
                    # Browsers then refuse plain http to this host for a year (no downgrade).
                    extra[b"strict-transport-security"] = HSTS
                if not is_static:
                    # Pages show names and complaints; keep them out of shared caches.
                    extra[b"cache-control"] = b"no-store"
                headers.extend(
                    (name, value) for name, value in extra.items() if name not in present
                )
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error_page(
    request: Request,
    status_code: int,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    title, default_message = ERROR_MESSAGES.get(
        status_code, ("Terjadi kesalahan", "Permintaan tidak dapat diproses.")
    )
    return render(
        request,
        "errors/error.html",
        {"title": title, "message": message or default_message, "status_code": status_code},
        status_code=status_code,
        headers=headers,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        safe_method = request.method in {"GET", "HEAD"}
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        next_path = target if safe_method else "/"
        return RedirectResponse(f"/login?{urlencode({'next': next_path})}", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    async def _password_change(_request: Request, _exc: PasswordChangeRequired) -> Response:
        return RedirectResponse(auth_views.PASSWORD_PATH, status_code=303)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, exc: CsrfError) -> Response:
        logger.warning("refused: %s", exc)
        return _error_page(request, 403, CSRF_MESSAGE)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc, PageError) else None
        return _error_page(request, exc.status_code, message, dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, _exc: RequestValidationError) -> Response:
        return _error_page(request, 422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _exc: Exception) -> Response:
        # Starlette logs the traceback; the officer gets a page, not a stack trace.
        return _error_page(request, 500)


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # Expired exports (they may hold identities) go on a schedule, not only on the next export.
    purging = asyncio.create_task(purge_periodically())
    try:
        yield
    finally:
        purging.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purging
        await dispose_engine()


def create_app(
    settings: BackofficeSettings | None = None, *, routers: Sequence[APIRouter] = ROUTERS
) -> FastAPI:
    """Build the back-office application.

    Args:
        settings: Back-office settings; read from the environment when omitted.
        routers: Domain routers to mount (tests pass their own).

    Returns:
        The ASGI application.

    Raises:
        UnguardedRouteError: A route declares no roles.
    """
    app = FastAPI(
        title="La-Lisa back office",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings if settings is not None else get_settings().backoffice
    # Built before mounting: a route without a role declaration stops the start here.
    app.state.route_permissions = collect_permissions(routers)
    for router in routers:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    app.add_middleware(
        SecurityHeadersMiddleware,
        policy=content_security_policy(app.state.settings),
        hsts=app.state.settings.secure_cookies,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=app.state.settings.max_body_bytes)
    return app
