"""The two ways a simulated citizen reaches the assistant: REST, and WhatsApp via the sandbox.

REST answers synchronously with every reply of the turn. WhatsApp goes as the real thing
does: the sandbox signs a Meta-shaped webhook to the channel, the channel acknowledges at
once and answers later through the sandbox's fake Graph API. The turn is over when the
channel has recorded the inbound message as handled (``whatsapp_inbound_messages``), which
it does after the last reply was sent.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conversations.citizen import Action
from tests.conversations.reading import BotMessage, Option

REPLY_TIMEOUT_S = 60.0
POLL_S = 0.15
PHOTO = Path(__file__).resolve().parents[1] / "e2e" / "data" / "bukti.jpg"
VOICE_MIME = "audio/ogg; codecs=opus"
"""How WhatsApp sends a recorded voice note."""
VOICE_NOTE = b"OggS\x00\x02" + bytes(58) + b"OpusHead" + bytes(64)
"""A few bytes that start like an Ogg/Opus voice note: the assistant cannot listen to it
either way, it only has to see that an answer came as audio."""


class Channel(Protocol):
    """Sends one citizen action, returns the assistant's messages of that turn."""

    async def perform(self, action: Action) -> list[BotMessage]:
        """Sends ``action`` and waits for the whole answer."""


def rest_messages(replies: list[dict[str, Any]]) -> list[BotMessage]:
    """REST channel replies as the citizen sees them (text and buttons)."""
    messages = []
    for reply in replies:
        options = tuple(
            Option(title=str(b.get("title", "")), payload=b.get("payload"))
            for b in reply.get("buttons") or []
        )
        custom = reply.get("custom") or {}
        body = reply.get("text") or (custom.get("text") if isinstance(custom, dict) else "") or ""
        messages.append(BotMessage(text=str(body), options=options))
    return messages


class RestChannel:
    """The REST channel of the Rasa server (``/webhooks/rest/webhook``)."""

    def __init__(self, client: httpx.AsyncClient, rasa_url: str, sender: str) -> None:
        """Talks as ``sender`` to the Rasa server at ``rasa_url``."""
        self.client = client
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = sender

    async def perform(self, action: Action) -> list[BotMessage]:
        """Types a text, or taps a button (sends its payload, as a REST client's button does)."""
        if action.kind == "text":
            message = action.text
        elif action.kind == "tap" and action.option is not None:
            option = action.option
            message = option.payload or (str(option.number) if option.number else option.title)
        else:
            raise ValueError(f"the REST channel cannot carry {action.kind!r}")
        response = await self.client.post(
            self.url, json={"sender": self.sender, "message": message}, timeout=REPLY_TIMEOUT_S
        )
        response.raise_for_status()
        return rest_messages(list(response.json()))


def whatsapp_message(message: dict[str, Any]) -> BotMessage:
    """One Graph API message body as the citizen sees it: text, buttons or list rows."""
    kind = message.get("type")
    if kind == "text":
        return BotMessage(text=str(message["text"]["body"]))
    if kind == "interactive":
        interactive = message["interactive"]
        body = str(interactive.get("body", {}).get("text", ""))
        action = interactive.get("action", {})
        options = [
            Option(title=b["reply"]["title"], reply_id=b["reply"]["id"], reply_kind="button_reply")
            for b in action.get("buttons", [])
        ]
        for section in action.get("sections", []):
            options += [
                Option(title=row["title"], reply_id=row["id"], reply_kind="list_reply")
                for row in section.get("rows", [])
            ]
        return BotMessage(text=body, options=tuple(options))
    if kind == "template":
        return BotMessage(text=f"[template {message['template']['name']}]")
    return BotMessage(text=f"[{kind}]")


def photo_bytes(persona_id: str, number: int) -> bytes:
    """A small JPEG, different for every persona and photo (a COM segment after SOI)."""
    jpeg = PHOTO.read_bytes()
    comment = f"La-Lisa simulated citizen {persona_id} photo {number}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return jpeg[:2] + segment + jpeg[2:]


class WhatsAppChannel:
    """A citizen's phone on the WhatsApp sandbox (signed webhooks to the real channel)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        sandbox_url: str,
        engine: AsyncEngine,
        phone: str,
        persona_id: str,
    ) -> None:
        """Talks from ``phone``; ``engine`` reads the channel's inbound log (turn finished)."""
        self.client = client
        self.sandbox_url = sandbox_url
        self.engine = engine
        self.phone = phone
        self.persona_id = persona_id
        self.seen = 0

    async def perform(self, action: Action) -> list[BotMessage]:
        """Sends the action through the sandbox and collects the replies of its turn."""
        if action.kind == "photo":
            event = await self._upload(photo_bytes(self.persona_id, action.photo), action.text)
        elif action.kind == "voice":
            event = await self._upload(VOICE_NOTE, filename="pesan-suara.ogg", mime=VOICE_MIME)
        else:
            event = await self._send(self._payload(action))
        # ``seen`` is not moved past the citizen's own message: a reply of the previous turn that
        # reached the phone after that turn was given up on (REPLY_TIMEOUT_S) comes first in this
        # turn's messages, as on a real phone, instead of being skipped unseen.
        return await self._replies(str(event["wamid"]))

    def _payload(self, action: Action) -> dict[str, Any]:
        if action.kind == "text":
            return {"kind": "text", "text": action.text}
        if action.kind == "sticker":
            return {"kind": "sticker"}
        if action.kind == "pin":
            pin: dict[str, Any] = {
                "kind": "location",
                "latitude": action.latitude,
                "longitude": action.longitude,
            }
            if action.label:
                pin["location_name"] = action.label
            return pin
        if action.kind == "tap" and action.option is not None:
            option = action.option
            if option.reply_id and option.reply_kind:
                return {"kind": option.reply_kind, "id": option.reply_id, "title": option.title}
            if option.number is not None:
                return {"kind": "text", "text": str(option.number)}
            return {"kind": "text", "text": option.title}
        raise ValueError(f"cannot send {action.kind!r} over WhatsApp")

    async def _send(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.sandbox_url}/sim/api/send",
            json={"phone": self.phone, "name": "Warga", **payload},
            timeout=REPLY_TIMEOUT_S,
        )
        response.raise_for_status()
        event: dict[str, Any] = response.json()
        return event

    async def _upload(
        self,
        content: bytes,
        caption: str = "",
        filename: str = "bukti.jpg",
        mime: str = "image/jpeg",
    ) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.sandbox_url}/sim/api/upload",
            data={"phone": self.phone, "name": "Warga", "caption": caption},
            files={"file": (filename, content, mime)},
            timeout=REPLY_TIMEOUT_S,
        )
        response.raise_for_status()
        event: dict[str, Any] = response.json()
        return event

    async def _handled(self, wamid: str) -> bool:
        async with self.engine.connect() as connection:
            status = (
                await connection.execute(
                    text("SELECT status FROM whatsapp_inbound_messages WHERE wamid = :w"),
                    {"w": wamid},
                )
            ).scalar()
        # received = queued, processing = leased by a worker: the turn is not over yet.
        return status is not None and status not in ("received", "processing")

    async def _events(self, wait: float) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"{self.sandbox_url}/sim/api/events",
            params={"phone": self.phone, "after": self.seen, "wait": wait},
            timeout=wait + 30,
        )
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["events"]
        if events:
            self.seen = max(self.seen, *(int(e["seq"]) for e in events))
        return events

    async def _replies(self, wamid: str) -> list[BotMessage]:
        """The bot's messages until the channel has handled ``wamid``."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        messages: list[BotMessage] = []
        while time.monotonic() < deadline:
            events = await self._events(wait=1.0 if not messages else 0.0)
            messages += [whatsapp_message(e["message"]) for e in events if e.get("kind") == "out"]
            if await self._handled(wamid):
                # Replies are sent before the message is marked handled: collect the rest.
                events = await self._events(wait=0.0)
                messages += [
                    whatsapp_message(e["message"]) for e in events if e.get("kind") == "out"
                ]
                return messages
            if messages:
                await asyncio.sleep(POLL_S)
        return messages
