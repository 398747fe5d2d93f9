"""Sandbox settings, read like every La-Lisa process: ``.env``, then the process environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lalisa_common.env import (
    SettingsError,
    env_bool,
    env_float,
    env_port,
    env_value,
    read_env,
    resolve_path,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 5006
DEFAULT_APP_SECRET = "sandbox-app-secret"
DEFAULT_ACCESS_TOKEN = "sandbox-access-token"
DEFAULT_VERIFY_TOKEN = "sandbox-verify-token"
DEFAULT_PHONE_NUMBER_ID = "100000000000001"
DEFAULT_DISPLAY_NUMBER = "6285100000001"
#: Faults ``SANDBOX_FAULT_RATE`` may inject into message sends (``SANDBOX_FAULT_MODES``):
#: ``late``: the message is accepted (the phone shows it, statuses follow) but the answer comes
#: after ``SANDBOX_FAULT_DELAY`` seconds; ``lost``: the request is swallowed and answered 500
#: after the delay, nothing is accepted; ``500``: an immediate bare 500; ``429``: an immediate
#: rate limit (130429).
FAULT_MODES = ("late", "lost", "500", "429")
DEFAULT_FAULT_DELAY = 12.0
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
        fault_rate: ``SANDBOX_FAULT_RATE``, share of message sends (0 to 1) answered with a
            fault (default 0: off). For stress tests of the channel's delivery guarantees.
        fault_modes: ``SANDBOX_FAULT_MODES``, comma-separated :data:`FAULT_MODES` to pick from.
        fault_delay: ``SANDBOX_FAULT_DELAY``, seconds a ``late`` or ``lost`` answer waits
            (default 12, above the channel's 10 s read timeout).
        fault_seed: ``SANDBOX_FAULT_SEED``, seed of the fault draws (empty: random).
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
    fault_rate: float = 0.0
    fault_modes: tuple[str, ...] = FAULT_MODES
    fault_delay: float = DEFAULT_FAULT_DELAY
    fault_seed: str = ""

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
        fault_rate = env_float(env, "SANDBOX_FAULT_RATE", 0.0)
        if not 0.0 <= fault_rate <= 1.0:
            raise SettingsError(f"SANDBOX_FAULT_RATE must be between 0 and 1, not {fault_rate}")
        modes = tuple(
            m.strip()
            for m in env_value(env, "SANDBOX_FAULT_MODES", ",".join(FAULT_MODES)).split(",")
        )
        unknown = [m for m in modes if m not in FAULT_MODES]
        if unknown or not modes:
            raise SettingsError(
                f"SANDBOX_FAULT_MODES: unknown {unknown}; choose from {', '.join(FAULT_MODES)}"
            )
        receiver_port = env_port(env, "LALISA_RECEIVER_PORT", 5004)
        return cls(
            host=env_value(env, "SANDBOX_HOST", cls.host),
            port=port,
            public_url=env_value(env, "SANDBOX_PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            webhook_url=env_value(
                env,
                "SANDBOX_WEBHOOK_URL",
                f"http://127.0.0.1:{receiver_port}/webhooks/whatsapp/webhook",
            ),
            app_secret=env_value(env, "WHATSAPP_APP_SECRET", DEFAULT_APP_SECRET),
            access_token=env_value(env, "WHATSAPP_ACCESS_TOKEN", DEFAULT_ACCESS_TOKEN),
            phone_number_id=env_value(env, "WHATSAPP_PHONE_NUMBER_ID", DEFAULT_PHONE_NUMBER_ID),
            display_phone_number=env_value(env, "SANDBOX_DISPLAY_NUMBER", DEFAULT_DISPLAY_NUMBER),
            status_webhooks=env_bool(env, "SANDBOX_STATUS_WEBHOOKS", True),
            geojson_path=resolve_path(env_value(env, "SANDBOX_GEOJSON", str(DEFAULT_GEOJSON))),
            fault_rate=fault_rate,
            fault_modes=modes,
            fault_delay=env_float(env, "SANDBOX_FAULT_DELAY", DEFAULT_FAULT_DELAY, positive=True),
            fault_seed=env_value(env, "SANDBOX_FAULT_SEED", ""),
        )
