"""Settings of the WhatsApp channel, read from the process environment only.

Rasa expands ``${VAR}`` in ``credentials.yml`` and fails hard on an unset variable,
so the channel reads its configuration here instead (see ``docs/whatsapp.md``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v23.0"
DEFAULT_DATABASE_URL = f"sqlite:///{REPO_ROOT / 'var' / 'lalisa.db'}"
DEFAULT_MEDIA_DIR = REPO_ROOT / "var" / "media"

#: Messages older than this (by their WhatsApp timestamp) get no conversational reply.
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
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WhatsAppSettings:
        """Builds the settings from environment variables.

        Args:
            environ: Mapping to read instead of ``os.environ`` (for tests).

        Returns:
            The settings.

        Raises:
            ConfigurationError: If a required variable is missing or empty.
        """
        env = os.environ if environ is None else environ
        missing = [name for name in REQUIRED_VARIABLES if not env.get(name, "").strip()]
        if missing:
            raise ConfigurationError(
                "WhatsApp channel is not configured; missing environment variable(s): "
                + ", ".join(missing)
                + " (see docs/whatsapp.md; use the sandbox for local runs)"
            )
        secrets = [env["WHATSAPP_APP_SECRET"].strip()]
        previous = env.get("WHATSAPP_APP_SECRET_PREVIOUS", "").strip()
        if previous and previous not in secrets:
            secrets.append(previous)
        base_url = (env.get("WHATSAPP_API_BASE_URL") or DEFAULT_API_BASE_URL).strip()
        return cls(
            verify_token=env["WHATSAPP_VERIFY_TOKEN"].strip(),
            app_secrets=tuple(secrets),
            access_token=env["WHATSAPP_ACCESS_TOKEN"].strip(),
            phone_number_id=env["WHATSAPP_PHONE_NUMBER_ID"].strip(),
            api_base_url=base_url.rstrip("/"),
            api_version=(env.get("WHATSAPP_API_VERSION") or DEFAULT_API_VERSION).strip(),
            database_url=(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL).strip(),
            redis_url=(env.get("REDIS_URL") or "").strip() or None,
            media_dir=Path(env.get("LALISA_MEDIA_DIR") or DEFAULT_MEDIA_DIR),
            max_concurrent_messages=max(
                1, int(env.get("WHATSAPP_MAX_CONCURRENT") or DEFAULT_MAX_CONCURRENT_MESSAGES)
            ),
        )


def async_database_url(url: str) -> str:
    """Maps a plain database URL to the async driver used in the Rasa process.

    Args:
        url: ``sqlite:///...`` or ``postgresql://...`` (drivers already given are kept).

    Returns:
        The URL with ``aiosqlite`` or ``asyncpg`` as the driver.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    return url
