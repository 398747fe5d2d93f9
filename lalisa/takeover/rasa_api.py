"""The client of Rasa's HTTP API that pauses and resumes a conversation (timeouts, retries).

The back office never writes Rasa's tracker tables; a takeover pauses the tracker, an admin's
reply is appended as a ``bot`` event (with :data:`ADMIN_METADATA_KEY`), and handing back
resumes it, all through this client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

import httpx

from lalisa.core.settings import TakeoverSettings, get_settings
from lalisa.takeover.errors import RasaApiError

logger = logging.getLogger(__name__)

ADMIN_METADATA_KEY: Final = "lalisa_admin"
"""Key of the admin's username in the metadata of a ``bot`` event written for a reply."""

# Messages for the admin (Bahasa Indonesia).
MSG_RASA_UNREACHABLE: Final = (
    "Server asisten (Rasa) tidak dapat dihubungi. Tidak ada yang diubah; coba lagi sebentar lagi "
    "atau hubungi operator IT."
)
MSG_RASA_REFUSED: Final = (
    "Server asisten (Rasa) menolak permintaan ({detail}). Tidak ada yang diubah; hubungi "
    "operator IT (periksa RASA_URL dan RASA_API_TOKEN)."
)


class RasaClient:
    """Minimal async client of Rasa's HTTP API (tracker events), with timeouts and retries.

    Args:
        settings: URL, token, timeout and retry policy.
        transport: httpx transport (tests pass a mock).
        sleep: Coroutine used to wait between retries (tests pass a no-op).
    """

    def __init__(
        self,
        settings: TakeoverSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        """Create the client (the connection pool opens on first use)."""
        self.settings = settings
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=settings.rasa_url,
            timeout=httpx.Timeout(settings.timeout_seconds),
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    def _params(self) -> dict[str, str]:
        params = {"include_events": "NONE"}
        if self.settings.rasa_api_token:
            params["token"] = self.settings.rasa_api_token
        return params

    @staticmethod
    def _path(sender_id: str, suffix: str) -> str:
        return f"/conversations/{quote(sender_id, safe='')}/{suffix}"

    async def _request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        attempts = max(1, self.settings.attempts)
        delay = self.settings.backoff_seconds
        problem = ""
        for attempt in range(1, attempts + 1):
            try:
                response = await self._client.request(
                    method, path, params=self._params(), json=body
                )
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            else:
                if response.status_code < 400:
                    data = response.json() if response.content else {}
                    return data if isinstance(data, dict) else {}
                if response.status_code < 500:
                    # 401/403/404: a configuration problem, retrying will not help.
                    logger.error("Rasa API %s answered %s", method, response.status_code)
                    detail = f"HTTP {response.status_code}"
                    raise RasaApiError(MSG_RASA_REFUSED.format(detail=detail))
                problem = f"HTTP {response.status_code}"
            logger.warning("Rasa API call failed (%s), attempt %d/%d", problem, attempt, attempts)
            if attempt < attempts:
                await self._sleep(delay)
                delay *= 2
        raise RasaApiError(MSG_RASA_UNREACHABLE)

    async def append_events(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation's tracker (no side effects: nothing is sent).

        Args:
            sender_id: Rasa sender id of the conversation.
            events: Rasa event dicts (``{"event": "pause"}`` …).

        Raises:
            RasaApiError: Unreachable after the retries, or refused.
        """
        await self._request("POST", self._path(sender_id, "tracker/events"), events)

    async def pause(self, sender_id: str) -> None:
        """Stop the assistant for this conversation (stored in the tracker)."""
        await self.append_events(sender_id, [{"event": "pause"}])

    async def resume(self, sender_id: str) -> None:
        """Let the assistant answer this conversation again."""
        await self.append_events(sender_id, [{"event": "resume"}])

    async def log_admin_message(
        self, sender_id: str, text: str, *, username: str, at: datetime
    ) -> None:
        """Write an admin's reply into the conversation history as a ``bot`` event.

        Args:
            sender_id: Rasa sender id.
            text: The reply.
            username: The admin (kept in the event's metadata).
            at: When it was sent.
        """
        event = {
            "event": "bot",
            "text": text,
            "timestamp": at.timestamp(),
            "metadata": {ADMIN_METADATA_KEY: username},
        }
        await self.append_events(sender_id, [event])

    async def is_paused(self, sender_id: str) -> bool:
        """Tell whether the tracker of this conversation is paused.

        Args:
            sender_id: Rasa sender id.

        Returns:
            Rasa's ``paused`` flag of the tracker.
        """
        state = await self._request("GET", self._path(sender_id, "tracker"))
        return bool(state.get("paused"))


_client: RasaClient | None = None


def get_rasa_client() -> RasaClient:
    """The process-wide Rasa API client (created on first use from the settings)."""
    global _client
    if _client is None:
        _client = RasaClient(get_settings().takeover)
    return _client


async def close_rasa_client() -> None:
    """Close and forget the process-wide client (shutdown, tests)."""
    global _client
    client, _client = _client, None
    if client is not None:
        await client.aclose()
