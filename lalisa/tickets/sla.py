"""Service-level clocks of a ticket: milestones, deadlines, overdue (pure arithmetic and SQL)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_

from lalisa.core.settings import Settings, SlaSettings, get_settings
from lalisa.office.hours import next_office_opening
from lalisa.tickets.labels import OPEN_STATUSES
from lalisa.tickets.models import Ticket


class ClockState(str, enum.Enum):
    """State of one service-level clock."""

    BERJALAN = "berjalan"
    """Running, deadline not reached."""
    TEPAT = "tepat"
    """Stopped in time."""
    TERLAMBAT = "terlambat"
    """Stopped after the deadline."""
    LEWAT = "lewat"
    """Running and past the deadline (overdue)."""

    @property
    def label(self) -> str:
        """Bahasa Indonesia label."""
        return {
            ClockState.BERJALAN: "Berjalan",
            ClockState.TEPAT: "Tepat waktu",
            ClockState.TERLAMBAT: "Terlambat",
            ClockState.LEWAT: "Lewat batas waktu",
        }[self]


@dataclass(frozen=True)
class SlaClock:
    """One deadline of a ticket.

    Attributes:
        key: ``first_response``, ``completion``, ``maximum`` or ``internal``.
        label: Bahasa Indonesia name.
        deadline: When it runs out.
        done_at: When the clock stopped, or ``None`` while running.
        state: See :class:`ClockState`.
        legal: True for the SP4N-LAPOR! deadlines (these make a ticket overdue); False for the
            internal target.
    """

    key: str
    label: str
    deadline: datetime
    done_at: datetime | None
    state: ClockState
    legal: bool

    @property
    def overdue(self) -> bool:
        """Running and past the deadline."""
        return self.state is ClockState.LEWAT


@dataclass(frozen=True)
class Milestone:
    """A step of the ticket's life (received, first response, …) and when it happened."""

    key: str
    label: str
    at: datetime | None


@dataclass(frozen=True)
class SlaReport:
    """The service-level clocks of one ticket."""

    milestones: tuple[Milestone, ...]
    clocks: tuple[SlaClock, ...]

    @property
    def overdue(self) -> bool:
        """A legal deadline passed while its clock is still running."""
        return any(clock.legal and clock.overdue for clock in self.clocks)

    @property
    def overdue_clocks(self) -> tuple[SlaClock, ...]:
        """The legal clocks past their deadline."""
        return tuple(clock for clock in self.clocks if clock.legal and clock.overdue)

    @property
    def internal_missed(self) -> bool:
        """The internal target passed (still running or stopped late)."""
        return any(
            not clock.legal and clock.state in (ClockState.LEWAT, ClockState.TERLAMBAT)
            for clock in self.clocks
        )


def _clock(
    key: str,
    label: str,
    deadline: datetime,
    done_at: datetime | None,
    now: datetime,
    *,
    legal: bool = True,
) -> SlaClock:
    if done_at is not None:
        state = ClockState.TEPAT if done_at <= deadline else ClockState.TERLAMBAT
    else:
        state = ClockState.LEWAT if now > deadline else ClockState.BERJALAN
    return SlaClock(key, label, deadline, done_at, state, legal)


def compute_sla(
    *,
    created_at: datetime,
    first_response_at: datetime | None,
    verified_at: datetime | None,
    dispatched_at: datetime | None,
    on_site_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
    settings: SlaSettings,
    tz: ZoneInfo,
    work_starts_at: datetime | None = None,
) -> SlaReport:
    """Compute the milestones and deadlines of a ticket (pure; no database, no clock).

    Deadlines count calendar days from receipt. *First response* stops at the first action
    after *Baru*; *completion* stops when the ticket is closed and allows
    ``field_check_days`` instead of ``completion_days`` once the TRC was dispatched; the
    *maximum* is the absolute limit. The internal target asks for the result by the end of
    the (local) day the work starts, ``internal_target_days`` later.

    Args:
        created_at: Receipt.
        first_response_at: First change away from *Baru*.
        verified_at: Verification.
        dispatched_at: Dispatch to the TRC.
        on_site_at: First arrival of the TRC at the location.
        closed_at: Closing (``None`` while open, also after reopening).
        now: The current time.
        settings: Deadlines.
        tz: The agency's time zone (for "end of the day").
        work_starts_at: When the internal clock starts (the next office opening for tickets
            received out of hours); defaults to ``created_at``.

    Returns:
        The report.
    """
    milestones = (
        Milestone("received", "Diterima", created_at),
        Milestone("first_response", "Respons pertama", first_response_at),
        Milestone("verified", "Diverifikasi", verified_at),
        Milestone("dispatched", "Didisposisikan ke TRC", dispatched_at),
        Milestone("on_site", "TRC tiba di lokasi", on_site_at),
        Milestone("closed", "Ditutup", closed_at),
    )
    first_done = first_response_at if first_response_at is not None else closed_at
    field_check = dispatched_at is not None
    completion_days = settings.field_check_days if field_check else settings.completion_days
    completion_label = (
        f"Penyelesaian dengan cek lapangan ({completion_days} hari)"
        if field_check
        else f"Penyelesaian ({completion_days} hari)"
    )
    clocks = [
        _clock(
            "first_response",
            f"Respons pertama ({settings.first_response_days} hari)",
            created_at + timedelta(days=settings.first_response_days),
            first_done,
            now,
        ),
        _clock(
            "completion",
            completion_label,
            created_at + timedelta(days=completion_days),
            closed_at,
            now,
        ),
        _clock(
            "maximum",
            f"Batas maksimum ({settings.max_days} hari)",
            created_at + timedelta(days=settings.max_days),
            closed_at,
            now,
        ),
    ]
    if settings.internal_target_days is not None:
        start = (work_starts_at or created_at).astimezone(tz)
        last_day = start.date() + timedelta(days=settings.internal_target_days)
        deadline = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz)
        label = (
            "Target internal: hasil di hari yang sama"
            if settings.internal_target_days == 0
            else f"Target internal: hasil dalam {settings.internal_target_days} hari"
        )
        clocks.append(_clock("internal", label, deadline, closed_at, now, legal=False))
    return SlaReport(milestones=milestones, clocks=tuple(clocks))


def sla_for_ticket(
    ticket: Ticket,
    *,
    now: datetime | None = None,
    settings: SlaSettings | None = None,
    app_settings: Settings | None = None,
) -> SlaReport:
    """Compute :func:`compute_sla` for a loaded ticket.

    Args:
        ticket: The ticket.
        now: Current time (aware); defaults to now.
        settings: Deadlines; defaults to ``get_settings().sla``.
        app_settings: Office hours and time zone (the effective ones from
            :mod:`lalisa.runtime_settings.service`); defaults to
            :func:`lalisa.core.settings.get_settings`.

    Returns:
        The report.
    """
    app_settings = app_settings or get_settings()
    work_starts_at = ticket.created_at
    if ticket.received_out_of_hours:
        try:
            work_starts_at = next_office_opening(ticket.created_at, settings=app_settings)
        except ValueError:
            work_starts_at = ticket.created_at
    return compute_sla(
        created_at=ticket.created_at,
        first_response_at=ticket.first_response_at,
        verified_at=ticket.verified_at,
        dispatched_at=ticket.dispatched_at,
        on_site_at=ticket.on_site_at,
        closed_at=ticket.closed_at,
        now=now or datetime.now(timezone.utc),
        settings=settings or app_settings.sla,
        tz=app_settings.office.tz,
        work_starts_at=work_starts_at,
    )


def overdue_clause(now: datetime, settings: SlaSettings) -> ColumnElement[bool]:
    """SQL condition of :attr:`SlaReport.overdue` (an open ticket past a legal deadline).

    Args:
        now: Current time (aware).
        settings: Deadlines.

    Returns:
        A condition on :class:`~lalisa.tickets.models.Ticket` for ``WHERE``.
    """

    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    return and_(
        Ticket.status.in_(OPEN_STATUSES),
        or_(
            and_(
                Ticket.first_response_at.is_(None),
                Ticket.created_at < before(settings.first_response_days),
            ),
            and_(
                Ticket.dispatched_at.is_(None),
                Ticket.created_at < before(settings.completion_days),
            ),
            and_(
                Ticket.dispatched_at.is_not(None),
                Ticket.created_at < before(settings.field_check_days),
            ),
        ),
    )
