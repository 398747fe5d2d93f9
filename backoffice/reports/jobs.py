"""Export jobs of the recap (XLSX, PDF): a table row per job, run in the background.

A request only records the job and returns; the work runs after the response (FastAPI
background task) and writes its progress to the row, so the progress page survives a reload
and a slow export never holds a request open. The file lands under
``<LALISA_VAR_DIR>/exports``; only the officer who asked (or a superadmin) may download it.

A job whose process died (a restart mid-export) is reported as failed once it has been
waiting or running for longer than :data:`STALE_AFTER`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.reports.params import RecapQuery
from backoffice.reports.pdf import build_pdf
from backoffice.reports.xlsx import XLSX_CHUNK, Identity, RecapWorkbook
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import session_scope
from lalisa.core.models import utcnow
from lalisa.core.settings import get_settings
from lalisa.reports.models import ExportKind, ExportStatus, ReportExport
from lalisa.reports.recap import compute_recap
from lalisa.tickets.models import Reporter, Ticket
from lalisa_common.files import write_atomically

logger = logging.getLogger(__name__)

RETENTION: Final = timedelta(days=7)
"""Finished files are deleted after this long (an XLSX may hold reporter identities)."""


PURGE_INTERVAL: Final = timedelta(hours=1)
"""How often the running back office deletes expired export files."""

FAILED_MESSAGE: Final = "Ekspor gagal dibuat. Coba lagi; bila terulang, hubungi admin sistem."


def exports_dir() -> Path:
    """Folder of finished export files."""
    return get_settings().storage.var_dir / "exports"


def purge_old_files(now: datetime | None = None) -> int:
    """Delete export files older than :data:`RETENTION`.

    Runs before every new export and every :data:`PURGE_INTERVAL` while the back office runs
    (:func:`purge_periodically`), so files go even when nobody exports again.

    Returns:
        How many files were deleted.
    """
    limit = (now or datetime.now(timezone.utc)) - RETENTION
    folder = exports_dir()
    if not folder.is_dir():
        return 0
    deleted = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < limit.timestamp():
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


async def purge_periodically(interval: timedelta = PURGE_INTERVAL) -> None:
    """Purge old export files now and then every ``interval``, until cancelled."""
    while True:
        try:
            deleted = await asyncio.to_thread(purge_old_files)
        except OSError:
            logger.exception("Purging old export files failed")
        else:
            if deleted:
                logger.info("Deleted %d export file(s) older than %s", deleted, RETENTION)
        await asyncio.sleep(interval.total_seconds())


async def create_job(
    session: AsyncSession,
    *,
    kind: ExportKind,
    query: RecapQuery,
    requested_by: str,
    requested_role: str,
    include_identity: bool,
) -> ReportExport:
    """Record a new job (the caller schedules :func:`run_export` after committing).

    Returns:
        The job, flushed.
    """
    job = ReportExport(
        id=secrets.token_hex(16),
        kind=kind.value,
        status=ExportStatus.MENUNGGU.value,
        progress=0,
        params=query.to_json(),
        include_identity=include_identity,
        requested_by=requested_by,
        requested_role=requested_role,
        created_at=utcnow(),
    )
    session.add(job)
    await session.flush()
    return job


async def _update(job_id: str, **values: object) -> None:
    async with session_scope() as session:
        job = await session.get(ReportExport, job_id)
        if job is None:
            return
        for name, value in values.items():
            setattr(job, name, value)


async def _identities(ticket_ids: list[int]) -> dict[int, Identity]:
    cipher = get_identity_cipher()
    result: dict[int, Identity] = {}
    async with session_scope() as session:
        rows = await session.execute(
            select(Ticket.id, Reporter.phone_encrypted, Reporter.name_encrypted)
            .join(Reporter, Reporter.id == Ticket.reporter_id)
            .where(Ticket.id.in_(ticket_ids))
        )
        for ticket_id, phone, name in rows.all():
            result[int(ticket_id)] = Identity(
                phone=cipher.decrypt(phone), name=cipher.decrypt(name) if name else None
            )
    return result


def _file_name(kind: ExportKind, query: RecapQuery, now: datetime) -> str:
    period = "-".join(query.values().get(key, "") for key in ("tahun", "bulan", "triwulan"))
    if query.periode == "rentang":
        period = f"{query.dari}_{query.sampai}"
    stamp = now.astimezone(get_settings().office.tz).strftime("%Y%m%d-%H%M")
    return f"rekap-aduan-{query.periode}-{period.strip('-')}-{stamp}.{kind.value}"


async def run_export(job_id: str, *, now: datetime | None = None) -> None:
    """Build the file of a job and record the result (never raises).

    Args:
        job_id: The job.
        now: The moment the recap's state is taken at (tests); defaults to now.
    """
    try:
        async with session_scope() as session:
            job = await session.get(ReportExport, job_id)
            if job is None or job.status != ExportStatus.MENUNGGU.value:
                return
            job.status = ExportStatus.BERJALAN.value
            job.started_at = utcnow()
            job.progress = 5
            kind = ExportKind(job.kind)
            query = RecapQuery.from_json(job.params)
            include_identity = job.include_identity
        moment = now or datetime.now(timezone.utc)
        await asyncio.to_thread(purge_old_files)
        recap_filter = query.to_filter()
        async with session_scope() as session:
            recap = await compute_recap(session, recap_filter, now=moment)
        await _update(job_id, progress=25)
        if kind is ExportKind.XLSX:
            identities: Mapping[int, Identity] | None = None
            if include_identity:
                identities = await _identities([item.id for item in recap.facts])
            workbook = RecapWorkbook(recap, identities)
            facts = list(recap.facts)
            for start in range(0, len(facts), XLSX_CHUNK):
                workbook.add_rows(facts[start : start + XLSX_CHUNK])
                done = min(len(facts), start + XLSX_CHUNK)
                await _update(job_id, progress=25 + int(65 * done / max(1, len(facts))))
            content = await asyncio.to_thread(workbook.to_bytes)
        else:
            content = await asyncio.to_thread(build_pdf, recap, get_settings())
        await _update(job_id, progress=95)
        folder = exports_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"{job_id}.{kind.value}"
        # Mode 0600 (mkstemp): an XLSX may hold reporter identities; no other local user reads it.
        await asyncio.to_thread(write_atomically, path, content)
        await _update(
            job_id,
            status=ExportStatus.SELESAI.value,
            progress=100,
            finished_at=utcnow(),
            file_path=str(path),
            file_name=_file_name(kind, query, moment),
            row_count=len(recap.facts),
        )
    except Exception:
        logger.exception("export job %s failed", job_id)
        await _update(
            job_id, status=ExportStatus.GAGAL.value, finished_at=utcnow(), error=FAILED_MESSAGE
        )
