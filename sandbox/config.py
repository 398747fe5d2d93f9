"""Sandbox settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 5006
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_ACCESS_TOKEN = "sandbox-access-token"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_DISPLAY_NUMBER = "6285100000001"
DEFAULT_GEOJSON = REPO_ROOT / "lalisa" / "places" / "data" / "geo" / "balangan_kecamatan.geojson"


@dataclass(frozen=True)
class SandboxSettings:
    """Settings of the sandbox process.

    Attributes:
        host: Interface to listen on.
        port: Port (``SANDBOX_PORT``, default 5006).
        public_url: Base URL the channel uses to download media from the sandbox.
        webhook_url: The channel's webhook (where simulated citizens post).
        app_secret: Secret used to sign webhooks (``WHATSAPP_APP_SECRET``).
        access_token: Bearer token the fake Graph API expects; empty accepts any.
        phone_number_id: Business phone number id put in webhooks.
        display_phone_number: Business number shown in webhooks.
        status_webhooks: Send ``sent``/``delivered``/``read`` statuses back to the channel.
        geojson_path: Kecamatan polygons for the simulator map.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str = f"http://127.0.0.1:{DEFAULT_PORT}"
    webhook_url: str = "http://127.0.0.1:5004/webhooks/whatsapp/webhook"
    app_secret: str = DEFAULT_APP_SECRET
    access_token: str = DEFAULT_ACCESS_TOKEN
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER
    status_webhooks: bool = True
    geojson_path: Path = DEFAULT_GEOJSON

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxSettings:
        """Reads ``SANDBOX_*`` and the ``WHATSAPP_*`` variables shared with the channel.

        Args:
            environ: Mapping to read instead of ``os.environ``.

        Returns:
            The settings.
        """
        env = os.environ if environ is None else environ
        host = env.get("SANDBOX_HOST", "127.0.0.1")
        port = int(env.get("SANDBOX_PORT", DEFAULT_PORT))
        receiver_port = env.get("LALISA_RECEIVER_PORT", "5004")
        return cls(
            host=host,
            port=port,
            public_url=env.get("SANDBOX_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            webhook_url=env.get(
                "SANDBOX_WEBHOOK_URL",
                f"http://127.0.0.1:{receiver_port}/webhooks/whatsapp/webhook",
            ),
            app_secret=env.get("WHATSAPP_APP_SECRET") or DEFAULT_APP_SECRET,
            access_token=env.get("WHATSAPP_ACCESS_TOKEN") or DEFAULT_ACCESS_TOKEN,
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID") or DEFAULT_PHONE_NUMBER_ID,
            display_phone_number=env.get("SANDBOX_DISPLAY_NUMBER", DEFAULT_DISPLAY_NUMBER),
            status_webhooks=env.get("SANDBOX_STATUS_WEBHOOKS", "1").lower()
            not in ("0", "false", "no"),
            geojson_path=Path(env.get("SANDBOX_GEOJSON", str(DEFAULT_GEOJSON))),
        )
