"""Typed settings read from the process environment and the repository's ``.env`` file.

Every process (action server, back office, scripts) reads one frozen :class:`Settings` object
through :func:`get_settings`. Values in the process environment win over ``.env``, so a deployment
can override a developer file without editing it.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet

from lalisa.office.schedule import parse_office_hours
from lalisa_common.database import database_url, tracker_database_url
from lalisa_common.env import env_value, media_dir, read_env, var_dir

logger = logging.getLogger(__name__)


DEFAULT_OFFICE_HOURS = "mon-thu 08:00-16:00; fri 08:00-16:30"
# The real hours of Satpol PP Balangan are UNCONFIRMED; this mirrors the usual Pemkab week.
DEFAULT_OFFICE_ADDRESS = "Kantor Satpol PP Kabupaten Balangan, Paringin"
# The street address is UNCONFIRMED, so only the town is named by default.
DEFAULT_TIMEZONE = "Asia/Makassar"
DEFAULT_WHATSAPP_API_BASE_URL = "https://graph.facebook.com"
# Same pinned Graph version as the WhatsApp channel (lalisa_rasa/channels/config.py).
DEFAULT_WHATSAPP_API_VERSION = "v23.0"
DEFAULT_WHATSAPP_TEMPLATE_CITIZEN_UPDATE = "lalisa_status_laporan"
DEFAULT_WHATSAPP_TEMPLATE_TRC_DISPATCH = "lalisa_disposisi_trc"
DEFAULT_WHATSAPP_TEMPLATE_LANGUAGE = "id"
DEFAULT_OUTBOX_POLL_SECONDS = 5.0
DEFAULT_OUTBOX_MAX_ATTEMPTS = 10
IDENTITY_KEY_FILENAME = "identity.key"


class SettingsError(ValueError):
    """Raised when an environment variable holds a value that cannot be used."""


@dataclass(frozen=True)
class Settings:
    """Configuration of one La-Lisa process.

    Attributes:
        database_url: SQLAlchemy URL as configured (sync form, e.g. ``sqlite:///…`` or
            ``postgresql://…``); :func:`lalisa.core.db.to_async_url` maps it to an async driver.
        redis_url: Optional Redis URL; ``None`` when Redis is not used.
        identity_key: Fernet key that encrypts reporter identity and derives the blind index.
        identity_key_is_generated: True when the key came from the development key file.
        timezone: IANA name of the agency's local time zone (WITA by default).
        office_hours: Raw office-hours specification (see :mod:`lalisa.office.hours`).
        extra_holidays: Local closing days on top of the national calendar (e.g. cuti bersama).
        office_address: Office address shown to citizens.
        office_phone: Office phone shown to citizens; empty when unknown.
        programs: Text about the agency's programmes; empty means "use the generic text".
        var_dir: Folder for runtime data (SQLite files, keys, media).
        media_dir: Folder where downloaded WhatsApp media are stored.
        whatsapp_verify_token: Token for the webhook ``hub.challenge`` handshake.
        whatsapp_app_secret: Meta app secret used to verify ``X-Hub-Signature-256``.
        whatsapp_access_token: Cloud API access token for sending messages and fetching media.
        whatsapp_phone_number_id: Cloud API phone number id of the La-Lisa number.
        whatsapp_api_base_url: Base URL of the Graph API (a local fake in tests and sandboxes).
        rasa_port: Port of the Rasa server.
        action_port: Port of the action server.
        backoffice_port: Port of the back office.
        whatsapp_api_version: Pinned Graph API version used to send notifications.
        whatsapp_template_citizen_update: Approved template for citizen updates outside the
            24-hour window.
        whatsapp_template_trc_dispatch: Approved template for TRC dispatch messages.
        whatsapp_template_language: Language code of the templates (``id``).
        outbox_poll_seconds: Seconds the notification worker waits between polls.
        outbox_max_attempts: Send attempts per notification before it is marked failed.
        tracker_database_url: Where Rasa keeps its conversation trackers (read-only for the
            back office); resolved like ``lalisa_rasa.config.tracker_database_url()``.
    """

    database_url: str
    redis_url: str | None
    identity_key: str
    identity_key_is_generated: bool
    timezone: str
    office_hours: str
    extra_holidays: tuple[date, ...]
    office_address: str
    office_phone: str
    programs: str
    var_dir: Path
    media_dir: Path
    whatsapp_verify_token: str
    whatsapp_app_secret: str
    whatsapp_access_token: str
    whatsapp_phone_number_id: str
    whatsapp_api_base_url: str
    rasa_port: int
    action_port: int
    backoffice_port: int
    whatsapp_api_version: str = DEFAULT_WHATSAPP_API_VERSION
    whatsapp_template_citizen_update: str = DEFAULT_WHATSAPP_TEMPLATE_CITIZEN_UPDATE
    whatsapp_template_trc_dispatch: str = DEFAULT_WHATSAPP_TEMPLATE_TRC_DISPATCH
    whatsapp_template_language: str = DEFAULT_WHATSAPP_TEMPLATE_LANGUAGE
    outbox_poll_seconds: float = DEFAULT_OUTBOX_POLL_SECONDS
    outbox_max_attempts: int = DEFAULT_OUTBOX_MAX_ATTEMPTS
    tracker_database_url: str = ""

    @property
    def tz(self) -> ZoneInfo:
        """The local time zone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:
        """Render without secrets so settings can be logged safely."""
        hidden = {
            "identity_key",
            "whatsapp_verify_token",
            "whatsapp_app_secret",
            "whatsapp_access_token",
        }
        parts = []
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name in hidden:
                shown = "'***'" if value else "''"
            elif name in {"database_url", "redis_url", "tracker_database_url"} and value:
                shown = repr(_mask_url_password(str(value)))
            else:
                shown = repr(value)
            parts.append(f"{name}={shown}")
        return f"Settings({', '.join(parts)})"


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}:***@{host}" if has_password else url


def _parse_port(env: Mapping[str, str | None], name: str, default: int) -> int:
    raw = env_value(env, name, str(default))
    try:
        port = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a port number, got {raw!r}") from exc
    if not 0 < port < 65536:
        raise SettingsError(f"{name} must be between 1 and 65535, got {port}")
    return port


def _parse_positive_number(
    env: Mapping[str, str | None], name: str, default: float, *, integer: bool = False
) -> float:
    raw = env_value(env, name, str(default))
    try:
        value = int(raw) if integer else float(raw)
    except ValueError as exc:
        kind = "a whole number" if integer else "a number"
        raise SettingsError(f"{name} must be {kind}, got {raw!r}") from exc
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{name} must be greater than 0, got {raw!r}")
    return value


def _parse_holidays(raw: str) -> tuple[date, ...]:
    days: set[date] = set()
    for item in raw.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            days.add(date.fromisoformat(item))
        except ValueError as exc:
            raise SettingsError(
                f"LALISA_EXTRA_HOLIDAYS must be a comma list of YYYY-MM-DD dates, got {item!r}"
            ) from exc
    return tuple(sorted(days))


def _validate_fernet_key(key: str, source: str) -> str:
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SettingsError(
            f"{source} is not a valid Fernet key (32 url-safe base64 bytes); "
            "create one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc
    return key


def _load_or_create_dev_identity_key(var_dir: Path) -> str:
    key_path = var_dir / IDENTITY_KEY_FILENAME
    var_dir.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL makes creation atomic, so two processes starting together agree on one key.
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = key_path.read_text(encoding="ascii").strip()
        logger.warning(
            "LALISA_IDENTITY_KEY is not set; using the development key in %s. "
            "Set LALISA_IDENTITY_KEY in production and keep a backup of it: "
            "reporter identities cannot be decrypted without it.",
            key_path,
        )
        return _validate_fernet_key(key, str(key_path))
    key = Fernet.generate_key().decode("ascii")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    logger.warning(
        "LALISA_IDENTITY_KEY is not set; generated a development key in %s (mode 0600). "
        "Set LALISA_IDENTITY_KEY in production and keep a backup of it.",
        key_path,
    )
    return key


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | Literal["default"] | None = "default",
) -> Settings:
    """Build settings from an environment mapping and an optional ``.env`` file.

    Args:
        environ: Process environment; defaults to :data:`os.environ`.
        env_file: Path of the ``.env`` file, ``None`` to read no file, or ``"default"`` for
            :func:`default_env_file`. A missing file is fine.

    Returns:
        The validated settings.

    Raises:
        SettingsError: A variable holds an unusable value.
    """
    env = read_env(environ, env_file)

    var = var_dir(env)

    timezone = env_value(env, "LALISA_TIMEZONE", DEFAULT_TIMEZONE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"LALISA_TIMEZONE is not a known IANA zone: {timezone!r}") from exc

    office_hours = env_value(env, "LALISA_OFFICE_HOURS", DEFAULT_OFFICE_HOURS)
    # Parsed now so that a typo fails at start-up, not on the first message out of hours.
    try:
        parse_office_hours(office_hours)
    except ValueError as exc:
        raise SettingsError(f"LALISA_OFFICE_HOURS: {exc}") from exc

    raw_key = env_value(env, "LALISA_IDENTITY_KEY")
    if raw_key:
        identity_key = _validate_fernet_key(raw_key, "LALISA_IDENTITY_KEY")
    else:
        identity_key = _load_or_create_dev_identity_key(var)

    return Settings(
        database_url=database_url(env),
        redis_url=env_value(env, "REDIS_URL") or None,
        identity_key=identity_key,
        identity_key_is_generated=not raw_key,
        timezone=timezone,
        office_hours=office_hours,
        extra_holidays=_parse_holidays(env_value(env, "LALISA_EXTRA_HOLIDAYS")),
        office_address=env_value(env, "LALISA_OFFICE_ADDRESS", DEFAULT_OFFICE_ADDRESS),
        office_phone=env_value(env, "LALISA_OFFICE_PHONE"),
        programs=env_value(env, "LALISA_PROGRAMS"),
        var_dir=var,
        media_dir=media_dir(env),
        whatsapp_verify_token=env_value(env, "WHATSAPP_VERIFY_TOKEN"),
        whatsapp_app_secret=env_value(env, "WHATSAPP_APP_SECRET"),
        whatsapp_access_token=env_value(env, "WHATSAPP_ACCESS_TOKEN"),
        whatsapp_phone_number_id=env_value(env, "WHATSAPP_PHONE_NUMBER_ID"),
        whatsapp_api_base_url=env_value(
            env, "WHATSAPP_API_BASE_URL", DEFAULT_WHATSAPP_API_BASE_URL
        ).rstrip("/"),
        rasa_port=_parse_port(env, "RASA_PORT", 5005),
        action_port=_parse_port(env, "ACTION_PORT", 5055),
        backoffice_port=_parse_port(env, "BACKOFFICE_PORT", 8000),
        whatsapp_api_version=env_value(env, "WHATSAPP_API_VERSION", DEFAULT_WHATSAPP_API_VERSION),
        whatsapp_template_citizen_update=env_value(
            env, "WHATSAPP_TEMPLATE_CITIZEN_UPDATE", DEFAULT_WHATSAPP_TEMPLATE_CITIZEN_UPDATE
        ),
        whatsapp_template_trc_dispatch=env_value(
            env, "WHATSAPP_TEMPLATE_TRC_DISPATCH", DEFAULT_WHATSAPP_TEMPLATE_TRC_DISPATCH
        ),
        whatsapp_template_language=env_value(
            env, "WHATSAPP_TEMPLATE_LANGUAGE", DEFAULT_WHATSAPP_TEMPLATE_LANGUAGE
        ),
        outbox_poll_seconds=_parse_positive_number(
            env, "OUTBOX_POLL_SECONDS", DEFAULT_OUTBOX_POLL_SECONDS
        ),
        outbox_max_attempts=int(
            _parse_positive_number(
                env, "OUTBOX_MAX_ATTEMPTS", DEFAULT_OUTBOX_MAX_ATTEMPTS, integer=True
            )
        ),
        tracker_database_url=tracker_database_url(env),
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, loading them on first use.

    Returns:
        The cached :class:`Settings`.
    """
    return load_settings()


def reset_settings_cache() -> None:
    """Forget the cached settings so the next :func:`get_settings` reloads them (tests)."""
    get_settings.cache_clear()
