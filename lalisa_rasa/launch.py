"""Secrets for ``python -m lalisa_rasa run`` come from the environment, never the command line.

``run`` also binds 127.0.0.1 unless an interface is given, and in production refuses a public
one. A token on the command line is readable by every local user (``ps``, ``/proc/<pid>/cmdline``),
and Rasa's API token is worth code execution (it can load a model, i.e. unpickle a file). The
launcher adds ``--auth-token`` to Rasa's *in-memory* argument list from ``RASA_API_TOKEN``; the
process's command line, fixed by the kernel at ``exec``, never holds it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from lalisa_common.env import env_int
from lalisa_common.profile import LOOPBACK, listener_problems

__all__ = [
    "ACTION_SECRET_VARIABLE",
    "API_TOKEN_VARIABLE",
    "MAX_BODY_VARIABLE",
    "arguments_with_secrets",
]

API_TOKEN_VARIABLE = "RASA_API_TOKEN"
HOST_VARIABLE = "RASA_HOST"
MAX_BODY_VARIABLE = "LALISA_RASA_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
"""Webhook deliveries and API calls are a few kB; Sanic's own default is 100 MB."""
ACTION_SECRET_VARIABLE = "LALISA_ACTION_SECRET"


def arguments_with_secrets(
    argv: list[str], env: MutableMapping[str, str] | None = None
) -> list[str]:
    """Rasa's arguments with the API token added from the environment.

    Args:
        argv: ``sys.argv`` (program name first).
        env: The environment; defaults to :data:`os.environ`. ``LALISA_ACTION_SECRET`` gets an
            empty default so that ``endpoints.yml`` (``${LALISA_ACTION_SECRET}``) loads for
            ``rasa train``/``test`` too; the action server refuses an empty secret. Sanic's
            request-size limit is set from ``LALISA_RASA_MAX_BODY_BYTES`` (default 2 MiB).

    Returns:
        The arguments for Rasa. For ``run``: ``--interface=<RASA_HOST or 127.0.0.1>`` when no
        interface is given (Rasa's default is every interface), and with ``--enable-api`` but
        no explicit ``--auth-token``, ``--auth-token=<RASA_API_TOKEN>``.

    Raises:
        SystemExit: ``run --enable-api`` without any token (the API would be open), or, with
            ``LALISA_ENV=production``, a non-loopback interface or a short API token.
    """
    env = os.environ if env is None else env
    env.setdefault(ACTION_SECRET_VARIABLE, "")
    # Sanic reads SANIC_* variables into the config of every app it creates (Rasa's server).
    limit = env_int(env, MAX_BODY_VARIABLE, DEFAULT_MAX_BODY_BYTES, minimum=1)
    env.setdefault("SANIC_REQUEST_MAX_SIZE", str(limit))
    if len(argv) < 2 or argv[1] != "run":
        return argv
    arguments = list(argv)
    interface = _option(arguments, "-i", "--interface")
    if interface is None:
        # Rasa's own default is every interface (0.0.0.0).
        interface = (env.get(HOST_VARIABLE) or "").strip() or LOOPBACK
        arguments.append(f"--interface={interface}")
    api = "--enable-api" in arguments
    problems = listener_problems(env, HOST_VARIABLE, interface, API_TOKEN_VARIABLE if api else None)
    if problems:
        raise SystemExit("\n".join(f"!! {problem}" for problem in problems))
    if not api or _option(arguments, None, "--auth-token") is not None:
        return arguments
    token = (env.get(API_TOKEN_VARIABLE) or "").strip()
    if not token:
        raise SystemExit(
            f"{API_TOKEN_VARIABLE} kosong: API Rasa tidak dijalankan tanpa token "
            "(make run membuatnya otomatis)."
        )
    # One argument with "=": a token that starts with "-" would otherwise read as an option.
    return [*arguments, f"--auth-token={token}"]


def _option(argv: list[str], short: str | None, long: str) -> str | None:
    """The value of an option given as ``-x V``, ``--long V`` or ``--long=V``; else ``None``."""
    for index, arg in enumerate(argv):
        if arg.startswith(f"{long}="):
            return arg.split("=", 1)[1]
        if arg in (short, long):
            return argv[index + 1] if index + 1 < len(argv) else ""
    return None
