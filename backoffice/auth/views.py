"""Pages of the auth domain: login, logout, and changing one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from backoffice.auth import service
from backoffice.auth.csrf import LOGIN_CSRF_COOKIE, new_csrf_token
from backoffice.auth.deps import SESSION_COOKIE, OptionalUser, Settings, current_session
from backoffice.db import DbSession
from backoffice.permissions import public_route, require_login
from backoffice.templating import redirect, render
from lalisa.core import audit
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import User

router = APIRouter(tags=["auth"])

LOGIN_PATH = "/login"
PASSWORD_PATH = "/account/password"
_LOGIN_CSRF_MAX_AGE = 12 * 3600


def safe_next(value: str | None) -> str:
    """Return a local path to continue to after login, or ``/``.

    Only paths on this site are accepted (no ``//host``, no scheme), so the login page cannot be
    used to send officers to another site.

    Args:
        value: The ``next`` parameter.

    Returns:
        The path, or ``/``.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if "\\" in value or any(ord(char) < 32 for char in value):
        return "/"
    if value.split("?", 1)[0] in {LOGIN_PATH, "/logout"}:
        return "/"
    return value


def _set_cookie(
    response: Response, name: str, value: str, settings: BackofficeSettings, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _login_page(
    request: Request,
    settings: BackofficeSettings,
    *,
    next_path: str,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_csrf_token()
    request.state.csrf_token = token
    response = render(
        request,
        "auth/login.html",
        {"next": next_path, "username": username, "error": error},
        status_code=status_code,
    )
    _set_cookie(response, LOGIN_CSRF_COOKIE, token, settings, _LOGIN_CSRF_MAX_AGE)
    return response


LOGIN_FAILED_MESSAGE = (
    "Nama pengguna atau kata sandi salah. Setelah beberapa kali salah, akun dikunci sementara; "
    "bila perlu, minta superadmin mereset kata sandi."
)


@router.get(LOGIN_PATH, response_class=HTMLResponse, dependencies=[Depends(public_route())])
async def login_form(
    request: Request, user: OptionalUser, settings: Settings, next: str | None = None
) -> Response:
    """Show the login form (signed-in users go straight on)."""
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, settings, next_path=safe_next(next))


@router.post(LOGIN_PATH, response_class=HTMLResponse, dependencies=[Depends(public_route())])
async def login(
    request: Request,
    db: DbSession,
    settings: Settings,
    username: Annotated[str, Form(max_length=256)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    """Check the credentials; on success start a new session and continue."""
    next_path = safe_next(next)
    client_ip = request.client.host if request.client else None
    result = await service.authenticate(
        db, username=username, password=password, settings=settings, client_ip=client_ip
    )
    if result.outcome is not service.LoginOutcome.OK or result.user is None:
        # A locked account (or address) gets the very answer of a wrong password: the page
        # must not tell a guesser which accounts exist or that guessing has been noticed.
        return _login_page(
            request,
            settings,
            next_path=next_path,
            username=username,
            error=LOGIN_FAILED_MESSAGE,
            status_code=401,
        )
    user = result.user
    # A new session id on every login: a session id planted before login is worthless.
    old_token = request.cookies.get(SESSION_COOKIE)
    if old_token:
        await service.delete_session(db, token=old_token)
    token, _ = await service.create_session(db, user=user, settings=settings)
    target = PASSWORD_PATH if user.must_change_password else next_path
    response = RedirectResponse(target, status_code=303)
    _set_cookie(
        response, SESSION_COOKIE, token, settings, int(settings.session_lifetime.total_seconds())
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(
    request: Request,
    db: DbSession,
    user: Annotated[User, Depends(require_login(allow_password_change_pending=True))],
) -> Response:
    """End the session (the row is deleted) and return to the login page."""
    token = request.cookies.get(SESSION_COOKIE, "")
    await service.delete_session(db, token=token)
    await audit.record(db, actor=user.username, action=audit.LOGOUT, target=f"user:{user.username}")
    response = redirect(LOGIN_PATH, notice="logged_out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get(PASSWORD_PATH, response_class=HTMLResponse)
async def password_form(
    request: Request,
    user: Annotated[User, Depends(require_login(allow_password_change_pending=True))],
) -> HTMLResponse:
    """Show the form to change one's own password."""
    return render(request, "auth/password.html", {"user": user, "error": None})


@router.post(PASSWORD_PATH, response_class=HTMLResponse)
async def change_password(
    request: Request,
    db: DbSession,
    user: Annotated[User, Depends(require_login(allow_password_change_pending=True))],
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Replace one's own password; the user's other sessions end."""
    error: str | None = None
    if new_password != confirm_password:
        error = "Ulangan kata sandi baru tidak sama."
    else:
        auth_session = current_session(request)
        try:
            await service.change_own_password(
                db,
                user=user,
                current_password=current_password,
                new_password=new_password,
                keep_session_hash=None if auth_session is None else auth_session.id_hash,
            )
        except service.UserError as exc:
            error = str(exc)
    if error is not None:
        return render(
            request, "auth/password.html", {"user": user, "error": error}, status_code=400
        )
    return redirect("/", notice="password_changed")
