"""The REST channel (``/webhooks/rest/webhook``), closed unless the profile allows it.

Rasa's stock ``rest`` channel believes whatever ``sender`` a client names: anyone who reaches it
can pose as a citizen's phone number, read their ticket status, answer their survey, write into a
conversation an admin has taken over, or pass ``/intent{…}`` and ``metadata`` (media paths).

* ``development`` (the default profile, also the tests): open as before, unless
  ``LALISA_REST_TOKEN`` is set, then the token is required here too.
* ``production``: only with ``Authorization: Bearer <LALISA_REST_TOKEN>`` (integrations); without
  a configured token every request is refused. Client ``metadata`` and ``input_channel`` are
  ignored and typed text goes through :func:`lalisa_common.typed_text.neutralize_typed_text`.

In every profile the ``sender`` becomes the citizen key before Rasa sees it (:class:`RestContacts`).
"""

from __future__ import annotations

import hmac
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from lalisa_common.database import database_url
from lalisa_common.env import read_env
from lalisa_common.identity import SenderKeys, sender_keys
from lalisa_common.profile import REST_TOKEN_VARIABLE, Profile, profile_of
from lalisa_common.typed_text import neutralize_typed_text
from lalisa_rasa.channels.store import WhatsAppStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestPolicy:
    """What the REST channel accepts.

    Attributes:
        token: The bearer token required; empty means none is required.
        production: Production rules: a token is mandatory (refuse all without one), client
            metadata is dropped and typed text cannot force an intent.
    """

    token: str = ""
    production: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str | None]) -> RestPolicy:
        """Reads ``LALISA_ENV`` and ``LALISA_REST_TOKEN``."""
        return cls(
            token=(env.get(REST_TOKEN_VARIABLE) or "").strip(),
            production=profile_of(env) is Profile.PRODUCTION,
        )

    def refusal(self, authorization: str) -> tuple[int, str] | None:
        """``(status, reason)`` when a request with this ``Authorization`` header is refused."""
        if not self.token:
            return (403, "REST channel disabled in production") if self.production else None
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), self.token.encode()
        ):
            return 401, "unauthorized"
        return None


class RestContacts:
    """Turns the client's ``sender`` into the citizen key and records the number behind it.

    Rasa, the actions and every store know citizens by key (:mod:`lalisa_common.identity`),
    whichever channel they came in by; tests and simulated citizens post phone-like senders and
    get tickets with the right (encrypted) number. The store is opened on first use.
    """

    def __init__(self, env: Mapping[str, str | None]) -> None:
        """Keeps the environment; the identity key and the database are read on first use."""
        self.env = env
        self._keys: SenderKeys | None = None
        self.store: WhatsAppStore | None = None

    async def remember(self, sender: str) -> str:
        """The key of ``sender`` (a key stays as it is), its number recorded in the contacts.

        Raises:
            ValueError: ``sender`` is blank.
        """
        if self._keys is None:
            self._keys = sender_keys(self.env)
        key = self._keys.key_for(sender)
        if key == sender.strip():
            return key
        if self.store is None:
            self.store = WhatsAppStore(database_url(self.env))
        await self.store.remember_contact(self._keys, sender)
        return key


class TokenRestInput(InputChannel):
    """REST input channel named ``rest`` with the guards of :class:`RestPolicy`."""

    def __init__(
        self, policy: RestPolicy | None = None, contacts: RestContacts | None = None
    ) -> None:
        """Reads the policy from the environment (and ``.env``) unless one is given."""
        env = read_env()
        self.policy = policy or RestPolicy.from_env(env)
        self.contacts = contacts or RestContacts(env)

    @classmethod
    def name(cls) -> str:
        """Same name (and URL) as Rasa's stock channel, so clients need no change."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """No settings in ``credentials.yml``: the policy comes from the environment."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` (one message, replies in the response)."""
        blueprint = Blueprint("lalisa_rest_webhook", __name__)
        policy = self.policy

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = policy.refusal(request.headers.get("Authorization", ""))
            if refused is not None:
                status, reason = refused
                logger.warning("REST channel: request refused (%s)", reason)
                return response.json({"error": reason}, status=status)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return response.json({"error": "sender and message required"}, status=400)
            metadata = body.get("metadata")
            if policy.production:
                text, metadata = neutralize_typed_text(text), None
            try:
                key = await self.contacts.remember(sender)
            except ValueError:
                return response.json({"error": "sender and message required"}, status=400)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        key,
                        input_channel=self.name(),
                        metadata=metadata if isinstance(metadata, dict) else None,
                    )
                )
            except CancelledError:
                logger.error("REST channel: message timed out")
            except Exception:
                logger.exception("REST channel: message failed")
            # The client named the sender; it gets its own id back, never the key.
            return response.json(
                [{**reply, "recipient_id": sender} for reply in collector.messages]
            )

        return blueprint
