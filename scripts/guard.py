"""The profile gate of ``make run``: refuse unsafe settings, then fill in per-run secrets.

``scripts/run.py`` calls :func:`prepare_environment` once, before it starts any process. The
checks themselves are the pure functions of :mod:`lalisa_common.profile`; this module only
reads the credentials file, prints the problems and sets the variables every child inherits.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import MutableMapping
from pathlib import Path

from lalisa_common.env import env_port
from lalisa_common.profile import (
    PROFILE_VARIABLE,
    SANDBOX_CREDENTIALS,
    WHATSAPP_VARIABLES,
    Problem,
    Profile,
    sandbox_wanted,
    startup_problems,
)

ROOT = Path(__file__).resolve().parent.parent
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w.]*)\s*:", re.M)

__all__ = [
    "WHATSAPP_VARIABLES",
    "credentials_channels",
    "ensure_secret",
    "prepare_environment",
    "refusal_text",
    "sandbox_environment",
]


def credentials_channels(path: Path) -> list[str]:
    """The top-level keys (channel names) of a Rasa credentials file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return _TOP_LEVEL_KEY.findall(text)


def ensure_secret(env: MutableMapping[str, str], name: str) -> None:
    """Gives ``name`` a random value for this run when the operator left it empty."""
    if not (env.get(name) or "").strip():
        env[name] = secrets.token_urlsafe(32)


def sandbox_environment(env: MutableMapping[str, str]) -> None:
    """Points the channel and the outbox worker at the local sandbox (fake Graph API).

    Only called when every WhatsApp credential is absent (or the sandbox's own constants), so
    nothing real is ever overwritten.
    """
    sandbox_port = env_port(env, "SANDBOX_PORT", 5006)
    rasa_port = env_port(env, "RASA_PORT", 5005)
    env.update(SANDBOX_CREDENTIALS)
    env["WHATSAPP_API_BASE_URL"] = f"http://127.0.0.1:{sandbox_port}"
    env.setdefault("SANDBOX_WEBHOOK_URL", f"http://127.0.0.1:{rasa_port}/webhooks/whatsapp/webhook")


def refusal_text(profile: str, problems: list[Problem]) -> str:
    """The message ``make run`` prints before it refuses to start."""
    lines = [
        f"!! La-Lisa tidak dijalankan ({PROFILE_VARIABLE}={profile}): "
        f"{len(problems)} pengaturan tidak aman atau tidak lengkap:"
    ]
    lines += [f"   - {problem}" for problem in problems]
    lines.append("   Perbaiki di .env atau lingkungan proses, lalu jalankan lagi.")
    return "\n".join(lines)


def prepare_environment(
    env: MutableMapping[str, str] | None = None, credentials: Path | None = None
) -> bool:
    """Checks the profile and completes ``env`` for the child processes.

    Args:
        env: The environment to check and complete; defaults to :data:`os.environ`.
        credentials: The credentials file Rasa will load; default ``<repo>/credentials.yml``.

    Returns:
        ``False`` (after printing every problem) when the system must not start.
    """
    env = os.environ if env is None else env
    channels = credentials_channels(credentials or ROOT / "credentials.yml")
    problems = startup_problems(env, channels)
    if problems:
        profile = (env.get(PROFILE_VARIABLE) or Profile.DEVELOPMENT.value).strip()
        print(refusal_text(profile, problems), file=sys.stderr, flush=True)
        return False
    if sandbox_wanted(env):
        sandbox_environment(env)
    ensure_secret(env, "RASA_API_TOKEN")
    ensure_secret(env, "LALISA_ACTION_SECRET")
    env.setdefault("RASA_URL", f"http://127.0.0.1:{env_port(env, 'RASA_PORT', 5005)}")
    return True
