"""A month of complaints with known answers for the recap tests (September 2026, WITA).

Every ticket is submitted with :func:`lalisa.tickets.service.submit_complaint` and moved on with the
real workflow functions at chosen moments, so timestamps, events and closing details are the
ones production writes. The letters name the tickets; the expected figures are worked out by
hand in the tests from the timeline below (hours after receipt):

==  ===========  =================  =================================================
A   pkl          Paringin Kota      verify 0.5, dispatch 1, arrive 2, report selesai 3
B   pkl          Paringin Kota      verify 1, dispatch 2, arrive 4, report selesai 6
C   miras        Juai / Juai        refused from Baru at 2 (bukan_kewenangan)
D   miras        Juai / Juai        verify 1, dispatch 3, arrive 5, report tidak_ditemukan 8
E   reklame      Paringin / Balang  redirected from Baru at 4
F   pkl          Paringin Kota      duplicate of A at 1
G   kebisingan   Lampihong (OOH)    verify 11, dispatch 12, arrive 13, selesai 14,
                                    reopened 35, verify 36, dispatch 37, arrive 38,
                                    report selesai 40
H   kebisingan   Lampihong (OOH)    nothing (Baru)
I   sampah       no area            verify 2 (Diverifikasi)
J   pkl          Paringin Kota      verify 1, dispatch 2 (Didisposisikan)
K   miras        Juai / Juai        verify 1, refused at 144 (bukti_tidak_cukup): late
L   pkl          Paringin / Balang  refused at 1 (lainnya), reopened at 2 (Baru)
O   kebisingan   Halong (OOH, sbx)  received 1 Sep 00:30 WITA; verify 1, redirect 2
M   pkl          Paringin Kota      received 31 Aug 23:30 WITA (outside September)
N   pkl          Paringin Kota      received 1 Oct 00:30 WITA (outside September)
==  ===========  =================  =================================================
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from lalisa.core.db import session_scope
from lalisa.dispatch.models import Dispatch
from lalisa.tickets import trc as trc_steps
from lalisa.tickets import workflow
from lalisa.tickets.models import Ticket
from lalisa.users.models import User
from tests.backoffice.helpers import add_user
from tests.backoffice.workflow_helpers import make_ticket

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)
"""The moment the recap is taken at in the direct tests."""
BASE_URL = "https://backoffice.test"
REPORTER_PHONES = {
    letter: f"62812000077{index:02d}" for index, letter in enumerate("ABCDEFGHIJKLMNO")
}
REPORTER_NAME = "Warga Pelapor Rahasia"
FORMULA_AGENCY = '=HYPERLINK("https://contoh.invalid","Dinas Sosial")'


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


@dataclass
class Seeded:
    """Ticket numbers by letter, and the officers."""

    numbers: dict[str, str]
    admin: User
    verifikator: User
    trc: User

    def letters(self, numbers: list[str] | set[str]) -> set[str]:
        by_number = {number: letter for letter, number in self.numbers.items()}
        return {by_number[number] for number in numbers}


Step = Callable[[AsyncSession, Ticket, datetime], Awaitable[object]]


async def _ticket(session: AsyncSession, number: str) -> Ticket:
    query = select(Ticket).where(Ticket.number == number).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one()


async def _latest_dispatch(session: AsyncSession, ticket: Ticket) -> Dispatch:
    query = (
        select(Dispatch)
        .where(Dispatch.ticket_id == ticket.id)
        .order_by(Dispatch.id.desc())
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalars().first()  # type: ignore[return-value]


async def seed_recap_dataset() -> Seeded:
    """Create the officers and the tickets of the table above."""
    admin = await add_user("admin.rekap", Role.ADMIN)
    verifikator = await add_user("verif.rekap", Role.VERIFIKATOR)
    trc = await add_user("trc.rekap", Role.PETUGAS_TRC)

    async def at(number: str, when: datetime, action: str, **kwargs: object) -> None:
        async with session_scope() as session:
            ticket = await _ticket(session, number)
            if action == "verify":
                await workflow.verify(
                    session, ticket, actor=admin.username, expected_version=None, now=when
                )
            elif action == "dispatch":
                officer = await session.get(User, trc.id)
                assert officer is not None
                await trc_steps.dispatch_ticket(
                    session,
                    ticket,
                    actor=verifikator.username,
                    officers=[officer],
                    priority="sedang",
                    instructions=None,
                    base_url=BASE_URL,
                    expected_version=None,
                    now=when,
                )
            elif action == "arrive":
                dispatch = await _latest_dispatch(session, ticket)
                await trc_steps.mark_arrived(session, dispatch, actor=trc.username, now=when)
            elif action == "report":
                dispatch = await _latest_dispatch(session, ticket)
                author = await session.get(User, trc.id)
                assert author is not None
                await trc_steps.file_field_report(
                    session,
                    dispatch,
                    author=author,
                    findings="Ditemukan di lokasi.",
                    actions_taken="Ditertibkan.",
                    outcome=str(kwargs["outcome"]),
                    citizen_message="Sudah ditangani petugas.",
                    expected_version=None,
                    now=when,
                )
            elif action == "refuse":
                await workflow.refuse(
                    session,
                    ticket,
                    actor=admin.username,
                    reason_code=str(kwargs["code"]),
                    explanation="Penjelasan untuk pelapor.",
                    expected_version=None,
                    now=when,
                )
            elif action == "redirect":
                await workflow.redirect(
                    session,
                    ticket,
                    actor=admin.username,
                    agency=str(kwargs.get("agency", "Dinas Perhubungan")),
                    expected_version=None,
                    now=when,
                )
            elif action == "duplicate":
                await workflow.mark_duplicate(
                    session,
                    ticket,
                    actor=admin.username,
                    original_number=str(kwargs["original"]),
                    expected_version=None,
                    now=when,
                )
            elif action == "close":
                await workflow.close_done(
                    session,
                    ticket,
                    actor=admin.username,
                    result="Selesai.",
                    expected_version=None,
                    now=when,
                )
            elif action == "reopen":
                await workflow.reopen(
                    session,
                    ticket,
                    actor=admin.username,
                    reason="Pelapor menyatakan belum selesai.",
                    expected_version=None,
                    now=when,
                )
            else:  # pragma: no cover - typo in the table
                raise AssertionError(action)

    specs: dict[str, tuple[str, str | None, str | None, datetime, bool, str]] = {
        # letter: category, kecamatan, desa, received (UTC), out of hours, channel
        "A": ("pkl", "Paringin", "Paringin Kota", utc(9, 1, 1), False, "whatsapp"),
        "B": ("pkl", "Paringin", "Paringin Kota", utc(9, 2, 2), False, "whatsapp"),
        "C": ("miras", "Juai", "Juai", utc(9, 3, 3), False, "whatsapp"),
        "D": ("miras", "Juai", "Juai", utc(9, 4, 1), False, "whatsapp"),
        "E": ("reklame_liar", "Paringin", "Balang", utc(9, 5, 1), False, "whatsapp"),
        "F": ("pkl", "Paringin", "Paringin Kota", utc(9, 6, 1), False, "whatsapp"),
        "G": ("kebisingan", "Lampihong", "Lampihong Kiri", utc(9, 6, 14), True, "whatsapp"),
        "H": ("kebisingan", "Lampihong", "Lampihong Kiri", utc(9, 10, 13), True, "whatsapp"),
        "I": ("sampah", None, None, utc(9, 11, 1), False, "whatsapp"),
        "J": ("pkl", "Paringin", "Paringin Kota", utc(9, 12, 1), False, "whatsapp"),
        "K": ("miras", "Juai", "Juai", utc(9, 13, 1), False, "whatsapp"),
        "L": ("pkl", "Paringin", "Balang", utc(9, 14, 1), False, "whatsapp"),
        "O": ("kebisingan", "Halong", "Halong", utc(8, 31, 16, 30), True, "sandbox"),
        "M": ("pkl", "Paringin", "Paringin Kota", utc(8, 31, 15, 30), False, "whatsapp"),
        "N": ("pkl", "Paringin", "Paringin Kota", utc(9, 30, 16, 30), False, "whatsapp"),
    }
    numbers: dict[str, str] = {}
    for letter, (category, kecamatan, desa, received, out_of_hours, channel) in specs.items():
        numbers[letter] = await make_ticket(
            category=category,
            kecamatan=kecamatan,
            desa=desa,
            latitude=None,
            longitude=None,
            channel=channel,
            sender=REPORTER_PHONES[letter],
            name=REPORTER_NAME,
            created_at=received,
            out_of_hours=out_of_hours,
        )

    def h(letter: str, hours: float) -> datetime:
        return specs[letter][3] + timedelta(hours=hours)

    async def worked(
        letter: str, verify: float, dispatch: float, arrive: float, report: float, outcome: str
    ) -> None:
        """Verified, dispatched, arrived at, reported on, at those hours after receipt."""
        await at(numbers[letter], h(letter, verify), "verify")
        await at(numbers[letter], h(letter, dispatch), "dispatch")
        await at(numbers[letter], h(letter, arrive), "arrive")
        await at(numbers[letter], h(letter, report), "report", outcome=outcome)

    n = numbers
    await worked("A", 0.5, 1, 2, 3, "selesai")
    await worked("B", 1, 2, 4, 6, "selesai")

    await at(n["C"], h("C", 2), "refuse", code="bukan_kewenangan")

    await worked("D", 1, 3, 5, 8, "tidak_ditemukan")

    await at(n["E"], h("E", 4), "redirect")
    await at(n["F"], h("F", 1), "duplicate", original=n["A"])

    await worked("G", 11, 12, 13, 14, "selesai")
    await at(n["G"], h("G", 35), "reopen")
    await worked("G", 36, 37, 38, 40, "selesai")

    await at(n["I"], h("I", 2), "verify")

    await at(n["J"], h("J", 1), "verify")
    await at(n["J"], h("J", 2), "dispatch")

    await at(n["K"], h("K", 1), "verify")
    await at(n["K"], h("K", 144), "refuse", code="bukti_tidak_cukup")

    await at(n["L"], h("L", 1), "refuse", code="lainnya")
    await at(n["L"], h("L", 2), "reopen")

    await at(n["O"], h("O", 1), "verify")
    # Officer-typed text that looks like a spreadsheet formula (the XLSX must keep it text).
    await at(n["O"], h("O", 2), "redirect", agency=FORMULA_AGENCY)

    await at(n["M"], h("M", 1), "verify")
    await at(n["N"], h("N", 1), "verify")
    return Seeded(numbers=numbers, admin=admin, verifikator=verifikator, trc=trc)
