"""The recap pages: figures and charts, the tickets behind every figure, and exports.

The figures come from :mod:`lalisa.reports.recap`. Every number and chart segment links to
``/rekap/aduan`` with the same filter plus the measure (``ukuran``), and that list is built by
the same rule (:func:`lalisa.reports.recap.matches`) that counted it, so the two always agree.
Exports are background jobs (:mod:`backoffice.reports.jobs`) with a progress page.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Final

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.permissions import require_roles
from backoffice.reports.jobs import FAILED_MESSAGE, create_job, run_export
from backoffice.reports.params import RecapQuery, desa_by_kecamatan
from backoffice.templating import redirect, render
from backoffice.tickets.common import ADMIN_ROLES, kecamatan_names
from lalisa.core import audit
from lalisa.office.schedule import MONTH_NAMES_ID
from lalisa.reports.models import ExportKind, ExportStatus, ReportExport
from lalisa.reports.recap import (
    CHANNEL_LABELS,
    NO_AREA,
    PERIOD_KINDS,
    RESOLUTION_TARGET,
    PeriodError,
    Recap,
    compute_recap,
    drill_down,
    format_duration,
    measure_label,
)
from lalisa.tickets.categories import CATEGORY_LABELS, category_label
from lalisa.tickets.identity import MIN_REVEAL_REASON
from lalisa.tickets.labels import REASON_CODES, STAFF_STATUS_LABELS
from lalisa.users.models import User

router = APIRouter(prefix="/rekap", tags=["reports"])

REPORT_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN, Role.VERIFIKATOR, Role.PIMPINAN)
"""Who may open the recap, its lists and export it."""
IDENTITY_EXPORT_ROLES: Final = frozenset(ADMIN_ROLES)
"""Who may add reporter identity to an XLSX (with a reason; same rule as the ticket page)."""

EXPIRED_MESSAGE: Final = (
    "Berkas ekspor ini sudah dihapus (berkas disimpan 7 hari). Buat ekspor baru dari halaman Rekap."
)

Reader = Annotated[User, Depends(require_roles(*REPORT_ROLES))]

STATUS_COLOURS: Final = {
    "proses": "#d9a400",
    "selesai": "#2e7d32",
    "ditolak": "#c62828",
    "dialihkan": "#1565c0",
    "duplikat": "#757575",
}


def _params(request: Request) -> dict[str, str]:
    return {key: value for key, value in request.query_params.items()}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _short(label: str, limit: int = 28) -> str:
    """Chart axis labels are cut so long category names leave room for the bars."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _charts(recap: Recap, query: RecapQuery) -> dict[str, Any]:
    """Chart data for recap.js: labels, values, colours and one drill-down link per bar."""
    counts = recap.counts

    def link(measure: str, **override: str) -> str:
        return "/rekap/aduan?" + query.query(ukuran=measure, **override)

    status_parts = [
        ("proses", "Dalam proses", counts.in_progress),
        ("selesai", "Selesai", counts.resolved),
        ("ditolak", "Tidak dapat ditindaklanjuti", counts.refused),
        ("dialihkan", "Dialihkan", counts.forwarded),
        ("duplikat", "Duplikat", counts.duplicates),
    ]
    area_key = "desa" if recap.area_level == "desa" else "kecamatan"

    def area_link(key: str) -> str:
        if key:
            return link("diterima", **{area_key: key})
        return link("diterima", tanpa_wilayah="1")

    def area_ratio_link(key: str) -> str:
        if key:
            return link("tuntas", **{area_key: key})
        return link("tuntas", tanpa_wilayah="1")

    return {
        "status": {
            "type": "doughnut",
            "title": "Komposisi status",
            "labels": [label for _, label, _ in status_parts],
            "values": [value for _, _, value in status_parts],
            "colors": [STATUS_COLOURS[key] for key, _, _ in status_parts],
            "links": [link(key) for key, _, _ in status_parts],
        },
        "category": {
            "type": "bar",
            "title": "Aduan diterima per kategori",
            "horizontal": True,
            "labels": [_short(row.label) for row in recap.by_category],
            "values": [row.counts.received for row in recap.by_category],
            "colors": ["#1565c0"] * len(recap.by_category),
            "links": [link("diterima", kategori=row.key) for row in recap.by_category],
        },
        "area_ratio": {
            "type": "bar",
            "title": f"Rasio penyelesaian per {recap.area_level} (%)",
            "labels": [row.label for row in recap.by_area],
            "values": [round((row.counts.resolution_ratio or 0) * 100, 1) for row in recap.by_area],
            "colors": [
                "#2e7d32" if row.counts.meets_target else "#c62828" for row in recap.by_area
            ],
            "links": [area_ratio_link(row.key) for row in recap.by_area],
            "target": round(RESOLUTION_TARGET * 100),
            "targetLabel": f"Target {RESOLUTION_TARGET * 100:.0f} %",
            "max": 100,
        },
        "area_received": {
            "type": "bar",
            "title": f"Aduan diterima per {recap.area_level}",
            "labels": [row.label for row in recap.by_area],
            "values": [row.counts.received for row in recap.by_area],
            "colors": ["#0b5d3b"] * len(recap.by_area),
            "links": [area_link(row.key) for row in recap.by_area],
        },
    }


def _form_context(query: RecapQuery) -> dict[str, Any]:
    this_year = datetime.now(timezone.utc).year
    return {
        "query": query,
        "period_kinds": PERIOD_KINDS,
        "months": list(enumerate(MONTH_NAMES_ID, start=1)),
        "years": list(range(this_year, 2019, -1)),
        "categories": CATEGORY_LABELS,
        "kecamatan_names": kecamatan_names(),
        "desa_names": desa_by_kecamatan().get(query.kecamatan, ()),
    }


@router.get("", response_class=HTMLResponse)
async def recap_page(request: Request, db: DbSession, user: Reader) -> HTMLResponse:
    """The recap: filters, figures with their definitions, charts and breakdown tables."""
    query = RecapQuery.from_params(_params(request))
    problem = ""
    recap: Recap | None = None
    try:
        recap = await compute_recap(db, query.to_filter())
    except PeriodError as exc:
        problem = str(exc)
    return render(
        request,
        "reports/recap.html",
        {
            **_form_context(query),
            "problem": problem,
            "recap": recap,
            "charts": _charts(recap, query) if recap is not None else None,
            "percent": _percent,
            "duration": format_duration,
            "reasons": REASON_CODES,
            "channel_labels": CHANNEL_LABELS,
            "target": RESOLUTION_TARGET,
            "no_area": NO_AREA,
            "may_export_identity": user.role in IDENTITY_EXPORT_ROLES,
            "min_reason": MIN_REVEAL_REASON,
            "category_label": category_label,
        },
    )


@router.get("/aduan", response_class=HTMLResponse)
async def recap_tickets(request: Request, db: DbSession, _user: Reader) -> HTMLResponse:
    """The tickets behind one figure of the recap (same filter, same counting rule)."""
    params = _params(request)
    query = RecapQuery.from_params(params)
    measure = params.get("ukuran", "diterima").strip()[:60] or "diterima"
    without_area = params.get("tanpa_wilayah", "") == "1"
    try:
        label = measure_label(measure)
        recap_filter = query.to_filter()
        tickets = await drill_down(db, recap_filter, measure, area="" if without_area else None)
    except PeriodError as exc:
        raise PageError(400, str(exc)) from exc
    return render(
        request,
        "reports/tickets.html",
        {
            "query": query,
            "measure": measure,
            "measure_label": label,
            "without_area": without_area,
            "no_area": NO_AREA,
            "period": recap_filter.period,
            "tickets": tickets,
            "category_label": category_label,
            "status_labels": STAFF_STATUS_LABELS,
            "reasons": REASON_CODES,
            "back": "/rekap?" + query.query(),
        },
    )


@router.post("/ekspor")
async def start_export(
    request: Request, db: DbSession, user: Reader, background: BackgroundTasks
) -> Response:
    """Record an export job and run it after the response; go to its progress page."""
    form = await request.form()
    fields = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    query = RecapQuery.from_params(fields)
    try:
        kind = ExportKind(fields.get("jenis", ""))
    except ValueError as exc:
        raise PageError(400, "Pilih jenis berkas ekspor (XLSX atau PDF).") from exc
    try:
        query.to_filter()
    except PeriodError as exc:
        raise PageError(400, str(exc)) from exc
    include_identity = fields.get("identitas", "") == "1"
    reason = " ".join(fields.get("alasan", "").split())[:500]
    if include_identity:
        if user.role not in IDENTITY_EXPORT_ROLES:
            raise PageError(403, "Peran Anda tidak boleh mengekspor identitas pelapor.")
        if kind is not ExportKind.XLSX:
            raise PageError(400, "Identitas pelapor hanya dapat disertakan pada berkas XLSX.")
        if len(reason) < MIN_REVEAL_REASON:
            raise PageError(
                400,
                f"Tuliskan alasan menyertakan identitas pelapor (sedikitnya "
                f"{MIN_REVEAL_REASON} karakter).",
            )
    job = await create_job(
        db,
        kind=kind,
        query=query,
        requested_by=user.username,
        requested_role=user.role.value,
        include_identity=include_identity,
    )
    detail: dict[str, Any] = {"kind": kind.value, "params": query.values()}
    await audit.record(
        db,
        actor=user.username,
        action=audit.REPORT_EXPORT_REQUESTED,
        target=f"export:{job.id}",
        detail=detail,
    )
    if include_identity:
        await audit.record(
            db,
            actor=user.username,
            action=audit.REPORTER_IDENTITY_REVEALED,
            target=f"export:{job.id}",
            detail={"reason": reason, "params": query.values()},
        )
    background.add_task(run_export, job.id)
    return redirect(f"/rekap/ekspor/{job.id}")


async def _own_job(db: DbSession, user: User, job_id: str) -> ReportExport:
    job = await db.get(ReportExport, job_id[:32])
    # Someone else's job is "not found": its id is the only secret of its file.
    if job is None or (job.requested_by != user.username and user.role is not Role.SUPERADMIN):
        raise PageError(404, "Ekspor tidak ditemukan.")
    return job


def _job_state(job: ReportExport) -> dict[str, Any]:
    status = job.effective_status()
    return {
        "status": status.value,
        "label": status.label,
        "progress": 100 if status is ExportStatus.SELESAI else job.progress,
        "rows": job.row_count,
        "download_url": f"/rekap/ekspor/{job.id}/unduh" if status is ExportStatus.SELESAI else None,
        "error": (job.error or FAILED_MESSAGE) if status is ExportStatus.GAGAL else None,
    }


@router.get("/ekspor/{job_id}", response_class=HTMLResponse)
async def export_page(request: Request, db: DbSession, user: Reader, job_id: str) -> HTMLResponse:
    """Progress of an export; the page polls the status and shows the download link."""
    job = await _own_job(db, user, job_id)
    query = RecapQuery.from_json(job.params)
    try:
        period_label = query.period().label
    except PeriodError:
        period_label = "-"
    return render(
        request,
        "reports/export.html",
        {
            "job": job,
            "kind": ExportKind(job.kind),
            "state": _job_state(job),
            "period_label": period_label,
            "back": "/rekap?" + query.query(),
        },
    )


@router.get("/ekspor/{job_id}/status")
async def export_status(db: DbSession, user: Reader, job_id: str) -> JSONResponse:
    """Status of an export for the progress page's polling script."""
    job = await _own_job(db, user, job_id)
    return JSONResponse(_job_state(job), headers={"Cache-Control": "no-store"})


@router.get("/ekspor/{job_id}/unduh")
async def export_download(db: DbSession, user: Reader, job_id: str) -> Response:
    """The finished file (audited)."""
    job = await _own_job(db, user, job_id)
    if job.effective_status() is not ExportStatus.SELESAI or not job.file_path:
        raise PageError(404, "Berkas ekspor belum siap.")
    if not Path(job.file_path).is_file():
        raise PageError(404, EXPIRED_MESSAGE)
    kind = ExportKind(job.kind)
    await audit.record(
        db,
        actor=user.username,
        action=audit.REPORT_EXPORT_DOWNLOADED,
        target=f"export:{job.id}",
        detail={"kind": kind.value, "identity": job.include_identity},
    )
    return FileResponse(
        job.file_path,
        media_type=kind.media_type,
        filename=job.file_name or f"rekap.{kind.value}",
        headers={"Cache-Control": "no-store"},
    )


__all__ = ["IDENTITY_EXPORT_ROLES", "REPORT_ROLES", "router"]
