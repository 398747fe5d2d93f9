"""A fake WhatsApp Cloud API (Graph API) for local runs and tests.

Endpoints, shaped like Meta's:

* ``POST /{version}/{phone_number_id}/messages``: send a message, or mark one as read.
* ``POST /{version}/{phone_number_id}/media``: upload media (multipart).
* ``GET /{version}/{media_id}``: media URL lookup.
* ``GET /media-download/{media_id}``: the media bytes (bearer token required).

Control endpoints for tests (``/_sandbox/...``): recorded requests, reset, failure
injection (HTTP status + Graph error code, or a delay for timeouts), media seeding.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.config import SandboxSettings

#: Graph error titles for the codes the fake can produce.
ERROR_TITLES: dict[int, str] = {
    0: "AuthException",
    100: "Invalid parameter",
    190: "Invalid OAuth access token",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131009: "Parameter value is not valid",
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131051: "Unsupported message type",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    131053: "Media upload error",
}


def graph_error(
    code: int, details: str, status: int = 400, message: str | None = None
) -> web.Response:
    """A Meta-shaped error response.

    Args:
        code: Graph error code.
        details: ``error_data.details``.
        status: HTTP status.
        message: ``error.message`` (defaults to the code's title).

    Returns:
        The JSON response.
    """
    body = {
        "error": {
            "message": message or ERROR_TITLES.get(code, "Error"),
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": "Sbx" + secrets.token_hex(8),
        }
    }
    return web.json_response(body, status=status)


@dataclass
class Failure:
    """One injected failure.

    Attributes:
        status: HTTP status to answer with (ignored when only ``delay`` is set).
        code: Graph error code in the body (None: a bare 5xx with no Graph body).
        delay: Seconds to wait before answering (to provoke client timeouts).
        path: ``messages``, ``media``, ``download`` or ``any``.
        remaining: How many requests it still applies to.
        mode: For message sends, one of :data:`sandbox.config.FAULT_MODES` instead of the
            status: ``late`` accepts the message and answers after ``delay``, ``lost`` accepts
            nothing and answers 500 after ``delay``.
    """

    status: int = 500
    code: int | None = None
    delay: float = 0.0
    path: str = "messages"
    remaining: int = 1
    mode: str = ""


@dataclass
class MediaItem:
    """A media file held by the fake Graph API."""

    media_id: str
    content: bytes
    mime_type: str
    filename: str | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the content."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class SandboxState:
    """Everything the sandbox remembers (in memory).

    Attributes:
        requests: Every Graph request received (method, path, headers subset, JSON body).
        failures: Pending injected failures.
        media: Media by id.
        events: Conversation events (inbound, outbound, statuses, reads), in order.
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    media: dict[str, MediaItem] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    _seq: Any = field(default_factory=lambda: itertools.count(1))
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    #: ``(phone, wamid, final status, biz_opaque_callback_data)``: sends the status webhooks.
    status_hook: Callable[[str, str, str, str | None], Awaitable[None]] | None = None
    tasks: set[asyncio.Future[Any]] = field(default_factory=set)

    def spawn(self, coroutine: Awaitable[Any]) -> None:
        """Runs a background coroutine, keeping a reference until it is done."""
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def reset(self) -> None:
        """Forgets everything."""
        self.requests.clear()
        self.failures.clear()
        self.media.clear()
        self.events.clear()

    def add_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Appends a conversation event and wakes long-polling clients."""
        event = {"seq": next(self._seq), "time": time.time(), **event}
        self.events.append(event)
        if len(self.events) > 20000:
            del self.events[:5000]
        self.changed.set()
        self.changed = asyncio.Event()
        return event

    def add_media(self, content: bytes, mime_type: str, filename: str | None = None) -> MediaItem:
        """Stores media and returns it with a fresh id."""
        media_id = str(10**15 + secrets.randbelow(9 * 10**15))
        item = MediaItem(media_id, content, mime_type, filename)
        self.media[media_id] = item
        return item

    def take_failure(self, kind: str) -> Failure | None:
        """Pops the next injected failure that applies to ``kind``."""
        for failure in self.failures:
            if failure.path in (kind, "any") and failure.remaining > 0:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self.failures.remove(failure)
                return failure
        return None


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _too_long(value: Any, limit: int) -> bool:
    return not isinstance(value, str) or not value or len(value.encode("utf-16-le")) // 2 > limit


def validate_message(body: dict[str, Any]) -> tuple[int, str] | None:
    """Checks a send request against Meta's documented limits.

    Args:
        body: The JSON body.

    Returns:
        None when valid, else ``(error code, details)``.
    """
    if body.get("messaging_product") != "whatsapp":
        return 100, "messaging_product must be 'whatsapp'"
    if not body.get("to") and not body.get("recipient"):
        return 100, "The parameter to is required."
    mtype = body.get("type", "text")
    content = body.get(mtype)
    if not isinstance(content, dict):
        return 100, f"Parameter '{mtype}' is required for type '{mtype}'"
    if mtype == "text":
        if _too_long(content.get("body"), 4096):
            return 131009, "text.body must be 1 to 4096 characters"
    elif mtype == "interactive":
        return _validate_interactive(content)
    elif mtype in ("image", "video", "audio", "document", "sticker"):
        if not content.get("id") and not content.get("link"):
            return 100, f"{mtype} requires id or link"
        if "caption" in content and _too_long(content["caption"], 1024):
            return 131009, "caption must be at most 1024 characters"
    elif mtype == "template":
        if not content.get("name") or not isinstance(content.get("language"), dict):
            return 100, "template.name and template.language are required"
    elif mtype == "location":
        if "latitude" not in content or "longitude" not in content:
            return 100, "location requires latitude and longitude"
    elif mtype != "contacts":
        return 131051, f"Unsupported message type {mtype}"
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _validate_interactive(content: dict[str, Any]) -> tuple[int, str] | None:
    itype = content.get("type")
    body = _object(content.get("body"))
    action = _object(content.get("action"))
    if itype == "button":
        if _too_long(body.get("text"), 1024):
            return 131009, "body.text must be 1 to 1024 characters"
        buttons = action.get("buttons")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            return 131009, "buttons must have 1 to 3 items"
        titles, ids = [], []
        for button in buttons:
            reply = button.get("reply", {}) if isinstance(button, dict) else {}
            if _too_long(reply.get("title"), 20):
                return 131009, "button title must be 1 to 20 characters"
            if _too_long(reply.get("id"), 256):
                return 131009, "button id must be 1 to 256 characters"
            titles.append(reply["title"])
            ids.append(reply["id"])
        if len(set(titles)) != len(titles) or len(set(ids)) != len(ids):
            return 131009, "button titles and ids must be unique"
    elif itype == "list":
        if _too_long(body.get("text"), 4096):
            return 131009, "body.text must be 1 to 4096 characters"
        if _too_long(action.get("button"), 20):
            return 131009, "action.button must be 1 to 20 characters"
        sections = action.get("sections")
        if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
            return 131009, "sections must have 1 to 10 items"
        rows = [
            row
            for section in sections
            if isinstance(section, dict)
            for row in section.get("rows", [])
        ]
        if not 1 <= len(rows) <= 10:
            return 131009, "a list can have at most 10 rows in total"
        if len(sections) > 1 and any(_too_long(s.get("title"), 24) for s in sections):
            return 131009, "section titles are required (at most 24 characters)"
        for row in rows:
            if _too_long(row.get("title"), 24):
                return 131009, "row title must be 1 to 24 characters"
            if _too_long(row.get("id"), 200):
                return 131009, "row id must be 1 to 200 characters"
            if "description" in row and _too_long(row["description"], 72):
                return 131009, "row description must be at most 72 characters"
        ids = [row["id"] for row in rows]
        if len(set(ids)) != len(ids):
            return 131009, "row ids must be unique"
    elif itype == "location_request_message":
        if _too_long(body.get("text"), 1024):
            return 131009, "body.text must be 1 to 1024 characters"
        if action.get("name") != "send_location":
            return 100, "action.name must be send_location"
    elif itype == "cta_url":
        pass
    else:
        return 131009, f"Unsupported interactive type {itype}"
    return None


class FakeGraph:
    """The fake Graph API routes over a :class:`SandboxState`."""

    def __init__(self, settings: SandboxSettings, state: SandboxState) -> None:
        """Initialises the FakeGraph.

        Args:
            settings: Sandbox settings.
            state: Shared state (also used by the phone simulator).
        """
        self.settings = settings
        self.state = state
        self._wamids = itertools.count(1)
        #: Draws of the ``SANDBOX_FAULT_*`` faults (tests may re-seed it).
        self.faults = random.Random(settings.fault_seed or None)
        self.faults_injected = 0

    def _drawn_fault(self) -> Failure | None:
        """A fault of ``SANDBOX_FAULT_RATE`` for this message send, or None (the default)."""
        settings = self.settings
        if settings.fault_rate <= 0 or self.faults.random() >= settings.fault_rate:
            return None
        self.faults_injected += 1
        mode = self.faults.choice(settings.fault_modes)
        return Failure(mode=mode, delay=settings.fault_delay)

    def routes(self) -> list[web.RouteDef]:
        """Aiohttp route table."""
        return [
            web.post("/_sandbox/reset", self.reset),
            web.post("/_sandbox/fail", self.fail),
            web.get("/_sandbox/requests", self.list_requests),
            web.post("/_sandbox/media", self.seed_media),
            web.get("/_sandbox/health", self.health),
            web.get("/health", self.health),
            web.get("/media-download/{media_id}", self.download),
            web.post("/{version}/{phone_number_id}/messages", self.messages),
            web.post("/{version}/{phone_number_id}/media", self.upload),
            web.get("/{version}/{media_id}", self.media_info),
        ]

    # ------------------------------------------------------------ helpers

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header[7:].strip():
            return False
        return not self.settings.access_token or header[7:].strip() == self.settings.access_token

    async def _record(self, request: web.Request, kind: str, body: Any) -> None:
        self.state.requests.append(
            {
                "time": time.time(),
                "kind": kind,
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "authorization": request.headers.get("Authorization"),
                "json": body,
            }
        )

    async def _injected(self, kind: str) -> web.Response | None:
        return await self._failure_response(self.state.take_failure(kind))

    async def _failure_response(self, failure: Failure | None) -> web.Response | None:
        if failure is None:
            return None
        if failure.mode == "lost":
            await asyncio.sleep(failure.delay)
            return web.json_response(
                {"error": {"message": "Service temporarily unavailable"}}, status=500
            )
        if failure.mode == "500":
            return web.json_response(
                {"error": {"message": "Service temporarily unavailable"}}, status=500
            )
        if failure.mode == "429":
            return graph_error(130429, "injected rate limit", status=429)
        if failure.delay:
            await asyncio.sleep(failure.delay)
            if failure.code is None and failure.status < 400:
                return None
        if failure.code is None:
            return web.json_response(
                {"error": {"message": "Service temporarily unavailable"}}, status=failure.status
            )
        return graph_error(failure.code, f"injected failure {failure.code}", status=failure.status)

    # ------------------------------------------------------------- control

    async def health(self, _: web.Request) -> web.Response:
        """Liveness probe."""
        return web.json_response({"status": "ok"})

    async def reset(self, _: web.Request) -> web.Response:
        """Forgets recorded requests, failures, media and conversations."""
        self.state.reset()
        return web.json_response({"reset": True})

    async def fail(self, request: web.Request) -> web.Response:
        """Queues failures: ``{"status": 429, "code": 130429, "count": 2, "path": "messages"}``.

        ``{"delay": 3}`` makes the next call hang for 3 s (client timeouts).
        ``{"mode": "late", "delay": 3}`` accepts the next message and answers 3 s later;
        ``{"mode": "lost", "delay": 3}`` accepts nothing and answers 500 after 3 s.
        """
        data = await request.json()
        items = data if isinstance(data, list) else [data]
        for item in items:
            self.state.failures.append(
                Failure(
                    status=int(item.get("status", 500)),
                    code=item.get("code"),
                    delay=float(item.get("delay", 0.0)),
                    path=str(item.get("path", "messages")),
                    remaining=int(item.get("count", 1)),
                    mode=str(item.get("mode", "")),
                )
            )
        return web.json_response({"queued": len(items)})

    async def list_requests(self, request: web.Request) -> web.Response:
        """Recorded Graph requests (``?kind=message|read|media_info|download|upload``).

        ``?since=N`` skips the first N recorded requests; the ``X-Sandbox-Next`` header gives
        the N for the next call, so a poller (``make bench``) reads each request once.
        """
        kind = request.query.get("kind")
        since = max(0, int(request.query.get("since", "0") or 0))
        recorded = self.state.requests
        items = [r for r in recorded[since:] if kind is None or r["kind"] == kind]
        return web.json_response(items, headers={"X-Sandbox-Next": str(len(recorded))})

    async def seed_media(self, request: web.Request) -> web.Response:
        """Adds media directly: JSON ``{"content_b64", "mime_type", "filename"}``."""
        data = await request.json()
        item = self.state.add_media(
            base64.b64decode(data["content_b64"]),
            data.get("mime_type", "image/jpeg"),
            data.get("filename"),
        )
        return web.json_response(
            {"id": item.media_id, "sha256": item.sha256, "size": len(item.content)}
        )

    # --------------------------------------------------------------- graph

    async def messages(self, request: web.Request) -> web.Response:
        """Send a message, or mark an inbound message as read."""
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        is_read = isinstance(body, dict) and body.get("status") == "read"
        await self._record(request, "read" if is_read else "message", body)
        if not self._authorised(request):
            return graph_error(190, "Invalid OAuth access token.", status=401)
        if request.match_info["phone_number_id"] != self.settings.phone_number_id:
            return graph_error(100, "Unsupported post request: unknown phone number id")
        failure = self.state.take_failure("messages")
        if failure is None and not is_read:
            failure = self._drawn_fault()
        late = failure.delay if failure is not None and failure.mode == "late" else 0.0
        if not late:
            injected = await self._failure_response(failure)
            if injected is not None:
                return injected
        if not isinstance(body, dict):
            return graph_error(100, "The request body must be a JSON object")
        if is_read:
            wamid = body.get("message_id")
            if not isinstance(wamid, str) or not wamid:
                return graph_error(100, "message_id is required")
            phone = next(
                (
                    e.get("phone")
                    for e in reversed(self.state.events)
                    if e.get("wamid") == wamid and e["kind"] == "in"
                ),
                None,
            )
            self.state.add_event(
                {
                    "kind": "read",
                    "phone": phone,
                    "wamid": wamid,
                    "typing": bool(body.get("typing_indicator")),
                }
            )
            return web.json_response({"success": True})
        problem = validate_message(body)
        if problem is not None:
            return graph_error(problem[0], problem[1])
        recipient = str(body.get("to") or body.get("recipient"))
        phone = _digits(recipient) if body.get("to") else recipient
        raw = f"sandbox-{next(self._wamids)}-{secrets.token_hex(6)}"
        wamid = "wamid." + base64.b64encode(raw.encode()).decode()
        self.state.add_event(
            {"kind": "out", "phone": phone, "wamid": wamid, "message": body, "status": "accepted"}
        )
        if self.settings.status_webhooks and self.state.status_hook is not None:
            callback = body.get("biz_opaque_callback_data")
            self.state.spawn(
                self.state.status_hook(
                    phone, wamid, "delivered", callback if isinstance(callback, str) else None
                )
            )
        if late:
            # Accepted, but the answer comes too late for the client (Meta under load).
            await asyncio.sleep(late)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": phone}],
                "messages": [{"id": wamid}],
            }
        )

    async def upload(self, request: web.Request) -> web.Response:
        """Media upload (multipart: ``messaging_product``, ``type``, ``file``)."""
        await self._record(request, "upload", None)
        if not self._authorised(request):
            return graph_error(190, "Invalid OAuth access token.", status=401)
        injected = await self._injected("media")
        if injected is not None:
            return injected
        reader = await request.multipart()
        content, mime, filename = b"", None, None
        async for part in reader:
            if part.name == "file":
                content = await part.read()
                mime = part.headers.get("Content-Type")
                filename = part.filename
            elif part.name == "type":
                mime = mime or (await part.text())
        if not content:
            return graph_error(131053, "file is required")
        item = self.state.add_media(content, mime or "application/octet-stream", filename)
        return web.json_response({"id": item.media_id})

    async def media_info(self, request: web.Request) -> web.Response:
        """``GET /{version}/{media_id}`` -> ``{url, mime_type, sha256, file_size, id}``."""
        media_id = request.match_info["media_id"]
        await self._record(request, "media_info", None)
        if not self._authorised(request):
            return graph_error(190, "Invalid OAuth access token.", status=401)
        injected = await self._injected("media")
        if injected is not None:
            return injected
        item = self.state.media.get(media_id)
        if item is None:
            return graph_error(
                100, f"Unsupported get request. Object with ID '{media_id}' does not exist"
            )
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.settings.public_url}/media-download/{media_id}"
                f"?ext={int(time.time())}",
                "mime_type": item.mime_type,
                "sha256": item.sha256,
                "file_size": str(len(item.content)),
                "id": media_id,
            }
        )

    async def download(self, request: web.Request) -> web.StreamResponse:
        """The media bytes; like Meta's URL it needs the bearer token."""
        media_id = request.match_info["media_id"]
        await self._record(request, "download", None)
        if not self._authorised(request):
            return web.Response(status=401, text="unauthorized")
        injected = await self._injected("download")
        if injected is not None:
            return injected
        item = self.state.media.get(media_id)
        if item is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=item.content, content_type=item.mime_type.split(";")[0])


def webhook_json(value: dict[str, Any], waba_id: str = "100000000000009") -> bytes:
    """Wraps a ``changes[].value`` in Meta's envelope, serialised like Meta (escaped unicode).

    Args:
        value: The ``value`` object.
        waba_id: WhatsApp Business Account id for ``entry[].id``.

    Returns:
        The exact bytes to sign and post.
    """
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
