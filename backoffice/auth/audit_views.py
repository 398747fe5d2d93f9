"""The audit log viewer (superadmin): newest first, filter by actor and action, paginated."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.permissions import require_roles
from backoffice.templating import render
from lalisa.core.audit import ACTION_LABELS
from lalisa.core.models import AuditLog

router = APIRouter(prefix="/audit", tags=["audit"])

PAGE_SIZE = 50


def detail_items(detail: str | None) -> list[tuple[str, str]] | str | None:
    """Present a stored detail: JSON objects as key/value pairs, other text as it is.

    Args:
        detail: The stored detail.

    Returns:
        Pairs for a JSON object, the text otherwise, or ``None``.
    """
    if not detail:
        return None
    try:
        value = json.loads(detail)
    except ValueError:
        return detail
    if isinstance(value, dict):
        return [(str(key), str(item)) for key, item in value.items()]
    return detail


@router.get("", response_class=HTMLResponse, dependencies=[Depends(require_roles(Role.SUPERADMIN))])
async def audit_log(
    request: Request,
    db: DbSession,
    actor: Annotated[str, Query(max_length=128)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """List audit entries, newest first."""
    actor = actor.strip()
    action = action.strip()
    conditions = []
    if actor:
        conditions.append(AuditLog.actor == actor)
    if action:
        conditions.append(AuditLog.action == action)
    total = int(
        (
            await db.execute(select(func.count()).select_from(AuditLog).where(*conditions))
        ).scalar_one()
    )
    entries = (
        (
            await db.execute(
                select(AuditLog)
                .where(*conditions)
                .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                .limit(PAGE_SIZE)
                .offset((page - 1) * PAGE_SIZE)
            )
        )
        .scalars()
        .all()
    )
    stored_actions = (
        (await db.execute(select(AuditLog.action).distinct().order_by(AuditLog.action)))
        .scalars()
        .all()
    )
    actions = sorted(set(ACTION_LABELS) | set(stored_actions))
    pages = max(1, -(-total // PAGE_SIZE))

    def page_url(number: int) -> str:
        query = {"actor": actor, "action": action, "page": str(number)}
        return "/audit?" + urlencode({key: value for key, value in query.items() if value})

    context: dict[str, Any] = {
        "entries": [(entry, detail_items(entry.detail)) for entry in entries],
        "actor": actor,
        "action": action,
        "actions": actions,
        "page": page,
        "pages": pages,
        "total": total,
        "prev_url": page_url(page - 1) if page > 1 else None,
        "next_url": page_url(page + 1) if page < pages else None,
    }
    return render(request, "auth/audit.html", context)
