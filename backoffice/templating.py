"""Jinja2 templates, with autoescaping, the base context and helpers for pages.

Render a page from a route::

    return render(request, "tickets/inbox.html", {"tickets": tickets})

Every template gets ``current_user`` (or ``None``), ``nav_items`` (the menu for that user) and
``notice`` (a message chosen by ``?notice=<key>``, see :data:`NOTICES`), plus these globals:

- ``csrf_input()``: the hidden CSRF field; put it in every ``<form method="post">``.
- ``role_label(role)``, ``action_label(action)``: Bahasa Indonesia labels.
- filter ``local_time``: an aware datetime in the agency's time zone
  (``28 Nov 2026 14.05 WITA``).

Text is escaped automatically; never mark user-provided text ``|safe``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from backoffice.auth.csrf import CSRF_FIELD
from backoffice.auth.roles import role_label
from backoffice.navigation import nav_for
from lalisa.core.audit import ACTION_LABELS
from lalisa.core.settings import get_settings

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STATIC_DIR = PACKAGE_DIR / "static"

NOTICES: dict[str, str | Callable[[], str]] = {
    "logged_out": "Anda sudah keluar.",
    "password_changed": "Kata sandi berhasil diganti.",
    "role_changed": "Peran pengguna diubah.",
    "user_deactivated": "Pengguna dinonaktifkan; semua sesinya diakhiri.",
    "user_activated": "Pengguna diaktifkan kembali.",
}
"""Messages shown after a redirect, chosen by key (so no text travels in the URL).

A callable is called when the notice is shown (for a text that names a setting's value).
"""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def local_time(value: datetime | None, *, with_zone: bool = True) -> str:
    """Format a timestamp in the agency's time zone, Indonesian style.

    Args:
        value: An aware datetime (``None`` renders as ``-``).
        with_zone: Append the zone abbreviation (``WITA``).

    Returns:
        E.g. ``28 Nov 2026 14.05 WITA``.
    """
    if value is None:
        return "-"
    local = value.astimezone(get_settings().office.tz)
    text = f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H.%M}"
    zone = local.tzname()
    return f"{text} {zone}" if with_zone and zone else text


@jinja2.pass_context
def csrf_input(context: jinja2.runtime.Context) -> Markup:
    """Render the hidden CSRF field for the current request.

    Args:
        context: Template context (holds ``request``).

    Returns:
        ``<input type="hidden" name="csrf_token" value="…">``.

    Raises:
        RuntimeError: No token is known for this request (the route has no session and is not
            the login page), which would make the form fail with 403 anyway.
    """
    request: Request = context["request"]
    token = getattr(request.state, "csrf_token", None)
    if not token:
        raise RuntimeError(f"no CSRF token for {request.url.path}; is the user signed in?")
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(str(token))
    )


def action_label(action: str) -> str:
    """Return the Bahasa Indonesia label of an audit action (the raw value when unknown)."""
    return ACTION_LABELS.get(action, action)


def _base_context(request: Request) -> dict[str, Any]:
    user = getattr(request.state, "user", None)
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return {
        "current_user": user,
        "nav_items": nav_for(user),
        "notice": notice() if callable(notice) else notice,
    }


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["csrf_input"] = csrf_input
    environment.globals["role_label"] = role_label
    environment.globals["action_label"] = action_label
    environment.filters["local_time"] = local_time
    return environment


templates = Jinja2Templates(env=_environment(), context_processors=[_base_context])
"""The application's templates (``backoffice/templates``); prefer :func:`render`."""


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a template into a response.

    Args:
        request: The current request.
        name: Template path under ``backoffice/templates`` (``<domain>/<page>.html``).
        context: Values for the template (escaped when shown).
        status_code: HTTP status.
        headers: Extra response headers.

    Returns:
        The HTML response.
    """
    return templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers
    )


def redirect(path: str, *, notice: str | None = None) -> RedirectResponse:
    """Redirect after a POST (303 See Other), optionally with a notice for the next page.

    Args:
        path: Local path to go to.
        notice: A key of :data:`NOTICES`.

    Returns:
        The redirect response.
    """
    if notice is not None:
        if notice not in NOTICES:
            raise KeyError(f"unknown notice {notice!r}; add it to NOTICES")
        separator = "&" if "?" in path else "?"
        path = f"{path}{separator}{urlencode({'notice': notice})}"
    return RedirectResponse(path, status_code=303)
