"""The "Perlu petugas" list: who asked for a person, fell back twice or has a flagged ticket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.crypto import citizen_pseudonym
from lalisa.takeover.models import (
    HandoffReason,
    HandoffRequest,
    Takeover,
)
from lalisa.tickets.models import CLOSED_STATUSES, Reporter, Ticket

REASON_LABELS: Final[Mapping[str, str]] = {
    HandoffReason.REQUEST_HUMAN.value: "Warga meminta berbicara dengan petugas",
    HandoffReason.FALLBACK_TWICE.value: "Asisten dua kali berturut-turut tidak memahami warga",
    HandoffReason.TICKET_REVIEW.value: "Aduan ditandai perlu ditinjau (pelapor: belum selesai)",
}
"""Bahasa Indonesia labels of the reasons a conversation needs a person."""


@dataclass
class NeedsPersonEntry:
    """One citizen on the "needs a person" list.

    Attributes:
        sender_ref: Blind index of the citizen's sender id (used in links; not the number).
        pseudonym: Stable pseudonym shown to staff.
        reasons: Reason values (see :data:`REASON_LABELS`).
        since: Earliest open reason.
        latest: Latest activity of an open reason (a repeat, a new flag).
        out_of_hours: A request arrived outside working hours.
        flagged_tickets: Tickets flagged for review.
        open_tickets: The citizen's tickets that are not closed.
        takeover: The active takeover, if an admin holds the conversation.
    """

    sender_ref: str
    pseudonym: str
    reasons: list[str]
    since: datetime
    latest: datetime
    out_of_hours: bool = False
    flagged_tickets: list[Ticket] | None = None
    open_tickets: list[Ticket] | None = None
    takeover: Takeover | None = None

    @property
    def reason_labels(self) -> list[str]:
        """The reasons in Bahasa Indonesia."""
        return [REASON_LABELS[reason] for reason in self.reasons]


async def needs_person(session: AsyncSession) -> list[NeedsPersonEntry]:
    """Every citizen who needs a person or is being answered by one, newest need first.

    Args:
        session: Any session.

    Returns:
        Entries with open requests or flagged tickets (waiting, or already taken over) plus
        the conversations currently taken over.
    """
    entries: dict[str, NeedsPersonEntry] = {}

    def entry(sender_ref: str, at: datetime) -> NeedsPersonEntry:
        found = entries.get(sender_ref)
        if found is None:
            found = NeedsPersonEntry(
                sender_ref, citizen_pseudonym(sender_ref), [], at, at, False, [], []
            )
            entries[sender_ref] = found
        return found

    requests = (
        await session.execute(
            select(HandoffRequest)
            .where(HandoffRequest.resolved_at.is_(None))
            .order_by(HandoffRequest.created_at)
        )
    ).scalars()
    for request in requests:
        item = entry(request.sender_ref, request.created_at)
        item.reasons.append(request.reason)
        item.since = min(item.since, request.created_at)
        item.latest = max(item.latest, request.last_seen_at)
        item.out_of_hours = item.out_of_hours or request.out_of_hours
    flagged = await session.execute(
        select(Ticket, Reporter.phone_blind_index)
        .join(Reporter, Reporter.id == Ticket.reporter_id)
        .where(Ticket.review_flagged_at.is_not(None))
        .order_by(Ticket.review_flagged_at)
    )
    for ticket, sender_ref in flagged.all():
        flagged_at = ticket.review_flagged_at
        assert flagged_at is not None
        item = entry(sender_ref, flagged_at)
        if HandoffReason.TICKET_REVIEW.value not in item.reasons:
            item.reasons.append(HandoffReason.TICKET_REVIEW.value)
        assert item.flagged_tickets is not None
        item.flagged_tickets.append(ticket)
        item.since = min(item.since, flagged_at)
        item.latest = max(item.latest, flagged_at)
    takeovers = (
        await session.execute(select(Takeover).where(Takeover.ended_at.is_(None)))
    ).scalars()
    for takeover in takeovers:
        entry(takeover.sender_ref, takeover.taken_at).takeover = takeover
    if entries:
        tickets = await session.execute(
            select(Ticket, Reporter.phone_blind_index)
            .join(Reporter, Reporter.id == Ticket.reporter_id)
            .where(
                Reporter.phone_blind_index.in_(list(entries)),
                Ticket.status.not_in(list(CLOSED_STATUSES)),
            )
            .order_by(Ticket.created_at.desc())
        )
        for ticket, sender_ref in tickets.all():
            open_list = entries[sender_ref].open_tickets
            assert open_list is not None
            open_list.append(ticket)
    return sorted(entries.values(), key=lambda item: item.latest, reverse=True)


def waiting(entries: list[NeedsPersonEntry]) -> list[NeedsPersonEntry]:
    """The entries nobody has taken over yet."""
    return [item for item in entries if item.takeover is None and item.reasons]
