"""Page "Survei Kepuasan (SKM)": IKM and mutu of a period, per-unsur NRR, responses, export.

Who: superadmin, admin and pimpinan. Suggestions are shown with phone numbers, e-mail
addresses and long numbers masked, and without the ticket or the reporter, because SKM
answers are given in confidence.

The export (:func:`export_rows`, written out by :func:`rows_to_csv`) holds one row per
survey and no identity. It is CSV; an XLSX writer can take the same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.permissions import require_roles
from backoffice.templating import local_time, render
from lalisa.core import audit
from lalisa.core.settings import get_settings
from lalisa.office.schedule import MONTH_NAMES_ID
from lalisa.reports.recap import month_period, quarter_period, year_period
from lalisa.survey.models import SurveyResponse, answers_of
from lalisa.survey.service import (
    SurveyCounts,
    count_responses,
    counted_answers,
    mask_identity,
    responses_in_period,
)
from lalisa.survey.skm import MUTU_LABELS, UNSUR, UNSUR_LABELS, SkmResult, Weighting, compute
from lalisa.tickets.models import TicketStatus
from lalisa.users.models import User

router = APIRouter(prefix="/survei", tags=["survei"])

VIEW_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN, Role.PIMPINAN)
Viewer = Annotated[User, Depends(require_roles(*VIEW_ROLES))]

PERIOD_KINDS: Final = {
    "bulan": "Bulan",
    "triwulan": "Triwulan",
    "tahun": "Tahun",
    "kustom": "Rentang tanggal",
}
MAX_SUGGESTIONS: Final = 200


@dataclass(frozen=True)
class Period:
    """A reporting period in the agency's time zone.

    Attributes:
        kind: ``bulan``, ``triwulan``, ``tahun`` or ``kustom``.
        start: First local day.
        end: Last local day (inclusive).
        label: Bahasa Indonesia name (``November 2026``, ``Triwulan IV 2026`` …).
    """

    kind: str
    start: date
    end: date
    label: str

    def bounds(self) -> tuple[datetime, datetime]:
        """UTC ``[start, end)`` of the period."""
        tz = get_settings().office.tz
        start = datetime.combine(self.start, time.min, tzinfo=tz)
        end = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _parse_day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def resolve_period(
    kind: str, year: int, month: int, quarter: int, start: str, end: str, today: date
) -> Period:
    """Turn the form's choices into a period; invalid values fall back to sensible ones.

    Args:
        kind: Period kind (see :data:`PERIOD_KINDS`); unknown → ``bulan``.
        year: Year (0: the current one).
        month: Month 1..12 (0: the current one).
        quarter: Quarter 1..4 (0: the current one).
        start: First day of a custom range (ISO date).
        end: Last day of a custom range (ISO date).
        today: The local date today.

    Returns:
        The period.
    """
    kind = kind if kind in PERIOD_KINDS else "bulan"
    year = year if 2000 <= year <= 2100 else today.year
    if kind == "kustom":
        first_day = _parse_day(start) or today.replace(day=1)
        last_day = _parse_day(end) or today
        if last_day < first_day:
            first_day, last_day = last_day, first_day
        label = f"{first_day:%d-%m-%Y} s.d. {last_day:%d-%m-%Y}"
        return Period(kind, first_day, last_day, label)
    # The calendar periods are the recap page's, so both pages name them alike.
    if kind == "tahun":
        calendar = year_period(year)
    elif kind == "triwulan":
        calendar = quarter_period(
            year, quarter if 1 <= quarter <= 4 else (today.month - 1) // 3 + 1
        )
    else:
        calendar = month_period(year, month if 1 <= month <= 12 else today.month)
    return Period(calendar.kind, calendar.first_day, calendar.last_day, calendar.label)


def _weighting(raw: str) -> Weighting:
    try:
        return Weighting(raw)
    except ValueError:
        return Weighting.EXACT


@dataclass(frozen=True)
class SurveyReport:
    """Everything the page shows for one period."""

    period: Period
    result: SkmResult
    counts: SurveyCounts
    suggestions: list[tuple[datetime, str]]


async def build_report(db: AsyncSession, period: Period, weighting: Weighting) -> SurveyReport:
    """Compute the SKM of a period from the stored surveys.

    Args:
        db: Session.
        period: The period (surveys are placed by their invitation time).
        weighting: The weighting to apply.

    Returns:
        The report.
    """
    start, end = period.bounds()
    surveys = await responses_in_period(db, start, end)
    suggestions = [
        (survey.completed_at or survey.updated_at, mask_identity(survey.saran))
        for survey in surveys
        if survey.saran
    ]
    suggestions.sort(key=lambda item: item[0], reverse=True)
    return SurveyReport(
        period=period,
        result=compute(counted_answers(surveys), weighting),
        counts=count_responses(surveys),
        suggestions=suggestions[:MAX_SUGGESTIONS],
    )


EXPORT_HEADER: Final = (
    "diundang",
    "hasil_aduan",
    "status_survei",
    *(f"u{index}_{key}" for index, key in enumerate(UNSUR, start=1)),
    "saran",
)


def _cell(value: str) -> str:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export_rows(surveys: Iterable[SurveyResponse]) -> list[list[str]]:
    """One row per survey (no ticket number, no identity), under :data:`EXPORT_HEADER`.

    Args:
        surveys: The surveys of the period.

    Returns:
        Rows of strings (empty string for an unanswered unsur).
    """
    rows: list[list[str]] = []
    for survey in surveys:
        answers = answers_of(survey)
        rows.append(
            [
                local_time(survey.invited_at, with_zone=False),
                TicketStatus(survey.close_status).label,
                survey.status.label,
                *("" if answers[key] is None else str(answers[key]) for key in UNSUR),
                _cell(mask_identity(survey.saran)) if survey.saran else "",
            ]
        )
    return rows


def rows_to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """Write rows as UTF-8 CSV with a byte-order mark (so spreadsheet programs read it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


PeriodKind = Annotated[str, Query(max_length=16)]
Number = Annotated[int, Query(ge=0, le=9999)]
Day = Annotated[str, Query(max_length=10)]


def _today() -> date:
    return datetime.now(timezone.utc).astimezone(get_settings().office.tz).date()


@router.get("", response_class=HTMLResponse)
async def survey_page(
    request: Request,
    db: DbSession,
    _user: Viewer,
    periode: PeriodKind = "bulan",
    tahun: Number = 0,
    bulan: Number = 0,
    triwulan: Number = 0,
    dari: Day = "",
    sampai: Day = "",
    bobot: Annotated[str, Query(max_length=8)] = Weighting.EXACT.value,
) -> HTMLResponse:
    """Show IKM, mutu, per-unsur NRR, response counts and suggestions of a period."""
    today = _today()
    period = resolve_period(periode, tahun, bulan, triwulan, dari, sampai, today)
    weighting = _weighting(bobot)
    report = await build_report(db, period, weighting)
    query = request.url.query
    context: dict[str, Any] = {
        "report": report,
        "result": report.result,
        "weighting": weighting,
        "weightings": list(Weighting),
        "period_kinds": PERIOD_KINDS,
        "months": list(enumerate(MONTH_NAMES_ID, start=1)),
        "years": list(range(today.year - 5, today.year + 1)),
        "selected_year": period.start.year,
        "selected_month": period.start.month,
        "selected_quarter": (period.start.month - 1) // 3 + 1,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "mutu_labels": MUTU_LABELS,
        "unsur_labels": UNSUR_LABELS,
        "export_url": "/survei/ekspor.csv" + (f"?{query}" if query else ""),
    }
    return render(request, "survey/skm.html", context)


@router.get("/ekspor.csv")
async def export_csv(
    db: DbSession,
    user: Viewer,
    periode: PeriodKind = "bulan",
    tahun: Number = 0,
    bulan: Number = 0,
    triwulan: Number = 0,
    dari: Day = "",
    sampai: Day = "",
) -> Response:
    """Download the surveys of a period as CSV (one row per survey); audited."""
    period = resolve_period(periode, tahun, bulan, triwulan, dari, sampai, _today())
    start, end = period.bounds()
    surveys = await responses_in_period(db, start, end)
    body = rows_to_csv(EXPORT_HEADER, export_rows(surveys))
    await audit.record(
        db,
        actor=user.username,
        action=audit.SURVEY_EXPORTED,
        target="survey",
        detail={"periode": period.label, "baris": len(surveys), "format": "csv"},
    )
    filename = f"survei-skm-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        content=body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
