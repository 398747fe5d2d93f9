"""Secrets for ``python -m lalisa_rasa run`` come from the environment, never the command line.

A token on the command line is readable by every local user (``ps``, ``/proc/<pid>/cmdline``),
and Rasa's API token is worth code execution (it can load a model, i.e. unpickle a file). The
launcher adds ``--auth-token`` to Rasa's *in-memory* argument list from ``RASA_API_TOKEN``; the
process's command line, fixed by the kernel at ``exec``, never holds it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

__all__ = [
    "ACTION_SECRET_VARIABLE",
    "API_TOKEN_VARIABLE",
    "MAX_BODY_VARIABLE",
    "arguments_with_secrets",
]

API_TOKEN_VARIABLE = "RASA_API_TOKEN"
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
        The arguments for Rasa: for ``run`` with ``--enable-api`` and without an explicit
        ``--auth-token``, ``--auth-token=<RASA_API_TOKEN>`` is appended.

    Raises:
        SystemExit: ``run --enable-api`` without any token (the API would be open).
    """
    env = os.environ if env is None else env
    env.setdefault(ACTION_SECRET_VARIABLE, "")
    # Sanic reads SANIC_* variables into the config of every app it creates (Rasa's server).
    limit = (env.get(MAX_BODY_VARIABLE) or "").strip() or str(DEFAULT_MAX_BODY_BYTES)
    env.setdefault("SANIC_REQUEST_MAX_SIZE", limit)
    if len(argv) < 2 or argv[1] != "run" or "--enable-api" not in argv:
        return argv
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv):
        return argv
    token = (env.get(API_TOKEN_VARIABLE) or "").strip()
    if not token:
        raise SystemExit(
            f"{API_TOKEN_VARIABLE} kosong: API Rasa tidak dijalankan tanpa token "
            "(make run membuatnya otomatis)."
        )
    # One argument with "=": a token that starts with "-" would otherwise read as an option.
    return [*argv, f"--auth-token={token}"]
