"""Serve the back office: ``python -m backoffice [--host HOST] [--port PORT]``.

Defaults come from ``BACKOFFICE_HOST`` (127.0.0.1) and ``BACKOFFICE_PORT`` (8000).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import uvicorn

from backoffice.config import load_backoffice_settings
from lalisa_common.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> None:
    """Run uvicorn with the application factory.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.
    """
    settings = load_backoffice_settings()
    parser = argparse.ArgumentParser(prog="python -m backoffice", description=__doc__)
    parser.add_argument("--host", default=settings.host, help=f"default {settings.host}")
    parser.add_argument("--port", type=int, default=settings.port, help=f"default {settings.port}")
    args = parser.parse_args(argv)
    configure_logging()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not settings.secure_cookies:
        logging.getLogger(__name__).warning(
            "BACKOFFICE_INSECURE_COOKIES=1: cookies are sent over plain http; "
            "use this only on a trusted local machine."
        )
    uvicorn.run(
        "backoffice.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        # No websockets: the pages are plain HTTP, and rasa-sdk pins an older websockets
        # package that uvicorn's websocket support cannot import.
        ws="none",
    )


if __name__ == "__main__":
    main()
