"""Phone simulator: builds Meta-shaped, signed webhooks and shows the bot's replies.

The page (``static/index.html``) talks to the ``/sim/api/...`` routes below. Every
citizen action becomes a webhook posted to the real channel URL with a correct
``X-Hub-Signature-256``; the bot's replies are what the fake Graph API captured.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from lalisa_common.whatsapp.signature import SIGNATURE_HEADER, sign
from sandbox.config import SandboxSettings
from sandbox.fake_graph import SandboxState, webhook_json

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_PHONES = ["6281234567890", "6285245678901", "6282155512345"]
MAX_UPLOAD_BYTES = 32 * 1024 * 1024


def new_wamid() -> str:
    """A fresh inbound message id shaped like Meta's."""
    return "wamid." + base64.b64encode(b"SIM" + secrets.token_bytes(18)).decode()


class Simulator:
    """Simulated citizens' phones."""

    def __init__(self, settings: SandboxSettings, state: SandboxState) -> None:
        """Initialises the Simulator.

        Args:
            settings: Sandbox settings.
            state: Shared state with the fake Graph API.
        """
        self.settings = settings
        self.state = state
        self._session: aiohttp.ClientSession | None = None
        state.status_hook = self.send_statuses

    def routes(self) -> list[web.AbstractRouteDef]:
        """Aiohttp route table."""
        return [
            web.get("/", self.index),
            web.get("/sim/api/config", self.config),
            web.get("/sim/api/geo", self.geo),
            web.get("/sim/api/events", self.events),
            web.post("/sim/api/send", self.send),
            web.post("/sim/api/upload", self.upload),
            web.post("/sim/api/read", self.read),
            web.get("/sim/media/{media_id}", self.media),
            web.static("/static", STATIC_DIR),
        ]

    async def session(self) -> aiohttp.ClientSession:
        """Shared HTTP session for posting webhooks."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30, connect=5)
            )
        return self._session

    async def close(self) -> None:
        """Closes the HTTP session."""
        if self._session is not None:
            await self._session.close()

    # ------------------------------------------------------------ webhooks

    def _value(self) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": self.settings.display_phone_number,
                "phone_number_id": self.settings.phone_number_id,
            },
        }

    async def post_webhook(self, value: dict[str, Any]) -> tuple[int, str]:
        """Signs and posts one webhook to the channel.

        Args:
            value: The ``changes[].value`` object.

        Returns:
            HTTP status (0 when the channel is unreachable) and the response text.
        """
        body = webhook_json(value)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self.settings.app_secret),
        }
        try:
            session = await self.session()
            async with session.post(self.settings.webhook_url, data=body, headers=headers) as resp:
                return resp.status, (await resp.text())[:200]
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            logger.warning("Webhook to %s failed: %s", self.settings.webhook_url, exc)
            return (
                0,
                f"{exc.__class__.__name__}: channel unreachable at {self.settings.webhook_url}",
            )

    async def send_message(self, phone: str, name: str, message: dict[str, Any]) -> dict[str, Any]:
        """Posts one citizen message and records it in the conversation.

        Args:
            phone: Citizen wa_id.
            name: Profile name.
            message: Message fields besides ``from``, ``id``, ``timestamp``.

        Returns:
            The conversation event, with the webhook's HTTP status.
        """
        wamid = new_wamid()
        full = {"from": phone, "id": wamid, "timestamp": str(int(time.time())), **message}
        if isinstance(full.get("context"), dict):
            full["context"]["from"] = self.settings.display_phone_number
        value = self._value()
        value["contacts"] = [{"profile": {"name": name or "Warga"}, "wa_id": phone}]
        value["messages"] = [full]
        status, text = await self.post_webhook(value)
        return self.state.add_event(
            {
                "kind": "in",
                "phone": phone,
                "wamid": wamid,
                "message": full,
                "webhook_status": status,
                "webhook_text": text,
            }
        )

    async def send_statuses(
        self, phone: str, wamid: str, final: str, callback_data: str | None = None
    ) -> None:
        """Sends ``sent`` (then ``delivered`` / ``read``) status webhooks for a bot message.

        Like Meta, each carries the send's ``biz_opaque_callback_data`` back.
        """
        steps = ["sent", "delivered"] if final == "delivered" else [final]
        for status in steps:
            await asyncio.sleep(0.05)
            value = self._value()
            value["statuses"] = [
                {
                    "id": wamid,
                    "status": status,
                    "timestamp": str(int(time.time())),
                    "recipient_id": phone,
                    "pricing": {
                        "billable": False,
                        "pricing_model": "PMP",
                        "category": "service",
                        "type": "free_customer_service",
                    },
                }
            ]
            if callback_data:
                value["statuses"][0]["biz_opaque_callback_data"] = callback_data
            code, _ = await self.post_webhook(value)
            self.state.add_event(
                {
                    "kind": "status",
                    "phone": phone,
                    "wamid": wamid,
                    "status": status,
                    "webhook_status": code,
                }
            )

    # --------------------------------------------------------------- routes

    async def index(self, _: web.Request) -> web.FileResponse:
        """The phone simulator page."""
        return web.FileResponse(STATIC_DIR / "index.html")

    async def config(self, _: web.Request) -> web.Response:
        """Settings the page needs."""
        return web.json_response(
            {
                "phones": DEFAULT_PHONES,
                "business_number": self.settings.display_phone_number,
                "webhook_url": self.settings.webhook_url,
            }
        )

    async def geo(self, _: web.Request) -> web.StreamResponse:
        """Balangan kecamatan polygons (GeoJSON), served locally."""
        if not self.settings.geojson_path.exists():
            return web.json_response({"type": "FeatureCollection", "features": []})
        return web.FileResponse(
            self.settings.geojson_path, headers={"Content-Type": "application/geo+json"}
        )

    async def events(self, request: web.Request) -> web.Response:
        """Long-polls conversation events of one phone after ``after`` (seq number)."""
        phone = request.query.get("phone", "")
        after = int(request.query.get("after", "0") or 0)
        wait = min(float(request.query.get("wait", "0") or 0), 25.0)
        deadline = time.monotonic() + wait

        def pending() -> list[dict[str, Any]]:
            return [e for e in self.state.events if e["seq"] > after and e.get("phone") == phone]

        items = pending()
        while not items and time.monotonic() < deadline:
            changed = self.state.changed
            try:
                await asyncio.wait_for(
                    changed.wait(), timeout=max(0.0, deadline - time.monotonic())
                )
            except asyncio.TimeoutError:
                break
            items = pending()
        return web.json_response({"events": items})

    async def send(self, request: web.Request) -> web.Response:
        """Sends a citizen action.

        JSON: ``{"phone", "name", "kind": "text"|"button_reply"|"list_reply"|"button"|
        "location"|"sticker"|"reaction", ...}``; ``context_id`` answers a bot message.
        """
        data = await request.json()
        phone = "".join(ch for ch in str(data.get("phone", "")) if ch.isdigit())
        if not phone:
            return web.json_response({"error": "phone is required"}, status=400)
        message = build_message(data)
        if message is None:
            return web.json_response({"error": "unknown kind or missing fields"}, status=400)
        event = await self.send_message(phone, str(data.get("name", "")), message)
        return web.json_response(event)

    async def upload(self, request: web.Request) -> web.Response:
        """Attaches a photo or another file.

        Multipart fields: ``phone``, ``name``, ``caption``, ``file``.
        """
        reader = await request.multipart()
        fields: dict[str, str] = {}
        content, mime, filename = b"", "application/octet-stream", None
        async for part in reader:
            if part.name == "file":
                content = await part.read()
                if len(content) > MAX_UPLOAD_BYTES:
                    return web.json_response(
                        {"error": "file too large for the simulator"}, status=413
                    )
                mime = part.headers.get("Content-Type") or mime
                filename = part.filename
            elif part.name:
                fields[part.name] = await part.text()
        phone = "".join(ch for ch in fields.get("phone", "") if ch.isdigit())
        if not phone or not content:
            return web.json_response({"error": "phone and file are required"}, status=400)
        item = self.state.add_media(content, mime, filename)
        media_type = _media_type(mime)
        media: dict[str, Any] = {"mime_type": mime, "sha256": item.sha256, "id": item.media_id}
        if fields.get("caption") and media_type != "audio":
            media["caption"] = fields["caption"]
        if media_type == "document":
            media["filename"] = filename or "dokumen"
        event = await self.send_message(
            phone, fields.get("name", ""), {"type": media_type, media_type: media}
        )
        return web.json_response(event)

    async def read(self, request: web.Request) -> web.Response:
        """The citizen has seen these bot messages: send ``read`` statuses."""
        data = await request.json()
        phone = "".join(ch for ch in str(data.get("phone", "")) if ch.isdigit())
        for wamid in data.get("wamids", [])[:50]:
            self.state.spawn(self.send_statuses(phone, str(wamid), "read"))
        return web.json_response({"ok": True})

    async def media(self, request: web.Request) -> web.Response:
        """Media bytes for the page (no token: the simulator is local)."""
        item = self.state.media.get(request.match_info["media_id"])
        if item is None:
            return web.Response(status=404)
        return web.Response(body=item.content, content_type=item.mime_type.split(";")[0])


def _media_type(mime: str) -> str:
    base = mime.split(";")[0].strip().lower()
    if base.startswith("image/"):
        return "image"
    if base.startswith("video/"):
        return "video"
    if base.startswith("audio/"):
        return "audio"
    return "document"


def build_message(data: dict[str, Any]) -> dict[str, Any] | None:
    """Builds the Meta message fields for a simulator action.

    Args:
        data: The page's request.

    Returns:
        Fields of the ``messages[]`` item besides ``from``/``id``/``timestamp``, or None.
    """
    kind = data.get("kind", "text")
    message: dict[str, Any] | None = None
    if kind == "text" and str(data.get("text", "")).strip():
        message = {"type": "text", "text": {"body": str(data["text"])}}
    elif kind in ("button_reply", "list_reply") and data.get("id"):
        reply: dict[str, Any] = {"id": str(data["id"]), "title": str(data.get("title", ""))}
        if kind == "list_reply" and data.get("description"):
            reply["description"] = str(data["description"])
        message = {"type": "interactive", "interactive": {"type": kind, kind: reply}}
    elif kind == "button" and (data.get("payload") or data.get("title")):
        message = {
            "type": "button",
            "button": {
                "payload": str(data.get("payload") or data["title"]),
                "text": str(data.get("title", "")),
            },
        }
    elif kind == "location":
        try:
            latitude, longitude = float(data["latitude"]), float(data["longitude"])
        except (KeyError, TypeError, ValueError):
            return None
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        # ``name`` of the request is the sender's profile name; the pin's own
        # place label and address come in ``location_name``/``location_address``.
        for key in ("name", "address"):
            if data.get(f"location_{key}"):
                location[key] = str(data[f"location_{key}"])
        message = {"type": "location", "location": location}
    elif kind == "sticker":
        message = {
            "type": "sticker",
            "sticker": {
                "mime_type": "image/webp",
                "sha256": "0" * 64,
                "id": "9990001",
                "animated": False,
            },
        }
    elif kind == "reaction" and data.get("message_id"):
        message = {
            "type": "reaction",
            "reaction": {
                "message_id": str(data["message_id"]),
                "emoji": str(data.get("emoji", "👍")),
            },
        }
    if message is not None and data.get("context_id"):
        message["context"] = {"from": "", "id": str(data["context_id"])}
    return message
