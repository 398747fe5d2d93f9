"""WhatsApp Cloud API channel for Rasa 3.6 (input and output).

Register it in ``credentials.yml`` by its dotted path (configuration comes from the
environment, see ``docs/whatsapp.md``)::

    lalisa_rasa.channels.whatsapp.WhatsAppInput:

Webhook: ``/webhooks/whatsapp/webhook`` (GET handshake, POST notifications).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from lalisa_common.phone import recipient_fields
from lalisa_common.whatsapp.payload import (
    ACTION_IGNORE,
    ACTION_MEDIA,
    ACTION_RASA,
    ACTION_REPLY,
    SHARE_MEDIA_INTENT,
    InboundMessage,
    StatusUpdate,
    intent_text,
    parse_message,
    parse_webhook,
)
from lalisa_common.whatsapp.signature import SIGNATURE_HEADER, verify
from lalisa_rasa.channels.config import ConfigurationError, WhatsAppSettings
from lalisa_rasa.channels.graph import GraphClient, GraphResult
from lalisa_rasa.channels.media import MediaDownloader, MediaRefused
from lalisa_rasa.channels.render import (
    CAPTION_MAX,
    LOCATION_REQUEST_BODY_MAX,
    location_request_body,
    render_choices,
    summarise,
    text_bodies,
    text_length,
)
from lalisa_rasa.channels.store import RedisDedupe, WhatsAppStore
from lalisa_rasa.channels.texts import LOCATION_REQUEST_DEFAULT, reply_text

logger = logging.getLogger(__name__)

CHANNEL_NAME = "whatsapp"
#: WhatsApp message types that may be passed through ``send_custom_json`` as they are.
PASSTHROUGH_TYPES = frozenset(
    {
        "text",
        "interactive",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contacts",
        "template",
    }
)
#: Free-form replies are impossible once the 24-hour customer service window closed.
SERVICE_WINDOW_SECONDS = 24 * 3600
#: Unfinished inbound rows younger than this are assumed to be in flight elsewhere.
RECOVERY_MIN_AGE = timedelta(minutes=2)
#: Inbound log rows are kept this long (dedupe needs at least 7 days).
INBOUND_RETENTION = timedelta(days=30)
PRUNE_INTERVAL_SECONDS = 6 * 3600
MENU_TTL_SECONDS = 30 * 60

_MENU_ANSWER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class MenuMemory:
    """Remembers the last numbered text menu sent to each recipient (in process).

    When a choice list had to degrade to a numbered text, the citizen answers with a
    number; the channel turns ``2`` back into the second button's payload.
    """

    def __init__(self, ttl_seconds: float = MENU_TTL_SECONDS) -> None:
        """Initialises the memory.

        Args:
            ttl_seconds: How long a numbered menu stays answerable.
        """
        self.ttl_seconds = ttl_seconds
        self._menus: dict[str, tuple[float, list[str]]] = {}

    def remember(self, recipient_id: str, payloads: list[str]) -> None:
        """Stores the payloads of a numbered menu for ``recipient_id``."""
        self._menus[recipient_id] = (time.monotonic() + self.ttl_seconds, list(payloads))
        if len(self._menus) > 10000:
            now = time.monotonic()
            for key in [k for k, (expiry, _) in self._menus.items() if expiry < now]:
                del self._menus[key]

    def forget(self, recipient_id: str) -> None:
        """Drops the menu of ``recipient_id``."""
        self._menus.pop(recipient_id, None)

    def resolve(self, recipient_id: str, text: str) -> str | None:
        """Maps a numeric answer to the payload of the menu, consuming the menu.

        Args:
            recipient_id: The citizen.
            text: Their message.

        Returns:
            The payload, or None if the text is not an answer to a live menu.
        """
        entry = self._menus.get(recipient_id)
        match = _MENU_ANSWER.match(text)
        if entry is None or match is None:
            return None
        expiry, payloads = entry
        if expiry < time.monotonic():
            self.forget(recipient_id)
            return None
        number = int(match.group(1))
        if not 1 <= number <= len(payloads):
            return None
        self.forget(recipient_id)
        return payloads[number - 1]


class WhatsAppOutput(OutputChannel):
    """Sends Rasa responses through the Cloud API and records every outcome."""

    def __init__(
        self,
        graph: GraphClient,
        store: WhatsAppStore | None = None,
        menus: MenuMemory | None = None,
    ) -> None:
        """Initialises the WhatsAppOutput.

        Args:
            graph: Shared Graph client.
            store: Where outbound records go (None: log only).
            menus: Numbered-menu memory shared with the input side.
        """
        self.graph = graph
        self.store = store
        self.menus = menus or MenuMemory()

    @classmethod
    def name(cls) -> str:
        """Must equal the input name so ``channel: whatsapp`` responses are chosen."""
        return CHANNEL_NAME

    async def send(
        self, recipient_id: str, body: dict[str, Any], kind: str | None = None
    ) -> GraphResult:
        """Sends one message body and records the outcome.

        Args:
            recipient_id: Rasa sender id of the citizen.
            body: Message body without ``to`` and ``messaging_product``.
            kind: Record kind (defaults to the body's ``type``).

        Returns:
            The Graph result.
        """
        payload = {"recipient_type": "individual", **recipient_fields(recipient_id), **body}
        result = await self.graph.send_message(payload)
        kind = kind or str(body.get("type", "unknown"))
        if result.ok:
            status = "accepted"
        else:
            status = "failed"
            logger.error(
                "WhatsApp send to %s failed after %d attempt(s): HTTP %s code %s %s",
                recipient_id,
                result.attempts,
                result.http_status,
                result.error_code,
                result.error_title,
            )
        if self.store is not None:
            try:
                await self.store.record_outbound(
                    recipient=recipient_id,
                    kind=kind,
                    summary=summarise(body),
                    wamid=result.wamid,
                    status=status,
                    attempts=result.attempts,
                    error_code=None if result.ok else result.error_code,
                    error_title=None if result.ok else result.error_title,
                    callback_data=body.get("biz_opaque_callback_data"),
                )
            except Exception:
                logger.exception("Could not record outbound WhatsApp message to %s", recipient_id)
        return result

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends a text, split into several messages only above 4096 characters."""
        for body in text_bodies(text or ""):
            await self.send(recipient_id, body, "text")

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Sends reply buttons, a list, or a numbered text menu, whichever fits."""
        rendered = render_choices(text, buttons)
        if rendered.kind == "menu":
            self.menus.remember(recipient_id, rendered.menu)
        for body in rendered.bodies:
            await self.send(recipient_id, body, rendered.kind)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies render exactly like buttons."""
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Sends an image by public URL."""
        await self.send_media(recipient_id, "image", link=image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        """Sends an attachment: a URL becomes a document, a dict goes to ``send_custom_json``."""
        if isinstance(attachment, dict):
            await self.send_custom_json(recipient_id, attachment)
        elif isinstance(attachment, str) and attachment.startswith(("http://", "https://")):
            await self.send_media(recipient_id, "document", link=attachment)
        else:
            await self.send_text_message(recipient_id, str(attachment))

    async def send_location_request(self, recipient_id: str, text: str | None = None) -> None:
        """Asks the citizen to share a location pin (WhatsApp location request button).

        Args:
            recipient_id: The citizen.
            text: Question above the button (plain text when over 1024 characters).
        """
        body_text = (text or "").strip() or LOCATION_REQUEST_DEFAULT
        if text_length(body_text) > LOCATION_REQUEST_BODY_MAX:
            await self.send_text_message(recipient_id, body_text)
            return
        await self.send(recipient_id, location_request_body(body_text), "location_request")

    async def send_media(
        self,
        recipient_id: str,
        media_type: str,
        *,
        link: str | None = None,
        media_id: str | None = None,
        path: str | None = None,
        caption: str | None = None,
        filename: str | None = None,
        mime_type: str | None = None,
    ) -> None:
        """Sends an image, video, audio or document by link, media id, or local file.

        Args:
            recipient_id: The citizen.
            media_type: ``image``, ``video``, ``audio`` or ``document``.
            link: Public URL.
            media_id: Id of media uploaded before.
            path: Local file to upload first.
            caption: Caption (not for audio; long captions are sent as a text after).
            filename: Document file name.
            mime_type: MIME type of ``path`` (guessed from the name when missing).
        """
        extra_text: str | None = None
        if path and not media_id:
            media_id = await self._upload(path, mime_type, filename)
            if media_id is None:
                await self.send_text_message(
                    recipient_id, caption or "Maaf, lampiran tidak dapat dikirim saat ini."
                )
                return
        media: dict[str, Any] = {"id": media_id} if media_id else {"link": link}
        if caption and media_type != "audio":
            if text_length(caption) <= CAPTION_MAX:
                media["caption"] = caption
            else:
                extra_text = caption
        if filename and media_type == "document":
            media["filename"] = filename
        await self.send(recipient_id, {"type": media_type, media_type: media}, media_type)
        if extra_text:
            await self.send_text_message(recipient_id, extra_text)

    async def _upload(self, path: str, mime_type: str | None, filename: str | None) -> str | None:
        file_path = Path(path)
        try:
            content = await asyncio.to_thread(file_path.read_bytes)
        except OSError:
            logger.exception("Cannot read media file %s for sending", path)
            return None
        mime = mime_type or mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
        result = await self.graph.upload_media(content, mime, filename or file_path.name)
        media_id = result.data.get("id") if result.ok else None
        if not isinstance(media_id, str):
            logger.error(
                "WhatsApp media upload of %s failed: %s %s",
                path,
                result.error_code,
                result.error_title,
            )
            return None
        return media_id

    async def send_custom_json(
        self, recipient_id: str, json_message: object, **kwargs: Any
    ) -> None:
        """Sends a domain ``custom:`` payload.

        Accepted forms:

        * ``{"type": "location_request", "text": "..."}``: a location request button;
        * ``{"type": "image"|"video"|"audio"|"document", "path"|"link"|"id": ..., "caption": ...}``;
        * any WhatsApp message object without the envelope, e.g.
          ``{"type": "template", "template": {...}}`` or ``{"type": "interactive", ...}``.
        """
        if not isinstance(json_message, dict):
            logger.warning("Ignoring custom WhatsApp payload that is not an object")
            return
        message_type = json_message.get("type")
        if message_type == "location_request":
            await self.send_location_request(recipient_id, json_message.get("text"))
            return
        if message_type in ("image", "video", "audio", "document") and not isinstance(
            json_message.get(message_type), dict
        ):
            await self.send_media(
                recipient_id,
                message_type,
                link=json_message.get("link"),
                media_id=json_message.get("id"),
                path=json_message.get("path"),
                caption=json_message.get("caption"),
                filename=json_message.get("filename"),
                mime_type=json_message.get("mime_type"),
            )
            return
        if message_type in PASSTHROUGH_TYPES and message_type in json_message:
            body = {
                k: v
                for k, v in json_message.items()
                if k not in ("to", "recipient", "messaging_product")
            }
            await self.send(recipient_id, body, str(message_type))
            return
        logger.warning(
            "Ignoring custom WhatsApp payload of unknown form (keys: %s)", sorted(json_message)[:10]
        )

    async def send_reply(self, recipient_id: str, key: str, **values: object) -> None:
        """Sends one of the channel's own canned replies (never through Rasa)."""
        await self.send_text_message(recipient_id, reply_text(key, **values))


class WhatsAppInput(InputChannel):
    """WhatsApp Cloud API webhook for Rasa."""

    def __init__(
        self,
        settings: WhatsAppSettings,
        *,
        graph: GraphClient | None = None,
        store: WhatsAppStore | None = None,
        media: MediaDownloader | None = None,
        recover_on_start: bool = True,
    ) -> None:
        """Initialises the WhatsAppInput.

        Args:
            settings: Configuration (normally :meth:`WhatsAppSettings.from_env`).
            graph: Graph client (built from the settings when omitted).
            store: Database access (built from the settings when omitted).
            media: Media downloader (built from the settings when omitted).
            recover_on_start: Re-process messages acknowledged but unfinished before a crash.
        """
        self.settings = settings
        self.graph = graph or GraphClient(
            settings.api_base_url,
            settings.api_version,
            settings.phone_number_id,
            settings.access_token,
        )
        self.store = store or WhatsAppStore(settings.database_url)
        self.redis = RedisDedupe(settings.redis_url) if settings.redis_url else None
        self.media = media or MediaDownloader(self.graph, settings.media_dir)
        self.menus = MenuMemory()
        self.recover_on_start = recover_on_start
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sender_locks: dict[str, asyncio.Lock] = {}
        self._sender_waiters: dict[str, int] = {}
        # Processing (NLU, tracker store, actions) shares the event loop with the
        # webhook handler; bounding it keeps acknowledgements fast under a burst.
        # Messages beyond the bound wait cheaply for a slot, in arrival order.
        self._processing_slots = asyncio.Semaphore(settings.max_concurrent_messages)
        self._on_new_message: OnNewMessage | None = None
        self._maintenance: asyncio.Task[Any] | None = None
        self._stopping = asyncio.Event()

    @classmethod
    def name(cls) -> str:
        """Channel name: the webhook is ``/webhooks/whatsapp/webhook``."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Builds the channel from environment variables (see ``docs/whatsapp.md``).

        Args:
            credentials: The ``credentials.yml`` section; expected empty, since every
                setting comes from the environment.

        Returns:
            The channel.
        """
        if credentials:
            logger.warning(
                "WhatsApp channel settings in credentials.yml are ignored (%s); "
                "configure it through WHATSAPP_* environment variables.",
                ", ".join(sorted(str(k) for k in credentials)),
            )
        try:
            settings = WhatsAppSettings.from_env()
        except ConfigurationError as exc:
            raise RasaException(str(exc)) from exc
        return cls(settings)

    def get_output_channel(self) -> OutputChannel:
        """Output channel for proactive messages (``trigger_intent?output_channel=whatsapp``)."""
        return WhatsAppOutput(self.graph, self.store, self.menus)

    # ------------------------------------------------------------ background

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float = 10.0) -> None:
        """Waits for the background work started so far (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = [task for task in self._tasks if task is not self._maintenance]
            if not pending:
                return
            await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))

    async def close(self) -> None:
        """Finishes background work briefly, then releases every connection."""
        self._stopping.set()
        if self._maintenance is not None:
            # Let it finish its current database call rather than cancelling it mid-way.
            await asyncio.wait([self._maintenance], timeout=5.0)
            self._tasks.discard(self._maintenance)
        await self.drain(timeout=5.0)
        leftovers = list(self._tasks)
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self.graph.close()
        if self.redis is not None:
            await self.redis.close()
        await self.store.close()

    # ----------------------------------------------------------------- routes

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Defines the webhook routes.

        Args:
            on_new_message: Rasa's handler for user messages.

        Returns:
            The Sanic blueprint.
        """
        self._on_new_message = on_new_message
        blueprint = Blueprint("whatsapp_cloud_webhook")

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET"])
        async def verify_subscription(request: Request) -> HTTPResponse:
            return self.handshake(
                request.args.get("hub.mode"),
                request.args.get("hub.verify_token"),
                request.args.get("hub.challenge"),
            )

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle_delivery(
                request.body or b"",
                request.headers.get(SIGNATURE_HEADER),
                request.ip,
            )

        @blueprint.listener("after_server_start")
        async def on_start(_app: Any, _loop: Any) -> None:
            self._maintenance = self._spawn(self.startup_tasks())

        @blueprint.listener("before_server_stop")
        async def on_stop(_app: Any, _loop: Any) -> None:
            await self.close()

        return blueprint

    def handshake(self, mode: str | None, token: str | None, challenge: str | None) -> HTTPResponse:
        """Answers Meta's verification request.

        Args:
            mode: ``hub.mode`` (must be ``subscribe``).
            token: ``hub.verify_token`` (compared in constant time).
            challenge: ``hub.challenge`` (echoed back).

        Returns:
            200 with the challenge, or 403.
        """
        expected = self.settings.verify_token.encode("utf-8")
        given = (token or "").encode("utf-8")
        if mode == "subscribe" and hmac.compare_digest(given, expected) and challenge is not None:
            logger.info("WhatsApp webhook verified by Meta")
            return response.text(challenge, status=200)
        logger.warning("WhatsApp webhook verification refused (mode=%r)", (mode or "")[:32])
        return response.text("forbidden", status=403)

    async def handle_delivery(
        self, body: bytes, signature: str | None, remote: str = "?"
    ) -> HTTPResponse:
        """Verifies, dedupes and schedules one webhook delivery; answers at once.

        Args:
            body: Raw request body.
            signature: ``X-Hub-Signature-256`` header value.
            remote: Client address for logs.

        Returns:
            403 for a bad signature, 503 when the dedupe store is down (Meta retries),
            otherwise 200.
        """
        if not verify(body, signature, self.settings.app_secrets):
            logger.warning(
                "WhatsApp webhook rejected from %s: %s signature (%d bytes)",
                remote,
                "missing" if not signature else "invalid",
                len(body),
            )
            return response.text("invalid signature", status=403)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            logger.warning("WhatsApp webhook from %s: signed body is not JSON; ignored", remote)
            return response.text("OK", status=200)
        parsed = parse_webhook(payload, self.settings.phone_number_id)
        for reason in parsed.skipped:
            logger.info("WhatsApp webhook part ignored: %s", reason)
        for error in parsed.errors:
            logger.error("WhatsApp webhook reports an error: %.500r", error)
        try:
            for message in parsed.messages:
                if await self._claim(message):
                    self._schedule(message, log_first=self.redis is not None)
                else:
                    logger.info("WhatsApp message %s is a redelivery; ignored", message.wamid)
        except Exception:
            logger.exception("WhatsApp dedupe store unavailable; asking Meta to redeliver")
            return response.text("temporarily unavailable", status=503)
        if parsed.statuses:
            self._spawn(self._apply_statuses(parsed.statuses))
        return response.text("OK", status=200)

    # ---------------------------------------------------------------- inbound

    def _recovery_payload(self, message: InboundMessage) -> dict[str, Any]:
        return {"message": message.raw, "phone_number_id": self.settings.phone_number_id}

    async def _claim(self, message: InboundMessage) -> bool:
        if self.redis is not None:
            # The inbound log row is written by the processing task, before processing.
            return bool(await self.redis.claim(message.wamid))
        return await self.store.log_inbound(
            message.wamid,
            message.sender_id,
            message.message_type,
            message.timestamp,
            self._recovery_payload(message),
        )

    async def _log_inbound_quietly(self, message: InboundMessage) -> None:
        try:
            await self.store.log_inbound(
                message.wamid,
                message.sender_id,
                message.message_type,
                message.timestamp,
                self._recovery_payload(message),
            )
        except Exception:
            logger.exception("Could not log inbound WhatsApp message %s", message.wamid)

    def _schedule(self, message: InboundMessage, log_first: bool = False) -> None:
        """Processes a sender's messages one at a time, in arrival order.

        Args:
            message: The claimed message.
            log_first: Write the inbound log row first (Redis dedupe mode).
        """
        sender = message.sender_id
        lock = self._sender_locks.setdefault(sender, asyncio.Lock())
        self._sender_waiters[sender] = self._sender_waiters.get(sender, 0) + 1

        async def run() -> None:
            try:
                async with lock, self._processing_slots:
                    if log_first:
                        await self._log_inbound_quietly(message)
                    await self.process(message)
            finally:
                self._sender_waiters[sender] -= 1
                if self._sender_waiters[sender] <= 0:
                    self._sender_waiters.pop(sender, None)
                    self._sender_locks.pop(sender, None)

        self._spawn(run())

    async def process(self, message: InboundMessage) -> None:
        """Handles one claimed inbound message and records the outcome; never raises.

        Args:
            message: The parsed message.
        """
        status, detail = "processed", None
        output = WhatsAppOutput(self.graph, self.store, self.menus)
        try:
            status, detail = await self._process(message, output)
        except Exception as exc:
            status, detail = "failed", exc.__class__.__name__
            logger.exception("WhatsApp message %s could not be processed", message.wamid)
            try:
                await output.send_reply(message.sender_id, "error")
            except Exception:
                logger.exception("Could not send the error reply for %s", message.wamid)
        try:
            await self.store.mark_inbound(message.wamid, status, detail)
        except Exception:
            logger.exception("Could not record the outcome of WhatsApp message %s", message.wamid)

    async def _process(
        self, message: InboundMessage, output: WhatsAppOutput
    ) -> tuple[str, str | None]:
        age = time.time() - message.timestamp if message.timestamp else 0.0
        if age > self.settings.stale_after_seconds:
            logger.warning(
                "WhatsApp message %s from %s is stale (%.0f s old); no conversational reply",
                message.wamid,
                message.sender_id,
                age,
            )
            if age < SERVICE_WINDOW_SECONDS and message.action in (ACTION_RASA, ACTION_MEDIA):
                await output.send_reply(message.sender_id, "stale")
            return "stale", f"age {int(age)} s"
        if message.action == ACTION_IGNORE:
            logger.info(
                "WhatsApp %s message %s from %s recorded, not answered (%s)",
                message.message_type,
                message.wamid,
                message.sender_id,
                message.metadata.get("system_type") or "no content",
            )
            return "ignored", message.metadata.get("system_type")
        self._spawn(self._mark_read(message, typing=message.action in (ACTION_RASA, ACTION_MEDIA)))
        if message.action == ACTION_REPLY:
            logger.info(
                "WhatsApp %s message %s answered with the %r reply",
                message.message_type,
                message.wamid,
                message.reply_key,
            )
            await output.send_reply(message.sender_id, message.reply_key or "unsupported")
            return "replied", message.reply_key
        metadata = dict(message.metadata)
        text = message.text or ""
        if message.action == ACTION_MEDIA and message.media is not None:
            outcome = await self.media.fetch(message.media)
            if isinstance(outcome, MediaRefused):
                await output.send_reply(
                    message.sender_id, outcome.reason, limit_mb=outcome.limit_mb
                )
                return "refused", f"{outcome.reason}: {outcome.detail}"
            media = message.media
            text = intent_text(
                SHARE_MEDIA_INTENT, {"media_id": media.media_id, "media_type": media.media_type}
            )
            metadata.update(
                media_id=media.media_id,
                media_type=media.media_type,
                mime_type=outcome.mime_type,
                sha256=outcome.sha256,
                size_bytes=outcome.size_bytes,
                path=outcome.path,
                caption=media.caption,
                filename=media.filename,
                voice=media.voice,
            )
        elif message.action == ACTION_RASA and message.message_type == "text":
            chosen = self.menus.resolve(message.sender_id, text)
            if chosen is not None:
                metadata["menu_choice"] = text.strip()
                text = chosen
        elif message.action != ACTION_RASA:
            return "ignored", f"action {message.action}"
        if self._on_new_message is None:
            raise RuntimeError("blueprint() was not called; no Rasa handler")
        await self._on_new_message(
            UserMessage(
                text,
                output,
                message.sender_id,
                input_channel=self.name(),
                message_id=message.wamid,
                metadata=metadata,
            )
        )
        return "processed", None

    async def _mark_read(self, message: InboundMessage, typing: bool) -> None:
        try:
            result = await self.graph.mark_read(message.wamid, typing_indicator=typing)
        except Exception:
            logger.exception("Mark-as-read of %s crashed", message.wamid)
            return
        if not result.ok:
            logger.warning(
                "Mark-as-read of %s failed: HTTP %s code %s %s",
                message.wamid,
                result.http_status,
                result.error_code,
                result.error_title,
            )
            try:
                await self.store.record_outbound(
                    recipient=message.sender_id,
                    kind="read_receipt",
                    summary=f"read {message.wamid}",
                    wamid=None,
                    status="failed",
                    attempts=result.attempts,
                    error_code=result.error_code,
                    error_title=result.error_title,
                )
            except Exception:
                logger.exception("Could not record the failed read receipt of %s", message.wamid)

    async def _apply_statuses(self, statuses: list[StatusUpdate]) -> None:
        for status in statuses:
            if status.status == "failed":
                logger.warning(
                    "WhatsApp message %s to %s failed: code %s %s",
                    status.wamid,
                    status.recipient_id,
                    status.error_code,
                    status.error_title,
                )
            try:
                await self.store.apply_status(
                    status.wamid,
                    status.status,
                    recipient=status.recipient_id,
                    timestamp=status.timestamp,
                    error_code=status.error_code,
                    error_title=status.error_title,
                    callback_data=status.callback_data,
                )
            except Exception:
                logger.exception(
                    "Could not record WhatsApp status %s for %s", status.status, status.wamid
                )

    # ------------------------------------------------------------- lifecycle

    async def startup_tasks(self) -> None:
        """Checks the tables, re-processes unfinished messages, then prunes periodically."""
        if not await self.store.check_tables():
            return
        if self.recover_on_start and not self._stopping.is_set():
            await self.recover_pending()
        while not self._stopping.is_set():
            try:
                removed = await self.store.prune_inbound(INBOUND_RETENTION)
                if removed:
                    logger.info("Pruned %d old WhatsApp inbound log rows", removed)
            except Exception:
                logger.exception("Pruning the WhatsApp inbound log failed")
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=PRUNE_INTERVAL_SECONDS)
            except asyncio.TimeoutError:
                continue

    async def recover_pending(self) -> int:
        """Re-processes messages acknowledged to Meta but not finished (e.g. a crash).

        Returns:
            Number of messages scheduled again.
        """
        try:
            pending = await self.store.pending_inbound(
                RECOVERY_MIN_AGE, timedelta(seconds=self.settings.stale_after_seconds)
            )
        except Exception:
            logger.exception("Could not list unfinished WhatsApp messages")
            return 0
        count = 0
        for wamid, data in pending:
            value = {"metadata": {"phone_number_id": data.get("phone_number_id")}}
            message = parse_message(data.get("message"), value)
            if message is None or message.wamid != wamid:
                continue
            logger.warning("Re-processing WhatsApp message %s left unfinished", wamid)
            self._schedule(message)
            count += 1
        return count
