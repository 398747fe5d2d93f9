"""Settings of the webhook receiver, from the process environment and ``.env``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lalisa_common.database import database_url
from lalisa_common.env import SettingsError, env_int, env_port, env_value, read_env
from lalisa_common.whatsapp.signature import app_secrets

DEFAULT_PORT = 5004
DEFAULT_HOST = "127.0.0.1"
#: Meta's deliveries are a few kilobytes; a body above this is refused unread (413). The
#: reverse proxy (deploy/caddy) caps bodies at the same 3 MB.
DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024
WEBHOOK_PATH = "/webhooks/whatsapp/webhook"
REQUIRED_VARIABLES = ("WHATSAPP_VERIFY_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_PHONE_NUMBER_ID")


class ReceiverNotConfigured(SettingsError):
    """A required variable is missing."""


@dataclass(frozen=True)
class ReceiverSettings:
    """What the receiver needs.

    Attributes:
        verify_token: ``WHATSAPP_VERIFY_TOKEN`` for the GET handshake.
        app_secrets: ``WHATSAPP_APP_SECRET`` and, while rotating, ``WHATSAPP_APP_SECRET_PREVIOUS``.
        phone_number_id: Deliveries for other business numbers are ignored.
        database_url: The La-Lisa database holding the queue.
        host: Bind address (``LALISA_RECEIVER_HOST``).
        port: ``LALISA_RECEIVER_PORT``.
        max_body_bytes: ``LALISA_RECEIVER_MAX_BODY_BYTES``.
    """

    verify_token: str
    app_secrets: tuple[str, ...]
    phone_number_id: str
    database_url: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @classmethod
    def from_env(cls, environ: Mapping[str, str | None] | None = None) -> ReceiverSettings:
        """Reads the settings.

        Args:
            environ: Variables to use instead of ``.env`` and the process environment.

        Raises:
            ReceiverNotConfigured: When a required variable is missing or a number is wrong.
        """
        env = read_env() if environ is None else environ
        missing = [name for name in REQUIRED_VARIABLES if not env_value(env, name)]
        if missing:
            raise ReceiverNotConfigured(
                "WhatsApp webhook receiver is not configured; missing: "
                + ", ".join(missing)
                + " (see docs/whatsapp.md)"
            )
        return cls(
            verify_token=env_value(env, "WHATSAPP_VERIFY_TOKEN"),
            app_secrets=app_secrets(env),
            phone_number_id=env_value(env, "WHATSAPP_PHONE_NUMBER_ID"),
            database_url=database_url(env),
            host=env_value(env, "LALISA_RECEIVER_HOST", DEFAULT_HOST),
            port=env_port(env, "LALISA_RECEIVER_PORT", DEFAULT_PORT),
            max_body_bytes=env_int(
                env, "LALISA_RECEIVER_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1
            ),
        )
