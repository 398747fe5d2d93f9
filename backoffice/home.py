"""The landing page of signed-in officers and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backoffice.auth.roles import ROLE_DESCRIPTIONS
from backoffice.navigation import nav_for
from backoffice.permissions import public_route, require_login
from backoffice.templating import render
from lalisa.core.db import session_scope
from lalisa.users.models import User

router = APIRouter(tags=["home"])


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, user: Annotated[User, Depends(require_login())]) -> HTMLResponse:
    """Greet the officer and show the pages of their role."""
    return render(
        request,
        "home.html",
        {
            "role_description": ROLE_DESCRIPTIONS[user.role],
            "shortcuts": [item for item in nav_for(user) if item.path != "/"],
        },
    )


@router.get("/health", dependencies=[Depends(public_route())])
async def health() -> JSONResponse:
    """Report whether the application and its database answer (503 when the database does not)."""
    try:
        async with session_scope() as session:
            await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
