"""The recap's cohort and what it knows of each ticket: one query per fact, no text, no identity.

See :mod:`lalisa.reports.recap` for the definitions the facts serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.settings import SlaSettings, get_settings
from lalisa.reports.periods import (
    Period,
)
from lalisa.tickets.models import Reporter, Ticket, TicketEvent, TicketStatus
from lalisa.tickets.sla import ClockState, compute_sla, overdue_clause

# ---------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class RecapFilter:
    """What the recap covers.

    Attributes:
        period: Tickets received in this period.
        category: One category id, or ``None`` for all.
        kecamatan: One kecamatan name, or ``None`` for all.
        desa: One desa name (within :attr:`kecamatan`), or ``None`` for all.
    """

    period: Period
    category: str | None = None
    kecamatan: str | None = None
    desa: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on :class:`~lalisa.tickets.models.Ticket` selecting the cohort."""
        conditions: list[ColumnElement[bool]] = [
            Ticket.created_at >= self.period.start,
            Ticket.created_at < self.period.end,
        ]
        if self.category:
            conditions.append(Ticket.category == self.category)
        if self.kecamatan:
            conditions.append(Ticket.kecamatan == self.kecamatan)
        if self.desa:
            conditions.append(Ticket.desa == self.desa)
        return conditions


# ------------------------------------------------------------------------------------ facts


@dataclass(frozen=True)
class TicketFacts:
    """What the recap needs to know about one ticket (no complaint text, no identity).

    Attributes:
        reporter_ref: Stable pseudonym of the reporter (``P-`` + start of the blind index).
        first_dispatch_at: Earliest transition to *Didisposisikan*.
        reopened: The ticket was reopened at least once.
        overdue: Open and past a legal deadline at ``generated_at``.
        closed_late: Closed after its completion deadline.
    """

    id: int
    number: str
    category: str
    kecamatan: str | None
    desa: str | None
    status: TicketStatus
    reason_code: str | None
    redirected_to: str | None
    duplicate_of: str | None
    channel: str
    out_of_hours: bool
    reporter_ref: str
    created_at: datetime
    first_response_at: datetime | None
    first_dispatch_at: datetime | None
    on_site_at: datetime | None
    closed_at: datetime | None
    reopened: bool
    overdue: bool
    closed_late: bool

    def seconds_to(self, key: str) -> float | None:
        """Seconds from receipt to a milestone of :data:`DURATION_LABELS`, if reached."""
        if key == "closure" and self.status is TicketStatus.DUPLIKAT:
            return None
        end = {
            "first_response": self.first_response_at,
            "dispatch": self.first_dispatch_at,
            "arrival": self.on_site_at,
            "closure": self.closed_at,
        }[key]
        if end is None:
            return None
        return max(0.0, (end - self.created_at).total_seconds())


def _completion_late(ticket: Ticket, now: datetime, sla: SlaSettings, tz: ZoneInfo) -> bool:
    if ticket.closed_at is None:
        return False
    report = compute_sla(
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        verified_at=ticket.verified_at,
        dispatched_at=ticket.dispatched_at,
        on_site_at=ticket.on_site_at,
        closed_at=ticket.closed_at,
        now=now,
        settings=sla,
        tz=tz,
    )
    return any(
        clock.key == "completion" and clock.state is ClockState.TERLAMBAT for clock in report.clocks
    )


async def load_facts(
    session: AsyncSession,
    recap_filter: RecapFilter,
    *,
    now: datetime | None = None,
    sla: SlaSettings | None = None,
) -> list[TicketFacts]:
    """Load the cohort of a recap, oldest first.

    Args:
        session: A session (read only).
        recap_filter: The cohort.
        now: The moment the state is taken at (aware); defaults to now.
        sla: Deadlines; defaults to ``get_settings().sla``.

    Returns:
        One :class:`TicketFacts` per ticket.
    """
    now = now or datetime.now(timezone.utc)
    sla = sla or get_settings().sla
    tz = recap_filter.period.tz
    conditions = recap_filter.conditions()
    cohort = select(Ticket.id).where(*conditions).scalar_subquery()
    rows = (
        await session.execute(
            select(Ticket, Reporter.channel, Reporter.phone_blind_index)
            .join(Reporter, Reporter.id == Ticket.reporter_id)
            .where(*conditions)
            .order_by(Ticket.created_at, Ticket.id)
        )
    ).all()
    dispatch_rows = await session.execute(
        select(TicketEvent.ticket_id, func.min(TicketEvent.at))
        .where(
            TicketEvent.ticket_id.in_(cohort),
            TicketEvent.to_status == TicketStatus.DIDISPOSISIKAN.value,
        )
        .group_by(TicketEvent.ticket_id)
    )
    first_dispatch = {
        int(ticket_id): _aware(at) for ticket_id, at in dispatch_rows.all() if at is not None
    }
    reopened_rows = await session.execute(
        select(TicketEvent.ticket_id)
        .where(TicketEvent.ticket_id.in_(cohort), TicketEvent.event_type == "reopened")
        .distinct()
    )
    reopened = {int(ticket_id) for (ticket_id,) in reopened_rows.all()}
    overdue_rows = await session.execute(
        select(Ticket.id).where(*conditions, overdue_clause(now, sla))
    )
    overdue = {int(ticket_id) for (ticket_id,) in overdue_rows.all()}
    facts: list[TicketFacts] = []
    for ticket, channel, blind_index in rows:
        facts.append(
            TicketFacts(
                id=ticket.id,
                number=ticket.number,
                category=ticket.category,
                kecamatan=ticket.kecamatan,
                desa=ticket.desa,
                status=ticket.status,
                reason_code=ticket.closing_reason_code
                if ticket.status is TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI
                else None,
                redirected_to=ticket.redirected_to
                if ticket.status is TicketStatus.DIALIHKAN
                else None,
                duplicate_of=ticket.duplicate_of_number
                if ticket.status is TicketStatus.DUPLIKAT
                else None,
                channel=channel,
                out_of_hours=ticket.received_out_of_hours,
                reporter_ref=f"P-{blind_index[:10]}",
                created_at=ticket.created_at,
                first_response_at=ticket.first_response_at,
                first_dispatch_at=first_dispatch.get(ticket.id),
                on_site_at=ticket.on_site_at,
                closed_at=ticket.closed_at,
                reopened=ticket.id in reopened,
                overdue=ticket.id in overdue,
                closed_late=_completion_late(ticket, now, sla, tz),
            )
        )
    return facts


def _aware(value: datetime | str) -> datetime:
    # Defensive: drivers may hand back an aggregate of a timestamp as text or naive.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
