"""Sandbox settings, read like every La-Lisa process: ``.env``, then the process environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lalisa_common.env import env_bool, env_port, env_value, read_env, resolve_path

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
    webhook_url: str = "http://127.0.0.1:5005/webhooks/whatsapp/webhook"
    app_secret: str = DEFAULT_APP_SECRET
    access_token: str = DEFAULT_ACCESS_TOKEN
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER
    status_webhooks: bool = True
    geojson_path: Path = DEFAULT_GEOJSON

    @classmethod
    def from_env(cls, environ: Mapping[str, str | None] | None = None) -> SandboxSettings:
        """Reads ``SANDBOX_*`` and the ``WHATSAPP_*`` variables shared with the channel.

        Args:
            environ: Variables to read instead of ``.env`` and ``os.environ`` (for tests).

        Returns:
            The settings.

        Raises:
            SettingsError: A port or flag holds an unusable value.
        """
        env: Mapping[str, str | None] = read_env() if environ is None else environ
        port = env_port(env, "SANDBOX_PORT", DEFAULT_PORT)
        rasa_port = env_port(env, "RASA_PORT", 5005)
        return cls(
            host=env_value(env, "SANDBOX_HOST", cls.host),
            port=port,
            public_url=env_value(env, "SANDBOX_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            webhook_url=env_value(
                env,
                "SANDBOX_WEBHOOK_URL",
                f"http://127.0.0.1:{rasa_port}/webhooks/whatsapp/webhook",
            ),
            app_secret=env_value(env, "WHATSAPP_APP_SECRET", DEFAULT_APP_SECRET),
            access_token=env_value(env, "WHATSAPP_ACCESS_TOKEN", DEFAULT_ACCESS_TOKEN),
            phone_number_id=env_value(env, "WHATSAPP_PHONE_NUMBER_ID", DEFAULT_PHONE_NUMBER_ID),
            display_phone_number=env_value(env, "SANDBOX_DISPLAY_NUMBER", DEFAULT_DISPLAY_NUMBER),
            status_webhooks=env_bool(env, "SANDBOX_STATUS_WEBHOOKS", True),
            geojson_path=resolve_path(env_value(env, "SANDBOX_GEOJSON", str(DEFAULT_GEOJSON))),
        )
