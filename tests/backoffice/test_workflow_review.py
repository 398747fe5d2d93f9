"""The citizen's "belum selesai": lalisa.tickets.workflow.flag_for_review and the inbox flag."""

from __future__ import annotations

import pytest

from backoffice.auth.roles import Role
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.tickets.models import TicketStatus
from lalisa.tickets.service import REPORTER_ACTOR
from lalisa.tickets.workflow import flag_for_review
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.workflow_helpers import (
    events_of,
    load_ticket,
    load_ticket_in,
    make_ticket,
    outbox_of,
    post_action,
)

S = TicketStatus


async def _flag(number: str, note: str | None = "Masih ada PKL di trotoar") -> None:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        event = await flag_for_review(session, ticket, REPORTER_ACTOR, note)
        assert event.event_type == "flagged_for_review"


async def test_flag_for_review_marks_and_logs(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(status=S.SELESAI)
    before = await load_ticket(number)
    await _flag(number)
    ticket = await load_ticket(number)
    assert ticket.status is S.SELESAI  # flagged, not reopened
    assert ticket.review_flagged_at is not None
    assert ticket.review_note == "Masih ada PKL di trotoar"
    assert ticket.version == before.version + 1
    event = (await events_of(number))[-1]
    assert (event.event_type, event.actor, event.note) == (
        "flagged_for_review",
        REPORTER_ACTOR,
        "Masih ada PKL di trotoar",
    )
    [entry] = await audit_entries(audit.TICKET_FLAGGED_FOR_REVIEW)
    assert entry.target == f"ticket:{number}"

    other = await make_ticket()
    client = as_role[Role.ADMIN].client
    inbox = await client.get("/aduan")
    assert inbox.text.index(number) < inbox.text.index(other)  # flagged first
    assert "Pelapor: belum selesai" in inbox.text
    assert 'data-count="ditandai">1<' in inbox.text
    flagged_only = await client.get("/aduan?ditandai=1")
    assert number in flagged_only.text and other not in flagged_only.text
    page = await client.get(f"/aduan/{number}")
    assert "Pelapor menyatakan masalahnya belum selesai" in page.text
    assert 'id="btn-tinjau"' in page.text
    assert 'id="form-buka-kembali"' in page.text


async def test_flag_needs_an_actor(db: str) -> None:
    number = await make_ticket(status=S.SELESAI)
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        with pytest.raises(ValueError, match="by is empty"):
            await flag_for_review(session, ticket, " ", None)


async def test_admin_clears_the_flag(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(status=S.SELESAI)
    await _flag(number, None)
    response = await post_action(
        as_role[Role.ADMIN], number, "tinjau", {"note": "Sudah dicek, PKL sudah pindah."}
    )
    assert response.status_code == 303
    ticket = await load_ticket(number)
    assert ticket.review_flagged_at is None
    assert (await events_of(number))[-1].event_type == "review_cleared"
    again = await post_action(as_role[Role.ADMIN], number, "tinjau")
    assert again.status_code == 400
    assert "tidak sedang ditandai" in again.text


async def test_reopening_clears_the_flag(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(status=S.SELESAI)
    await _flag(number)
    response = await post_action(
        as_role[Role.ADMIN], number, "buka-kembali", {"reason": "Pelapor: belum selesai."}
    )
    assert response.status_code == 303
    ticket = await load_ticket(number)
    assert ticket.status is S.BARU
    assert ticket.review_flagged_at is None
    assert [m.event for m in await outbox_of(number)] == ["reopened"]


async def test_a_flag_makes_an_open_form_stale(as_role: dict[Role, SignedIn]) -> None:
    number = await make_ticket(status=S.SELESAI)
    version = (await load_ticket(number)).version
    await _flag(number)
    response = await post_action(
        as_role[Role.ADMIN], number, "buka-kembali", {"reason": "Lihat lagi."}, version=version
    )
    assert response.status_code == 409
    assert "sudah diubah oleh petugas lain" in response.text
