"""Submitting complaints: numbers, idempotency, confidentiality, concurrency, media."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import session_scope
from lalisa.core.models import AppendOnlyError
from lalisa.tickets.models import (
    Reporter,
    Ticket,
    TicketEvent,
    TicketMedia,
    TicketSequence,
    TicketStatus,
)
from lalisa.tickets.service import (
    ComplaintDraft,
    pending_media,
    record_pending_media,
    submit_complaint,
    ticket_for_reporter,
    tickets_for_reporter,
)

WITA = ZoneInfo("Asia/Makassar")
MONDAY_MORNING = datetime(2026, 11, 16, 9, 0, tzinfo=WITA)
FRIDAY_EVENING = datetime(2026, 11, 13, 19, 30, tzinfo=WITA)
ALICE = "6281234567890"
BOB = "6289876543210"


def draft(**changes: Any) -> ComplaintDraft:
    values: dict[str, Any] = {
        "category": "pkl",
        "description": "Ada PKL jualan di trotoar depan pasar, jalan jadi sempit.",
        "latitude": -2.3463,
        "longitude": 115.3807,
        "kecamatan": "Lampihong",
        "desa": None,
        "location_text": "depan pasar lampihong",
        "incident_time_text": "tadi pagi",
        "incident_at": datetime(2026, 11, 16, 8, 0, tzinfo=WITA),
        "reporter_sender_id": ALICE,
        "reporter_name": "Siti Aminah",
        "submission_key": "wamid.1",
    }
    values.update(changes)
    return ComplaintDraft(**values)


async def submit(d: ComplaintDraft, now: datetime = MONDAY_MORNING) -> Ticket:
    async with session_scope() as session:
        return await submit_complaint(session, d, now=now)


async def count(model: type[Any]) -> int:
    async with session_scope() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_submit_creates_ticket(db: str) -> None:
    ticket = await submit(draft())
    assert ticket.number == "LLS-2026-000001"
    assert ticket.status is TicketStatus.BARU
    assert ticket.category == "pkl"
    assert not ticket.received_out_of_hours
    async with session_scope() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        assert stored.created_at == MONDAY_MORNING
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timezone.utc.utcoffset(None)
        assert stored.incident_at == datetime(2026, 11, 16, 8, 0, tzinfo=WITA)
        assert (stored.latitude, stored.longitude) == (-2.3463, 115.3807)
        assert stored.location_text == "depan pasar lampihong"
        assert stored.desa is None
        events = (await session.execute(select(TicketEvent))).scalars().all()
    assert [(e.event_type, e.actor, e.from_status, e.to_status) for e in events] == [
        ("created", "reporter", None, "baru")
    ]
    assert events[0].at == MONDAY_MORNING


async def test_numbers_are_consecutive_per_local_year(db: str) -> None:
    first = await submit(draft(submission_key="a"))
    second = await submit(draft(submission_key="b"))
    # 31 Dec 16:30 UTC is already 1 January 00:30 in WITA.
    new_year = await submit(
        draft(submission_key="c"), now=datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc)
    )
    assert [first.number, second.number, new_year.number] == [
        "LLS-2026-000001",
        "LLS-2026-000002",
        "LLS-2027-000001",
    ]


async def test_submission_is_idempotent(db: str) -> None:
    first = await submit(draft(submission_key="wamid.same"))
    again = await submit(draft(submission_key="wamid.same", description="dikirim ulang"))
    assert again.id == first.id
    assert again.number == first.number
    assert await count(Ticket) == 1
    assert await count(TicketEvent) == 1
    async with session_scope() as session:
        sequence = await session.get(TicketSequence, 2026)
        assert sequence is not None
        assert sequence.last_value == 1


async def test_identity_is_encrypted_at_rest(db: str) -> None:
    ticket = await submit(draft(reporter_sender_id="+62 812-3456-7890", reporter_name="Siti"))
    async with session_scope() as session:
        rows = (await session.execute(text("SELECT * FROM reporters"))).mappings().all()
        ticket_rows = (await session.execute(text("SELECT * FROM tickets"))).mappings().all()
    assert len(rows) == 1
    raw = " ".join(str(value) for row in [*rows, *ticket_rows] for value in row.values())
    for secret in ("81234567890", "812-3456", "Siti"):
        assert secret not in raw
    cipher = get_identity_cipher()
    assert cipher.decrypt(rows[0]["phone_encrypted"]) == ALICE
    assert cipher.decrypt(rows[0]["name_encrypted"]) == "Siti"
    assert rows[0]["phone_blind_index"] == cipher.blind_index(ALICE)
    assert ticket.reporter_id == rows[0]["id"]


async def test_reporter_is_reused_across_spellings(db: str) -> None:
    first = await submit(draft(submission_key="a", reporter_sender_id="081234567890"))
    second = await submit(
        draft(submission_key="b", reporter_sender_id=ALICE, reporter_name="Bu Siti")
    )
    third = await submit(draft(submission_key="c", reporter_name="-"))
    assert first.reporter_id == second.reporter_id == third.reporter_id
    assert await count(Reporter) == 1
    async with session_scope() as session:
        reporter = await session.get(Reporter, first.reporter_id)
        assert reporter is not None
        assert reporter.name_encrypted is not None
        # A skipped name ("-") keeps the last name given.
        assert get_identity_cipher().decrypt(reporter.name_encrypted) == "Bu Siti"


async def test_anonymous_reporter(db: str) -> None:
    ticket = await submit(draft(reporter_name=None))
    async with session_scope() as session:
        reporter = await session.get(Reporter, ticket.reporter_id)
        assert reporter is not None
        assert reporter.name_encrypted is None


async def test_twenty_concurrent_submissions_get_distinct_consecutive_numbers(db: str) -> None:
    async def one(i: int) -> str:
        sender = f"62812000000{i:02d}"
        ticket = await submit(draft(submission_key=f"wamid.c{i}", reporter_sender_id=sender))
        return ticket.number

    numbers = await asyncio.gather(*(one(i) for i in range(20)))
    assert sorted(numbers) == [f"LLS-2026-{n:06d}" for n in range(1, 21)]
    assert await count(Ticket) == 20


async def test_concurrent_redeliveries_make_one_ticket(db: str) -> None:
    tickets = await asyncio.gather(*(submit(draft(submission_key="wamid.dup")) for _ in range(8)))
    assert {t.number for t in tickets} == {"LLS-2026-000001"}
    assert await count(Ticket) == 1
    assert await count(Reporter) == 1
    # The losers' number allocation was rolled back: the next ticket continues the series.
    assert (await submit(draft(submission_key="wamid.next"))).number == "LLS-2026-000002"


async def test_concurrent_first_submissions_of_one_reporter(db: str) -> None:
    tickets = await asyncio.gather(*(submit(draft(submission_key=f"k{i}")) for i in range(5)))
    assert len({t.reporter_id for t in tickets}) == 1
    assert await count(Reporter) == 1


async def test_foreign_ticket_is_not_visible(db: str) -> None:
    alice_ticket = await submit(draft(submission_key="a"))
    async with session_scope() as session:
        assert await ticket_for_reporter(session, BOB, alice_ticket.number) is None
        assert await tickets_for_reporter(session, BOB) == []
        own = await ticket_for_reporter(session, "0812 3456 7890", "lls 2026 1")
        assert own is not None
        assert own.id == alice_ticket.id
        assert await ticket_for_reporter(session, ALICE, "LLS-2026-000099") is None
        assert await ticket_for_reporter(session, ALICE, "bukan nomor") is None


async def test_tickets_for_reporter_newest_first(db: str) -> None:
    for i in range(4):
        await submit(draft(submission_key=f"a{i}"), now=MONDAY_MORNING.replace(hour=9 + i))
    await submit(draft(submission_key="b", reporter_sender_id=BOB))
    async with session_scope() as session:
        latest = await tickets_for_reporter(session, ALICE)
        everything = await tickets_for_reporter(session, ALICE, limit=10)
    assert [t.number for t in latest] == ["LLS-2026-000004", "LLS-2026-000003", "LLS-2026-000002"]
    assert len(everything) == 4


async def test_pending_media_are_linked_to_the_senders_ticket(db: str) -> None:
    async with session_scope() as session:
        a1 = await record_pending_media(
            session,
            ALICE,
            media_type="image",
            wa_media_id="wa.A1",
            mime_type="image/jpeg",
            sha256="ab" * 32,
            size_bytes=1234,
            path="2026/11/a1.jpg",
            caption="tuh PKL-nya",
        )
        a2 = await record_pending_media(session, ALICE, media_type="video", wa_media_id="wa.A2")
        b1 = await record_pending_media(session, BOB, media_type="image", wa_media_id="wa.B1")
        again = await record_pending_media(session, ALICE, media_type="image", wa_media_id="wa.A1")
        assert again.id == a1.id
        assert [m.id for m in await pending_media(session, ALICE)] == [a1.id, a2.id]
    ticket = await submit(draft(media_ids=("wa.A1", "wa.B1", a2.id, "-")))
    async with session_scope() as session:
        linked = {m.id: m.ticket_id for m in (await session.execute(select(TicketMedia))).scalars()}
        assert await pending_media(session, ALICE) == []
    assert linked == {a1.id: ticket.id, a2.id: ticket.id, b1.id: None}


async def test_media_id_of_another_sender_is_refused(db: str) -> None:
    async with session_scope() as session:
        await record_pending_media(session, BOB, media_type="image", wa_media_id="wa.B1")
        with pytest.raises(ValueError, match="another sender"):
            await record_pending_media(session, ALICE, media_type="image", wa_media_id="wa.B1")


async def test_unknown_category_is_kept_as_lainnya(db: str) -> None:
    ticket = await submit(draft(category="Parkir Sembarangan"))
    assert ticket.category == "lainnya"
    async with session_scope() as session:
        event = (await session.execute(select(TicketEvent))).scalar_one()
    assert event.note == "kategori asli: Parkir Sembarangan"


async def test_category_is_normalised(db: str) -> None:
    assert (await submit(draft(category=" PKL "))).category == "pkl"


@pytest.mark.parametrize(
    ("now", "flag", "expected"),
    [
        (MONDAY_MORNING, None, False),
        (FRIDAY_EVENING, None, True),
        (MONDAY_MORNING, True, True),
        (FRIDAY_EVENING, False, False),
    ],
)
async def test_received_out_of_hours(
    db: str, now: datetime, flag: bool | None, expected: bool
) -> None:
    ticket = await submit(draft(received_out_of_hours=flag), now=now)
    assert ticket.received_out_of_hours is expected


async def test_optional_answers_skipped_with_dash(db: str) -> None:
    ticket = await submit(
        draft(
            latitude=None,
            longitude=None,
            kecamatan="-",
            location_text="pasar",
            incident_time_text="-",
            incident_at=None,
        )
    )
    assert (ticket.latitude, ticket.longitude, ticket.kecamatan) == (None, None, None)
    assert ticket.incident_time_text is None


async def test_events_are_append_only(db: str) -> None:
    await submit(draft())
    with pytest.raises(AppendOnlyError):
        async with session_scope() as session:
            event = (await session.execute(select(TicketEvent))).scalar_one()
            event.note = "diubah"
            await session.flush()
    with pytest.raises(AppendOnlyError):
        async with session_scope() as session:
            event = (await session.execute(select(TicketEvent))).scalar_one()
            await session.delete(event)
            await session.flush()
    assert await count(TicketEvent) == 1


async def test_naive_now_is_rejected(db: str) -> None:
    with pytest.raises(ValueError, match="naive"):
        await submit(draft(), now=datetime(2026, 11, 16, 9, 0))


@pytest.mark.parametrize(
    "changes",
    [
        {"submission_key": ""},
        {"submission_key": "x" * 129},
        {"reporter_sender_id": " "},
        {"latitude": -2.3, "longitude": None},
        {"incident_at": datetime(2026, 11, 16, 8, 0)},
    ],
)
def test_invalid_drafts(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        draft(**changes)


def test_draft_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        draft().category = "miras"  # type: ignore[misc]
