"""WhatsApp Cloud API for Rasa 3.6: the output channel and the message processor.

The webhook itself is served by the receiver (``python -m lalisa.ingress``), which stores every
accepted message in the inbound queue; the workers (``python -m lalisa_rasa.worker``) lease
queued messages and hand them to :class:`WhatsAppProcessor`, which feeds Rasa with a
:class:`WhatsAppOutput`. Rasa itself serves no WhatsApp webhook (see ``docs/whatsapp.md``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from redis import asyncio as redis_asyncio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError

from lalisa_common.env import read_env
from lalisa_common.identity import SenderKeys, is_sender_key, sender_keys
from lalisa_common.phone import recipient_fields
from lalisa_common.whatsapp.errors import is_retryable
from lalisa_common.whatsapp.payload import (
    ACTION_IGNORE,
    ACTION_MEDIA,
    ACTION_RASA,
    ACTION_REPLY,
    SHARE_MEDIA_INTENT,
    InboundMessage,
    intent_text,
)
from lalisa_common.whatsapp.queue import BUSY_NOTICE_INDEX
from lalisa_rasa.channels.config import WhatsAppSettings
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
from lalisa_rasa.channels.store import WhatsAppStore
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
MENU_TTL_SECONDS = 30 * 60

_MENU_ANSWER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: After a send whose answer timed out once the request had gone out, how long to look for
#: Meta's status webhook of it (the reply's callback key) before sending it again.
DEFAULT_TRACE_WAIT_SECONDS = 10.0
TRACE_POLL_SECONDS = 0.25
#: Sends of one reply whose answer timed out (each followed by the wait for its trace).
AMBIGUOUS_SENDS = 3


class ReplyNotDelivered(Exception):
    """A reply of a turn could not be handed to WhatsApp for a transient reason.

    The Graph API stayed unreachable, overloaded (5xx) or rate-limited through every retry.
    Raised out of the Rasa turn before the tracker is saved, so the worker puts the message
    back in the queue and the turn runs again later: the replies that went out are skipped by
    their key, the missing one is sent then. Recorded as ``failed`` in the outbound log first.
    """


#: Failures of a shared store (or of WhatsApp itself) during a turn: the message goes back to
#: the queue and its turn runs again later.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OperationalError,
    ReplyNotDelivered,
)


def reply_key(reply_to: str, reply_index: int) -> str:
    """The idempotency key of reply ``reply_index`` to inbound message ``reply_to``.

    Sent as ``biz_opaque_callback_data``, which Meta echoes in the reply's status webhooks; the
    receiver stores it in ``whatsapp_outbound_messages.callback_data``. It is the trace that
    tells whether a send whose answer was lost reached WhatsApp.
    """
    return f"reply:{reply_index}:{reply_to}"[:512]


class MenuMemory:
    """Remembers the last numbered text menu sent to each recipient, shared by every worker.

    When a choice list had to degrade to a numbered text, the citizen answers with a number;
    the worker turns ``2`` back into the second button's payload. The answer may reach another
    worker process than the one that sent the menu, so the menus live in Redis (``SET … EX``,
    when ``REDIS_URL`` is set) or in the ``whatsapp_menus`` table; without either (unit tests of
    the output alone) in this process.
    """

    def __init__(
        self,
        store: WhatsAppStore | None = None,
        redis: Any = None,
        ttl_seconds: float = MENU_TTL_SECONDS,
        prefix: str = "lalisa:wa:menu:",
    ) -> None:
        """Initialises the memory.

        Args:
            store: The channel's database store (``whatsapp_menus``).
            redis: An asyncio Redis client, preferred over the store when given.
            ttl_seconds: How long a numbered menu stays answerable.
            prefix: Redis key prefix.
        """
        self.store = store
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._local: dict[str, tuple[float, list[str]]] = {}

    async def remember(self, recipient_id: str, payloads: list[str]) -> None:
        """Stores the payloads of a numbered menu for ``recipient_id``."""
        if self.redis is not None:
            await self.redis.set(
                self.prefix + recipient_id, json.dumps(payloads), ex=int(self.ttl_seconds)
            )
        elif self.store is not None:
            await self.store.remember_menu(recipient_id, payloads, self.ttl_seconds)
        else:
            self._local[recipient_id] = (time.monotonic() + self.ttl_seconds, list(payloads))

    async def _take(self, recipient_id: str) -> list[str] | None:
        if self.redis is not None:
            raw = await self.redis.getdel(self.prefix + recipient_id)
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                data = None
            return [str(item) for item in data] if isinstance(data, list) else None
        if self.store is not None:
            return await self.store.take_menu(recipient_id)
        entry = self._local.pop(recipient_id, None)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    async def resolve(self, recipient_id: str, text: str) -> str | None:
        """Maps a numeric answer to the payload of the live menu, consuming the menu.

        Args:
            recipient_id: The citizen.
            text: Their message.

        Returns:
            The payload, or None if the text is not an answer to a live menu.
        """
        match = _MENU_ANSWER.match(text)
        if match is None:
            return None
        payloads = await self._take(recipient_id)
        if payloads is None:
            return None
        number = int(match.group(1))
        if not 1 <= number <= len(payloads):
            return None
        return payloads[number - 1]


class WhatsAppOutput(OutputChannel):
    """Sends Rasa responses through the Cloud API and records every outcome."""

    def __init__(
        self,
        graph: GraphClient,
        store: WhatsAppStore | None = None,
        menus: MenuMemory | None = None,
        reply_to: str | None = None,
        keys: SenderKeys | None = None,
        trace_wait_seconds: float = DEFAULT_TRACE_WAIT_SECONDS,
        first_run: bool = False,
    ) -> None:
        """Initialises the WhatsAppOutput.

        Args:
            graph: Shared Graph client.
            store: Where outbound records go (None: log only), and the citizen contacts.
            menus: Numbered-menu memory shared by the workers.
            reply_to: The inbound wamid this output answers. Each send is then keyed by
                ``(reply_to, n)``; a send whose key was already accepted (a turn run again
                after a crash) is skipped, so the citizen never gets a reply twice.
            keys: Decrypt the number behind a citizen key (from ``LALISA_IDENTITY_KEY`` when
                omitted).
            trace_wait_seconds: After a keyed send whose answer timed out, how long to look
                for its status webhook before sending it again.
            first_run: This is the first run of the turn of ``reply_to`` (its queue row was
                claimed for the first time): no reply of it can have been sent before, so the
                turn's replies (index 0 on) are not looked up before they go out. Every later
                run (a re-claim after a lost lease, a release after ``ReplyNotDelivered``)
                counts a claim more and looks them up.
        """
        self.graph = graph
        self.first_run = first_run
        self.trace_wait_seconds = trace_wait_seconds
        self.keys = keys
        self.store = store
        self.menus = menus or MenuMemory(store)
        self.reply_to = reply_to
        self._reply_index = 0
        self._addresses: dict[str, str] = {}

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
        reply_index: int | None = None
        key: str | None = None
        if self.reply_to is not None:
            reply_index = self._reply_index
            self._reply_index += 1
            key = reply_key(self.reply_to, reply_index)
            # The look-up is a query per reply (~1.1 ms of CPU on PostgreSQL); on a turn's
            # first run it can find nothing. The busy notice (index -1) is sent before the
            # turn, possibly more than once: always looked up.
            if (
                self.store is not None
                and not (self.first_run and reply_index >= 0)
                and await self.store.reply_sent(self.reply_to, reply_index, key)
            ):
                logger.info("Reply %d to %s was sent before; not again", reply_index, self.reply_to)
                return GraphResult(ok=True, http_status=200, attempts=0)
            if "biz_opaque_callback_data" not in body:
                body = {**body, "biz_opaque_callback_data": key}
            else:
                key = None  # the payload's own callback data identifies nothing per reply
        address = await self.address_of(recipient_id)
        if address is None:
            logger.error("No number is recorded for citizen %s; nothing sent", recipient_id)
            result = GraphResult(
                ok=False, http_status=0, attempts=0, error_title="unknown citizen key"
            )
        else:
            payload = {"recipient_type": "individual", **recipient_fields(address), **body}
            result = await self._deliver(payload, key)
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
                    reply_to=self.reply_to if reply_index is not None else None,
                    reply_index=reply_index,
                )
            except Exception:
                logger.exception("Could not record outbound WhatsApp message to %s", recipient_id)
        if (
            reply_index is not None
            and not result.ok
            and address is not None
            and is_retryable(result.http_status, result.error_code)
        ):
            raise ReplyNotDelivered(
                f"reply {reply_index} to {self.reply_to}: HTTP {result.http_status} "
                f"code {result.error_code} after {result.attempts} attempt(s)"
            )
        return result

    async def _deliver(self, payload: dict[str, Any], key: str | None) -> GraphResult:
        """Sends a message at least once, never twice when WhatsApp's trace says it arrived.

        The Graph client retries what surely did not arrive (refused connections, 5xx, 429)
        but not a send whose answer timed out after the request went out: Meta may have
        accepted it. For a keyed reply the trace decides: Meta's status webhook carries the
        key back (``callback_data``); found, the reply is recorded as accepted under the wamid
        of the webhook; not found within ``trace_wait_seconds``, it is sent again. Without a
        key (the unkeyed apology) the send is not repeated.
        """
        result = await self.graph.send_message(payload)
        attempts = result.attempts
        rounds = 1
        while (
            result.maybe_delivered
            and key is not None
            and self.store is not None
            and rounds <= AMBIGUOUS_SENDS
        ):
            wamid = await self._trace(key)
            if wamid is not None:
                logger.info(
                    "Reply %s timed out but reached WhatsApp (%s): not sent again", key, wamid
                )
                return GraphResult(
                    ok=True, http_status=200, data={"messages": [{"id": wamid}]}, attempts=attempts
                )
            if rounds == AMBIGUOUS_SENDS:
                break
            logger.warning(
                "Reply %s timed out and left no trace at WhatsApp: sending it again", key
            )
            result = await self.graph.send_message(payload)
            attempts += result.attempts
            rounds += 1
        result.attempts = attempts
        return result

    async def _trace(self, key: str) -> str | None:
        """The wamid of the status webhook carrying ``key``, waited for a while; None if none."""
        assert self.store is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.trace_wait_seconds
        while True:
            wamid = await self.store.reply_trace(key)
            if wamid is not None or loop.time() >= deadline:
                return wamid
            await asyncio.sleep(min(TRACE_POLL_SECONDS, max(0.0, deadline - loop.time())))

    async def address_of(self, recipient_id: str) -> str | None:
        """The number to send to: a citizen key is resolved (decrypted) here, at the edge.

        Rasa, the queue and every record know the citizen by key; the number is read from
        ``citizen_contacts`` only for the Graph call. Anything else (a number) is used as is.
        The output of one turn remembers the numbers it read: a turn's second and later
        replies to the citizen read (and decrypt) the row no more.
        """
        if not is_sender_key(recipient_id):
            return recipient_id
        if self.store is None:
            return None
        known = self._addresses.get(recipient_id)
        if known is not None:
            return known
        if self.keys is None:
            self.keys = sender_keys(read_env())
        address = await self.store.address_of(self.keys, recipient_id)
        if address is not None:
            self._addresses[recipient_id] = address
        return address

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
            await self.menus.remember(recipient_id, rendered.menu)
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


class WhatsAppProcessor:
    """The message-processing half of the channel, run by the queue workers.

    The webhook half lives in the receiver (``lalisa.ingress``), which stores each accepted
    message; a worker (:mod:`lalisa_rasa.worker`) leases it and calls :meth:`process`:
    staleness check, read receipt (with a typing indicator when a reply follows), canned
    replies for unusable types, media download, numbered-menu answers, then the Rasa turn with
    a :class:`WhatsAppOutput` keyed to the message, so a turn run again never repeats a reply.
    """

    def __init__(
        self,
        settings: WhatsAppSettings,
        *,
        graph: GraphClient | None = None,
        store: WhatsAppStore | None = None,
        media: MediaDownloader | None = None,
        menus: MenuMemory | None = None,
        keys: SenderKeys | None = None,
        trace_wait_seconds: float = DEFAULT_TRACE_WAIT_SECONDS,
    ) -> None:
        """Initialises the processor.

        Args:
            settings: Configuration (normally :meth:`WhatsAppSettings.from_env`).
            graph: Graph client (built from the settings when omitted).
            store: Database access (built from the settings when omitted).
            media: Media downloader (built from the settings when omitted).
            menus: Numbered-menu memory (Redis when ``REDIS_URL`` is set, else the database).
            keys: Resolve citizen keys to numbers (``LALISA_IDENTITY_KEY`` when omitted).
            trace_wait_seconds: See :class:`WhatsAppOutput`.
        """
        self.settings = settings
        self.trace_wait_seconds = trace_wait_seconds
        self.keys = keys or sender_keys(read_env())
        self.graph = graph or GraphClient(
            settings.api_base_url,
            settings.api_version,
            settings.phone_number_id,
            settings.access_token,
        )
        self.store = store or WhatsAppStore(settings.database_url)
        self._redis = (
            redis_asyncio.from_url(
                settings.redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
            )
            if settings.redis_url and menus is None
            else None
        )
        self.media = media or MediaDownloader(self.graph, settings.media_dir)
        self.menus = menus or MenuMemory(self.store, self._redis)
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_env(cls) -> WhatsAppProcessor:
        """Builds the processor from the environment (see ``docs/whatsapp.md``)."""
        return cls(WhatsAppSettings.from_env())

    def output_for(self, reply_to: str | None = None, first_run: bool = False) -> WhatsAppOutput:
        """An output channel; with ``reply_to`` its sends are keyed to that inbound message.

        ``first_run``: see :class:`WhatsAppOutput`.
        """
        return WhatsAppOutput(
            self.graph,
            self.store,
            self.menus,
            reply_to=reply_to,
            keys=self.keys,
            trace_wait_seconds=self.trace_wait_seconds,
            first_run=first_run,
        )

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        """Waits briefly for read receipts in flight, then releases every connection."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)
        for task in list(self._tasks):
            task.cancel()
        await self.graph.close()
        if self._redis is not None:
            await self._redis.close()
        await self.store.close()

    async def send_busy_notice(self, wamid: str, sender_id: str) -> bool:
        """Tells a new citizen honestly that the answer will take a while; once per message.

        Returns:
            True when the notice went out now.
        """
        output = self.output_for(wamid)
        output._reply_index = BUSY_NOTICE_INDEX
        try:
            result = await output.send(
                sender_id, {"type": "text", "text": {"body": reply_text("busy")}}, "busy"
            )
        except ReplyNotDelivered:
            return False  # tried again at the next check while the message still waits
        return result.ok and result.attempts > 0

    async def process(
        self, message: InboundMessage, on_new_message: OnNewMessage, *, first_run: bool = False
    ) -> tuple[str, str | None]:
        """Handles one leased message; returns its outcome ``(status, detail)``.

        Infrastructure failures inside the Rasa turn (the lock store, the tracker store, the
        action server) propagate, so the worker puts the message back instead of answering
        with an error; anything else gets the "gangguan" reply and the ``failed`` outcome.

        Args:
            message: The parsed message.
            on_new_message: Rasa's handler (``agent.handle_message``).
            first_run: The message was claimed for the first time (no reply of its turn can
                have been sent before).

        Returns:
            ``processed``, ``replied``, ``ignored``, ``stale``, ``refused`` or ``failed``,
            and a short detail.
        """
        output = self.output_for(message.wamid, first_run=first_run)
        try:
            return await self._process(message, output, on_new_message)
        except INFRASTRUCTURE_ERRORS:
            raise
        except Exception as exc:
            logger.exception("WhatsApp message %s could not be processed", message.wamid)
            try:
                # Unkeyed: the apology must not take the place of a reply of a later re-run.
                await self.output_for().send_reply(message.sender_id, "error")
            except Exception:
                logger.exception("Could not send the error reply for %s", message.wamid)
            return "failed", exc.__class__.__name__

    async def _process(
        self, message: InboundMessage, output: WhatsAppOutput, on_new_message: OnNewMessage
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
            chosen = await self.menus.resolve(message.sender_id, text)
            if chosen is not None:
                metadata["menu_choice"] = text.strip()
                text = chosen
        elif message.action != ACTION_RASA:
            return "ignored", f"action {message.action}"
        await on_new_message(
            UserMessage(
                text,
                output,
                message.sender_id,
                input_channel=CHANNEL_NAME,
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
                    summary="[read_receipt]",
                    wamid=None,
                    status="failed",
                    attempts=result.attempts,
                    error_code=result.error_code,
                    error_title=result.error_title,
                )
            except Exception:
                logger.exception("Could not record the failed read receipt of %s", message.wamid)
