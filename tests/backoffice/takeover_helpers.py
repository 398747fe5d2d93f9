"""A fake of Rasa's HTTP API (tracker events) for the takeover tests, and small look-ups."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any
from urllib.parse import unquote

import httpx
from sqlalchemy import select

from lalisa.core.crypto import sender_key
from lalisa.core.db import session_scope
from lalisa.core.models import AuditLog
from lalisa.core.settings import TakeoverSettings
from lalisa.takeover.models import HandoffRequest, Takeover, TakeoverMessage
from lalisa.takeover.rasa_api import RasaClient

RASA_TOKEN = "uji-token-rasa"


class FakeRasa:
    """Keeps the ``paused`` flag and the appended events per conversation, like Rasa does.

    Attributes:
        paused: Sender id → paused flag.
        events: Sender id → events appended through the API.
        failures: Status codes to answer before the next successful call (``0``: connection
            refused).
        pause_delay: Seconds a ``pause`` takes (to make two takeovers overlap).
        calls: Number of HTTP requests received.
    """

    def __init__(self) -> None:
        """Start with no conversation."""
        self.paused: dict[str, bool] = defaultdict(bool)
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.failures: list[int] = []
        self.pause_delay = 0.0
        self.calls = 0
        self.client = RasaClient(
            TakeoverSettings(
                rasa_url="http://rasa.test", rasa_api_token=RASA_TOKEN, backoff_seconds=0.0
            ),
            transport=httpx.MockTransport(self.handle),
        )

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one API call."""
        self.calls += 1
        if self.failures:
            code = self.failures.pop(0)
            if code == 0:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(code, json={"message": "error"})
        if request.url.params.get("token") != RASA_TOKEN:
            return httpx.Response(401, json={"reason": "NotAuthenticated"})
        parts = request.url.raw_path.decode().split("?")[0].split("/")
        sender = unquote(parts[2])
        if request.method == "GET" and parts[3:] == ["tracker"]:
            return httpx.Response(200, json={"sender_id": sender, "paused": self.paused[sender]})
        if request.method == "POST" and parts[3:] == ["tracker", "events"]:
            body = json.loads(request.content)
            for event in body if isinstance(body, list) else [body]:
                if event["event"] == "pause":
                    if self.pause_delay:
                        await asyncio.sleep(self.pause_delay)
                    self.paused[sender] = True
                elif event["event"] == "resume":
                    self.paused[sender] = False
                self.events[sender].append(event)
            return httpx.Response(200, json={"sender_id": sender, "paused": self.paused[sender]})
        return httpx.Response(404)

    def kinds(self, sender: str) -> list[str]:
        """The event types appended to a citizen's conversation (Rasa knows it by key)."""
        return [event["event"] for event in self.events[sender_key(sender)]]


async def takeovers() -> list[Takeover]:
    async with session_scope() as session:
        return list((await session.execute(select(Takeover).order_by(Takeover.id))).scalars())


async def handoff_requests() -> list[HandoffRequest]:
    async with session_scope() as session:
        query = select(HandoffRequest).order_by(HandoffRequest.id)
        return list((await session.execute(query)).scalars())


async def takeover_messages() -> list[TakeoverMessage]:
    async with session_scope() as session:
        query = select(TakeoverMessage).order_by(TakeoverMessage.id)
        return list((await session.execute(query)).scalars())


async def audit_actions() -> list[tuple[str, str]]:
    async with session_scope() as session:
        rows = await session.execute(select(AuditLog.actor, AuditLog.action).order_by(AuditLog.id))
        return [(actor, action) for actor, action in rows.all()]
