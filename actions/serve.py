"""``python -m actions.serve``: the action server, private and behind a shared secret.

``python -m rasa_sdk`` listens on every interface (``0.0.0.0``) and runs any action for anyone
who reaches the port: a forged tracker with another citizen's sender id reads their tickets or
files new ones. This launcher starts the same rasa-sdk application with three guards:

* it binds ``ACTION_HOST`` (default ``127.0.0.1``; with ``LALISA_ENV=production`` it refuses to
  start on any other interface or with a secret shorter than 24 characters);
* every request except ``GET /health`` must carry ``X-Lalisa-Action-Secret`` equal to
  ``LALISA_ACTION_SECRET`` (Rasa sends it from ``endpoints.yml``), checked before any action
  runs; without a configured secret the server does not start;
* request bodies are capped (``LALISA_ACTION_MAX_BODY_BYTES``), the ``deflate`` body Rasa may
  send included: it is inflated here with the same cap, never by ``zlib.decompress`` unbounded.
"""

from __future__ import annotations

import hmac
import logging
import sys
import zlib
from collections.abc import Mapping, Sequence

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from lalisa_common.env import env_int, env_port, env_value, read_env
from lalisa_common.profile import listener_problems

SECRET_HEADER = "X-Lalisa-Action-Secret"
SECRET_VARIABLE = "LALISA_ACTION_SECRET"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
"""A tracker of a long conversation is far below this; a flood is not."""
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def max_body_bytes(env: Mapping[str, str | None]) -> int:
    """``LALISA_ACTION_MAX_BODY_BYTES`` or the default (8 MiB).

    Raises:
        SettingsError: Not a whole number of at least 1.
    """
    return env_int(env, "LALISA_ACTION_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1)


def inflate_bounded(data: bytes, limit: int) -> bytes | None:
    """Inflates a ``deflate`` (zlib) body, or ``None`` when it would exceed ``limit`` bytes.

    Raises:
        zlib.error: The body is not zlib data.
    """
    inflater = zlib.decompressobj()
    inflated = inflater.decompress(data, limit + 1)
    if len(inflated) > limit or inflater.unconsumed_tail:
        return None
    return inflated + inflater.flush(limit + 1 - len(inflated))


def build_app(
    secret: str,
    limit: int,
    *,
    package: str = "actions",
    cors_origins: list[str] | None = None,
) -> Sanic:
    """The rasa-sdk application for the action package with the guards in front.

    Args:
        secret: The shared secret every request must present.
        limit: The largest request body accepted, before and after inflating.
        package: The package the actions are loaded from.
        cors_origins: Origins allowed by CORS; none by default (only Rasa calls this server).
    """
    if not secret:
        raise ValueError(f"{SECRET_VARIABLE} is empty")
    app: Sanic = create_app(package, cors_origins=cors_origins or "")
    app.config.REQUEST_MAX_SIZE = limit
    expected = secret.encode()

    async def guard(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        presented = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(presented, expected):
            logger.warning(
                "Action server: %s %s refused (no valid secret)", request.method, request.path
            )
            return response.json({"error": "unauthorized"}, status=401)
        if request.headers.get("Content-Encoding", "").lower() == "deflate":
            try:
                inflated = inflate_bounded(request.body, limit)
            except zlib.error:
                return response.json({"error": "invalid deflate body"}, status=400)
            if inflated is None:
                return response.json({"error": "body too large"}, status=413)
            request.body = inflated
            del request.headers["Content-Encoding"]
        return None

    async def too_large(request: Request, exception: Exception) -> HTTPResponse:
        # rasa-sdk's catch-all handler would answer 500 and echo the body back.
        return response.json({"error": "body too large"}, status=413)

    app.register_middleware(guard, "request")
    app.error_handler.add(PayloadTooLarge, too_large)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Parses rasa-sdk's own options plus ``--host`` and serves until stopped."""
    env = read_env()
    parser = create_argument_parser()
    parser.prog = "python -m actions.serve"
    parser.add_argument(
        "--host",
        default=env_value(env, "ACTION_HOST", DEFAULT_HOST),
        help=f"interface to bind (ACTION_HOST, default {DEFAULT_HOST})",
    )
    parser.set_defaults(port=env_port(env, "ACTION_PORT", 5055))
    args = parser.parse_args(argv)
    secret = env_value(env, SECRET_VARIABLE)
    if not secret:
        print(
            f"{SECRET_VARIABLE} kosong: server aksi tidak dijalankan tanpa rahasia bersama "
            "(make run membuatnya otomatis; di production isi dengan nilai acak panjang yang "
            "sama untuk Rasa dan server aksi).",
            file=sys.stderr,
        )
        return 2
    problems = listener_problems(read_env(), "ACTION_HOST", args.host, SECRET_VARIABLE)
    if problems:
        for problem in problems:
            print(f"!! {problem}", file=sys.stderr)
        return 2
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    app = build_app(
        secret,
        max_body_bytes(env),
        package=args.actions or "actions",
        cors_origins=args.cors,
    )
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    logger.info("Action endpoint is up and running on http://%s:%s", args.host, args.port)
    app.run(args.host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
