"""Asynchronous client for the WhatsApp Cloud API (Meta Graph API).

One :class:`aiohttp.ClientSession` per client (one client per channel), with
timeouts. Sends are retried with exponential backoff on the transient errors of
:mod:`lalisa_common.whatsapp.errors` (the rules the outbox worker uses too), network
errors and timeouts, and never on permanent errors.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.tracing import TraceRequestHeadersSentParams

from lalisa_common.whatsapp.errors import PAIR_RATE_LIMIT, error_of, is_retryable

logger = logging.getLogger(__name__)

#: Pseudo error code recorded for network failures and timeouts (no HTTP response).
NETWORK_ERROR = -1

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5, sock_read=10)
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60, connect=5, sock_read=20)


class MediaTooLarge(Exception):
    """The media download exceeded the size limit."""


@dataclass
class GraphResult:
    """Outcome of a Graph API call after all retries.

    Attributes:
        ok: True on HTTP 2xx.
        http_status: Last HTTP status (0 when no response was received).
        data: Decoded JSON body of the last response.
        attempts: Number of HTTP attempts made.
        error_code: Graph ``error.code`` (or :data:`NETWORK_ERROR`) when not ok.
        error_title: Graph ``error.message`` (or the exception name) when not ok.
        maybe_delivered: No answer came back, but the request had gone out: the answer timed
            out after the request was written, so Meta may well have accepted it.
    """

    ok: bool
    http_status: int
    data: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    error_code: int | None = None
    error_title: str | None = None
    maybe_delivered: bool = False

    @property
    def wamid(self) -> str | None:
        """The id of the sent message (``messages[0].id``), if any."""
        messages = self.data.get("messages") if isinstance(self.data, dict) else None
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            value = messages[0].get("id")
            return value if isinstance(value, str) else None
        return None


class _Written:
    """Per-request flag: the request headers went out on the socket."""

    def __init__(self) -> None:
        self.done = False


async def _on_headers_sent(
    _session: aiohttp.ClientSession, context: Any, _params: TraceRequestHeadersSentParams
) -> None:
    if isinstance(context.trace_request_ctx, _Written):
        context.trace_request_ctx.done = True


def _request_written() -> aiohttp.TraceConfig:
    """A trace that marks a request once it was written (see ``GraphResult.maybe_delivered``)."""
    config = aiohttp.TraceConfig()
    # aiohttp 3.9 annotates these signals with a wrong callback type; the call is as documented.
    config.on_request_headers_sent.append(_on_headers_sent)  # type: ignore[arg-type]
    return config


class GraphClient:
    """Graph API client shared by the input and output sides of the channel."""

    def __init__(
        self,
        base_url: str,
        api_version: str,
        phone_number_id: str,
        access_token: str,
        *,
        max_attempts: int = 4,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Initialises the GraphClient.

        Args:
            base_url: Graph host, e.g. ``https://graph.facebook.com`` or the sandbox.
            api_version: Pinned version such as ``v23.0``.
            phone_number_id: The business phone number id.
            access_token: Bearer token.
            max_attempts: Attempts per call for transient failures.
            backoff_base: First delay in seconds; delays grow as ``base * 4**n`` (Meta's
                ``4^X`` guidance), with a little jitter.
            backoff_cap: Largest single delay in seconds.
            timeout: Timeout of ordinary calls.
            sleep: Sleep function (tests replace it).
        """
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version.strip("/")
        self.phone_number_id = phone_number_id
        self._token = access_token
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def url(self, *parts: str) -> str:
        """Builds ``<base>/<version>/<parts...>``."""
        return "/".join([self.base_url, self.api_version, *[p.strip("/") for p in parts]])

    @property
    def messages_url(self) -> str:
        """``POST`` endpoint for messages and read receipts."""
        return self.url(self.phone_number_id, "messages")

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def session(self) -> aiohttp.ClientSession:
        """Returns the shared session, creating it inside the running loop."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, headers=self._headers(), trace_configs=[_request_written()]
            )
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
        """Closes the shared session."""
        if self._session is not None and not self._session.closed:
            try:
                await self._session.close()
            except RuntimeError:  # created on another (closed) loop
                pass
        self._session = None

    def backoff_delay(self, attempt: int, error_code: int | None) -> float:
        """Delay before retry number ``attempt`` (0-based).

        Args:
            attempt: How many retries were already made.
            error_code: The error that triggered the retry.

        Returns:
            Seconds to wait.
        """
        delay = min(self.backoff_cap, self.backoff_base * (4.0**attempt))
        if error_code != PAIR_RATE_LIMIT:  # keep 131056 on Meta's exact 4^X schedule
            delay *= random.uniform(0.8, 1.2)
        return delay

    async def _call_once(
        self, method: str, url: str, json_body: dict[str, Any] | None, data: Any
    ) -> GraphResult:
        session = await self.session()
        written = _Written()
        try:
            async with session.request(
                method, url, json=json_body, data=data, trace_request_ctx=written
            ) as resp:
                try:
                    payload = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    payload = {}
                if not isinstance(payload, dict):
                    payload = {"data": payload}
                if 200 <= resp.status < 300:
                    return GraphResult(True, resp.status, payload)
                code, title = error_of(payload)
                return GraphResult(
                    False,
                    resp.status,
                    payload,
                    error_code=code,
                    error_title=title or f"HTTP {resp.status}",
                )
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return GraphResult(
                False,
                0,
                {},
                error_code=NETWORK_ERROR,
                error_title=exc.__class__.__name__ or "network error",
                # A timeout while waiting for the answer: Meta got the request and may have
                # sent the message. A refused or dropped connection did not get that far.
                maybe_delivered=written.done and isinstance(exc, asyncio.TimeoutError),
            )

    async def call(
        self,
        method: str,
        url: str,
        *,
        json_body: dict[str, Any] | None = None,
        data: Callable[[], Any] | None = None,
        retry: bool = True,
        idempotent: bool = True,
    ) -> GraphResult:
        """Calls the Graph API with retries on transient failures.

        Args:
            method: HTTP method.
            url: Absolute URL.
            json_body: JSON body.
            data: Factory of a fresh request body (e.g. multipart) for each attempt.
            retry: False to make a single attempt.
            idempotent: False for a call whose repetition repeats its effect (sending a
                message: the Cloud API has no idempotency key). Such a call is not repeated
                after an answer that timed out once the request was written
                (``maybe_delivered``): the citizen would read the message twice.

        Returns:
            The last result; ``attempts`` says how many HTTP attempts were made.
        """
        attempts = self.max_attempts if retry else 1
        result = GraphResult(False, 0)
        for attempt in range(attempts):
            result = await self._call_once(method, url, json_body, data() if data else None)
            result.attempts = attempt + 1
            if result.ok or not is_retryable(result.http_status, result.error_code):
                return result
            if result.maybe_delivered and not idempotent:
                logger.warning(
                    "Graph %s %s: no answer within the timeout after the request went out; "
                    "not repeated (it may have been delivered)",
                    method,
                    url.rsplit("/", 1)[-1],
                )
                return result
            if attempt + 1 < attempts:
                delay = self.backoff_delay(attempt, result.error_code)
                logger.warning(
                    "Graph %s %s failed (HTTP %s, code %s); retry %d in %.2fs",
                    method,
                    url.rsplit("/", 1)[-1],
                    result.http_status,
                    result.error_code,
                    attempt + 1,
                    delay,
                )
                await self._sleep(delay)
        return result

    async def send_message(self, body: dict[str, Any]) -> GraphResult:
        """Sends one message (``POST /<version>/<pnid>/messages``).

        Args:
            body: The message without ``messaging_product`` (added here).

        Returns:
            The result; ``result.wamid`` is the id of the accepted message.
        """
        payload = {"messaging_product": "whatsapp", **body}
        return await self.call("POST", self.messages_url, json_body=payload, idempotent=False)

    async def mark_read(self, wamid: str, typing_indicator: bool = False) -> GraphResult:
        """Marks an inbound message as read (optionally showing a typing indicator).

        Args:
            wamid: Id of the inbound message.
            typing_indicator: Also show "typing…" until the reply (or 25 s).

        Returns:
            The result (a single attempt; read receipts are not worth retrying).
        """
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": wamid,
        }
        if typing_indicator:
            payload["typing_indicator"] = {"type": "text"}
        return await self.call("POST", self.messages_url, json_body=payload, retry=False)

    async def media_info(self, media_id: str) -> GraphResult:
        """Resolves a media id to its short-lived download URL.

        Args:
            media_id: WhatsApp media id.

        Returns:
            The result; ``data`` holds ``url``, ``mime_type``, ``sha256``, ``file_size``.
        """
        url = self.url(media_id) + f"?phone_number_id={self.phone_number_id}"
        return await self.call("GET", url)

    async def download(self, url: str, max_bytes: int) -> tuple[bytes, str | None]:
        """Downloads media bytes with the bearer token, enforcing a size limit.

        Args:
            url: The URL returned by :meth:`media_info` (valid for 5 minutes).
            max_bytes: Largest accepted size.

        Returns:
            The bytes and the response ``Content-Type``.

        Raises:
            MediaTooLarge: If the file is larger than ``max_bytes``.
            aiohttp.ClientResponseError: On a non-2xx answer.
            aiohttp.ClientError: On network errors.
            asyncio.TimeoutError: On timeouts.
        """
        session = await self.session()
        async with session.get(url, timeout=DOWNLOAD_TIMEOUT) as resp:
            resp.raise_for_status()
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise MediaTooLarge(resp.content_length)
            chunks = []
            size = 0
            async for chunk in resp.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise MediaTooLarge(size)
                chunks.append(chunk)
            return b"".join(chunks), resp.headers.get("Content-Type")

    async def upload_media(self, content: bytes, mime_type: str, filename: str) -> GraphResult:
        """Uploads a file for sending (``POST /<pnid>/media``; kept by Meta 30 days).

        Args:
            content: File bytes.
            mime_type: Its MIME type.
            filename: File name shown to the recipient for documents.

        Returns:
            The result; ``data["id"]`` is the media id.
        """

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("messaging_product", "whatsapp")
            data.add_field("type", mime_type)
            data.add_field("file", content, filename=filename, content_type=mime_type)
            return data

        return await self.call("POST", self.url(self.phone_number_id, "media"), data=form)
