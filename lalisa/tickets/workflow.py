"""The back-office complaint workflow (SOP steps 5–12) on top of :mod:`lalisa.tickets.service`.

Every status change goes through :func:`lalisa.tickets.service.transition` (the one transition
function). The functions here add what each step needs around it, in the caller's transaction:

* the closing details (reason code and citizen-facing explanation, agency, original ticket),
* the citizen's WhatsApp message, queued in the durable outbox together with the change
  (:mod:`lalisa.notifications`), and the TRC's dispatch message,
* an audit-log entry (:mod:`lalisa.core.audit`) and, for changes that are not status changes
  (TRC departed/arrived, field report, "belum selesai"), a
  :class:`~lalisa.tickets.models.TicketEvent`,
* the optimistic version check: a form carries ``Ticket.version``; a stale form raises
  :class:`~lalisa.tickets.service.ConcurrentUpdate` and nothing is written.

Nothing here commits. When a function raises, the caller must roll back (the back office
runs each action in a savepoint), so no message is queued for a change that did not happen.

It also computes the service-level clocks (:func:`compute_sla`, a pure function) and offers
:func:`flag_for_review`, called by the assistant when a citizen answers "belum selesai".
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.models import aware_now
from lalisa.core.settings import Settings, SettingsError, get_settings, read_env
from lalisa.dispatch.models import (
    TRC_ROLES,
    Dispatch,
    DispatchOfficer,
    DispatchStatus,
    FieldOutcome,
    FieldReport,
    FieldReportPhoto,
    Priority,
)
from lalisa.dispatch.photos import MAX_PHOTOS, StoredPhoto
from lalisa.dispatch.service import officer_phone
from lalisa.notifications.messages import (
    NotificationContent,
    Wording,
    citizen_dispatched,
    citizen_done,
    citizen_duplicate,
    citizen_not_actionable,
    citizen_redirected,
    citizen_reopened,
    citizen_verified,
    enqueue_citizen_update,
    enqueue_trc_dispatch,
    trc_dispatch,
)
from lalisa.notifications.models import OutboxMessage
from lalisa.office.hours import next_office_opening
from lalisa.runtime_settings.service import load_effective_settings
from lalisa.survey.service import SURVEY_OUTCOMES, invite_after_close
from lalisa.tickets import errors
from lalisa.tickets.categories import category_label
from lalisa.tickets.models import (
    CLOSED_STATUSES,
    Reporter,
    Ticket,
    TicketEvent,
    TicketNote,
    TicketStatus,
)
from lalisa.tickets.service import ConcurrentUpdate, parse_ticket_number, transition
from lalisa.users.models import User

__all__ = [
    "DEFAULT_EXPLANATIONS",
    "EVENT_LABELS",
    "OPEN_STATUSES",
    "REASON_CODES",
    "STAFF_STATUS_LABELS",
    "ClockState",
    "Milestone",
    "RevealedIdentity",
    "SlaClock",
    "SlaReport",
    "SlaSettings",
    "WorkflowError",
    "add_note",
    "backoffice_public_url",
    "clear_review_flag",
    "close_done",
    "compute_sla",
    "dispatch_ticket",
    "file_field_report",
    "flag_for_review",
    "get_sla_settings",
    "load_sla_settings",
    "lock_ticket",
    "mark_arrived",
    "mark_departed",
    "mark_duplicate",
    "overdue_clause",
    "redirect",
    "refuse",
    "reopen",
    "reset_workflow_settings_cache",
    "reveal_identity",
    "sla_for_ticket",
    "verify",
]

S = TicketStatus

OPEN_STATUSES: Final = tuple(status for status in TicketStatus if status not in CLOSED_STATUSES)
"""Statuses of tickets still being worked on."""

STAFF_STATUS_LABELS: Final[Mapping[TicketStatus, str]] = {
    S.BARU: "Baru",
    S.DIVERIFIKASI: "Diverifikasi",
    S.DIDISPOSISIKAN: "Didisposisikan (TRC)",
    S.DALAM_PENANGANAN: "Dalam penanganan",
    S.SELESAI: "Selesai",
    S.TIDAK_DAPAT_DITINDAKLANJUTI: "Tidak dapat ditindaklanjuti",
    S.DIALIHKAN: "Dialihkan",
    S.DUPLIKAT: "Duplikat",
}
"""Status names for officers (the citizen-facing ones are :attr:`TicketStatus.label`)."""

REASON_CODES: Final[Mapping[str, str]] = {
    "bukan_kewenangan": "Bukan kewenangan Satpol PP",
    "lokasi_tidak_ditemukan": "Lokasi tidak ditemukan",
    "bukti_tidak_cukup": "Bukti tidak cukup",
    "pelanggaran_tidak_ditemukan": "Pelanggaran tidak ditemukan di lapangan",
    "lainnya": "Lainnya",
}
"""Reason codes of *Tidak dapat ditindaklanjuti* (fixed list) and their labels."""

DEFAULT_EXPLANATIONS: Final[Mapping[str, str]] = {
    "bukan_kewenangan": (
        "Masalah yang Anda laporkan bukan kewenangan Satpol PP Kabupaten Balangan."
    ),
    "lokasi_tidak_ditemukan": (
        "Petugas tidak dapat menemukan lokasi yang Anda sebutkan. Silakan kirim laporan baru "
        "dengan lokasi yang lebih jelas (kirim lokasi/sharelok)."
    ),
    "bukti_tidak_cukup": (
        "Keterangan dan bukti yang ada belum cukup untuk ditindaklanjuti. Silakan kirim laporan "
        "baru dengan keterangan dan foto yang lebih lengkap."
    ),
    "pelanggaran_tidak_ditemukan": (
        "Petugas sudah memeriksa lokasi, tetapi pelanggaran yang dilaporkan tidak ditemukan "
        "saat pemeriksaan."
    ),
    "lainnya": "",
}
"""Suggested citizen-facing explanations (the form is prefilled; the officer may edit)."""

EVENT_LABELS: Final[Mapping[str, str]] = {
    "created": "Aduan diterima",
    "status_changed": "Status diubah",
    "reopened": "Dibuka kembali",
    "trc_departed": "TRC berangkat",
    "trc_arrived": "TRC tiba di lokasi",
    "field_report": "Laporan lapangan",
    "flagged_for_review": "Pelapor: belum selesai (perlu ditinjau)",
    "review_cleared": "Tanda tinjau dihapus",
}
"""Labels of ``TicketEvent.event_type`` values."""

MAX_TEXT: Final = 4000
"""Longest free text accepted from a form field."""
MAX_SHORT_TEXT: Final = 255
MAX_CITIZEN_TEXT: Final = 1500
"""Longest text that is sent to the citizen (the whole message must stay under 4096)."""
MAX_CONTACT: Final = 300
MIN_REVEAL_REASON: Final = 5


class WorkflowError(ValueError):
    """A workflow action refused for a reason the officer can fix (message in Indonesian)."""


# ------------------------------------------------------------------------------- settings

_SLA_VARIABLES = {
    "first_response_days": "LALISA_SLA_FIRST_RESPONSE_DAYS",
    "completion_days": "LALISA_SLA_COMPLETION_DAYS",
    "field_check_days": "LALISA_SLA_FIELD_CHECK_DAYS",
    "max_days": "LALISA_SLA_MAX_DAYS",
}


@dataclass(frozen=True)
class SlaSettings:
    """Service-level deadlines, in calendar days from receipt (defaults: SP4N-LAPOR!).

    Attributes:
        first_response_days: First response, i.e. any action after *Baru*
            (``LALISA_SLA_FIRST_RESPONSE_DAYS``, 3).
        completion_days: Closing without a field check (``LALISA_SLA_COMPLETION_DAYS``, 5).
        field_check_days: Closing when the TRC was dispatched
            (``LALISA_SLA_FIELD_CHECK_DAYS``, 14).
        max_days: Absolute upper limit (``LALISA_SLA_MAX_DAYS``, 60).
        internal_target_days: Internal target for the result: closed by the end of the day
            the work starts (0), or that many days later; ``None`` turns it off
            (``LALISA_SLA_INTERNAL_TARGET_DAYS``, 0; ``off`` to disable).
    """

    first_response_days: int = 3
    completion_days: int = 5
    field_check_days: int = 14
    max_days: int = 60
    internal_target_days: int | None = 0

    def __post_init__(self) -> None:
        """Refuse deadlines that contradict each other."""
        for name in _SLA_VARIABLES:
            if getattr(self, name) < 1:
                raise SettingsError(f"{_SLA_VARIABLES[name]} must be at least 1")
        if not self.completion_days <= self.field_check_days <= self.max_days:
            raise SettingsError(
                "SLA deadlines must satisfy completion <= field check <= maximum days"
            )
        if self.internal_target_days is not None and self.internal_target_days < 0:
            raise SettingsError("LALISA_SLA_INTERNAL_TARGET_DAYS must be 0 or more, or off")


def load_sla_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | Literal["default"] | None = "default",
) -> SlaSettings:
    """Read the SLA deadlines from the environment and ``.env`` (process environment wins).

    Args:
        environ: Process environment; defaults to :data:`os.environ`.
        env_file: ``.env`` path, ``None`` for none, or ``"default"``.

    Returns:
        The settings.

    Raises:
        SettingsError: A value is not a whole number or the deadlines contradict each other.
    """
    env = read_env(environ, env_file)
    values: dict[str, Any] = {}
    for field_name, variable in _SLA_VARIABLES.items():
        raw = (env.get(variable) or "").strip()
        if raw:
            try:
                values[field_name] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"{variable} must be a whole number, got {raw!r}") from exc
    raw_internal = (env.get("LALISA_SLA_INTERNAL_TARGET_DAYS") or "").strip().lower()
    if raw_internal in {"off", "no", "false", "-"}:
        values["internal_target_days"] = None
    elif raw_internal:
        try:
            values["internal_target_days"] = int(raw_internal)
        except ValueError as exc:
            raise SettingsError(
                f"LALISA_SLA_INTERNAL_TARGET_DAYS must be a whole number or off, "
                f"got {raw_internal!r}"
            ) from exc
    return SlaSettings(**values)


@functools.lru_cache(maxsize=1)
def get_sla_settings() -> SlaSettings:
    """Return the process-wide SLA settings (read once)."""
    return load_sla_settings()


@functools.lru_cache(maxsize=1)
def backoffice_public_url() -> str | None:
    """Return ``BACKOFFICE_PUBLIC_URL`` (the address officers open, for links in messages).

    Returns:
        The URL without a trailing slash, or ``None`` when not configured (the back office
        then uses the address of the request).
    """
    value = (read_env(None, "default").get("BACKOFFICE_PUBLIC_URL") or "").strip()
    return value.rstrip("/") or None


def reset_workflow_settings_cache() -> None:
    """Forget cached workflow settings (tests)."""
    get_sla_settings.cache_clear()
    backoffice_public_url.cache_clear()


# ------------------------------------------------------------------------------------ SLA


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
        settings: Deadlines; defaults to :func:`get_sla_settings`.
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
        settings=settings or get_sla_settings(),
        tz=app_settings.tz,
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


# ---------------------------------------------------------------------------- helpers


def _text(value: str | None, what: str, *, required: bool, limit: int = MAX_TEXT) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise WorkflowError(errors.FIELD_REQUIRED.format(what=what))
        return None
    if len(text) > limit:
        raise WorkflowError(errors.FIELD_TOO_LONG.format(what=what, limit=limit))
    return text


async def lock_ticket(session: AsyncSession, ticket: Ticket, expected_version: int | None) -> None:
    """Reload a ticket under a row lock and check the version a form carried.

    Args:
        session: The unit of work.
        ticket: The ticket (reloaded in place).
        expected_version: The form's version; ``None`` skips the check.

    Raises:
        ConcurrentUpdate: Somebody changed the ticket since the form was built.
    """
    await session.flush()
    await session.refresh(ticket, with_for_update=True)
    if expected_version is not None and ticket.version != expected_version:
        raise ConcurrentUpdate(expected_version, ticket.version)


def _bump(ticket: Ticket, now: datetime) -> None:
    ticket.version = ticket.version + 1
    ticket.updated_at = now


async def _event(
    session: AsyncSession,
    ticket: Ticket,
    event_type: str,
    actor: str,
    note: str | None,
    now: datetime,
) -> TicketEvent:
    entry = TicketEvent(
        ticket_id=ticket.id,
        at=now,
        actor=actor,
        event_type=event_type,
        from_status=ticket.status.value,
        to_status=ticket.status.value,
        note=note,
    )
    session.add(entry)
    await session.flush()
    return entry


async def _wording(session: AsyncSession) -> Wording:
    # Texts edited on /pengaturan; loaded before the pure message builders run.
    return (await load_effective_settings(session)).wording()


async def _tell_citizen(
    session: AsyncSession,
    ticket: Ticket,
    change: TicketEvent,
    content: NotificationContent,
    now: datetime,
) -> OutboxMessage | None:
    message = await enqueue_citizen_update(session, ticket, change, content, now=now)
    # Issue 6: closing outcomes that rate a service invite the citizen to the SKM survey, in
    # the same transaction (queued after the closing message, so it arrives second).
    if ticket.status in SURVEY_OUTCOMES:
        await invite_after_close(session, ticket, now=now, wording=await _wording(session))
    return message


async def _close_open_dispatches(
    session: AsyncSession, ticket: Ticket, now: datetime, *, reported: Dispatch | None = None
) -> None:
    query = select(Dispatch).where(Dispatch.ticket_id == ticket.id, Dispatch.closed_at.is_(None))
    for dispatch in (await session.execute(query)).scalars():
        if reported is not None and dispatch.id == reported.id:
            dispatch.status = DispatchStatus.DILAPORKAN
            dispatch.reported_at = now
        else:
            dispatch.status = DispatchStatus.DITUTUP
        dispatch.closed_at = now
    await session.flush()


def _target(ticket: Ticket) -> str:
    return f"ticket:{ticket.number}"


def _clear_closing(ticket: Ticket) -> None:
    ticket.closing_reason_code = None
    ticket.closing_explanation = None
    ticket.closing_contact = None
    ticket.redirected_to = None
    ticket.duplicate_of_number = None


# ---------------------------------------------------------------------------- actions


async def verify(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    expected_version: int | None,
    note: str | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Baru → Diverifikasi, and tell the citizen.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username of the admin.
        expected_version: Version of the form.
        note: Optional note for the history.
        now: Time (aware).

    Returns:
        The transition event.
    """
    now = aware_now(now)
    note = _text(note, errors.LABEL_NOTE, required=False)
    change = await transition(
        session,
        ticket,
        S.DIVERIFIKASI,
        actor=actor,
        reason=note,
        now=now,
        expected_version=expected_version,
    )
    await _tell_citizen(
        session,
        ticket,
        change,
        citizen_verified(ticket.number, wording=await _wording(session)),
        now,
    )
    await audit.record(session, actor=actor, action=audit.TICKET_VERIFIED, target=_target(ticket))
    return change


async def refuse(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    reason_code: str,
    explanation: str,
    contact: str | None = None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Close as *Tidak dapat ditindaklanjuti* with a reason code and an explanation.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        reason_code: One of :data:`REASON_CODES`.
        explanation: Citizen-facing explanation (mandatory; sent to the citizen).
        contact: Who the citizen can contact instead, where it applies.
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: Unknown reason code, or no explanation.
    """
    now = aware_now(now)
    if reason_code not in REASON_CODES:
        raise WorkflowError(errors.CHOOSE_REASON)
    explanation_text = _text(
        explanation, errors.LABEL_EXPLANATION, required=True, limit=MAX_CITIZEN_TEXT
    )
    assert explanation_text is not None
    contact_text = _text(contact, errors.LABEL_CONTACT, required=False, limit=MAX_CONTACT)
    change = await transition(
        session,
        ticket,
        S.TIDAK_DAPAT_DITINDAKLANJUTI,
        actor=actor,
        reason=f"{REASON_CODES[reason_code]}: {explanation_text}",
        now=now,
        expected_version=expected_version,
    )
    _clear_closing(ticket)
    ticket.closing_reason_code = reason_code
    ticket.closing_explanation = explanation_text
    ticket.closing_contact = contact_text
    await _close_open_dispatches(session, ticket, now)
    content = citizen_not_actionable(
        ticket.number, explanation_text, contact_text, wording=await _wording(session)
    )
    await _tell_citizen(session, ticket, change, content, now)
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_REFUSED,
        target=_target(ticket),
        detail={"reason_code": reason_code},
    )
    return change


async def redirect(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    agency: str,
    reason: str | None = None,
    contact: str | None = None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Close as *Dialihkan* to another agency (named), and tell the citizen who handles it.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        agency: The agency now in charge (mandatory).
        reason: Optional explanation for the citizen.
        contact: Optional contact of that agency.
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: No agency.
    """
    now = aware_now(now)
    agency_text = _text(agency, errors.LABEL_AGENCY, required=True, limit=MAX_SHORT_TEXT)
    assert agency_text is not None
    reason_text = _text(
        reason, errors.LABEL_REDIRECT_REASON, required=False, limit=MAX_CITIZEN_TEXT
    )
    contact_text = _text(contact, errors.LABEL_AGENCY_CONTACT, required=False, limit=MAX_CONTACT)
    change = await transition(
        session,
        ticket,
        S.DIALIHKAN,
        actor=actor,
        reason=f"Dialihkan ke {agency_text}" + (f": {reason_text}" if reason_text else ""),
        now=now,
        expected_version=expected_version,
    )
    _clear_closing(ticket)
    ticket.redirected_to = agency_text
    ticket.closing_explanation = reason_text
    ticket.closing_contact = contact_text
    await _close_open_dispatches(session, ticket, now)
    content = citizen_redirected(
        ticket.number,
        agency_text,
        reason=reason_text,
        contact=contact_text,
        wording=await _wording(session),
    )
    await _tell_citizen(session, ticket, change, content, now)
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_REDIRECTED,
        target=_target(ticket),
        detail={"agency": agency_text},
    )
    return change


async def mark_duplicate(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    original_number: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Close as *Duplikat* of another existing ticket.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        original_number: Number of the ticket it duplicates (any accepted spelling).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: The number is malformed, unknown, or the ticket itself.
    """
    now = aware_now(now)
    canonical = parse_ticket_number(original_number or "")
    if canonical is None:
        raise WorkflowError(errors.DUPLICATE_NUMBER_MISSING)
    if canonical == ticket.number:
        raise WorkflowError(errors.DUPLICATE_OF_ITSELF)
    exists = (
        await session.execute(select(Ticket.id).where(Ticket.number == canonical))
    ).scalar_one_or_none()
    if exists is None:
        raise WorkflowError(errors.DUPLICATE_ORIGINAL_UNKNOWN.format(number=canonical))
    change = await transition(
        session,
        ticket,
        S.DUPLIKAT,
        actor=actor,
        reason=f"Duplikat dari {canonical}",
        now=now,
        expected_version=expected_version,
    )
    _clear_closing(ticket)
    ticket.duplicate_of_number = canonical
    await _close_open_dispatches(session, ticket, now)
    await _tell_citizen(
        session,
        ticket,
        change,
        citizen_duplicate(ticket.number, canonical, wording=await _wording(session)),
        now,
    )
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_DUPLICATE,
        target=_target(ticket),
        detail={"original": canonical},
    )
    return change


async def close_done(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    result: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Dalam penanganan → Selesai, with an optional result text for the citizen.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        result: What was done, in words fit for the citizen (optional).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.
    """
    now = aware_now(now)
    result_text = _text(result, errors.LABEL_RESULT, required=False, limit=MAX_CITIZEN_TEXT)
    change = await transition(
        session,
        ticket,
        S.SELESAI,
        actor=actor,
        reason=result_text,
        now=now,
        expected_version=expected_version,
    )
    _clear_closing(ticket)
    ticket.closing_explanation = result_text
    await _close_open_dispatches(session, ticket, now)
    await _tell_citizen(
        session,
        ticket,
        change,
        citizen_done(ticket.number, result_text, wording=await _wording(session)),
        now,
    )
    await audit.record(session, actor=actor, action=audit.TICKET_CLOSED, target=_target(ticket))
    return change


async def reopen(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    reason: str,
    citizen_reason: str | None = None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Reopen a closed ticket (back to *Baru*) with a mandatory reason; tell the citizen.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        reason: Internal reason (mandatory, kept in the history).
        citizen_reason: Reason told to the citizen (optional; a generic text otherwise).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The transition event.

    Raises:
        WorkflowError: No reason.
    """
    now = aware_now(now)
    reason_text = _text(reason, errors.LABEL_REOPEN_REASON, required=True)
    citizen_text = _text(
        citizen_reason, errors.LABEL_CITIZEN_REASON, required=False, limit=MAX_CITIZEN_TEXT
    )
    change = await transition(
        session,
        ticket,
        S.BARU,
        actor=actor,
        reason=reason_text,
        now=now,
        expected_version=expected_version,
    )
    _clear_closing(ticket)
    ticket.review_flagged_at = None
    ticket.review_note = None
    await _tell_citizen(
        session,
        ticket,
        change,
        citizen_reopened(ticket.number, citizen_text, wording=await _wording(session)),
        now,
    )
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_REOPENED,
        target=_target(ticket),
        detail={"reason": reason_text},
    )
    return change


async def dispatch_ticket(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    officers: Sequence[User],
    priority: str,
    instructions: str | None,
    base_url: str,
    expected_version: int | None,
    now: datetime | None = None,
) -> Dispatch:
    """Diverifikasi → Didisposisikan: assign TRC officers and send them the dispatch message.

    The citizen is told the ticket went to the TRC. Each officer with a stored WhatsApp
    number gets the dispatch message (category, place, map link, link to the dispatch page),
    which never carries the reporter's identity.

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username of the verifikator.
        officers: Active users with a TRC role (at least one).
        priority: One of :class:`~lalisa.dispatch.models.Priority`.
        instructions: Instructions for the team.
        base_url: Address of the back office for the link (``https://…``, no trailing slash).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The new dispatch.

    Raises:
        WorkflowError: No officer, an officer who is not active TRC, or an unknown priority.
    """
    now = aware_now(now)
    if not officers:
        raise WorkflowError(errors.CHOOSE_OFFICER)
    for officer in officers:
        if officer.role not in TRC_ROLES or not officer.active:
            raise WorkflowError(errors.NOT_ACTIVE_TRC.format(name=officer.full_name))
    try:
        chosen = Priority(priority)
    except ValueError as exc:
        raise WorkflowError(errors.CHOOSE_PRIORITY) from exc
    instructions_text = _text(instructions, errors.LABEL_INSTRUCTIONS, required=False)
    unique = {officer.id: officer for officer in officers}
    names = ", ".join(officer.full_name for officer in unique.values())
    change = await transition(
        session,
        ticket,
        S.DIDISPOSISIKAN,
        actor=actor,
        reason=f"Ditugaskan ke {names}; prioritas {chosen.label.lower()}"
        + (f". Instruksi: {instructions_text}" if instructions_text else ""),
        now=now,
        expected_version=expected_version,
    )
    dispatch = Dispatch(
        ticket_id=ticket.id,
        created_at=now,
        assigned_by=actor,
        priority=chosen,
        instructions=instructions_text,
        status=DispatchStatus.DITUGASKAN,
    )
    session.add(dispatch)
    await session.flush()
    for officer_id in unique:
        session.add(DispatchOfficer(dispatch_id=dispatch.id, user_id=officer_id))
    await session.flush()

    wording = await _wording(session)
    await _tell_citizen(
        session, ticket, change, citizen_dispatched(ticket.number, wording=wording), now
    )
    place = ", ".join(
        part for part in (ticket.location_text, ticket.desa, ticket.kecamatan) if part
    )
    content = trc_dispatch(
        ticket.number,
        category=category_label(ticket.category),
        place=place or None,
        latitude=ticket.latitude,
        longitude=ticket.longitude,
        priority=chosen.label,
        instructions=instructions_text,
        dispatch_url=f"{base_url.rstrip('/')}/trc/{dispatch.id}",
        wording=wording,
    )
    messaged: list[int] = []
    for officer_id in unique:
        phone = await officer_phone(session, officer_id)
        if phone is None:
            continue
        await enqueue_trc_dispatch(
            session,
            ticket_id=ticket.id,
            officer_phone=phone,
            officer_ref=f"user:{officer_id}",
            content=content,
            idempotency_key=f"trc_dispatch:{dispatch.id}:{officer_id}",
            now=now,
        )
        messaged.append(officer_id)
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_DISPATCHED,
        target=_target(ticket),
        detail={
            "dispatch": dispatch.id,
            "officers": sorted(unique),
            "priority": chosen.value,
            "messaged": messaged,
        },
    )
    return dispatch


async def _dispatch_ticket_locked(
    session: AsyncSession, dispatch: Dispatch, expected_version: int | None
) -> Ticket:
    if dispatch.closed_at is not None:
        raise WorkflowError(errors.DISPATCH_CLOSED)
    ticket = await session.get(Ticket, dispatch.ticket_id)
    if ticket is None:  # pragma: no cover - foreign key
        raise WorkflowError(errors.TICKET_NOT_FOUND)
    await lock_ticket(session, ticket, expected_version)
    if ticket.status not in (S.DIDISPOSISIKAN, S.DALAM_PENANGANAN):
        raise WorkflowError(errors.NOT_WITH_TRC)
    return ticket


async def _record_trc_step(
    session: AsyncSession,
    ticket: Ticket,
    dispatch: Dispatch,
    event_type: str,
    action: str,
    actor: str,
    now: datetime,
) -> TicketEvent:
    """Bumps the ticket and logs one TRC step as a ticket event and an audit entry."""
    _bump(ticket, now)
    entry = await _event(session, ticket, event_type, actor, None, now)
    await audit.record(
        session,
        actor=actor,
        action=action,
        target=_target(ticket),
        detail={"dispatch": dispatch.id},
    )
    return entry


async def mark_departed(
    session: AsyncSession,
    dispatch: Dispatch,
    *,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Record that the team left for the location ("Berangkat").

    Args:
        session: The unit of work.
        dispatch: The dispatch.
        actor: Username of the officer.
        expected_version: Ticket version of the page.
        now: Time (aware).

    Returns:
        The ticket event.

    Raises:
        WorkflowError: The dispatch is closed or the team already left.
    """
    now = aware_now(now)
    ticket = await _dispatch_ticket_locked(session, dispatch, expected_version)
    if dispatch.departed_at is not None:
        raise WorkflowError(errors.ALREADY_DEPARTED)
    dispatch.departed_at = now
    if dispatch.status is DispatchStatus.DITUGASKAN:
        dispatch.status = DispatchStatus.BERANGKAT
    return await _record_trc_step(
        session, ticket, dispatch, "trc_departed", audit.TICKET_TRC_DEPARTED, actor, now
    )


async def mark_arrived(
    session: AsyncSession,
    dispatch: Dispatch,
    *,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketEvent:
    """Record that the team reached the location ("Tiba di lokasi"); starts the on-site clock.

    Args:
        session: The unit of work.
        dispatch: The dispatch.
        actor: Username of the officer.
        expected_version: Ticket version of the page.
        now: Time (aware).

    Returns:
        The ticket event.

    Raises:
        WorkflowError: The dispatch is closed or arrival was already recorded.
    """
    now = aware_now(now)
    ticket = await _dispatch_ticket_locked(session, dispatch, expected_version)
    if dispatch.arrived_at is not None:
        raise WorkflowError(errors.ALREADY_ARRIVED)
    if dispatch.departed_at is None:
        dispatch.departed_at = now
    dispatch.arrived_at = now
    dispatch.status = DispatchStatus.TIBA
    if ticket.on_site_at is None:
        ticket.on_site_at = now
    return await _record_trc_step(
        session, ticket, dispatch, "trc_arrived", audit.TICKET_TRC_ARRIVED, actor, now
    )


async def file_field_report(
    session: AsyncSession,
    dispatch: Dispatch,
    *,
    author: User,
    findings: str,
    actions_taken: str,
    outcome: str,
    citizen_message: str | None,
    photos: Sequence[StoredPhoto] = (),
    expected_version: int | None,
    now: datetime | None = None,
) -> FieldReport:
    """Save the TRC's field report and move the ticket on.

    * ``dalam_penanganan``: Didisposisikan → Dalam penanganan (the dispatch stays open).
    * ``selesai``: → Dalam penanganan → Selesai; the citizen hears the result.
    * ``tidak_ditemukan``: → Tidak dapat ditindaklanjuti with reason
      ``pelanggaran_tidak_ditemukan``; the citizen-facing message is mandatory.

    Args:
        session: The unit of work.
        dispatch: The dispatch.
        author: The officer filing it.
        findings: What was found (mandatory).
        actions_taken: What was done (mandatory).
        outcome: One of :class:`~lalisa.dispatch.models.FieldOutcome`.
        citizen_message: Result in words for the citizen.
        photos: Photos already stored by :func:`lalisa.dispatch.models.store_photo`.
        expected_version: Ticket version of the page.
        now: Time (aware).

    Returns:
        The report.

    Raises:
        WorkflowError: Missing text, unknown outcome, too many photos, closed dispatch, or a
            ticket no longer with the TRC.
    """
    now = aware_now(now)
    findings_text = _text(findings, errors.LABEL_FINDINGS, required=True)
    actions_text = _text(actions_taken, errors.LABEL_ACTIONS_TAKEN, required=True)
    assert findings_text is not None and actions_text is not None
    try:
        chosen = FieldOutcome(outcome)
    except ValueError as exc:
        raise WorkflowError(errors.CHOOSE_OUTCOME) from exc
    message = _text(
        citizen_message,
        errors.LABEL_CITIZEN_MESSAGE,
        required=chosen is FieldOutcome.TIDAK_DITEMUKAN,
        limit=MAX_CITIZEN_TEXT,
    )
    if len(photos) > MAX_PHOTOS:
        raise WorkflowError(errors.TOO_MANY_PHOTOS.format(limit=MAX_PHOTOS))
    ticket = await _dispatch_ticket_locked(session, dispatch, expected_version)
    # A report is filed on site: record the arrival if the team did not press the button.
    if dispatch.departed_at is None:
        dispatch.departed_at = now
    if dispatch.arrived_at is None:
        dispatch.arrived_at = now
    if ticket.on_site_at is None:
        ticket.on_site_at = dispatch.arrived_at

    report = FieldReport(
        dispatch_id=dispatch.id,
        ticket_id=ticket.id,
        at=now,
        author_id=author.id,
        author=author.username,
        findings=findings_text,
        actions_taken=actions_text,
        outcome=chosen,
        citizen_message=message,
    )
    session.add(report)
    await session.flush()
    for photo in photos:
        session.add(
            FieldReportPhoto(
                report_id=report.id,
                mime_type=photo.mime_type,
                sha256=photo.sha256,
                size_bytes=photo.size_bytes,
                path=photo.path,
                original_name=photo.original_name,
                created_at=now,
            )
        )
    await session.flush()

    actor = author.username
    summary = f"{chosen.label}. Temuan: {findings_text} Tindakan: {actions_text}"
    await _event(session, ticket, "field_report", actor, summary[:MAX_TEXT], now)
    if ticket.status is S.DIDISPOSISIKAN and chosen is not FieldOutcome.TIDAK_DITEMUKAN:
        await transition(session, ticket, S.DALAM_PENANGANAN, actor=actor, now=now)
        await audit.record(
            session, actor=actor, action=audit.TICKET_IN_PROGRESS, target=_target(ticket)
        )
    if chosen is FieldOutcome.DALAM_PENANGANAN:
        dispatch.status = DispatchStatus.TIBA
        _bump(ticket, now)
    elif chosen is FieldOutcome.SELESAI:
        change = await transition(session, ticket, S.SELESAI, actor=actor, reason=message, now=now)
        _clear_closing(ticket)
        ticket.closing_explanation = message
        await _close_open_dispatches(session, ticket, now, reported=dispatch)
        await _tell_citizen(
            session,
            ticket,
            change,
            citizen_done(ticket.number, message, wording=await _wording(session)),
            now,
        )
        await audit.record(session, actor=actor, action=audit.TICKET_CLOSED, target=_target(ticket))
    else:
        assert message is not None
        code = "pelanggaran_tidak_ditemukan"
        change = await transition(
            session,
            ticket,
            S.TIDAK_DAPAT_DITINDAKLANJUTI,
            actor=actor,
            reason=f"{REASON_CODES[code]}: {message}",
            now=now,
        )
        _clear_closing(ticket)
        ticket.closing_reason_code = code
        ticket.closing_explanation = message
        await _close_open_dispatches(session, ticket, now, reported=dispatch)
        await _tell_citizen(
            session,
            ticket,
            change,
            citizen_not_actionable(ticket.number, message, wording=await _wording(session)),
            now,
        )
        await audit.record(
            session,
            actor=actor,
            action=audit.TICKET_REFUSED,
            target=_target(ticket),
            detail={"reason_code": code},
        )
    await audit.record(
        session,
        actor=actor,
        action=audit.TICKET_FIELD_REPORT,
        target=_target(ticket),
        detail={"dispatch": dispatch.id, "outcome": chosen.value, "photos": len(photos)},
    )
    await session.flush()
    return report


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
    text = _text(body, errors.LABEL_NOTE, required=True)
    assert text is not None
    note = TicketNote(
        ticket_id=ticket.id, at=now, author_id=author.id, author=author.username, body=text
    )
    session.add(note)
    await session.flush()
    await audit.record(
        session, actor=author.username, action=audit.TICKET_NOTE_ADDED, target=_target(ticket)
    )
    return note


async def flag_for_review(
    session: AsyncSession,
    ticket: Ticket,
    by: str,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> TicketEvent:
    """Flag a ticket for review because the citizen says it is *belum selesai*.

    Called by the assistant when a citizen answers "belum selesai" to a closing message. The
    ticket keeps its status; the inbox shows it as flagged until an admin reopens it or
    clears the flag. Safe to call again (each call is logged).

    Args:
        session: The unit of work (the caller commits).
        ticket: The ticket.
        by: Who flags it (e.g. :data:`lalisa.tickets.service.REPORTER_ACTOR`).
        note: What the citizen said, if anything.
        now: Time (aware).

    Returns:
        The ``flagged_for_review`` event.

    Raises:
        ValueError: ``by`` is empty.
    """
    now = aware_now(now)
    actor = (by or "").strip()
    if not actor:
        raise ValueError("by is empty")
    text = (note or "").strip()[:MAX_TEXT] or None
    await lock_ticket(session, ticket, None)
    ticket.review_flagged_at = now
    ticket.review_note = text
    _bump(ticket, now)
    entry = await _event(session, ticket, "flagged_for_review", actor[:128], text, now)
    await audit.record(
        session, actor=actor, action=audit.TICKET_FLAGGED_FOR_REVIEW, target=_target(ticket)
    )
    return entry


async def clear_review_flag(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor: str,
    note: str | None,
    expected_version: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """Remove the "belum selesai" flag after the admin looked at it (without reopening).

    Args:
        session: The unit of work.
        ticket: The ticket.
        actor: Username.
        note: Why no reopening was needed (optional).
        expected_version: Version of the form.
        now: Time (aware).

    Returns:
        The ``review_cleared`` event.

    Raises:
        WorkflowError: The ticket is not flagged.
    """
    now = aware_now(now)
    text = _text(note, errors.LABEL_NOTE, required=False)
    await lock_ticket(session, ticket, expected_version)
    if ticket.review_flagged_at is None:
        raise WorkflowError(errors.NOT_FLAGGED)
    ticket.review_flagged_at = None
    ticket.review_note = None
    _bump(ticket, now)
    entry = await _event(session, ticket, "review_cleared", actor, text, now)
    await audit.record(
        session, actor=actor, action=audit.TICKET_REVIEW_CLEARED, target=_target(ticket)
    )
    return entry


@dataclass(frozen=True)
class RevealedIdentity:
    """The reporter's identity, decrypted for one page view.

    Attributes:
        phone: Phone number / WhatsApp id.
        name: Name the citizen gave, or ``None``.
        channel: Channel the citizen used.
    """

    phone: str
    name: str | None
    channel: str


async def reveal_identity(
    session: AsyncSession, ticket: Ticket, *, actor: str, reason: str
) -> RevealedIdentity:
    """Decrypt the reporter's identity for an admin, and log who did it and why.

    Args:
        session: The unit of work (the audit entry is saved with it).
        ticket: The ticket.
        actor: Username of the admin.
        reason: Why the identity is needed (mandatory).

    Returns:
        The identity.

    Raises:
        WorkflowError: No reason, or a reason shorter than :data:`MIN_REVEAL_REASON`.
        lalisa.core.crypto.IdentityDecryptionError: The stored identity cannot be decrypted.
    """
    reason_text = _text(reason, errors.LABEL_REVEAL_REASON, required=True, limit=500)
    assert reason_text is not None
    if len(reason_text) < MIN_REVEAL_REASON:
        raise WorkflowError(errors.REVEAL_REASON_TOO_SHORT.format(minimum=MIN_REVEAL_REASON))
    reporter = await session.get(Reporter, ticket.reporter_id)
    if reporter is None:  # pragma: no cover - foreign key
        raise WorkflowError(errors.REPORTER_NOT_FOUND)
    cipher = get_identity_cipher()
    phone = cipher.decrypt(reporter.phone_encrypted)
    name = cipher.decrypt(reporter.name_encrypted) if reporter.name_encrypted else None
    await audit.record(
        session,
        actor=actor,
        action=audit.REPORTER_IDENTITY_REVEALED,
        target=_target(ticket),
        detail={"reason": reason_text},
    )
    return RevealedIdentity(phone=phone, name=name, channel=reporter.channel)
