"""Settings of the back office (read like :mod:`lalisa.core.settings`: process env, then ``.env``).

The shared settings (database, port, time zone) stay in :class:`lalisa.core.settings.Settings`;
this module only adds what the web application needs on top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from lalisa.core.settings import SettingsError, get_settings
from lalisa_common.env import read_env

DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_FAILED_LOGINS = 5
DEFAULT_MAX_FAILED_LOGINS_PER_ADDRESS = 20
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
"""Ten TRC photos of at most 10 MiB each in one report, with room for the form."""
DEFAULT_LOCKOUT_MINUTES = 15
DEFAULT_SESSION_HOURS = 12
DEFAULT_SESSION_IDLE_MINUTES = 240

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
# Host (optionally *.-wildcarded) and port only: the origin goes verbatim into the CSP header.
_TILE_HOST = re.compile(r"(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


@dataclass(frozen=True)
class BackofficeSettings:
    """Configuration of the back-office web application.

    Attributes:
        host: Interface uvicorn binds to (``BACKOFFICE_HOST``).
        port: TCP port (``BACKOFFICE_PORT`` via :mod:`lalisa.core.settings`).
        secure_cookies: Mark cookies ``Secure`` (off only with ``BACKOFFICE_INSECURE_COOKIES=1``,
            for tests and plain-http local use).
        max_failed_logins: Failed logins in a row that lock an account
            (``BACKOFFICE_MAX_FAILED_LOGINS``).
        max_failed_logins_per_address: Failed logins from one client address within
            ``lockout`` after which that address is refused for every account
            (``BACKOFFICE_MAX_FAILED_LOGINS_PER_ADDRESS``).
        lockout: How long a locked account stays locked (``BACKOFFICE_LOCKOUT_MINUTES``).
        max_body_bytes: Largest request body accepted (``BACKOFFICE_MAX_BODY_BYTES``).
        session_lifetime: Absolute lifetime of a session (``BACKOFFICE_SESSION_HOURS``).
        session_idle_timeout: A session unused this long ends (``BACKOFFICE_SESSION_IDLE_MINUTES``).
        hotspot_tile_url: Optional base-map tile URL template of the hotspot map
            (``HOTSPOT_TILE_URL``, e.g. ``https://tile.example.org/{z}/{x}/{y}.png``); empty means
            no tiles (the map works offline). When set, its origin is added to the CSP img-src.
        hotspot_tile_attribution: Attribution shown with the tiles (``HOTSPOT_TILE_ATTRIBUTION``).
    """

    host: str = DEFAULT_HOST
    port: int = 8000
    secure_cookies: bool = True
    max_failed_logins: int = DEFAULT_MAX_FAILED_LOGINS
    max_failed_logins_per_address: int = DEFAULT_MAX_FAILED_LOGINS_PER_ADDRESS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    lockout: timedelta = timedelta(minutes=DEFAULT_LOCKOUT_MINUTES)
    session_lifetime: timedelta = timedelta(hours=DEFAULT_SESSION_HOURS)
    session_idle_timeout: timedelta = timedelta(minutes=DEFAULT_SESSION_IDLE_MINUTES)
    hotspot_tile_url: str = ""
    hotspot_tile_attribution: str = ""


def _positive_int(env: Mapping[str, str | None], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _flag(env: Mapping[str, str | None], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def tile_origin(url: str) -> str:
    """The CSP source of a tile URL template (``{s}`` subdomains become a ``*.`` wildcard).

    Args:
        url: Tile URL template, e.g. ``https://{s}.tile.example.org/{z}/{x}/{y}.png``.

    Returns:
        E.g. ``https://*.tile.example.org``.

    Raises:
        SettingsError: The template is not an http(s) URL with ``{z}``, ``{x}`` and ``{y}``.
    """
    parts = urlsplit(url)
    host = parts.netloc
    if host.startswith("{s}."):
        host = "*." + host[len("{s}.") :]
    if (
        parts.scheme not in {"http", "https"}
        or not host
        or not _TILE_HOST.fullmatch(host)
        or not all(f"{{{key}}}" in url for key in "zxy")
    ):
        raise SettingsError(
            "HOTSPOT_TILE_URL must be an http(s) URL template with {z}, {x} and {y}, "
            f"got {url!r}"
        )
    return f"{parts.scheme}://{host}"


def _tile_url(env: Mapping[str, str | None]) -> str:
    url = (env.get("HOTSPOT_TILE_URL") or "").strip()
    if url:
        tile_origin(url)
    return url


def load_backoffice_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | Literal["default"] | None = "default",
) -> BackofficeSettings:
    """Build the back-office settings from the environment and the ``.env`` file.

    Args:
        environ: Process environment; defaults to :data:`os.environ`.
        env_file: ``.env`` path, ``None`` for no file, or ``"default"`` (``LALISA_ENV_FILE``
            or ``<repo>/.env``).

    Returns:
        The validated settings.

    Raises:
        SettingsError: A variable holds an unusable value.
    """
    env = read_env(environ, env_file)
    return BackofficeSettings(
        host=(env.get("BACKOFFICE_HOST") or "").strip() or DEFAULT_HOST,
        port=get_settings().backoffice_port,
        secure_cookies=not _flag(env, "BACKOFFICE_INSECURE_COOKIES"),
        max_failed_logins=_positive_int(
            env, "BACKOFFICE_MAX_FAILED_LOGINS", DEFAULT_MAX_FAILED_LOGINS
        ),
        max_failed_logins_per_address=_positive_int(
            env, "BACKOFFICE_MAX_FAILED_LOGINS_PER_ADDRESS", DEFAULT_MAX_FAILED_LOGINS_PER_ADDRESS
        ),
        max_body_bytes=_positive_int(env, "BACKOFFICE_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        lockout=timedelta(
            minutes=_positive_int(env, "BACKOFFICE_LOCKOUT_MINUTES", DEFAULT_LOCKOUT_MINUTES)
        ),
        session_lifetime=timedelta(
            hours=_positive_int(env, "BACKOFFICE_SESSION_HOURS", DEFAULT_SESSION_HOURS)
        ),
        session_idle_timeout=timedelta(
            minutes=_positive_int(
                env, "BACKOFFICE_SESSION_IDLE_MINUTES", DEFAULT_SESSION_IDLE_MINUTES
            )
        ),
        hotspot_tile_url=_tile_url(env),
        hotspot_tile_attribution=(env.get("HOTSPOT_TILE_ATTRIBUTION") or "").strip(),
    )
