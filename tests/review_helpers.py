"""A synthetic Rasa tracker store (``events`` table) for the conversation-review tests.

The table is created in the test database itself (SQLite, or PostgreSQL when ``DATABASE_URL``
says so), with Rasa 3.6's schema, and ``TRACKER_DATABASE_URL`` points at it; it is dropped
after the test. Events are written the way La-Lisa's ``EnvSQLTrackerStore`` writes them: Rasa's
columns, ``data`` encrypted with the tracker events key (``plain = True`` writes them as Rasa's
own store did, before encryption).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from backoffice.conversations import dispose_tracker_engines
from lalisa.core.crypto import sender_key
from lalisa.core.db import create_engine_for_url
from lalisa.core.settings import get_settings, reset_settings_cache
from lalisa_common.at_rest import TRACKER_EVENTS, AtRestCipher, at_rest_cipher

_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def _cipher() -> AtRestCipher:
    return at_rest_cipher(get_settings().identity.key, TRACKER_EVENTS)


START = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)  # 09.00 WITA


@dataclass
class Tracker:
    """Writes Rasa-shaped events into the synthetic ``events`` table."""

    engine: AsyncEngine
    clock: datetime = START
    rows: list[dict[str, Any]] = field(default_factory=list)
    plain: bool = False

    def tick(self, seconds: float = 5.0) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    async def _add(
        self,
        sender: str,
        type_name: str,
        data: dict[str, Any],
        *,
        intent: str | None = None,
        action: str | None = None,
        at: datetime | None = None,
    ) -> int:
        when = at or self.tick()
        payload = {"event": type_name, "timestamp": when.timestamp(), **data}
        async with self.engine.begin() as connection:
            result = await connection.execute(
                insert(EVENTS).values(
                    sender_id=sender_key(sender),  # Rasa knows the citizen by key
                    type_name=type_name,
                    timestamp=when.timestamp(),
                    intent_name=intent,
                    action_name=action,
                    data=json.dumps(payload) if self.plain else _cipher().dumps(payload),
                )
            )
            key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    async def session_start(self, sender: str, *, at: datetime | None = None) -> None:
        await self.action(sender, "action_session_start", at=at)
        await self._add(sender, "session_started", {})
        await self.action(sender, "action_listen")

    async def user(
        self,
        sender: str,
        text: str,
        intent: str,
        confidence: float,
        *,
        entities: list[dict[str, Any]] | None = None,
        channel: str = "whatsapp",
        at: datetime | None = None,
    ) -> int:
        parse_data = {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
            "intent_ranking": [{"name": intent, "confidence": confidence}],
        }
        return await self._add(
            sender,
            "user",
            {"text": text, "parse_data": parse_data, "input_channel": channel, "metadata": {}},
            intent=intent,
            at=at,
        )

    async def action(self, sender: str, name: str, *, at: datetime | None = None) -> int:
        return await self._add(
            sender,
            "action",
            {"name": name, "policy": "RulePolicy", "confidence": 1.0},
            action=name,
            at=at,
        )

    async def bot(self, sender: str, text: str, *, metadata: dict[str, Any] | None = None) -> int:
        return await self._add(
            sender, "bot", {"text": text, "data": {}, "metadata": metadata or {}}
        )

    async def slot(self, sender: str, name: str, value: Any) -> int:
        return await self._add(sender, "slot", {"name": name, "value": value})

    async def raw(self, sender: str, type_name: str, data: dict[str, Any] | None = None) -> int:
        return await self._add(sender, type_name, data or {})


@pytest.fixture
async def tracker(db: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Tracker]:
    """An empty ``events`` table in the test database, named by ``TRACKER_DATABASE_URL``."""
    engine = create_engine_for_url(db, null_pool=True)
    async with engine.begin() as connection:
        await connection.run_sync(_metadata.drop_all)
        await connection.run_sync(_metadata.create_all)
    monkeypatch.setenv("TRACKER_DATABASE_URL", db)
    reset_settings_cache()
    try:
        yield Tracker(engine)
    finally:
        await dispose_tracker_engines()
        async with engine.begin() as connection:
            await connection.run_sync(_metadata.drop_all)
        await engine.dispose()
