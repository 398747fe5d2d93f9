"""Serve the back office: ``python -m backoffice [--host HOST] [--port PORT]``.

Defaults come from ``BACKOFFICE_HOST`` (127.0.0.1) and ``BACKOFFICE_PORT`` (8000).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn

from lalisa.core.settings import get_settings
from lalisa_common.env import read_env
from lalisa_common.logs import configure_logging
from lalisa_common.profile import (
    Problem,
    Profile,
    listener_problems,
    production_problems,
    profile_of,
)


def startup_refusals(host: str) -> list[Problem]:
    """With ``LALISA_ENV=production``: a public interface or cookies without ``Secure``."""
    env = read_env()
    problems = listener_problems(env, "BACKOFFICE_HOST", host)
    if not problems and profile_of(env) is Profile.PRODUCTION:
        problems += [
            problem
            for problem in production_problems(env)
            if problem.variable == "BACKOFFICE_INSECURE_COOKIES"
        ]
    return problems


def main(argv: Sequence[str] | None = None) -> None:
    """Run uvicorn with the application factory.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.
    """
    settings = get_settings().backoffice
    parser = argparse.ArgumentParser(prog="python -m backoffice", description=__doc__)
    parser.add_argument("--host", default=settings.host, help=f"default {settings.host}")
    parser.add_argument("--port", type=int, default=settings.port, help=f"default {settings.port}")
    args = parser.parse_args(argv)
    problems = startup_refusals(args.host)
    if problems:
        for problem in problems:
            print(f"!! {problem}", file=sys.stderr)
        raise SystemExit(2)
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
