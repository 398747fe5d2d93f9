"""Retention: old conversations and message logs are deleted, ``python -m lalisa.retention``.

Started daily by ``lalisa-retention.timer`` (deploy/systemd). Each store keeps citizens' texts
and numbers outside the encrypted reporter table, so each has a limit in days:

* ``LALISA_TRACKER_RETENTION_DAYS`` (default 90): Rasa's ``events`` table in the tracker
  database, and the review index built from it (``review_conversations`` and its turns).
  Rasa reads a conversation back only from its latest ``session_started`` event and counts the
  stored events of that session to know which are new (``SQLTrackerStore._additional_events``).
  So only two kinds of events are deleted: every event of a conversation that has been silent
  longer than the limit, and, in a conversation still in use, the old events before its latest
  session start. The current session is never cut, and Rasa never stores an event twice.
  Reviewed conversations with annotations (training examples, identity masked) are kept.
* ``LALISA_INBOUND_RETENTION_DAYS`` (default 30, at least 7 so Meta's redeliveries are still
  recognised as duplicates): ``whatsapp_inbound_messages``.
* ``LALISA_OUTBOUND_RETENTION_DAYS`` (default 30): ``whatsapp_outbound_messages`` (recipient
  numbers, message summaries, delivery statuses). The outbox keeps its own encrypted rows.

Tickets, reporters, the audit log and the outbox are records of the agency and are not pruned.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.exc import NoSuchTableError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from lalisa.core.db import session_scope
from lalisa.core.settings import RetentionSettings, SettingsError, get_settings
from lalisa.notifications.channel_tables import inbound_messages, outbound_messages
from lalisa.review.models import ReviewAnnotation, ReviewConversation, ReviewTurn
from lalisa_common.database import to_async_url
from lalisa_common.logs import configure_logging

logger = logging.getLogger(__name__)

SESSION_STARTED: Final = "session_started"

_tracker_metadata = MetaData()
tracker_events: Final = Table(
    "events",
    _tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
"""Rasa 3.6's tracker table (SQLTrackerStore); Rasa owns it, La-Lisa only deletes old rows."""


@dataclass(frozen=True)
class RetentionResult:
    """Rows deleted by one run."""

    tracker_events: int = 0
    review_conversations: int = 0
    inbound_messages: int = 0
    outbound_messages: int = 0


async def prune_tracker(tracker_url: str, cutoff: datetime) -> int:
    """Deletes Rasa events older than ``cutoff`` that Rasa no longer reads (see module doc).

    Returns:
        Deleted events; 0 when the tracker has no ``events`` table yet (Rasa never ran).
    """
    events = tracker_events
    limit = cutoff.timestamp()
    silent = (
        select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(func.max(events.c.timestamp) < limit)
    )
    earlier = events.alias("earlier")
    latest_session_start = (
        select(func.max(earlier.c.timestamp))
        .where(earlier.c.sender_id == events.c.sender_id, earlier.c.type_name == SESSION_STARTED)
        .scalar_subquery()
    )
    engine = create_async_engine(to_async_url(tracker_url), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            try:
                whole = await connection.execute(
                    delete(events).where(events.c.sender_id.in_(silent))
                )
            except (OperationalError, ProgrammingError, NoSuchTableError) as error:
                if "events" not in str(error):
                    raise
                logger.info("No tracker events table yet; nothing to prune")
                return 0
            old_sessions = await connection.execute(
                delete(events).where(
                    events.c.timestamp < limit, events.c.timestamp < latest_session_start
                )
            )
            return int(whole.rowcount or 0) + int(old_sessions.rowcount or 0)
    finally:
        await engine.dispose()


async def prune_review_index(cutoff: datetime) -> int:
    """Deletes review conversations last active before ``cutoff`` that hold no annotation."""
    annotated = exists(
        select(ReviewTurn.id)
        .join(ReviewAnnotation, ReviewAnnotation.turn_id == ReviewTurn.id)
        .where(ReviewTurn.conversation_id == ReviewConversation.id)
    )
    async with session_scope() as session:
        result = await session.execute(
            delete(ReviewConversation).where(ReviewConversation.last_at < cutoff, ~annotated)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def prune_message_logs(
    inbound_cutoff: datetime, outbound_cutoff: datetime
) -> tuple[int, int]:
    """Deletes WhatsApp inbound and outbound log rows older than their cutoffs."""
    async with session_scope() as session:
        inbound = await session.execute(
            inbound_messages.delete().where(inbound_messages.c.received_at < inbound_cutoff)
        )
        outbound = await session.execute(
            outbound_messages.delete().where(outbound_messages.c.created_at < outbound_cutoff)
        )
        return int(inbound.rowcount or 0), int(outbound.rowcount or 0)  # type: ignore[attr-defined]


async def run_retention(
    limits: RetentionSettings, *, now: datetime | None = None, tracker_url: str | None = None
) -> RetentionResult:
    """Applies every limit once.

    Args:
        limits: Days per store.
        now: The reference time (tests); defaults to now.
        tracker_url: The tracker database; defaults to the configured one.

    Returns:
        What was deleted.
    """
    current = now or datetime.now(timezone.utc)
    tracker_cutoff = current - timedelta(days=limits.tracker_days)
    events_deleted = await prune_tracker(
        tracker_url or get_settings().database.tracker_url, tracker_cutoff
    )
    conversations = await prune_review_index(tracker_cutoff)
    inbound, outbound = await prune_message_logs(
        current - timedelta(days=limits.inbound_days),
        current - timedelta(days=limits.outbound_days),
    )
    result = RetentionResult(events_deleted, conversations, inbound, outbound)
    logger.info(
        "Retention: %d tracker events, %d review conversations, %d inbound and %d outbound "
        "WhatsApp log rows deleted",
        result.tracker_events,
        result.review_conversations,
        result.inbound_messages,
        result.outbound_messages,
    )
    return result


def main() -> int:
    """Runs retention once (``python -m lalisa.retention``)."""
    configure_logging()
    try:
        limits = get_settings().retention
    except SettingsError as error:
        print(f"retention: {error}", file=sys.stderr)
        return 2
    asyncio.run(run_retention(limits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
