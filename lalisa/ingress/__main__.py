"""Serve the webhook receiver: ``python -m lalisa.ingress [--host HOST] [--port PORT]``.

Defaults come from ``LALISA_RECEIVER_HOST`` (127.0.0.1) and ``LALISA_RECEIVER_PORT`` (5004).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from lalisa.ingress.app import create_app
from lalisa.ingress.settings import ReceiverSettings
from lalisa_common.env import SettingsError
from lalisa_common.logs import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Runs uvicorn with the receiver.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The exit status.
    """
    configure_logging()
    try:
        settings = ReceiverSettings.from_env()
    except SettingsError as exc:
        print(f"lalisa.ingress: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m lalisa.ingress", description=__doc__)
    parser.add_argument("--host", default=settings.host, help=f"default {settings.host}")
    parser.add_argument("--port", type=int, default=settings.port, help=f"default {settings.port}")
    args = parser.parse_args(argv)
    settings = ReceiverSettings(**{**settings.__dict__, "host": args.host, "port": args.port})
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        server_header=False,
        access_log=False,
        ws="none",
        # One event loop is plenty: a delivery costs a signature check and a share of a commit.
        workers=1,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
