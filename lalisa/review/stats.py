"""Trainer page statistics: daily conversations and fallbacks, corrections, low confidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.settings import get_settings
from lalisa.review.models import (
    ReviewAnnotation,
    ReviewConversation,
    ReviewTurn,
)


@dataclass
class DayStats:
    """Conversations and fallback share of one WITA day."""

    day: date
    conversations: int = 0
    with_fallback: int = 0

    @property
    def fallback_rate(self) -> float:
        """Share of the day's conversations with a fallback (0 when there were none)."""
        return self.with_fallback / self.conversations if self.conversations else 0.0


@dataclass
class TrainerStats:
    """The numbers of the trainer page."""

    days: list[DayStats] = field(default_factory=list)
    corrected: list[tuple[str, str, int]] = field(default_factory=list)
    """(predicted intent, annotated intent, count), most frequent first."""
    lowest: list[tuple[ReviewTurn, ReviewConversation]] = field(default_factory=list)

    @property
    def max_conversations(self) -> int:
        """Largest daily count (scales the bars)."""
        return max((day.conversations for day in self.days), default=0)


async def trainer_stats(
    session: AsyncSession, *, now: datetime, days: int = 14, lowest: int = 20
) -> TrainerStats:
    """Conversations and fallback rate per day, most corrected intents, lowest confidences.

    Args:
        session: Session of the La-Lisa database.
        now: The current time.
        days: How many WITA days (ending today) the daily table covers.
        lowest: How many of the week's lowest-confidence messages to list.

    Returns:
        The statistics.
    """
    tz = get_settings().office.tz
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tz)
    stats = TrainerStats(days=[DayStats(first_day + timedelta(days=i)) for i in range(days)])
    by_day = {day.day: day for day in stats.days}
    rows = await session.execute(
        select(ReviewConversation.first_at, ReviewConversation.had_fallback).where(
            ReviewConversation.first_at >= start
        )
    )
    for first_at, had_fallback in rows.all():
        bucket = by_day.get(first_at.astimezone(tz).date())
        if bucket is not None:
            bucket.conversations += 1
            bucket.with_fallback += int(bool(had_fallback))
    corrected = await session.execute(
        select(
            func.coalesce(ReviewAnnotation.original_intent, ""),
            ReviewAnnotation.intent,
            func.count(),
        )
        .where(
            (ReviewAnnotation.original_intent.is_(None))
            | (ReviewAnnotation.original_intent != ReviewAnnotation.intent)
        )
        .group_by(ReviewAnnotation.original_intent, ReviewAnnotation.intent)
        .order_by(func.count().desc(), ReviewAnnotation.intent)
        .limit(15)
    )
    stats.corrected = [(str(a), str(b), int(c)) for a, b, c in corrected.all()]
    week = now - timedelta(days=7)
    low = await session.execute(
        select(ReviewTurn, ReviewConversation)
        .join(ReviewConversation, ReviewTurn.conversation_id == ReviewConversation.id)
        .where(ReviewTurn.at >= week, ReviewTurn.confidence.is_not(None))
        .order_by(ReviewTurn.confidence, ReviewTurn.id)
        .limit(lowest)
    )
    stats.lowest = [(turn, conversation) for turn, conversation in low.all()]
    return stats


async def reviewed_count(db: AsyncSession) -> int:
    """How many conversations a reviewer marked as reviewed."""
    query = select(func.count()).where(ReviewConversation.reviewed_at.is_not(None))
    return int((await db.execute(query)).scalar_one())
