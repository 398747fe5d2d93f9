"""The recap pages and exports over HTTP, on the seeded month (SQLite and PostgreSQL).

The page is checked against the same hand-computed figures as the direct tests; every number
and chart segment that links to a list is followed, and the list must hold as many tickets as
the number said. Exports run through the real job path and are opened with openpyxl / pypdf.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import json
import os
import re
import stat
from datetime import datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import update

from backoffice.auth.roles import Role
from backoffice.reports.jobs import (
    RETENTION,
    create_job,
    exports_dir,
    purge_periodically,
    run_export,
)
from backoffice.reports.params import RecapQuery
from backoffice.reports.xlsx import HEADERS, IDENTITY_HEADERS, SUMMARY_SHEET, TICKET_SHEET
from lalisa.core import audit
from lalisa.core.db import session_scope
from lalisa.core.models import utcnow
from lalisa.core.settings import reset_settings_cache
from lalisa.reports.models import ExportKind, ReportExport
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.recap_dataset import (
    FORMULA_AGENCY,
    REPORTER_NAME,
    REPORTER_PHONES,
    Seeded,
    seed_recap_dataset,
)

SEPTEMBER = "periode=bulan&tahun=2026&bulan=9"
PERIOD_FIELDS = {"periode": "bulan", "tahun": "2026", "bulan": "9"}
_LIST_LINK = re.compile(r'<a href="(/rekap/aduan\?[^"]+)"[^>]*>\s*(\d+)\s*</a>')
_CHART = re.compile(r'data-chart="([^"]+)"')
_TOTAL = re.compile(r'<p id="drill-total"><strong>(\d+)</strong>')
_ROW_NUMBER = re.compile(r'<tr class="ticket-row" data-number="([^"]+)"')


@pytest.fixture
async def seeded(db: str) -> Seeded:
    return await seed_recap_dataset()


def _numbers(page: str) -> set[str]:
    return set(_ROW_NUMBER.findall(page))


async def _get(client: httpx.AsyncClient, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    return response.text


async def test_recap_page_shows_the_figures_and_their_definitions(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    page = await _get(as_role[Role.PIMPINAN].client, f"/rekap?{SEPTEMBER}")
    assert "September 2026" in page

    def figure(element_id: str) -> str:
        match = re.search(rf'id="{element_id}"[^>]*>([^<]+)</a>', page)
        assert match is not None, element_id
        return match.group(1).strip()

    assert figure("fig-diterima") == "13"
    assert figure("fig-proses") == "4"
    assert figure("fig-selesai") == "3"
    assert figure("fig-ditolak") == "3"
    assert figure("fig-dialihkan") == "2"
    assert figure("fig-duplikat") == "1"
    assert figure("fig-dibuka-kembali") == "2"
    assert figure("fig-terlambat") == "4"
    assert figure("fig-tutup-terlambat") == "1"
    assert figure("fig-luar-jam") == "3"
    assert figure("fig-ratio") == "66,7 %"
    assert (
        "Rasio penyelesaian = aduan <em>tuntas</em> ÷ (aduan diterima \N{MINUS SIGN} duplikat)"
        in page
    )
    assert "= 8 ÷ (13 \N{MINUS SIGN} 1)" in page
    assert "target ≥ 91 %" in page
    assert "belum tercapai" in page
    assert "Bukan kewenangan Satpol PP" in page
    # durations table: median / p90 worked out in test_recap_figures
    assert re.search(
        r'data-duration="first_response"><td>[^<]+</td><td><a [^>]+>12</a></td><td>1 jam</td>'
        r"<td>4 jam</td>",
        page,
    )
    assert re.search(r'data-duration="closure"><td>[^<]+</td><td><a [^>]+>8</a></td><td>5 jam</td>'
                     r"<td>6 hari</td>", page)  # fmt: skip
    # charts: Chart.js from /static, four canvases with their data, no inline code or style
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer></script>' in page
    assert page.count("<canvas ") == 4
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert "style=" not in page
    # nothing about the reporters
    assert REPORTER_NAME not in page
    assert REPORTER_PHONES["A"] not in page


async def test_every_linked_number_lists_that_many_tickets(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    client = as_role[Role.VERIFIKATOR].client
    page = await _get(client, f"/rekap?{SEPTEMBER}")
    links = [(html.unescape(url), int(value)) for url, value in _LIST_LINK.findall(page)]
    for raw in _CHART.findall(page):
        chart = json.loads(html.unescape(raw))
        if "target" in chart:  # percentages, not counts
            continue
        links.extend(zip(chart["links"], chart["values"], strict=True))
    assert len(links) > 60
    for url, value in links:
        listing = await _get(client, url)
        total = _TOTAL.search(listing)
        assert total is not None, url
        assert int(total.group(1)) == value, url
        assert len(_numbers(listing)) == value, url


async def test_drill_down_page_lists_the_right_tickets(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    client = as_role[Role.ADMIN].client
    refused = await _get(client, f"/rekap/aduan?{SEPTEMBER}&ukuran=ditolak:bukan_kewenangan")
    assert "Tidak dapat ditindaklanjuti: Bukan kewenangan Satpol PP" in refused
    assert seeded.letters(list(_numbers(refused))) == {"C"}
    overdue = await _get(client, f"/rekap/aduan?{SEPTEMBER}&ukuran=terlambat&kecamatan=Paringin")
    assert seeded.letters(list(_numbers(overdue))) == {"J", "L"}
    no_area = await _get(client, f"/rekap/aduan?{SEPTEMBER}&ukuran=diterima&tanpa_wilayah=1")
    assert seeded.letters(list(_numbers(no_area))) == {"I"}
    unknown = await client.get(f"/rekap/aduan?{SEPTEMBER}&ukuran=rahasia")
    assert unknown.status_code == 400
    assert "Ukuran rekap tidak dikenal." in unknown.text


async def test_kecamatan_drills_to_desa_and_bad_filters_are_explained(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    client = as_role[Role.PIMPINAN].client
    page = await _get(client, f"/rekap?{SEPTEMBER}&kecamatan=Paringin")
    assert "Per desa di Kecamatan Paringin" in page
    assert 'data-key="Paringin Kota"' in page and 'data-key="Balang"' in page
    assert '<option value="Balang">Balang</option>' in page
    bad = await _get(client, f"/rekap?{SEPTEMBER}&kategori=tidak-ada")
    assert "Kategori tidak dikenal." in bad
    assert "<canvas" not in bad
    reversed_range = await _get(client, "/rekap?periode=rentang&dari=2026-09-10&sampai=2026-09-01")
    assert "Tanggal akhir tidak boleh sebelum tanggal awal." in reversed_range


async def _export(signed_in: SignedIn, **fields: str) -> httpx.Response:
    data = {"csrf_token": signed_in.csrf, **PERIOD_FIELDS, **fields}
    return await signed_in.client.post("/rekap/ekspor", data=data)


async def _finished_file(signed_in: SignedIn, response: httpx.Response) -> bytes:
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith("/rekap/ekspor/")
    # Small exports finish in the background task that runs right after the response.
    state = (await signed_in.client.get(f"{location}/status")).json()
    assert state["status"] == "selesai", state
    assert state["progress"] == 100
    progress_page = await _get(signed_in.client, location)
    assert 'id="export-download"' in progress_page and "Selesai" in progress_page
    download = await signed_in.client.get(state["download_url"])
    assert download.status_code == 200
    return download.content


async def test_xlsx_has_one_row_per_ticket_and_no_identity_for_pimpinan(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    pimpinan = as_role[Role.PIMPINAN]
    content = await _finished_file(pimpinan, await _export(pimpinan, jenis="xlsx"))
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [TICKET_SHEET, SUMMARY_SHEET]
    sheet = workbook[TICKET_SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADERS)
    assert len(rows) == 1 + 13
    numbers = {row[0] for row in rows[1:]}
    assert seeded.letters(list(numbers)) == set("ABCDEFGHIJKLO")
    every_cell = " ".join(str(cell) for row in rows for cell in row if cell is not None)
    assert REPORTER_NAME not in every_cell
    assert all(phone not in every_cell for phone in REPORTER_PHONES.values())
    row_k = next(row for row in rows[1:] if row[0] == seeded.numbers["K"])
    assert row_k[5] == "Tidak dapat ditindaklanjuti"
    assert row_k[6] == "Bukti tidak cukup"
    assert row_k[HEADERS.index("Ditutup melewati tenggat")] == "Ya"
    assert row_k[HEADERS.index("Lama sampai ditutup (jam)")] == 144
    agency_column = HEADERS.index("Dialihkan ke") + 1
    row_o = next(
        cells for cells in sheet.iter_rows(min_row=2) if cells[0].value == seeded.numbers["O"]
    )
    assert row_o[agency_column - 1].value == FORMULA_AGENCY
    assert row_o[agency_column - 1].data_type == "s"
    # Times are the agency's wall-clock time, formatted as dates: O arrived 1 Sep 00:30 WITA.
    received = row_o[HEADERS.index("Diterima")]
    assert received.value == datetime(2026, 9, 1, 0, 30)
    assert received.number_format == "yyyy-mm-dd hh:mm"
    closed = row_o[HEADERS.index("Ditutup")]
    assert closed.value == datetime(2026, 9, 1, 2, 30)
    assert closed.number_format == "yyyy-mm-dd hh:mm"
    summary = {row[0]: row[1] for row in workbook[SUMMARY_SHEET].iter_rows(values_only=True)}
    assert summary["Diterima"] == 13
    assert summary["Rasio penyelesaian (tuntas / (diterima - duplikat))"] == pytest.approx(
        0.6667, abs=1e-4
    )
    requested = await audit_entries(audit.REPORT_EXPORT_REQUESTED)
    downloaded = await audit_entries(audit.REPORT_EXPORT_DOWNLOADED)
    assert [entry.actor for entry in requested] == [Role.PIMPINAN.value]
    assert [entry.actor for entry in downloaded] == [Role.PIMPINAN.value]
    assert requested[0].target == downloaded[0].target
    assert await audit_entries(audit.REPORTER_IDENTITY_REVEALED) == []


async def test_identity_in_xlsx_only_for_admins_with_a_reason(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    for role in (Role.PIMPINAN, Role.VERIFIKATOR):
        refused = await _export(as_role[role], jenis="xlsx", identitas="1", alasan="Untuk rapat")
        assert refused.status_code == 403, role
    admin = as_role[Role.ADMIN]
    no_reason = await _export(admin, jenis="xlsx", identitas="1", alasan="ok")
    assert no_reason.status_code == 400
    assert "alasan" in no_reason.text
    assert await audit_entries(audit.REPORT_EXPORT_REQUESTED) == []

    content = await _finished_file(
        admin,
        await _export(admin, jenis="xlsx", identitas="1", alasan="Klarifikasi Ombudsman"),
    )
    rows = list(load_workbook(io.BytesIO(content))[TICKET_SHEET].iter_rows(values_only=True))
    assert list(rows[0]) == [*HEADERS, *IDENTITY_HEADERS]
    row_a = next(row for row in rows[1:] if row[0] == seeded.numbers["A"])
    assert row_a[-2:] == (REPORTER_NAME, REPORTER_PHONES["A"])
    revealed = await audit_entries(audit.REPORTER_IDENTITY_REVEALED)
    assert len(revealed) == 1
    assert revealed[0].actor == Role.ADMIN.value
    assert revealed[0].target is not None and revealed[0].target.startswith("export:")
    assert "Klarifikasi Ombudsman" in (revealed[0].detail or "")


async def test_pdf_report_text(
    seeded: Seeded, as_role: dict[Role, SignedIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LALISA_REPORT_SIGNER_NAME", "Drs. Nama Kepala Satuan")
    monkeypatch.setenv("LALISA_REPORT_SIGNER_NIP", "197001012000031001")
    monkeypatch.setenv("LALISA_OFFICE_ADDRESS", "Jl. Uji Alamat No. 1, Paringin")
    reset_settings_cache()
    superadmin = as_role[Role.SUPERADMIN]
    content = await _finished_file(superadmin, await _export(superadmin, jenis="pdf"))
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    for expected in (
        "PEMERINTAH KABUPATEN BALANGAN",
        "SATUAN POLISI PAMONG PRAJA KABUPATEN BALANGAN",
        "Jl. Uji Alamat No. 1, Paringin",
        "Laporan Rekapitulasi Pengaduan La-Lisa",
        "Periode: September 2026",
        "Aduan diterima 13",
        "Rasio penyelesaian 66,7 %",
        "Target rasio penyelesaian minimal 91 %",
        "Rasio selesai ditindaklanjuti 25,0 %",
        "Bukti tidak cukup 1",
        "Komposisi status",
        "Aduan diterima per kategori",
        "Rasio penyelesaian per kecamatan",
        "Minuman keras (miras/tuak) 3",
        "Paringin 6",
        "(tanpa wilayah) 1",
        "Kepala Satuan Polisi Pamong Praja Kabupaten Balangan",
        "Drs. Nama Kepala Satuan",
        "NIP. 197001012000031001",
    ):
        assert expected in text, expected
    assert REPORTER_NAME not in text


async def test_export_job_progress_ownership_and_failure(
    seeded: Seeded, as_role: dict[Role, SignedIn]
) -> None:
    pimpinan = as_role[Role.PIMPINAN]
    query = RecapQuery.from_params(PERIOD_FIELDS)
    async with session_scope() as session:
        job = await create_job(
            session,
            kind=ExportKind.XLSX,
            query=query,
            requested_by=pimpinan.user.username,
            requested_role=Role.PIMPINAN.value,
            include_identity=False,
        )
    status_url = f"/rekap/ekspor/{job.id}/status"
    waiting = (await pimpinan.client.get(status_url)).json()
    assert waiting == {
        "status": "menunggu",
        "label": "Menunggu giliran",
        "progress": 0,
        "rows": None,
        "download_url": None,
        "error": None,
    }
    page = await _get(pimpinan.client, f"/rekap/ekspor/{job.id}")
    assert f'data-status-url="{status_url}"' in page
    assert '<p id="export-ready" hidden>' in page
    assert (await pimpinan.client.get(f"/rekap/ekspor/{job.id}/unduh")).status_code == 404

    await run_export(job.id)
    done = (await pimpinan.client.get(status_url)).json()
    assert done["status"] == "selesai" and done["progress"] == 100 and done["rows"] == 13
    # Readable by the back office's own user only (an XLSX may hold identities).
    assert stat.S_IMODE((exports_dir() / f"{job.id}.xlsx").stat().st_mode) == 0o600
    # someone else's job does not exist for them; a superadmin may open it
    assert (await as_role[Role.ADMIN].client.get(status_url)).status_code == 404
    assert (await as_role[Role.ADMIN].client.get(done["download_url"])).status_code == 404
    assert (await as_role[Role.SUPERADMIN].client.get(status_url)).status_code == 200

    async with session_scope() as session:
        broken = await create_job(
            session,
            kind=ExportKind.PDF,
            query=RecapQuery.from_params({**PERIOD_FIELDS, "kategori": "tidak-ada"}),
            requested_by=pimpinan.user.username,
            requested_role=Role.PIMPINAN.value,
            include_identity=False,
        )
        stale = await create_job(
            session,
            kind=ExportKind.PDF,
            query=query,
            requested_by=pimpinan.user.username,
            requested_role=Role.PIMPINAN.value,
            include_identity=False,
        )
        await session.execute(
            update(ReportExport)
            .where(ReportExport.id == stale.id)
            .values(created_at=utcnow() - timedelta(hours=1))
        )
    await run_export(broken.id)
    failed = (await pimpinan.client.get(f"/rekap/ekspor/{broken.id}/status")).json()
    assert failed["status"] == "gagal" and failed["error"] and failed["download_url"] is None
    abandoned = (await pimpinan.client.get(f"/rekap/ekspor/{stale.id}/status")).json()
    assert abandoned["status"] == "gagal"

    # Files older than the retention are deleted when the next export runs.
    old = exports_dir() / f"{job.id}.xlsx"
    assert old.is_file()
    eight_days_ago = (utcnow() - RETENTION - timedelta(days=1)).timestamp()
    os.utime(old, (eight_days_ago, eight_days_ago))
    await _finished_file(pimpinan, await _export(pimpinan, jenis="pdf"))
    assert not old.exists()
    expired = await pimpinan.client.get(done["download_url"])
    assert expired.status_code == 404
    assert "sudah dihapus" in expired.text


async def test_expired_exports_are_purged_on_a_schedule(lalisa_env: dict[str, str]) -> None:
    folder = exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = folder / "old.xlsx", folder / "fresh.pdf"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    eight_days_ago = (utcnow() - RETENTION - timedelta(days=1)).timestamp()
    os.utime(old, (eight_days_ago, eight_days_ago))
    # No export runs: the back office's periodic task alone removes the expired file.
    task = asyncio.create_task(purge_periodically(timedelta(milliseconds=50)))
    try:
        for _ in range(100):
            if not old.exists():
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert not old.exists()
    assert fresh.exists()


async def test_export_form_needs_a_kind(seeded: Seeded, as_role: dict[Role, SignedIn]) -> None:
    response = await _export(as_role[Role.ADMIN])
    assert response.status_code == 400
    assert "Pilih jenis berkas ekspor" in response.text
    pdf_with_identity = await _export(
        as_role[Role.ADMIN], jenis="pdf", identitas="1", alasan="Klarifikasi data"
    )
    assert pdf_with_identity.status_code == 400
