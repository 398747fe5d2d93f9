"""Internal notes on a ticket (never shown to the citizen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.models import aware_now
from lalisa.tickets import errors
from lalisa.tickets.models import Ticket, TicketNote
from lalisa.tickets.workflow import clean_text, ticket_target
from lalisa.users.models import User


async def add_note(
    session: AsyncSession, ticket: Ticket, *, author: User, body: str, now: datetime | None = None
) -> TicketNote:
    """Add an internal note (no version check: notes never overwrite anything).

    Args:
        session: The unit of work.
        ticket: The ticket.
        author: The officer.
        body: The note.
        now: Time (aware).

    Returns:
        The note.

    Raises:
        WorkflowError: Empty or too long.
    """
    now = aware_now(now)
    text = clean_text(body, errors.LABEL_NOTE, required=True)
    assert text is not None
    note = TicketNote(
        ticket_id=ticket.id, at=now, author_id=author.id, author=author.username, body=text
    )
    session.add(note)
    await session.flush()
    await audit.record(
        session, actor=author.username, action=audit.TICKET_NOTE_ADDED, target=ticket_target(ticket)
    )
    return note
