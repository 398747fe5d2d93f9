"""Filters of the conversation review list: the query-string form and its SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, ClassVar, Final
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.paging import page_count
from lalisa.core.settings import get_settings
from lalisa.review.models import (
    ReviewConversation,
    ReviewItem,
    ReviewSavedFilter,
    ReviewTag,
    ReviewTurn,
)

PAGE_SIZE: Final = 50

# Messages for the reviewer (Bahasa Indonesia).
BAD_DATE: Final = "Tanggal tidak valid (gunakan format TTTT-BB-HH)."
BAD_CONFIDENCE: Final = "Keyakinan harus angka antara 0 dan 1."


@dataclass(frozen=True)
class ReviewFilters:
    """Filters of the review list, as typed in the query string (kept for the form)."""

    dari: str = ""
    sampai: str = ""
    kanal: str = ""
    intent: str = ""
    aksi: str = ""
    slot: str = ""
    conf_min: str = ""
    conf_max: str = ""
    fallback: str = ""
    tiket: str = ""
    ditinjau: str = ""
    tag: str = ""

    FIELDS: ClassVar[tuple[str, ...]] = (
        "dari",
        "sampai",
        "kanal",
        "intent",
        "aksi",
        "slot",
        "conf_min",
        "conf_max",
        "fallback",
        "tiket",
        "ditinjau",
        "tag",
    )

    @classmethod
    def from_mapping(cls, values: Any) -> ReviewFilters:
        """Read the filters from a query-string mapping (unknown keys ignored, values clipped)."""
        return cls(**{name: str(values.get(name, "") or "").strip()[:64] for name in cls.FIELDS})

    def query(self, **override: Any) -> str:
        """Query string of these filters (for paging and saved filters)."""
        values = {name: getattr(self, name) for name in self.FIELDS}
        values.update(override)
        return urlencode({key: value for key, value in values.items() if value})

    @property
    def active(self) -> bool:
        """True when at least one filter is set."""
        return any(getattr(self, name) for name in self.FIELDS)


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _confidence(raw: str) -> float | None:
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _has_item(kind: str, name: str) -> ColumnElement[bool]:
    return exists().where(
        ReviewItem.conversation_id == ReviewConversation.id,
        ReviewItem.kind == kind,
        ReviewItem.name == name,
    )


def _yes_no(raw: str, column: ColumnElement[bool]) -> ColumnElement[bool] | None:
    if raw == "ya":
        return column
    if raw == "tidak":
        return ~column
    return None


def filter_conditions(filters: ReviewFilters) -> tuple[list[ColumnElement[bool]], list[str]]:
    """SQL conditions on :class:`ReviewConversation` for the filters.

    Dates are WITA days and select conversations active on those days; the confidence range
    selects conversations with at least one user message whose confidence lies in it.

    Args:
        filters: The filters.

    Returns:
        The conditions and the problems found (Bahasa Indonesia, for the page).
    """
    tz = get_settings().office.tz
    conditions: list[ColumnElement[bool]] = []
    problems: list[str] = []
    for raw, is_start in ((filters.dari, True), (filters.sampai, False)):
        if not raw:
            continue
        day = _day(raw)
        if day is None:
            problems.append(BAD_DATE)
        elif is_start:
            conditions.append(ReviewConversation.last_at >= datetime.combine(day, time.min, tz))
        else:
            end = datetime.combine(day + timedelta(days=1), time.min, tz)
            conditions.append(ReviewConversation.first_at < end)
    if filters.kanal:
        conditions.append(ReviewConversation.channel == filters.kanal)
    for kind, name in (
        ("intent", filters.intent),
        ("action", filters.aksi),
        ("slot", filters.slot),
    ):
        if name:
            conditions.append(_has_item(kind, name))
    bounds = []
    for raw in (filters.conf_min, filters.conf_max):
        value = _confidence(raw) if raw else None
        if raw and value is None:
            problems.append(BAD_CONFIDENCE)
        bounds.append(value)
    low, high = bounds
    if low is not None or high is not None:
        turn_conditions = [ReviewTurn.conversation_id == ReviewConversation.id]
        if low is not None:
            turn_conditions.append(ReviewTurn.confidence >= low)
        if high is not None:
            turn_conditions.append(ReviewTurn.confidence <= high)
        conditions.append(exists().where(and_(*turn_conditions)))
    for raw, column in (
        (filters.fallback, ReviewConversation.had_fallback.is_(True)),
        (filters.tiket, ReviewConversation.ended_in_ticket.is_(True)),
        (filters.ditinjau, ReviewConversation.reviewed_at.is_not(None)),
    ):
        condition = _yes_no(raw, column)
        if condition is not None:
            conditions.append(condition)
    if filters.tag:
        conditions.append(
            exists().where(
                ReviewTag.conversation_id == ReviewConversation.id,
                ReviewTag.tag == normalise_tag(filters.tag),
            )
        )
    return conditions, problems


def filtered_query(filters: ReviewFilters) -> tuple[Select[tuple[ReviewConversation]], list[str]]:
    """The newest-first query of the conversations matching ``filters``."""
    conditions, problems = filter_conditions(filters)
    query = (
        select(ReviewConversation)
        .where(*conditions)
        .order_by(ReviewConversation.last_at.desc(), ReviewConversation.id.desc())
    )
    return query, problems


def normalise_tag(raw: str) -> str:
    """Tags are lower case, single-spaced, at most 64 characters."""
    return " ".join(raw.lower().split())[:64]


async def filter_choices(session: AsyncSession) -> dict[str, list[str]]:
    """Distinct channels, intents, actions, slots and tags, for the filter form."""
    choices: dict[str, list[str]] = {}
    channels = await session.execute(
        select(ReviewConversation.channel)
        .where(ReviewConversation.channel.is_not(None))
        .distinct()
        .order_by(ReviewConversation.channel)
    )
    choices["kanal"] = [str(value) for value in channels.scalars()]
    for kind in ("intent", "action", "slot"):
        names = await session.execute(
            select(ReviewItem.name)
            .where(ReviewItem.kind == kind)
            .distinct()
            .order_by(ReviewItem.name)
        )
        choices[kind] = list(names.scalars())
    tags = await session.execute(select(ReviewTag.tag).distinct().order_by(ReviewTag.tag))
    choices["tag"] = list(tags.scalars())
    return choices


async def conversation_tags(db: AsyncSession, ids: list[int]) -> dict[int, list[str]]:
    """The tags of each conversation in ``ids``, alphabetically."""
    tags: dict[int, list[str]] = {conversation_id: [] for conversation_id in ids}
    if ids:
        rows = await db.execute(
            select(ReviewTag.conversation_id, ReviewTag.tag)
            .where(ReviewTag.conversation_id.in_(ids))
            .order_by(ReviewTag.tag)
        )
        for conversation_id, tag in rows.all():
            tags[conversation_id].append(tag)
    return tags


@dataclass(frozen=True)
class ReviewPage:
    """One page of the review list: the conversations, how many match, the filters' problems."""

    conversations: list[ReviewConversation]
    total: int
    page: int
    problems: list[str]

    @property
    def pages(self) -> int:
        """Number of pages (at least one, for an empty list)."""
        return page_count(self.total, PAGE_SIZE)


async def review_page(session: AsyncSession, filters: ReviewFilters, page: int) -> ReviewPage:
    """The conversations matching ``filters``, newest first, ``PAGE_SIZE`` per page."""
    query, problems = filtered_query(filters)
    counted = select(func.count()).select_from(query.subquery())
    total = int((await session.execute(counted)).scalar_one())
    rows = await session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    return ReviewPage(list(rows.scalars()), total, page, problems)


async def saved_filters(session: AsyncSession, user_id: int) -> list[ReviewSavedFilter]:
    """The filters a reviewer saved, by name."""
    query = (
        select(ReviewSavedFilter)
        .where(ReviewSavedFilter.user_id == user_id)
        .order_by(ReviewSavedFilter.name)
    )
    return list((await session.execute(query)).scalars())
