"""CSRF tokens: one per session, checked on every state-changing request.

Forms carry the token in a hidden field (render it with ``{{ csrf_input() }}``); scripts may
send it in the ``X-CSRF-Token`` header instead. Before sign-in there is no session, so the login
form uses a double-submit token: the same random value in a cookie and in the form.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "lalisa_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfError(Exception):
    """Raised when a state-changing request lacks the right CSRF token (answered with 403)."""


def new_csrf_token() -> str:
    """Return a fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Compare two tokens in constant time.

    Args:
        expected: The token the server issued.
        given: The token the request carried.

    Returns:
        True only when both are non-empty and equal.
    """
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


async def submitted_token(request: Request) -> str | None:
    """Return the CSRF token a request carries (header first, then form field).

    Args:
        request: The incoming request; its form is parsed and cached for the route.

    Returns:
        The token, or ``None``.
    """
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def check_csrf(request: Request, expected: str | None) -> None:
    """Refuse a state-changing request whose token does not match.

    Safe methods (GET, HEAD, OPTIONS) pass without a token.

    Args:
        request: The incoming request.
        expected: The token issued to this client.

    Raises:
        CsrfError: Missing or wrong token on a state-changing request.
    """
    if request.method in SAFE_METHODS:
        return
    if not tokens_match(expected, await submitted_token(request)):
        raise CsrfError(f"CSRF token missing or wrong for {request.method} {request.url.path}")
