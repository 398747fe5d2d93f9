"""The "Survei Kepuasan (SKM)" page and its CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from backoffice.auth.roles import Role
from backoffice.survey.views import EXPORT_HEADER, resolve_period
from lalisa.core import audit
from lalisa.core.audit import AuditLog
from lalisa.core.db import session_scope
from lalisa.survey.service import decline, open_survey_for_sender, record_answer, record_saran
from lalisa.survey.skm import UNSUR
from lalisa.tickets.models import TicketStatus
from lalisa.tickets.workflow import close_done
from tests.backoffice.helpers import SignedIn
from tests.backoffice.workflow_helpers import load_ticket_in, make_ticket

PHONES = ("6281211110001", "6281211110002", "6281211110003", "6281211110004")


async def _closed(sender: str) -> str:
    number = await make_ticket(status=TicketStatus.DALAM_PENANGANAN, sender=sender)
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await close_done(session, ticket, actor="admin", result=None, expected_version=None)
    return number


async def _seed() -> None:
    """One complete, one partial, one declined and one unanswered survey."""
    for phone in PHONES:
        await _closed(phone)
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, PHONES[0])
        assert survey is not None
        for key, score in zip(UNSUR, (4, 4, 3, 4, 3, 3, 4, 2, 3), strict=True):
            await record_answer(session, survey, key, score)
        await record_saran(session, survey, "Petugas <b>cepat</b>, WA saya 0812-3456-7890")
        survey = await open_survey_for_sender(session, PHONES[1])
        assert survey is not None
        for key, score in zip(UNSUR[:3], (2, 2, 1), strict=True):
            await record_answer(session, survey, key, score)
        survey = await open_survey_for_sender(session, PHONES[2])
        assert survey is not None
        await record_answer(session, survey, "persyaratan", 1)
        await decline(session, survey)


def _text_of(html: str, element_id: str) -> str:
    marker = f'id="{element_id}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]


async def test_page_shows_ikm_per_unsur_counts_and_masked_suggestions(
    superadmin: SignedIn,
) -> None:
    await _seed()
    response = await superadmin.client.get("/survei")
    assert response.status_code == 200
    html = response.text
    # By hand: NRR 3, 3, 2, 4, 3, 3, 4, 2, 3 (sum 27) -> SKM 3.00 -> IKM 75.00, mutu C.
    assert _text_of(html, "ikm-value") == "75.00"
    assert "Mutu C" in _text_of(html, "ikm-mutu")
    assert _text_of(html, "skm-value") == "3.00"
    assert _text_of(html, "count-invited") == "4"
    assert _text_of(html, "count-complete") == "1"
    assert _text_of(html, "count-partial") == "1"
    assert _text_of(html, "count-declined") == "1"
    assert _text_of(html, "count-unanswered") == "1"
    # The two weakest unsur (waktu and pengaduan, NRR 2) are highlighted, no others.
    assert html.count('class="skm-weakest"') == 2
    assert 'class="skm-weakest" data-unsur="waktu"' in html
    assert 'class="skm-weakest" data-unsur="pengaduan"' in html
    # The suggestion is escaped and its phone number masked; no ticket number is shown.
    assert "Petugas &lt;b&gt;cepat&lt;/b&gt;, WA saya [disamarkan]" in html
    assert "0812-3456-7890" not in html
    assert "LLS-" not in html


@pytest.mark.parametrize(("bobot", "ikm"), [("0.111", "74.93"), ("0.11", "74.25")])
async def test_weighting_selector(superadmin: SignedIn, bobot: str, ikm: str) -> None:
    await _seed()
    response = await superadmin.client.get("/survei", params={"bobot": bobot})
    # 27 x 0.111 x 25 = 74.925 -> 74.93; 27 x 0.11 x 25 = 74.25
    assert _text_of(response.text, "ikm-value") == ikm


async def test_other_periods_are_empty(superadmin: SignedIn) -> None:
    await _seed()
    response = await superadmin.client.get("/survei", params={"periode": "tahun", "tahun": 2001})
    assert response.status_code == 200
    assert 'id="ikm-empty"' in response.text
    assert _text_of(response.text, "count-invited") == "0"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PIMPINAN])
async def test_admin_and_leadership_see_the_page(as_role: dict[Role, SignedIn], role: Role) -> None:
    response = await as_role[role].client.get("/survei")
    assert response.status_code == 200
    assert "Survei Kepuasan" in response.text
    assert 'href="/survei"' in response.text  # the menu entry


async def test_export_csv_is_anonymous_and_audited(superadmin: SignedIn) -> None:
    await _seed()
    response = await superadmin.client.get("/survei/ekspor.csv", params={"periode": "bulan"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == EXPORT_HEADER
    body = rows[1:]
    assert len(body) == 4
    complete = next(row for row in body if row[2] == "Lengkap")
    assert complete[3:12] == ["4", "4", "3", "4", "3", "3", "4", "2", "3"]
    assert complete[12] == "Petugas <b>cepat</b>, WA saya [disamarkan]"
    assert sorted(row[2] for row in body) == ["Diundang", "Lengkap", "Menolak", "Sebagian"]
    assert all(row[1] == "Selesai" for row in body)
    assert "LLS-" not in response.text and "62812" not in response.text
    async with session_scope() as session:
        entries = (
            (
                await session.execute(
                    select(AuditLog).where(AuditLog.action == audit.SURVEY_EXPORTED)
                )
            )
            .scalars()
            .all()
        )
    assert len(entries) == 1 and entries[0].actor == "superadmin"
    assert '"baris": 4' in (entries[0].detail or "")


def test_resolve_period() -> None:
    today = date(2026, 11, 28)
    month = resolve_period("bulan", 0, 0, 0, "", "", today)
    assert (month.start, month.end, month.label) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
        "November 2026",
    )
    december = resolve_period("bulan", 2025, 12, 0, "", "", today)
    assert december.end == date(2025, 12, 31)
    quarter = resolve_period("triwulan", 2026, 0, 1, "", "", today)
    assert (quarter.start, quarter.end, quarter.label) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        "Triwulan I 2026",
    )
    assert resolve_period("triwulan", 0, 0, 0, "", "", today).label == "Triwulan IV 2026"
    year = resolve_period("tahun", 2025, 0, 0, "", "", today)
    assert (year.start, year.end) == (date(2025, 1, 1), date(2025, 12, 31))
    custom = resolve_period("kustom", 0, 0, 0, "2026-11-20", "2026-11-05", today)
    assert (custom.start, custom.end) == (date(2026, 11, 5), date(2026, 11, 20))
    assert resolve_period("apa", 0, 0, 0, "", "", today).kind == "bulan"
    start, end = month.bounds()
    # Balangan is UTC+8: 1 November 00:00 WITA is 31 October 16:00 UTC.
    assert (start.isoformat(), end.isoformat()) == (
        "2026-10-31T16:00:00+00:00",
        "2026-11-30T16:00:00+00:00",
    )


async def test_ticket_page_names_the_invitation(superadmin: SignedIn) -> None:
    number = await _closed(PHONES[0])
    response = await superadmin.client.get(f"/aduan/{number}")
    assert response.status_code == 200
    assert "Undangan survei kepuasan (SKM)" in response.text
    assert "survey_invitation" not in response.text
