"""The officers' side of the complaint-to-closure run, inside the stack's environment.

The stack's servers use their own identity key and database, so the test runs this module as
``python -m tests.security.closure_steps <ticket number>`` with the stack's environment: the
admin verifies the ticket (the citizen is told), it is dispatched and handled, and it is closed
as *Selesai* with a result for the citizen, each step through the service functions the back
office calls.
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.db import session_scope
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.service import transition
from lalisa.tickets.workflow import close_done, verify

ACTOR = "admin.uji"
RESULT = "Lapak PKL sudah ditertibkan dan trotoar dapat dilalui lagi."


async def _ticket(session: AsyncSession, number: str) -> Ticket:
    return (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()


async def close(number: str) -> None:
    """Verify, dispatch, handle and close ticket ``number``."""
    async with session_scope() as session:
        await verify(session, await _ticket(session, number), actor=ACTOR, expected_version=None)
    for status in (TicketStatus.DIDISPOSISIKAN, TicketStatus.DALAM_PENANGANAN):
        async with session_scope() as session:
            await transition(session, await _ticket(session, number), status, actor=ACTOR)
    async with session_scope() as session:
        await close_done(
            session,
            await _ticket(session, number),
            actor=ACTOR,
            result=RESULT,
            expected_version=None,
        )


if __name__ == "__main__":
    asyncio.run(close(sys.argv[1]))
