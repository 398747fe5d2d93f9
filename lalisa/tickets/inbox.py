"""The complaint inbox: filters, one page of tickets, counts per status, the newest ticket id.

The back office's inbox page only parses the query string into :class:`InboxFilters`, calls
:func:`inbox_page` and renders; ordering and paging live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.paging import page_count
from lalisa.core.settings import SlaSettings, get_settings
from lalisa.tickets.categories import CATEGORY_LABELS
from lalisa.tickets.labels import OPEN_STATUSES
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.numbers import parse_ticket_number
from lalisa.tickets.sla import overdue_clause

PAGE_SIZE: Final = 50


@dataclass(frozen=True)
class InboxFilters:
    """The inbox filters, as typed in the query string (kept for the form)."""

    status: str = ""
    kategori: str = ""
    kecamatan: str = ""
    dari: str = ""
    sampai: str = ""
    terlambat: bool = False
    ditandai: bool = False
    cari: str = ""

    @classmethod
    def from_query(
        cls,
        *,
        status: str = "",
        kategori: str = "",
        kecamatan: str = "",
        dari: str = "",
        sampai: str = "",
        terlambat: str = "",
        ditandai: str = "",
        cari: str = "",
    ) -> InboxFilters:
        """The filters from the query-string values (trimmed and clipped)."""
        return cls(
            status=status.strip()[:40],
            kategori=kategori.strip()[:40],
            kecamatan=kecamatan.strip()[:64],
            dari=dari.strip()[:10],
            sampai=sampai.strip()[:10],
            terlambat=bool(terlambat.strip()),
            ditandai=bool(ditandai.strip()),
            cari=cari.strip()[:40],
        )

    def query(self, **override: Any) -> str:
        """Query string of these filters (for status links and paging)."""
        values: dict[str, Any] = {
            "status": self.status,
            "kategori": self.kategori,
            "kecamatan": self.kecamatan,
            "dari": self.dari,
            "sampai": self.sampai,
            "terlambat": "1" if self.terlambat else "",
            "ditandai": "1" if self.ditandai else "",
            "cari": self.cari,
        }
        values.update(override)
        return urlencode({key: value for key, value in values.items() if value})


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=get_settings().office.tz)


def inbox_conditions(
    filters: InboxFilters, now: datetime, sla: SlaSettings
) -> tuple[list[ColumnElement[bool]], str]:
    """SQL conditions on :class:`Ticket` for the filters, and the problems found (for the page)."""
    conditions: list[ColumnElement[bool]] = []
    problems: list[str] = []
    if filters.status == "terbuka":
        conditions.append(Ticket.status.in_(OPEN_STATUSES))
    elif filters.status in {status.value for status in TicketStatus}:
        conditions.append(Ticket.status == TicketStatus(filters.status))
    if filters.kategori in CATEGORY_LABELS:
        conditions.append(Ticket.category == filters.kategori)
    if filters.kecamatan:
        conditions.append(Ticket.kecamatan == filters.kecamatan)
    if filters.dari:
        start = _parse_date(filters.dari)
        if start is None:
            problems.append("Tanggal awal tidak valid (gunakan format TTTT-BB-HH).")
        else:
            conditions.append(Ticket.created_at >= _local_day_start(start))
    if filters.sampai:
        end = _parse_date(filters.sampai)
        if end is None:
            problems.append("Tanggal akhir tidak valid (gunakan format TTTT-BB-HH).")
        else:
            conditions.append(Ticket.created_at < _local_day_start(end + timedelta(days=1)))
    if filters.terlambat:
        conditions.append(overdue_clause(now, sla))
    if filters.ditandai:
        conditions.append(Ticket.review_flagged_at.is_not(None))
    if filters.cari.strip():
        number = parse_ticket_number(filters.cari)
        if number is not None:
            conditions.append(Ticket.number == number)
        else:
            conditions.append(
                Ticket.number.contains(filters.cari.strip().upper()[:20], autoescape=True)
            )
    return conditions, " ".join(problems)


async def status_counts(db: AsyncSession, now: datetime, sla: SlaSettings) -> dict[str, int]:
    """Tickets per status, plus ``semua``, ``terbuka``, ``ditandai`` and ``terlambat``."""
    rows = await db.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    counts = {status.value: 0 for status in TicketStatus}
    for status, count in rows.all():
        counts[TicketStatus(status).value] = int(count)
    counts["semua"] = sum(counts[status.value] for status in TicketStatus)
    counts["terbuka"] = sum(counts[status.value] for status in OPEN_STATUSES)
    flagged = select(func.count()).where(Ticket.review_flagged_at.is_not(None))
    counts["ditandai"] = int((await db.execute(flagged)).scalar_one())
    overdue = select(func.count()).where(overdue_clause(now, sla))
    counts["terlambat"] = int((await db.execute(overdue)).scalar_one())
    return counts


async def latest_ticket_id(db: AsyncSession) -> int:
    """The highest ticket id (0 without tickets): the inbox's auto-refresh compares it."""
    return int((await db.execute(select(func.coalesce(func.max(Ticket.id), 0)))).scalar_one())


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox: the tickets, how many match, and the filters' problems."""

    tickets: list[Ticket]
    total: int
    page: int
    problem: str

    @property
    def pages(self) -> int:
        """Number of pages (at least one, for an empty inbox)."""
        return page_count(self.total, PAGE_SIZE)


async def inbox_page(
    db: AsyncSession, filters: InboxFilters, page: int, now: datetime, sla: SlaSettings
) -> InboxPage:
    """Flagged and new complaints first, then the newest; ``PAGE_SIZE`` per page."""
    conditions, problem = inbox_conditions(filters, now, sla)
    total = int(
        (await db.execute(select(func.count()).select_from(Ticket).where(*conditions))).scalar_one()
    )
    query = (
        select(Ticket)
        .where(*conditions)
        .order_by(
            case((Ticket.review_flagged_at.is_not(None), 0), else_=1),
            case((Ticket.status == TicketStatus.BARU, 0), else_=1),
            Ticket.created_at.desc(),
            Ticket.id.desc(),
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    tickets = list((await db.execute(query)).scalars())
    return InboxPage(tickets=tickets, total=total, page=page, problem=problem)
