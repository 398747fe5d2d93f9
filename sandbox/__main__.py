"""``python -m sandbox``: start the WhatsApp sandbox (default http://127.0.0.1:5006/)."""

from __future__ import annotations

import logging

from aiohttp import web

from sandbox.app import build_app
from sandbox.config import SandboxSettings


def main() -> None:
    """Starts the sandbox and prints where to find it."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = SandboxSettings.from_env()
    print(
        f"La-Lisa WhatsApp sandbox: phone simulator at http://{settings.host}:{settings.port}/",
        flush=True,
    )
    print(f"  fake Graph API: WHATSAPP_API_BASE_URL={settings.public_url}", flush=True)
    print(f"  posting webhooks to {settings.webhook_url}", flush=True)
    if settings.fault_rate:
        print(
            f"  FAULTS: {settings.fault_rate:.0%} of message sends get one of "
            f"{','.join(settings.fault_modes)} ({settings.fault_delay:g} s)",
            flush=True,
        )
    web.run_app(
        build_app(settings), host=settings.host, port=settings.port, print=None, access_log=None
    )


if __name__ == "__main__":
    main()
