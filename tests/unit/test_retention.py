"""Retention: what is deleted from the tracker, the review index and the WhatsApp logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from lalisa import retention
from lalisa.core.db import create_engine_for_url, migrate, session_scope
from lalisa.core.settings import RetentionSettings, SettingsError
from lalisa.notifications.channel_tables import inbound_messages, outbound_messages
from lalisa.review.models import ReviewAnnotation, ReviewConversation, ReviewTurn

NOW = datetime(2026, 11, 30, 2, 30, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=1)
LIMITS = RetentionSettings(tracker_days=90, inbound_days=30, outbound_days=30)


@pytest.fixture
async def tracker_url(db: str, tmp_path: Path) -> AsyncIterator[str]:
    """The tracker database: shared with La-Lisa on PostgreSQL, a file of its own on SQLite."""
    url = db if db.startswith("postgresql") else f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(retention.tracker_events.metadata.create_all)
        yield url
    finally:
        async with engine.begin() as connection:
            await connection.run_sync(retention.tracker_events.metadata.drop_all)
        await engine.dispose()


async def add_events(url: str, sender: str, events: list[tuple[str, datetime]]) -> None:
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.begin() as connection:
            for type_name, at in events:
                await connection.execute(
                    retention.tracker_events.insert().values(
                        sender_id=sender,
                        type_name=type_name,
                        timestamp=at.timestamp(),
                        data=json.dumps({"event": type_name}),
                    )
                )
    finally:
        await engine.dispose()


async def remaining(url: str) -> dict[str, list[str]]:
    engine = create_engine_for_url(url, null_pool=True)
    events = retention.tracker_events
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(events.c.sender_id, events.c.type_name).order_by(events.c.id)
                )
            ).all()
    finally:
        await engine.dispose()
    found: dict[str, list[str]] = {}
    for sender, type_name in rows:
        found.setdefault(sender, []).append(type_name)
    return found


async def since_last_session_start(url: str, sender: str) -> int:
    """What Rasa's SQLTrackerStore counts to find new events (_additional_events)."""
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            query = text(
                "SELECT COUNT(*) FROM events WHERE sender_id = :s AND (timestamp >= "
                "(SELECT MAX(timestamp) FROM events WHERE sender_id = :s "
                "AND type_name = 'session_started') OR NOT EXISTS (SELECT 1 FROM events "
                "WHERE sender_id = :s AND type_name = 'session_started'))"
            )
            return int((await connection.execute(query, {"s": sender})).scalar_one())
    finally:
        await engine.dispose()


async def test_tracker_prune_keeps_what_rasa_still_reads(tracker_url: str) -> None:
    day = timedelta(days=1)
    await add_events(tracker_url, "silent", [("session_started", OLD), ("user", OLD + day)])
    await add_events(
        tracker_url,
        "returning",
        [
            ("session_started", OLD),
            ("user", OLD),
            ("bot", OLD),
            ("session_started", RECENT),
            ("user", RECENT),
        ],
    )
    # No session start at all: Rasa counts every event, so none may go while it is in use.
    await add_events(tracker_url, "sessionless", [("user", OLD), ("user", RECENT)])
    # A session that began long ago and is still going: all of it is the current session.
    await add_events(
        tracker_url, "long", [("session_started", OLD), ("user", OLD), ("user", RECENT)]
    )
    counted_before = {
        sender: await since_last_session_start(tracker_url, sender)
        for sender in ("returning", "sessionless", "long")
    }

    deleted = await retention.prune_tracker(tracker_url, NOW - timedelta(days=90))

    assert deleted == 2 + 3
    assert await remaining(tracker_url) == {
        "returning": ["session_started", "user"],
        "sessionless": ["user", "user"],
        "long": ["session_started", "user", "user"],
    }
    for sender, count in counted_before.items():
        assert await since_last_session_start(tracker_url, sender) == count, sender
    assert await retention.prune_tracker(tracker_url, NOW - timedelta(days=90)) == 0


async def test_tracker_without_events_table_is_left_alone(db: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never-ran.db'}"
    assert await retention.prune_tracker(url, NOW) == 0


async def add_review_conversation(last_at: datetime, *, annotated: bool) -> int:
    async with session_scope() as session:
        conversation = ReviewConversation(
            sender_index="a" * 64,
            sender_encrypted="token",
            pseudonym="Warga-AAAAAAAA",
            first_event_id=int(last_at.timestamp()),
            last_event_id=int(last_at.timestamp()) + 1,
            first_at=last_at,
            last_at=last_at,
        )
        session.add(conversation)
        await session.flush()
        turn = ReviewTurn(
            conversation_id=conversation.id,
            event_id=int(last_at.timestamp()) + int(annotated),
            at=last_at,
            text="ada pkl di trotoar",
        )
        session.add(turn)
        await session.flush()
        if annotated:
            session.add(
                ReviewAnnotation(
                    turn_id=turn.id,
                    text="ada pkl di trotoar",
                    intent="report_complaint",
                    author="pelatih",
                )
            )
        return conversation.id


async def add_log_rows(at: datetime, wamid: str) -> None:
    async with session_scope() as session:
        await session.execute(
            inbound_messages.insert().values(
                wamid=wamid,
                sender_id="6281234567890",
                message_type="text",
                status="done",
                received_at=at,
            )
        )
        await session.execute(
            outbound_messages.insert().values(
                wamid=f"out.{wamid}",
                recipient="6281234567890",
                kind="text",
                payload_summary="Laporan LLS-2026-000001 diterima",
                status="delivered",
                created_at=at,
                updated_at=at,
            )
        )


async def test_run_prunes_review_index_and_message_logs(tracker_url: str) -> None:
    await add_events(tracker_url, "silent", [("session_started", OLD), ("user", OLD)])
    old_plain = await add_review_conversation(OLD, annotated=False)
    old_annotated = await add_review_conversation(OLD + timedelta(seconds=1), annotated=True)
    recent = await add_review_conversation(RECENT, annotated=False)
    await add_log_rows(NOW - timedelta(days=40), "wamid.old")
    await add_log_rows(NOW - timedelta(days=10), "wamid.recent")

    result = await retention.run_retention(LIMITS, now=NOW, tracker_url=tracker_url)

    assert result == retention.RetentionResult(
        tracker_events=2, review_conversations=1, inbound_messages=1, outbound_messages=1
    )
    async with session_scope() as session:
        ids = set((await session.execute(select(ReviewConversation.id))).scalars())
        assert ids == {old_annotated, recent}
        assert old_plain not in ids
        turns = (await session.execute(select(func.count(ReviewTurn.id)))).scalar_one()
        assert turns == 2
        inbound = (await session.execute(select(inbound_messages.c.wamid))).scalars().all()
        outbound = (await session.execute(select(outbound_messages.c.wamid))).scalars().all()
    assert inbound == ["wamid.recent"]
    assert outbound == ["out.wamid.recent"]


def test_settings_defaults_and_validation() -> None:
    assert RetentionSettings.from_env({}) == RetentionSettings(90, 30, 30)
    assert RetentionSettings.from_env(
        {
            "LALISA_TRACKER_RETENTION_DAYS": "180",
            "LALISA_INBOUND_RETENTION_DAYS": "7",
            "LALISA_OUTBOUND_RETENTION_DAYS": "14",
        }
    ) == RetentionSettings(180, 7, 14)
    with pytest.raises(SettingsError, match="LALISA_INBOUND_RETENTION_DAYS must be at least 7"):
        RetentionSettings.from_env({"LALISA_INBOUND_RETENTION_DAYS": "3"})
    with pytest.raises(SettingsError, match="whole number"):
        RetentionSettings.from_env({"LALISA_TRACKER_RETENTION_DAYS": "90d"})
    with pytest.raises(SettingsError, match="at least 1"):
        RetentionSettings.from_env({"LALISA_OUTBOUND_RETENTION_DAYS": "0"})


def test_command_line_runs_once_and_refuses_bad_settings(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = Path(__file__).resolve().parents[2]
    url = f"sqlite:///{tmp_path / 'lalisa.db'}"
    migrate(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 't.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "lalisa.retention"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Retention: 0 tracker events" in result.stderr
    env["LALISA_INBOUND_RETENTION_DAYS"] = "2"
    result = subprocess.run(
        [sys.executable, "-m", "lalisa.retention"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "LALISA_INBOUND_RETENTION_DAYS must be at least 7" in result.stderr
