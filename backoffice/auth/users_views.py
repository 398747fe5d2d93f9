"""User management for the superadmin: list, create, change role, (de)activate, reset password.

Generated passwords are shown once, in the response to the POST that made them, and never
stored in clear text or sent through a redirect.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from backoffice.auth import service
from backoffice.auth.roles import ROLE_DESCRIPTIONS, ROLE_LABELS, Role
from backoffice.db import DbSession
from backoffice.permissions import require_roles
from backoffice.templating import redirect, render
from lalisa.core.models import utcnow
from lalisa.users.models import User

router = APIRouter(prefix="/users", tags=["users"])

Superadmin = Annotated[User, Depends(require_roles(Role.SUPERADMIN))]
_NO_STORE = {"Cache-Control": "no-store"}


async def _user_or_404(db: DbSession, user_id: int) -> User:
    user = await service.get_user(db, user_id=user_id)
    if user is None:
        raise HTTPException(status_code=404)
    return user


def _parse_role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


async def _list_page(
    request: Request,
    db: DbSession,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "users": await service.list_users(db),
        "roles": list(Role),
        "role_labels": ROLE_LABELS,
        "role_descriptions": ROLE_DESCRIPTIONS,
        "form": form or {"username": "", "full_name": "", "role": Role.ADMIN.value},
        "error": error,
        "now": utcnow(),
    }
    return render(request, "auth/users.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
async def list_users(request: Request, db: DbSession, _user: Superadmin) -> HTMLResponse:
    """List every user, with the form to create one."""
    return await _list_page(request, db)


@router.post("", response_class=HTMLResponse)
async def create_user(
    request: Request,
    db: DbSession,
    actor: Superadmin,
    username: Annotated[str, Form(max_length=256)] = "",
    full_name: Annotated[str, Form(max_length=1024)] = "",
    role: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Create a user with a generated password and show that password once."""
    form = {"username": username, "full_name": full_name, "role": role}
    parsed_role = _parse_role(role)
    if parsed_role is None:
        return await _list_page(
            request, db, form=form, error="Pilih peran pengguna.", status_code=400
        )
    try:
        user, password = await service.create_user(
            db,
            username=username,
            full_name=full_name,
            role=parsed_role,
            must_change_password=True,
            actor=actor,
        )
    except service.UserError as exc:
        return await _list_page(request, db, form=form, error=str(exc), status_code=400)
    return render(
        request,
        "auth/user_password.html",
        {"user": user, "password": password, "created": True},
        headers=_NO_STORE,
    )


@router.get("/{user_id}", response_class=HTMLResponse)
async def user_detail(
    request: Request, db: DbSession, _user: Superadmin, user_id: int
) -> HTMLResponse:
    """Show one user with the forms that change them."""
    user = await _user_or_404(db, user_id)
    return render(
        request,
        "auth/user_detail.html",
        {"user": user, "roles": list(Role), "error": None, "now": utcnow()},
    )


async def _detail_error(request: Request, user: User, error: str) -> HTMLResponse:
    return render(
        request,
        "auth/user_detail.html",
        {"user": user, "roles": list(Role), "error": error, "now": utcnow()},
        status_code=400,
    )


@router.post("/{user_id}/role", response_class=HTMLResponse)
async def change_role(
    request: Request,
    db: DbSession,
    actor: Superadmin,
    user_id: int,
    role: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Give a user another role."""
    user = await _user_or_404(db, user_id)
    parsed_role = _parse_role(role)
    if parsed_role is None:
        return await _detail_error(request, user, "Pilih peran pengguna.")
    try:
        await service.change_role(db, user=user, role=parsed_role, actor=actor)
    except service.UserError as exc:
        return await _detail_error(request, user, str(exc))
    return redirect(f"/users/{user.id}", notice="role_changed")


@router.post("/{user_id}/deactivate", response_class=HTMLResponse)
async def deactivate(request: Request, db: DbSession, actor: Superadmin, user_id: int) -> Response:
    """Deactivate a user; their sessions end at once."""
    user = await _user_or_404(db, user_id)
    try:
        await service.set_active(db, user=user, active=False, actor=actor)
    except service.UserError as exc:
        return await _detail_error(request, user, str(exc))
    return redirect(f"/users/{user.id}", notice="user_deactivated")


@router.post("/{user_id}/activate", response_class=HTMLResponse)
async def activate(request: Request, db: DbSession, actor: Superadmin, user_id: int) -> Response:
    """Reactivate a user."""
    user = await _user_or_404(db, user_id)
    await service.set_active(db, user=user, active=True, actor=actor)
    return redirect(f"/users/{user.id}", notice="user_activated")


@router.post("/{user_id}/reset-password", response_class=HTMLResponse)
async def reset_password(
    request: Request, db: DbSession, actor: Superadmin, user_id: int
) -> HTMLResponse:
    """Give a user a new generated password (shown once), unlock them, end their sessions."""
    user = await _user_or_404(db, user_id)
    if user.id == actor.id:
        return await _detail_error(
            request, user, "Ganti kata sandi Anda sendiri melalui halaman Kata sandi."
        )
    password = await service.reset_password(db, user=user, actor=actor)
    return render(
        request,
        "auth/user_password.html",
        {"user": user, "password": password, "created": False},
        headers=_NO_STORE,
    )
