"""Helpers of the outbox tests: a scripted fake Graph API, tickets, channel rows."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
from sqlalchemy import delete, func, insert, select

from lalisa.core.crypto import sender_key
from lalisa.core.db import session_scope
from lalisa.notifications.channel_tables import inbound_messages, outbound_messages
from lalisa.notifications.graph import GraphClient
from lalisa.notifications.models import OutboxMessage
from lalisa.tickets.models import Ticket
from lalisa.tickets.service import ComplaintDraft, submit_complaint

BASE_URL = "http://graph.test"
TOKEN = "test-access-token"
PNID = "109876543210"
CITIZEN = "6281234567890"
CITIZEN_LOCAL = "0812-3456-7890"

Reply = Callable[[httpx.Request], Awaitable[httpx.Response] | httpx.Response]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def graph_error(status: int, code: int | None, message: str = "Error") -> Reply:
    """A Meta-shaped error answer (``code=None``: a bare error body)."""

    def reply(request: httpx.Request) -> httpx.Response:
        error: dict[str, Any] = {"message": message, "type": "OAuthException"}
        if code is not None:
            error.update(
                code=code,
                error_data={"messaging_product": "whatsapp", "details": f"detail {code}"},
                fbtrace_id="Atest",
            )
        return httpx.Response(status, json={"error": error})

    return reply


def raise_error(exc_type: type[httpx.TransportError]) -> Reply:
    """A network failure raised by the transport."""

    def reply(request: httpx.Request) -> httpx.Response:
        raise exc_type("injected", request=request)

    return reply


@dataclass
class FakeGraph:
    """Scripted Graph ``/messages`` endpoint for :class:`httpx.MockTransport`.

    Attributes:
        requests: JSON bodies received, in order (also the failed ones).
        script: Answers to give first, in order; afterwards every send succeeds.
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[httpx.Headers] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def then(self, *replies: Reply) -> FakeGraph:
        self.script.extend(replies)
        return self

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.headers.append(request.headers)
        self.urls.append(str(request.url))
        if self.script:
            result = self.script.pop(0)(request)
            if isinstance(result, httpx.Response):
                return result
            return await result
        return httpx.Response(200, json=accepted(body, f"wamid.fake.{next(self._ids)}"))

    def client(self) -> GraphClient:
        return GraphClient(
            base_url=BASE_URL,
            api_version="v23.0",
            phone_number_id=PNID,
            access_token=TOKEN,
            transport=httpx.MockTransport(self.handle),
        )

    def sent_to(self, callback: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r.get("biz_opaque_callback_data") == callback]


def accepted(body: dict[str, Any], wamid: str) -> dict[str, Any]:
    to = str(body.get("to", ""))
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
        "messages": [{"id": wamid}],
    }


async def make_ticket(sender: str = CITIZEN, channel: str = "whatsapp") -> Ticket:
    async with session_scope() as session:
        return await submit_complaint(
            session,
            ComplaintDraft(
                category="pkl",
                description="PKL berjualan di trotoar depan pasar.",
                reporter_sender_id=sender,
                reporter_channel=channel,
                submission_key=f"test-{uuid.uuid4().hex}",
            ),
        )


async def add_inbound(
    sender_id: str, at: datetime, *, wa_timestamp: datetime | None = None
) -> None:
    """Log an inbound message like the WhatsApp receiver does (the sender by key)."""
    async with session_scope() as session:
        await session.execute(
            insert(inbound_messages).values(
                wamid=f"wamid.in.{uuid.uuid4().hex}",
                sender_id=sender_key(sender_id),
                message_type="text",
                status="processed",
                received_at=at,
                wa_timestamp=wa_timestamp,
            )
        )


async def add_channel_status(
    wamid: str,
    status: str,
    *,
    callback_data: str | None = None,
    error_code: int | None = None,
    recipient: str = CITIZEN,
) -> None:
    """Create or update a channel record like the channel's status webhook handling does."""
    now = utcnow()
    async with session_scope() as session:
        found = (
            await session.execute(
                select(outbound_messages.c.id).where(outbound_messages.c.wamid == wamid)
            )
        ).first()
        if found is None:
            await session.execute(
                insert(outbound_messages).values(
                    wamid=wamid,
                    recipient=recipient,
                    kind="unknown",
                    status=status,
                    attempts=0,
                    callback_data=callback_data,
                    error_code=error_code,
                    error_title="Failure" if error_code else None,
                    created_at=now,
                    updated_at=now,
                    status_at=now,
                )
            )
        else:
            await session.execute(
                outbound_messages.update()
                .where(outbound_messages.c.wamid == wamid)
                .values(
                    status=status,
                    error_code=error_code,
                    error_title="Failure" if error_code else None,
                    updated_at=now,
                    status_at=now,
                )
            )


async def channel_rows() -> list[dict[str, Any]]:
    async with session_scope() as session:
        rows = await session.execute(select(outbound_messages).order_by(outbound_messages.c.id))
        return [dict(row._mapping) for row in rows]


async def clear_channel_tables() -> None:
    async with session_scope() as session:
        await session.execute(delete(inbound_messages))
        await session.execute(delete(outbound_messages))


async def outbox_rows() -> list[OutboxMessage]:
    async with session_scope() as session:
        result = await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(result.scalars())


async def outbox_row(outbox_id: int) -> OutboxMessage:
    async with session_scope() as session:
        message = await session.get(OutboxMessage, outbox_id)
        assert message is not None
        return message


async def outbox_count() -> int:
    async with session_scope() as session:
        return int((await session.execute(select(func.count(OutboxMessage.id)))).scalar_one())
