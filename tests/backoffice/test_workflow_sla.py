"""Service-level clocks: the pure computation, its SQL twin, and the settings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lalisa.core.db import session_scope
from lalisa.core.settings import SettingsError, SlaSettings
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.sla import ClockState, SlaReport, compute_sla, overdue_clause, sla_for_ticket
from lalisa_common.env import read_env
from tests.backoffice.workflow_helpers import force_status, make_ticket

WITA = ZoneInfo("Asia/Makassar")
RECEIVED = datetime(2026, 11, 16, 9, 0, tzinfo=WITA)  # a Monday morning
DEFAULTS = SlaSettings()


def sla(now: datetime, settings: SlaSettings = DEFAULTS, **times: datetime) -> SlaReport:
    return compute_sla(
        created_at=RECEIVED,
        first_response_at=times.get("first_response_at"),
        verified_at=times.get("verified_at"),
        dispatched_at=times.get("dispatched_at"),
        on_site_at=times.get("on_site_at"),
        closed_at=times.get("closed_at"),
        now=now,
        settings=settings,
        tz=WITA,
    )


def states(report: SlaReport) -> dict[str, ClockState]:
    return {clock.key: clock.state for clock in report.clocks}


def test_defaults_follow_sp4n_lapor() -> None:
    assert (
        DEFAULTS.first_response_days,
        DEFAULTS.completion_days,
        DEFAULTS.field_check_days,
        DEFAULTS.max_days,
        DEFAULTS.internal_target_days,
    ) == (3, 5, 14, 60, 0)


def test_a_fresh_ticket_is_on_time() -> None:
    report = sla(RECEIVED + timedelta(hours=2))
    assert not report.overdue
    assert not report.internal_missed
    assert set(states(report).values()) == {ClockState.BERJALAN}
    assert [m.key for m in report.milestones] == [
        "received",
        "first_response",
        "verified",
        "dispatched",
        "on_site",
        "closed",
    ]
    assert report.milestones[0].at == RECEIVED


def test_first_response_deadline_is_three_days() -> None:
    just_before = sla(RECEIVED + timedelta(days=3))
    assert states(just_before)["first_response"] is ClockState.BERJALAN
    late = sla(RECEIVED + timedelta(days=3, seconds=1))
    assert states(late)["first_response"] is ClockState.LEWAT
    assert late.overdue
    assert [clock.key for clock in late.overdue_clocks] == ["first_response"]
    answered = sla(RECEIVED + timedelta(days=4), first_response_at=RECEIVED + timedelta(days=1))
    assert states(answered)["first_response"] is ClockState.TEPAT
    assert not answered.overdue
    answered_late = sla(
        RECEIVED + timedelta(days=4), first_response_at=RECEIVED + timedelta(days=3, hours=1)
    )
    assert states(answered_late)["first_response"] is ClockState.TERLAMBAT
    assert not answered_late.overdue


def test_completion_is_five_days_or_fourteen_with_a_field_check() -> None:
    responded = {"first_response_at": RECEIVED + timedelta(hours=1)}
    day6 = RECEIVED + timedelta(days=6)
    assert states(sla(day6, **responded))["completion"] is ClockState.LEWAT
    dispatched = {**responded, "dispatched_at": RECEIVED + timedelta(days=1)}
    report = sla(day6, **dispatched)
    assert states(report)["completion"] is ClockState.BERJALAN
    assert not report.overdue
    completion = next(clock for clock in report.clocks if clock.key == "completion")
    assert completion.deadline == RECEIVED + timedelta(days=14)
    assert "cek lapangan" in completion.label
    assert sla(RECEIVED + timedelta(days=15), **dispatched).overdue
    maximum = sla(RECEIVED + timedelta(days=61), **dispatched)
    assert {c.key for c in maximum.overdue_clocks} == {"completion", "maximum"}


def test_closing_stops_every_clock() -> None:
    closed = RECEIVED + timedelta(days=7)
    report = sla(
        RECEIVED + timedelta(days=30),
        first_response_at=RECEIVED + timedelta(hours=1),
        closed_at=closed,
    )
    assert not report.overdue
    assert states(report)["completion"] is ClockState.TERLAMBAT
    assert states(report)["maximum"] is ClockState.TEPAT


def test_internal_target_is_the_same_day() -> None:
    evening = RECEIVED.replace(hour=23, minute=59)
    assert not sla(evening).internal_missed
    next_morning = RECEIVED + timedelta(days=1)
    assert sla(next_morning).internal_missed
    assert not sla(next_morning).overdue  # internal only, not a legal deadline
    same_day = sla(next_morning, first_response_at=RECEIVED, closed_at=RECEIVED.replace(hour=15))
    assert states(same_day)["internal"] is ClockState.TEPAT


def test_internal_target_starts_at_the_next_office_opening() -> None:
    friday_night = datetime(2026, 11, 20, 21, 0, tzinfo=WITA)
    monday_opening = datetime(2026, 11, 23, 8, 0, tzinfo=WITA)
    report = compute_sla(
        created_at=friday_night,
        first_response_at=None,
        verified_at=None,
        dispatched_at=None,
        on_site_at=None,
        closed_at=None,
        now=datetime(2026, 11, 23, 20, 0, tzinfo=WITA),
        settings=DEFAULTS,
        tz=WITA,
        work_starts_at=monday_opening,
    )
    internal = next(clock for clock in report.clocks if clock.key == "internal")
    assert internal.deadline == datetime(2026, 11, 24, 0, 0, tzinfo=WITA)
    assert internal.state is ClockState.BERJALAN


def test_internal_target_can_be_longer_or_off() -> None:
    two_days = SlaSettings(internal_target_days=1)
    assert not sla(RECEIVED + timedelta(days=1), two_days).internal_missed
    off = SlaSettings(internal_target_days=None)
    assert "internal" not in states(sla(RECEIVED + timedelta(days=2), off))


def test_settings_from_the_environment(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LALISA_SLA_COMPLETION_DAYS=7\nLALISA_SLA_FIRST_RESPONSE_DAYS=1\n")
    settings = SlaSettings.from_env(
        read_env(
            {"LALISA_SLA_FIRST_RESPONSE_DAYS": "2", "LALISA_SLA_INTERNAL_TARGET_DAYS": "off"},
            env_file,
        )
    )
    assert settings == SlaSettings(
        first_response_days=2,
        completion_days=7,
        field_check_days=14,
        max_days=60,
        internal_target_days=None,
    )
    assert SlaSettings.from_env(read_env({}, None)) == DEFAULTS


@pytest.mark.parametrize(
    "environ",
    [
        {"LALISA_SLA_COMPLETION_DAYS": "lima"},
        {"LALISA_SLA_FIRST_RESPONSE_DAYS": "0"},
        {"LALISA_SLA_COMPLETION_DAYS": "20"},  # more than the field-check deadline
        {"LALISA_SLA_INTERNAL_TARGET_DAYS": "-1"},
        {"LALISA_SLA_INTERNAL_TARGET_DAYS": "besok"},
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        SlaSettings.from_env(read_env(environ, None))


async def test_the_sql_condition_agrees_with_the_computation(db: str) -> None:
    now = datetime.now(timezone.utc)
    cases = [
        (now - timedelta(hours=2), TicketStatus.BARU),
        (now - timedelta(days=4), TicketStatus.BARU),
        (now - timedelta(days=4), TicketStatus.DIVERIFIKASI),
        (now - timedelta(days=6), TicketStatus.DIVERIFIKASI),
        (now - timedelta(days=6), TicketStatus.DIDISPOSISIKAN),
        (now - timedelta(days=15), TicketStatus.DALAM_PENANGANAN),
        (now - timedelta(days=30), TicketStatus.SELESAI),
        (now - timedelta(days=2), TicketStatus.DUPLIKAT),
    ]
    numbers = []
    for created, status in cases:
        number = await make_ticket(created_at=created)
        await force_status(number, status, at=created + timedelta(hours=1))
        numbers.append(number)
    async with session_scope() as session:
        tickets = list((await session.execute(select(Ticket))).scalars())
        computed = {
            t.number for t in tickets if sla_for_ticket(t, now=now, settings=DEFAULTS).overdue
        }
        query = select(Ticket.number).where(overdue_clause(now, DEFAULTS))
        selected = set((await session.execute(query)).scalars())
    assert computed == selected
    assert selected == {numbers[1], numbers[3], numbers[5]}
