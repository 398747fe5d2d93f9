"""One database session (and one transaction) per request.

Use :data:`DbSession` in a route or dependency::

    async def page(db: DbSession) -> HTMLResponse: ...

The transaction commits when the route returns and rolls back when it raises, and in both
cases *before* the response is sent (``scope="function"``), so a redirect after a POST never
races the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.db import session_scope


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield the request's session inside :func:`lalisa.core.db.session_scope`.

    Yields:
        The session; committed after the route returns, rolled back if it raises.
    """
    async with session_scope() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
"""The request's database session (shared by every dependency of the request)."""
