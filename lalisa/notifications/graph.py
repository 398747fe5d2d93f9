"""Async client for sending WhatsApp messages through the Cloud API (Meta Graph API).

``POST {WHATSAPP_API_BASE_URL}/{WHATSAPP_API_VERSION}/{WHATSAPP_PHONE_NUMBER_ID}/messages`` with
``Authorization: Bearer {WHATSAPP_ACCESS_TOKEN}``. One :class:`httpx.AsyncClient` per process
(and event loop), with timeouts. The client makes exactly one HTTP request per call and never
retries by itself: retries belong to the outbox worker, which records every attempt so that a
retry can never send a message twice.

Each failure is classified (:class:`SendResult`) with :mod:`lalisa_common.whatsapp.errors`, the
rules the WhatsApp channel uses too, plus what only a sender that keeps an outbox needs:

* *unreachable*: the request never reached WhatsApp (connection refused, DNS failure, connect
  timeout). Safe to repeat; the worker does not count it as an attempt.
* *ambiguous*: a network failure after the request was written (read timeout, dropped
  connection), where WhatsApp may have accepted the message; retryable, but checked first.
* *account problem*: not the message's fault; the worker keeps it pending without using up
  attempts until the operator fixes the account.
* 131047 (re-engagement: the 24-hour window is closed) is permanent for a free text; the worker
  then sends the template once instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from lalisa.core.settings import Settings, get_settings
from lalisa_common.phone import recipient_fields
from lalisa_common.whatsapp.errors import (
    REENGAGEMENT_REQUIRED,
    error_of,
    is_account_problem,
    is_retryable,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "NETWORK_UNREACHABLE",
    "OUTCOME_UNKNOWN",
    "GraphClient",
    "GraphNotConfigured",
    "SendResult",
    "close_graph_client",
    "get_graph_client",
    "send_template",
    "send_text",
]

logger = logging.getLogger(__name__)

NETWORK_UNREACHABLE = -1
"""Local error code: the request never reached WhatsApp."""
OUTCOME_UNKNOWN = -2
"""Local error code: the request may have reached WhatsApp, but no answer came back."""

MAX_TEXT_LENGTH = 4096
INTERACTIVE_BODY_LENGTH = 1024
"""Longest body of an interactive (reply button) message."""
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class GraphNotConfigured(RuntimeError):
    """Raised when WHATSAPP_ACCESS_TOKEN or WHATSAPP_PHONE_NUMBER_ID is not set."""


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send request.

    Attributes:
        ok: WhatsApp accepted the message (HTTP 2xx).
        wamid: The message id from ``messages[0].id`` (``None`` if not ok, or missing).
        http_status: HTTP status, 0 when no response came back.
        error_code: Graph ``error.code``, or :data:`NETWORK_UNREACHABLE` /
            :data:`OUTCOME_UNKNOWN` for network failures; ``None`` when ok.
        error_title: Graph ``error.message`` with ``error_data.details``, or the exception name.
        retryable: A later attempt may succeed.
        unreachable: The request certainly did not reach WhatsApp.
        ambiguous: WhatsApp may have accepted the message although no answer came back.
        account_problem: The business account cannot send at all (token, permission, payment).
    """

    ok: bool
    wamid: str | None = None
    http_status: int = 0
    error_code: int | None = None
    error_title: str | None = None
    retryable: bool = False
    unreachable: bool = False
    ambiguous: bool = False
    account_problem: bool = False

    @property
    def reengagement_required(self) -> bool:
        """True for error 131047: free text outside the 24-hour window."""
        return self.error_code == REENGAGEMENT_REQUIRED


def _wamid_of(payload: Any) -> str | None:
    messages = payload.get("messages") if isinstance(payload, dict) else None
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        value = messages[0].get("id")
        return value if isinstance(value, str) and value else None
    return None


def _result_from_response(response: httpx.Response) -> SendResult:
    try:
        payload: Any = response.json()
    except (ValueError, UnicodeDecodeError):
        payload = {}
    if response.is_success:
        wamid = _wamid_of(payload)
        if wamid is None:
            logger.warning("WhatsApp accepted a message but returned no message id")
        return SendResult(ok=True, wamid=wamid, http_status=response.status_code)
    code, title = error_of(payload)
    return SendResult(
        ok=False,
        http_status=response.status_code,
        error_code=code,
        error_title=title or f"HTTP {response.status_code}",
        retryable=is_retryable(response.status_code, code),
        account_problem=is_account_problem(response.status_code, code),
    )


def _result_from_exception(exc: httpx.HTTPError) -> SendResult:
    name = exc.__class__.__name__
    # These fail before the request is written, so WhatsApp cannot have seen it.
    if isinstance(
        exc,
        (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol),
    ):
        return SendResult(
            ok=False,
            error_code=NETWORK_UNREACHABLE,
            error_title=name,
            retryable=True,
            unreachable=True,
        )
    return SendResult(
        ok=False, error_code=OUTCOME_UNKNOWN, error_title=name, retryable=True, ambiguous=True
    )


class GraphClient:
    """Sends WhatsApp messages for one business phone number.

    Args:
        base_url: Graph host, e.g. ``https://graph.facebook.com`` (a fake in tests).
        api_version: Pinned version, e.g. ``v23.0``.
        phone_number_id: The business phone number id.
        access_token: Bearer token.
        timeout: Timeouts of each request.
        transport: httpx transport (tests pass an :class:`httpx.MockTransport`).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_version: str,
        phone_number_id: str,
        access_token: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Create a client; the HTTP connection pool is opened on first use."""
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version.strip().strip("/")
        self.phone_number_id = phone_number_id.strip()
        self._access_token = access_token.strip()
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> GraphClient:
        """Build a client from the La-Lisa settings.

        Args:
            settings: Settings; defaults to :func:`lalisa.core.settings.get_settings`.
            transport: Optional httpx transport (tests).

        Returns:
            The client.

        Raises:
            GraphNotConfigured: The access token or the phone number id is not set.
        """
        settings = settings or get_settings()
        if not settings.whatsapp.access_token or not settings.whatsapp.phone_number_id:
            raise GraphNotConfigured(
                "WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID must be set to send messages"
            )
        return cls(
            base_url=settings.whatsapp.api_base_url,
            api_version=settings.whatsapp.api_version,
            phone_number_id=settings.whatsapp.phone_number_id,
            access_token=settings.whatsapp.access_token,
            transport=transport,
        )

    @property
    def messages_url(self) -> str:
        """The ``/messages`` endpoint of the business number."""
        return f"{self.base_url}/{self.api_version}/{self.phone_number_id}/messages"

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client.is_closed or self._client_loop is not loop:
            # A pool is bound to the loop that opened its connections; tests run many loops.
            self._client = httpx.AsyncClient(
                timeout=self._timeout,
                transport=self._transport,
                headers={"Authorization": f"Bearer {self._access_token}"},
            )
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool (it is reopened on the next send)."""
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            try:
                await client.aclose()
            except RuntimeError:  # opened on an event loop that is closed now
                pass

    async def send_message(self, payload: dict[str, Any]) -> SendResult:
        """Send one message body (one HTTP request, no retry).

        Args:
            payload: The message without ``messaging_product`` (added here).

        Returns:
            The classified outcome; never raises for HTTP or network errors.
        """
        body = {"messaging_product": "whatsapp", **payload}
        try:
            response = await self._http().post(
                self.messages_url,
                content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            return _result_from_exception(exc)
        return _result_from_response(response)

    async def send_text(
        self,
        phone: str,
        body: str,
        *,
        callback_data: str | None = None,
        buttons: Sequence[Mapping[str, str]] | None = None,
    ) -> SendResult:
        """Send a free text (only delivered inside the 24-hour window).

        Args:
            phone: Recipient phone number (any spelling) or WhatsApp user id.
            body: The text, at most 4096 characters (1024 with buttons).
            callback_data: ``biz_opaque_callback_data`` echoed in status webhooks.
            buttons: Reply buttons ``{"id", "title"}``: the text is then sent as an
                interactive button message.

        Returns:
            The outcome.

        Raises:
            ValueError: The text is empty or too long, or the phone is empty.
        """
        if not body.strip() or len(body) > MAX_TEXT_LENGTH:
            raise ValueError(f"text must be 1 to {MAX_TEXT_LENGTH} characters")
        payload: dict[str, Any] = {
            "recipient_type": "individual",
            **recipient_fields(phone),
            "type": "text",
            "text": {"preview_url": False, "body": body},
        }
        if buttons:
            payload["type"] = "interactive"
            del payload["text"]
            payload["interactive"] = {
                "type": "button",
                "body": {"text": body[:INTERACTIVE_BODY_LENGTH]},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": b["id"], "title": b["title"]}}
                        for b in buttons
                    ]
                },
            }
        if callback_data:
            payload["biz_opaque_callback_data"] = callback_data
        return await self.send_message(payload)

    async def send_template(
        self,
        phone: str,
        name: str,
        language: str,
        params: Sequence[str],
        *,
        callback_data: str | None = None,
        button_payloads: Sequence[str] | None = None,
    ) -> SendResult:
        """Send an approved template with positional body parameters.

        Args:
            phone: Recipient phone number (any spelling) or WhatsApp user id.
            name: Template name.
            language: Template language code, e.g. ``id``.
            params: Values of ``{{1}}``, ``{{2}}`` … of the body.
            callback_data: ``biz_opaque_callback_data`` echoed in status webhooks.
            button_payloads: Payloads of the template's quick-reply buttons, in order (what
                WhatsApp sends back when the citizen taps one).

        Returns:
            The outcome.

        Raises:
            ValueError: The name or language is empty, or the phone is empty.
        """
        if not name.strip() or not language.strip():
            raise ValueError("template name and language are required")
        template: dict[str, Any] = {"name": name.strip(), "language": {"code": language.strip()}}
        components: list[dict[str, Any]] = []
        if params:
            components.append(
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": str(value)} for value in params],
                }
            )
        for index, payload_value in enumerate(button_payloads or ()):
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": payload_value}],
                }
            )
        if components:
            template["components"] = components
        payload: dict[str, Any] = {
            "recipient_type": "individual",
            **recipient_fields(phone),
            "type": "template",
            "template": template,
        }
        if callback_data:
            payload["biz_opaque_callback_data"] = callback_data
        return await self.send_message(payload)


_shared: GraphClient | None = None
_shared_key: tuple[str, str, str, str] | None = None


def get_graph_client(settings: Settings | None = None) -> GraphClient:
    """Return the process-wide client for the configured number (built on first use).

    Args:
        settings: Settings; defaults to :func:`lalisa.core.settings.get_settings`.

    Returns:
        The shared client; a new one when the WhatsApp settings changed.

    Raises:
        GraphNotConfigured: The access token or the phone number id is not set.
    """
    global _shared, _shared_key
    settings = settings or get_settings()
    key = (
        settings.whatsapp.api_base_url,
        settings.whatsapp.api_version,
        settings.whatsapp.phone_number_id,
        settings.whatsapp.access_token,
    )
    if _shared is None or _shared_key != key:
        _shared = GraphClient.from_settings(settings)
        _shared_key = key
    return _shared


async def close_graph_client() -> None:
    """Close and forget the process-wide client (shutdown, tests)."""
    global _shared, _shared_key
    client, _shared, _shared_key = _shared, None, None
    if client is not None:
        await client.aclose()


async def send_text(phone: str, body: str, *, callback_data: str | None = None) -> SendResult:
    """Send a free text with the process-wide client (see :meth:`GraphClient.send_text`).

    Args:
        phone: Recipient phone number or WhatsApp user id.
        body: The text.
        callback_data: ``biz_opaque_callback_data``.

    Returns:
        The outcome.
    """
    return await get_graph_client().send_text(phone, body, callback_data=callback_data)


async def send_template(
    phone: str,
    name: str,
    language: str,
    params: Sequence[str],
    *,
    callback_data: str | None = None,
) -> SendResult:
    """Send a template with the process-wide client (see :meth:`GraphClient.send_template`).

    Args:
        phone: Recipient phone number or WhatsApp user id.
        name: Template name.
        language: Template language code.
        params: Positional body parameters.
        callback_data: ``biz_opaque_callback_data``.

    Returns:
        The outcome.
    """
    return await get_graph_client().send_template(
        phone, name, language, params, callback_data=callback_data
    )
