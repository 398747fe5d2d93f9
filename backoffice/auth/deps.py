"""Who is signed in: the session cookie, the current user, and the redirects around them.

Routes do not use these directly to decide access; they declare their roles with
:func:`backoffice.permissions.require_roles`, which builds on :func:`current_user`. Handlers
that need the user as a value add a :data:`CurrentUser` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from backoffice.auth.service import load_session
from backoffice.db import DbSession
from lalisa.core.settings import BackofficeSettings
from lalisa.users.models import BackofficeSession, Role, User

SESSION_COOKIE = "lalisa_session"


@dataclass(frozen=True)
class SignedInUser:
    """Plain copy of the signed-in user for templates and error pages.

    Error pages are rendered after the request's database session has closed, when the ORM
    object can no longer load attributes; this copy always can.
    """

    id: int
    username: str
    full_name: str
    role: Role
    must_change_password: bool

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        """Copy the fields templates use."""
        return cls(user.id, user.username, user.full_name, user.role, user.must_change_password)


class LoginRequired(Exception):
    """Raised when a page needs a signed-in user and there is none (answered with a redirect)."""


class PasswordChangeRequired(Exception):
    """Raised when the user must replace a generated password before doing anything else."""


def get_backoffice_settings(request: Request) -> BackofficeSettings:
    """Return the settings the application was created with.

    Args:
        request: Any request of the application.

    Returns:
        ``request.app.state.settings``.
    """
    settings: BackofficeSettings = request.app.state.settings
    return settings


Settings = Annotated[BackofficeSettings, Depends(get_backoffice_settings)]
"""The back-office settings as a dependency."""


async def optional_user(request: Request, db: DbSession, settings: Settings) -> User | None:
    """Resolve the session cookie to a user, or ``None`` for anonymous visitors.

    Also sets ``request.state.user`` (a :class:`SignedInUser` or ``None``),
    ``request.state.auth_session`` and ``request.state.csrf_token`` for templates and error
    pages.

    Args:
        request: The incoming request.
        db: The request's database session.
        settings: Session timeouts.

    Returns:
        The signed-in, active user, or ``None``.
    """
    token = request.cookies.get(SESSION_COOKIE)
    auth_session: BackofficeSession | None = None
    if token:
        auth_session = await load_session(db, token=token, settings=settings)
    request.state.auth_session = auth_session
    request.state.user = None
    if auth_session is None:
        return None
    request.state.user = SignedInUser.of(auth_session.user)
    request.state.csrf_token = auth_session.csrf_token
    return auth_session.user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """Return the signed-in user.

    Args:
        user: Resolved by :func:`optional_user`.

    Returns:
        The user.

    Raises:
        LoginRequired: Nobody is signed in (the visitor is sent to the login page).
    """
    if user is None:
        raise LoginRequired
    return user


CurrentUser = Annotated[User, Depends(current_user)]
"""The signed-in user; combine with a role declaration (``require_roles``) on the route."""

OptionalUser = Annotated[User | None, Depends(optional_user)]
"""The signed-in user or ``None`` (public pages)."""


def current_session(request: Request) -> BackofficeSession | None:
    """Return the session row resolved for this request (after :func:`optional_user` ran)."""
    auth_session = getattr(request.state, "auth_session", None)
    return auth_session if isinstance(auth_session, BackofficeSession) else None
