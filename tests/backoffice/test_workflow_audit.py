"""The trail a ticket's life leaves: one audit entry per change, the citizen told once per step.

Every operation of :mod:`lalisa.tickets.workflow` and :mod:`lalisa.tickets.trc` is called here
directly (the pages are tested elsewhere), along the paths of the SOP, and the audit log, the
ticket events, the citizen's messages and the closing details are compared step by step.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.dispatch.models import Dispatch, DispatchStatus
from lalisa.notifications.models import RecipientKind
from lalisa.tickets import trc, workflow
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.service import ALLOWED_TRANSITIONS
from lalisa.users.models import User
from tests.backoffice.helpers import add_user, audit_entries
from tests.backoffice.workflow_helpers import events_of, load_ticket_in, make_ticket, outbox_of

S = TicketStatus
BASE_URL = "https://testserver"

# The audit action of each status change, by the status it leads to (reopening: baru).
STATUS_ACTIONS = {
    S.DIVERIFIKASI: audit.TICKET_VERIFIED,
    S.DIDISPOSISIKAN: audit.TICKET_DISPATCHED,
    S.DALAM_PENANGANAN: audit.TICKET_IN_PROGRESS,
    S.SELESAI: audit.TICKET_CLOSED,
    S.TIDAK_DAPAT_DITINDAKLANJUTI: audit.TICKET_REFUSED,
    S.DIALIHKAN: audit.TICKET_REDIRECTED,
    S.DUPLIKAT: audit.TICKET_DUPLICATE,
    S.BARU: audit.TICKET_REOPENED,
}


def test_every_reachable_status_has_its_audit_action() -> None:
    reachable = set().union(*ALLOWED_TRANSITIONS.values())
    assert dict(workflow.AUDIT_ACTIONS) == STATUS_ACTIONS
    assert reachable == set(STATUS_ACTIONS)


async def trail(number: str) -> list[tuple[str, Any]]:
    """(action, detail) of the ticket's audit entries, oldest first."""
    return [
        (entry.action, json.loads(entry.detail) if entry.detail else None)
        for entry in await audit_entries()
        if entry.target == f"ticket:{number}"
    ]


async def citizen_events(number: str) -> list[str | None]:
    return [m.event for m in await outbox_of(number) if m.recipient_kind is RecipientKind.CITIZEN]


async def status_changes_match_audit(number: str) -> None:
    """Each status change (ticket event) has exactly one audit entry of its action, in order."""
    changes = [
        e.to_status
        for e in await events_of(number)
        if e.event_type in {"status_changed", "reopened"}
    ]
    status_actions = set(STATUS_ACTIONS.values())
    audited = [action for action, _ in await trail(number) if action in status_actions]
    assert audited == [STATUS_ACTIONS[S(status)] for status in changes]


async def closing_of(number: str) -> tuple[Any, ...]:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        return (
            ticket.status,
            ticket.closing_reason_code,
            ticket.closing_explanation,
            ticket.closing_contact,
            ticket.redirected_to,
            ticket.duplicate_of_number,
            ticket.review_flagged_at is not None,
        )


async def verify_and_dispatch(number: str, officer: User) -> int:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await workflow.verify(session, ticket, actor="admin", expected_version=None, note="cek")
        dispatch = await trc.dispatch_ticket(
            session,
            ticket,
            actor="verifikator",
            officers=[officer, officer],
            priority="darurat",
            instructions="Segera ke lokasi",
            base_url=BASE_URL,
            expected_version=None,
        )
        return dispatch.id


async def field_report(dispatch_id: int, officer: User, outcome: str) -> None:
    async with session_scope() as session:
        dispatch = await session.get(Dispatch, dispatch_id)
        assert dispatch is not None
        await trc.file_field_report(
            session,
            dispatch,
            author=officer,
            findings="PKL masih berjualan.",
            actions_taken="Ditertibkan dan diberi teguran.",
            outcome=outcome,
            citizen_message="Lokasi sudah ditertibkan petugas.",
            expected_version=None,
        )


async def test_trc_path_closed_then_reopened_and_redirected(db: str) -> None:
    officer = await add_user("komandan", Role.KOMANDAN_TRC)
    number = await make_ticket()
    dispatch_id = await verify_and_dispatch(number, officer)
    async with session_scope() as session:
        dispatch = await session.get(Dispatch, dispatch_id)
        assert dispatch is not None
        await trc.mark_departed(session, dispatch, actor="komandan")
        await trc.mark_arrived(session, dispatch, actor="komandan")
    await field_report(dispatch_id, officer, "selesai")
    assert await closing_of(number) == (
        S.SELESAI,
        None,
        "Lokasi sudah ditertibkan petugas.",
        None,
        None,
        None,
        False,
    )
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await workflow.flag_for_review(session, ticket, "reporter", "belum selesai")
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await workflow.reopen(
            session, ticket, actor="admin", reason="Warga: belum selesai", expected_version=None
        )
    assert await closing_of(number) == (S.BARU, None, None, None, None, None, False)
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await workflow.redirect(
            session,
            ticket,
            actor="admin",
            agency="Dinas Perhubungan",
            reason="Parkir di jalan provinsi",
            contact="0526-123",
            expected_version=None,
        )

    step = {"dispatch": dispatch_id}
    assert await trail(number) == [
        (audit.TICKET_VERIFIED, None),
        (
            audit.TICKET_DISPATCHED,
            {
                "dispatch": dispatch_id,
                "messaged": [],
                "officers": [officer.id],
                "priority": "darurat",
            },
        ),
        (audit.TICKET_TRC_DEPARTED, step),
        (audit.TICKET_TRC_ARRIVED, step),
        (audit.TICKET_IN_PROGRESS, None),
        (audit.SURVEY_INVITED, None),  # queued with the closing message, audited by the survey
        (audit.TICKET_CLOSED, None),
        (audit.TICKET_FIELD_REPORT, {**step, "outcome": "selesai", "photos": 0}),
        (audit.TICKET_FLAGGED_FOR_REVIEW, None),
        (audit.TICKET_REOPENED, {"reason": "Warga: belum selesai"}),
        (audit.TICKET_REDIRECTED, {"agency": "Dinas Perhubungan"}),
    ]
    await status_changes_match_audit(number)
    assert [(e.event_type, e.from_status, e.to_status) for e in await events_of(number)] == [
        ("created", None, "baru"),
        ("status_changed", "baru", "diverifikasi"),
        ("status_changed", "diverifikasi", "didisposisikan"),
        ("trc_departed", "didisposisikan", "didisposisikan"),
        ("trc_arrived", "didisposisikan", "didisposisikan"),
        ("field_report", "didisposisikan", "didisposisikan"),
        ("status_changed", "didisposisikan", "dalam_penanganan"),
        ("status_changed", "dalam_penanganan", "selesai"),
        ("flagged_for_review", "selesai", "selesai"),
        ("reopened", "selesai", "baru"),
        ("status_changed", "baru", "dialihkan"),
    ]
    assert await citizen_events(number) == [
        "verified",
        "dispatched",
        "closed_selesai",
        "survey_invitation",
        "reopened",
        "closed_dialihkan",
    ]
    assert await closing_of(number) == (
        S.DIALIHKAN,
        None,
        "Parkir di jalan provinsi",
        "0526-123",
        "Dinas Perhubungan",
        None,
        False,
    )
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        assert ticket.version == 10  # created at 1, one more per change (not the report)
        dispatch = await session.get(Dispatch, dispatch_id)
        assert dispatch is not None and dispatch.status is DispatchStatus.DILAPORKAN


async def test_not_found_on_site_duplicate_and_refusal(db: str) -> None:
    officer = await add_user("petugas", Role.PETUGAS_TRC)
    first = await make_ticket()
    dispatch_id = await verify_and_dispatch(first, officer)
    await field_report(dispatch_id, officer, "tidak_ditemukan")
    code = {"reason_code": "pelanggaran_tidak_ditemukan"}
    assert [action for action, _ in await trail(first)][2:] == [
        audit.SURVEY_INVITED,
        audit.TICKET_REFUSED,
        audit.TICKET_FIELD_REPORT,
    ]
    assert (await trail(first))[3][1] == code
    assert await closing_of(first) == (
        S.TIDAK_DAPAT_DITINDAKLANJUTI,
        "pelanggaran_tidak_ditemukan",
        "Lokasi sudah ditertibkan petugas.",
        None,
        None,
        None,
        False,
    )
    assert await citizen_events(first) == [
        "verified",
        "dispatched",
        "closed_tidak_dapat_ditindaklanjuti",
        "survey_invitation",
    ]

    second = await make_ticket()
    async with session_scope() as session:
        ticket = await load_ticket_in(session, second)
        await workflow.mark_duplicate(
            session, ticket, actor="admin", original_number=first, expected_version=None
        )
    async with session_scope() as session:
        ticket = await load_ticket_in(session, second)
        await workflow.reopen(
            session, ticket, actor="admin", reason="Bukan duplikat", expected_version=None
        )
    async with session_scope() as session:
        ticket = await load_ticket_in(session, second)
        await workflow.refuse(
            session,
            ticket,
            actor="admin",
            reason_code="bukan_kewenangan",
            explanation="Urusan Dinas PUPR.",
            contact="Dinas PUPR 0526-1",
            expected_version=None,
        )
    assert await trail(second) == [
        (audit.TICKET_DUPLICATE, {"original": first}),
        (audit.TICKET_REOPENED, {"reason": "Bukan duplikat"}),
        (audit.SURVEY_INVITED, None),
        (audit.TICKET_REFUSED, {"reason_code": "bukan_kewenangan"}),
    ]
    await status_changes_match_audit(first)
    await status_changes_match_audit(second)
    assert await citizen_events(second) == [
        "closed_duplikat",
        "reopened",
        "closed_tidak_dapat_ditindaklanjuti",
        "survey_invitation",
    ]
    assert await closing_of(second) == (
        S.TIDAK_DAPAT_DITINDAKLANJUTI,
        "bukan_kewenangan",
        "Urusan Dinas PUPR.",
        "Dinas PUPR 0526-1",
        None,
        None,
        False,
    )
    [refused] = [e for e in await events_of(second) if e.to_status == "tidak_dapat_ditindaklanjuti"]
    assert refused.note == "Bukan kewenangan Satpol PP: Urusan Dinas PUPR."


async def test_in_progress_report_then_closed_by_the_admin(db: str) -> None:
    officer = await add_user("komandan", Role.KOMANDAN_TRC)
    number = await make_ticket()
    dispatch_id = await verify_and_dispatch(number, officer)
    await field_report(dispatch_id, officer, "dalam_penanganan")
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        assert ticket.status is S.DALAM_PENANGANAN
        await workflow.close_done(
            session, ticket, actor="admin", result="Sudah bersih.", expected_version=None
        )
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await workflow.flag_for_review(session, ticket, "reporter")
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await workflow.clear_review_flag(
            session, ticket, actor="admin", note="Sudah dicek", expected_version=None
        )
    assert [action for action, _ in await trail(number)][2:] == [
        audit.TICKET_IN_PROGRESS,
        audit.TICKET_FIELD_REPORT,
        audit.SURVEY_INVITED,
        audit.TICKET_CLOSED,
        audit.TICKET_FLAGGED_FOR_REVIEW,
        audit.TICKET_REVIEW_CLEARED,
    ]
    await status_changes_match_audit(number)
    assert await citizen_events(number) == [
        "verified",
        "dispatched",
        "closed_selesai",
        "survey_invitation",
    ]
    assert await closing_of(number) == (S.SELESAI, None, "Sudah bersih.", None, None, None, False)
    async with session_scope() as session:
        dispatch = await session.get(Dispatch, dispatch_id)
        assert dispatch is not None and dispatch.status is DispatchStatus.DITUTUP
        tickets = (await session.execute(select(Ticket.version))).scalars().all()
        assert tickets == [8]
