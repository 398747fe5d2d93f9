"""Settings of the WhatsApp channel, read from the process environment and ``.env``.

Rasa expands ``${VAR}`` in ``credentials.yml`` and fails hard on an unset variable,
so the channel reads its configuration here instead (see ``docs/whatsapp.md``), like every
La-Lisa process: :func:`lalisa_common.env.read_env`, the process environment winning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lalisa_common.database import database_url
from lalisa_common.env import env_int, env_value, media_dir, read_env
from lalisa_common.whatsapp.signature import app_secrets

DEFAULT_API_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
DEFAULT_DATABASE_URL = database_url({})
DEFAULT_MEDIA_DIR = media_dir({})

#: Messages older than this (by their WhatsApp timestamp) get no conversational reply
#: (``LALISA_STALE_MESSAGE_MINUTES``, default 360).
DEFAULT_STALE_AFTER_SECONDS = 6 * 3600
#: Dedupe keys live at least this long (Meta redelivers for up to 7 days).
DEDUPE_TTL_SECONDS = 8 * 24 * 3600

REQUIRED_VARIABLES = (
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
)


# Enough to overlap I/O (tracker store, action server, Graph API) on 2 cores
# without letting CPU-bound NLU crowd out the webhook handler.
DEFAULT_MAX_CONCURRENT_MESSAGES = 8


class ConfigurationError(ValueError):
    """Raised when a required environment variable is missing."""


@dataclass(frozen=True)
class WhatsAppSettings:
    """Everything the channel needs to talk to the WhatsApp Cloud API.

    Attributes:
        verify_token: Token Meta echoes in the webhook verification handshake.
        app_secrets: App secrets accepted for ``X-Hub-Signature-256`` (current first,
            then the previous one during a rotation).
        access_token: System-user token used as the bearer token for Graph calls.
        phone_number_id: The business phone number id this channel serves.
        api_base_url: Graph API host; the sandbox and tests point it at a local server.
        api_version: Pinned Graph API version.
        database_url: SQLAlchemy URL of the database holding the WhatsApp tables.
        redis_url: Optional Redis URL; when set, dedupe keys live in Redis.
        media_dir: Folder where downloaded media files are stored.
        stale_after_seconds: Age above which an inbound message gets no bot reply.
        max_concurrent_messages: Messages processed at once (``WHATSAPP_MAX_CONCURRENT``);
            more wait in arrival order, so a burst never starves the webhook.
    """

    verify_token: str
    app_secrets: tuple[str, ...]
    access_token: str
    phone_number_id: str
    api_base_url: str = DEFAULT_API_BASE_URL
    api_version: str = DEFAULT_API_VERSION
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    media_dir: Path = field(default=DEFAULT_MEDIA_DIR)
    stale_after_seconds: int = DEFAULT_STALE_AFTER_SECONDS
    max_concurrent_messages: int = DEFAULT_MAX_CONCURRENT_MESSAGES

    @classmethod
    def from_env(cls, environ: Mapping[str, str | None] | None = None) -> WhatsAppSettings:
        """Builds the settings from environment variables.

        Args:
            environ: Variables to read instead of ``.env`` and ``os.environ`` (for tests).

        Returns:
            The settings.

        Raises:
            ConfigurationError: If a required variable is missing or empty.
        """
        env: Mapping[str, str | None] = read_env() if environ is None else environ
        missing = [name for name in REQUIRED_VARIABLES if not env_value(env, name)]
        if missing:
            raise ConfigurationError(
                "WhatsApp channel is not configured; missing environment variable(s): "
                + ", ".join(missing)
                + " (see docs/whatsapp.md; use the sandbox for local runs)"
            )
        base_url = env_value(env, "WHATSAPP_API_BASE_URL", DEFAULT_API_BASE_URL)
        return cls(
            verify_token=env_value(env, "WHATSAPP_VERIFY_TOKEN"),
            app_secrets=app_secrets(env),
            access_token=env_value(env, "WHATSAPP_ACCESS_TOKEN"),
            phone_number_id=env_value(env, "WHATSAPP_PHONE_NUMBER_ID"),
            api_base_url=base_url.rstrip("/"),
            api_version=env_value(env, "WHATSAPP_API_VERSION", DEFAULT_API_VERSION),
            database_url=database_url(env),
            redis_url=env_value(env, "REDIS_URL") or None,
            media_dir=media_dir(env),
            stale_after_seconds=60
            * env_int(
                env, "LALISA_STALE_MESSAGE_MINUTES", DEFAULT_STALE_AFTER_SECONDS // 60, minimum=1
            ),
            max_concurrent_messages=env_int(
                env, "WHATSAPP_MAX_CONCURRENT", DEFAULT_MAX_CONCURRENT_MESSAGES, minimum=1
            ),
        )
