"""Every setting of the app environment, in one frozen object read once per process.

Size: longer than the ~600-line guideline on purpose: it is the one settings module (issue 11),
thirteen small typed sections, each next to the ``from_env`` that reads its variables, so every
variable is found in one place.

:func:`get_settings` returns a :class:`Settings` made of typed sections (``database``,
``identity``, ``storage``, ``ports``, ``office``, ``whatsapp``, ``outbox``, ``sla``,
``takeover``, ``backoffice``, ``reports``, ``retention``, ``runtime``). Each section reads its
variables in its ``from_env`` with the parsing helpers of :mod:`lalisa_common.env`, which the Rasa
environment uses too, so a variable means the same thing, and fails with the same message, in
every process. Values in the process environment win over ``.env``, so a deployment can
override a developer file without editing it.

There is one cache, and tests reset it with :func:`reset_settings_cache` after changing the
environment. Values an administrator edits in the back office (:mod:`lalisa.runtime_settings`)
start from these as their defaults.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lalisa.office.schedule import parse_office_hours
from lalisa_common.at_rest import (
    IDENTITY_KEY_FILENAME,
    load_or_create_dev_identity_key,
    validate_fernet_key,
)
from lalisa_common.database import database_url, tracker_database_url
from lalisa_common.env import (
    SettingsError,
    env_bool,
    env_duration,
    env_float,
    env_int,
    env_list,
    env_port,
    env_value,
    media_dir,
    read_env,
    var_dir,
)

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "BackofficeSettings",
    "DatabaseSettings",
    "IdentitySettings",
    "OfficeSettings",
    "OutboxSettings",
    "PortSettings",
    "ReportSettings",
    "RetentionSettings",
    "RuntimeSettingsConfig",
    "Settings",
    "SettingsError",
    "SlaSettings",
    "StorageSettings",
    "TakeoverSettings",
    "WhatsAppSettings",
    "get_settings",
    "load_settings",
    "reset_settings_cache",
    "tile_origin",
]

logger = logging.getLogger(__name__)

Env = Mapping[str, str | None]

DEFAULT_OFFICE_HOURS: Final = "mon-thu 08:00-16:00; fri 08:00-16:30"
# The real hours of Satpol PP Balangan are UNCONFIRMED; this mirrors the usual Pemkab week.
DEFAULT_OFFICE_ADDRESS: Final = "Kantor Satpol PP Kabupaten Balangan, Paringin"
# The street address is UNCONFIRMED, so only the town is named by default.
DEFAULT_TIMEZONE: Final = "Asia/Makassar"


def _mask_url_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user, has_password, _ = credentials.partition(":")
    return f"{scheme}://{user}:***@{host}" if has_password else url


def _secret(value: str | None) -> str:
    return "'***'" if value else "''"


# ------------------------------------------------------------------------------ database


@dataclass(frozen=True)
class DatabaseSettings:
    """Where the data lives.

    Attributes:
        url: SQLAlchemy URL as configured (``DATABASE_URL``; sync form, e.g. ``sqlite:///…`` or
            ``postgresql://…``); :func:`lalisa.core.db.to_async_url` maps it to an async driver.
        tracker_url: Where Rasa keeps its conversation trackers (read-only for the back
            office); resolved like ``lalisa_rasa.config.tracker_database_url()``.
        redis_url: Optional Redis URL (``REDIS_URL``); ``None`` when Redis is not used.
    """

    url: str
    tracker_url: str
    redis_url: str | None = None

    def __repr__(self) -> str:
        """Render with passwords masked."""
        return (
            f"DatabaseSettings(url={_mask_url_password(self.url)!r}, "
            f"tracker_url={_mask_url_password(self.tracker_url)!r}, "
            f"redis_url={_mask_url_password(self.redis_url) if self.redis_url else None!r})"
        )

    @classmethod
    def from_env(cls, env: Env) -> DatabaseSettings:
        """Read ``DATABASE_URL``, the tracker database and ``REDIS_URL``."""
        return cls(
            url=database_url(env),
            tracker_url=tracker_database_url(env),
            redis_url=env_value(env, "REDIS_URL") or None,
        )


# ------------------------------------------------------------------------------ storage


@dataclass(frozen=True)
class StorageSettings:
    """Folders of runtime data.

    Attributes:
        var_dir: Runtime data: SQLite files, keys, spool, exports (``LALISA_VAR_DIR``).
        media_dir: Downloaded WhatsApp media and field photos (``LALISA_MEDIA_DIR``).
    """

    var_dir: Path
    media_dir: Path

    @classmethod
    def from_env(cls, env: Env) -> StorageSettings:
        """Read ``LALISA_VAR_DIR`` and ``LALISA_MEDIA_DIR``."""
        return cls(var_dir=var_dir(env), media_dir=media_dir(env))


# ----------------------------------------------------------------------------- identity


def _validate_fernet_key(key: str, source: str) -> str:
    return validate_fernet_key(key, source)


def _load_or_create_dev_identity_key(var: Path) -> str:
    key, created = load_or_create_dev_identity_key(var)
    key_path = var / IDENTITY_KEY_FILENAME
    if created:
        logger.warning(
            "LALISA_IDENTITY_KEY is not set; generated a development key in %s (mode 0600). "
            "Set LALISA_IDENTITY_KEY in production and keep a backup of it.",
            key_path,
        )
    else:
        logger.warning(
            "LALISA_IDENTITY_KEY is not set; using the development key in %s. "
            "Set LALISA_IDENTITY_KEY in production and keep a backup of it: "
            "reporter identities cannot be decrypted without it.",
            key_path,
        )
    return key


@dataclass(frozen=True)
class IdentitySettings:
    """The key that protects reporter identity.

    Attributes:
        key: Fernet key that encrypts reporter identity and derives the blind index
            (``LALISA_IDENTITY_KEY``).
        key_is_generated: True when the key came from the development key file
            ``<var>/identity.key`` (created on first use when the variable is unset).
    """

    key: str
    key_is_generated: bool = False

    def __repr__(self) -> str:
        """Never show the key."""
        return (
            f"IdentitySettings(key={_secret(self.key)}, key_is_generated={self.key_is_generated})"
        )

    @classmethod
    def from_env(cls, env: Env) -> IdentitySettings:
        """Read ``LALISA_IDENTITY_KEY``, or the development key file when it is unset."""
        raw_key = env_value(env, "LALISA_IDENTITY_KEY")
        if raw_key:
            return cls(key=_validate_fernet_key(raw_key, "LALISA_IDENTITY_KEY"))
        return cls(key=_load_or_create_dev_identity_key(var_dir(env)), key_is_generated=True)


# -------------------------------------------------------------------------------- ports


@dataclass(frozen=True)
class PortSettings:
    """Ports of the Rasa server and the action server (the back office's is in its section).

    Attributes:
        rasa: ``RASA_PORT`` (5005).
        action: ``ACTION_PORT`` (5055).
    """

    rasa: int = 5005
    action: int = 5055

    @classmethod
    def from_env(cls, env: Env) -> PortSettings:
        """Read ``RASA_PORT`` and ``ACTION_PORT``."""
        return cls(
            rasa=env_port(env, "RASA_PORT", cls.rasa),
            action=env_port(env, "ACTION_PORT", cls.action),
        )


# ------------------------------------------------------------------------------- office


def _parse_holidays(env: Env) -> tuple[date, ...]:
    days: set[date] = set()
    for item in env_list(env, "LALISA_EXTRA_HOLIDAYS"):
        try:
            days.add(date.fromisoformat(item))
        except ValueError as exc:
            raise SettingsError(
                f"LALISA_EXTRA_HOLIDAYS must be a comma list of YYYY-MM-DD dates, got {item!r}"
            ) from exc
    return tuple(sorted(days))


@dataclass(frozen=True)
class OfficeSettings:
    """The office as citizens are told about it, and its working time.

    Attributes:
        timezone: IANA name of the agency's local time zone (``LALISA_TIMEZONE``, WITA).
        hours: Office-hours specification (``LALISA_OFFICE_HOURS``; see
            :mod:`lalisa.office.hours`).
        extra_holidays: Local closing days on top of the national calendar, e.g. cuti bersama
            (``LALISA_EXTRA_HOLIDAYS``).
        address: Office address shown to citizens (``LALISA_OFFICE_ADDRESS``).
        phone: Office phone shown to citizens; empty when unknown (``LALISA_OFFICE_PHONE``).
        programs: Text about the agency's programmes; empty means "use the generic text"
            (``LALISA_PROGRAMS``).
    """

    timezone: str = DEFAULT_TIMEZONE
    hours: str = DEFAULT_OFFICE_HOURS
    extra_holidays: tuple[date, ...] = ()
    address: str = DEFAULT_OFFICE_ADDRESS
    phone: str = ""
    programs: str = ""

    @property
    def tz(self) -> ZoneInfo:
        """The local time zone as a :class:`zoneinfo.ZoneInfo`."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, env: Env) -> OfficeSettings:
        """Read the ``LALISA_OFFICE_*`` variables, the time zone and the holidays."""
        timezone = env_value(env, "LALISA_TIMEZONE", DEFAULT_TIMEZONE)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"LALISA_TIMEZONE is not a known IANA zone: {timezone!r}") from exc
        hours = env_value(env, "LALISA_OFFICE_HOURS", DEFAULT_OFFICE_HOURS)
        # Parsed now so that a typo fails at start-up, not on the first message out of hours.
        try:
            parse_office_hours(hours)
        except ValueError as exc:
            raise SettingsError(f"LALISA_OFFICE_HOURS: {exc}") from exc
        return cls(
            timezone=timezone,
            hours=hours,
            extra_holidays=_parse_holidays(env),
            address=env_value(env, "LALISA_OFFICE_ADDRESS", DEFAULT_OFFICE_ADDRESS),
            phone=env_value(env, "LALISA_OFFICE_PHONE"),
            programs=env_value(env, "LALISA_PROGRAMS"),
        )


# ----------------------------------------------------------------------------- whatsapp


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp Cloud API as the app environment uses it (sending, templates).

    The Rasa-side channel reads the same variables in ``lalisa_rasa.channels.config``.

    Attributes:
        verify_token: Token for the webhook ``hub.challenge`` handshake
            (``WHATSAPP_VERIFY_TOKEN``).
        app_secret: Meta app secret used to verify ``X-Hub-Signature-256``
            (``WHATSAPP_APP_SECRET``).
        access_token: Cloud API token for sending messages and fetching media
            (``WHATSAPP_ACCESS_TOKEN``).
        phone_number_id: Cloud API phone number id of the La-Lisa number
            (``WHATSAPP_PHONE_NUMBER_ID``).
        api_base_url: Base URL of the Graph API, a local fake in tests and sandboxes
            (``WHATSAPP_API_BASE_URL``).
        api_version: Pinned Graph API version (``WHATSAPP_API_VERSION``; the same default as
            the channel's).
        template_citizen_update: Approved template for citizen updates outside the 24-hour
            window (``WHATSAPP_TEMPLATE_CITIZEN_UPDATE``).
        template_trc_dispatch: Approved template for TRC dispatch messages
            (``WHATSAPP_TEMPLATE_TRC_DISPATCH``).
        template_language: Language code of the templates (``WHATSAPP_TEMPLATE_LANGUAGE``).
        template_survey_invitation: Approved template of the SKM survey invitation
            (``WHATSAPP_TEMPLATE_SURVEY_INVITATION``).
    """

    verify_token: str = ""
    app_secret: str = ""
    access_token: str = ""
    phone_number_id: str = ""
    api_base_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    template_citizen_update: str = "lalisa_status_laporan"
    template_trc_dispatch: str = "lalisa_disposisi_trc"
    template_language: str = "id"
    template_survey_invitation: str = "lalisa_undangan_survei"

    def __repr__(self) -> str:
        """Render without secrets."""
        return (
            f"WhatsAppSettings(verify_token={_secret(self.verify_token)}, "
            f"app_secret={_secret(self.app_secret)}, "
            f"access_token={_secret(self.access_token)}, "
            f"phone_number_id={self.phone_number_id!r}, api_base_url={self.api_base_url!r}, "
            f"api_version={self.api_version!r}, "
            f"template_citizen_update={self.template_citizen_update!r}, "
            f"template_trc_dispatch={self.template_trc_dispatch!r}, "
            f"template_language={self.template_language!r}, "
            f"template_survey_invitation={self.template_survey_invitation!r})"
        )

    @classmethod
    def from_env(cls, env: Env) -> WhatsAppSettings:
        """Read the ``WHATSAPP_*`` variables."""
        return cls(
            verify_token=env_value(env, "WHATSAPP_VERIFY_TOKEN"),
            app_secret=env_value(env, "WHATSAPP_APP_SECRET"),
            access_token=env_value(env, "WHATSAPP_ACCESS_TOKEN"),
            phone_number_id=env_value(env, "WHATSAPP_PHONE_NUMBER_ID"),
            api_base_url=env_value(env, "WHATSAPP_API_BASE_URL", cls.api_base_url).rstrip("/"),
            api_version=env_value(env, "WHATSAPP_API_VERSION", cls.api_version),
            template_citizen_update=env_value(
                env, "WHATSAPP_TEMPLATE_CITIZEN_UPDATE", cls.template_citizen_update
            ),
            template_trc_dispatch=env_value(
                env, "WHATSAPP_TEMPLATE_TRC_DISPATCH", cls.template_trc_dispatch
            ),
            template_language=env_value(env, "WHATSAPP_TEMPLATE_LANGUAGE", cls.template_language),
            template_survey_invitation=env_value(
                env, "WHATSAPP_TEMPLATE_SURVEY_INVITATION", cls.template_survey_invitation
            ),
        )


# ------------------------------------------------------------------------------- outbox


@dataclass(frozen=True)
class OutboxSettings:
    """The notification worker (``python -m lalisa.notifications.worker``).

    Attributes:
        poll_seconds: Seconds between polls (``OUTBOX_POLL_SECONDS``, 5).
        max_attempts: Send attempts per notification before it is marked failed
            (``OUTBOX_MAX_ATTEMPTS``, 10).
    """

    poll_seconds: float = 5.0
    max_attempts: int = 10

    @classmethod
    def from_env(cls, env: Env) -> OutboxSettings:
        """Read ``OUTBOX_POLL_SECONDS`` and ``OUTBOX_MAX_ATTEMPTS``."""
        return cls(
            poll_seconds=env_float(env, "OUTBOX_POLL_SECONDS", cls.poll_seconds, positive=True),
            max_attempts=env_int(env, "OUTBOX_MAX_ATTEMPTS", cls.max_attempts, minimum=1),
        )


# ---------------------------------------------------------------------------------- SLA

_SLA_VARIABLES: Final = {
    "first_response_days": "LALISA_SLA_FIRST_RESPONSE_DAYS",
    "completion_days": "LALISA_SLA_COMPLETION_DAYS",
    "field_check_days": "LALISA_SLA_FIELD_CHECK_DAYS",
    "max_days": "LALISA_SLA_MAX_DAYS",
}
_OFF: Final = frozenset({"off", "no", "false", "-"})


@dataclass(frozen=True)
class SlaSettings:
    """Service-level deadlines, in calendar days from receipt (defaults: SP4N-LAPOR!).

    The back office can override them (:mod:`lalisa.runtime_settings`); these are the
    defaults it starts from.

    Attributes:
        first_response_days: First response, i.e. any action after *Baru*
            (``LALISA_SLA_FIRST_RESPONSE_DAYS``, 3).
        completion_days: Closing without a field check (``LALISA_SLA_COMPLETION_DAYS``, 5).
        field_check_days: Closing when the TRC was dispatched
            (``LALISA_SLA_FIELD_CHECK_DAYS``, 14).
        max_days: Absolute upper limit (``LALISA_SLA_MAX_DAYS``, 60).
        internal_target_days: Internal target for the result: closed by the end of the day
            the work starts (0), or that many days later; ``None`` turns it off
            (``LALISA_SLA_INTERNAL_TARGET_DAYS``, 0; ``off`` to disable).
    """

    first_response_days: int = 3
    completion_days: int = 5
    field_check_days: int = 14
    max_days: int = 60
    internal_target_days: int | None = 0

    def __post_init__(self) -> None:
        """Refuse deadlines that contradict each other."""
        for name, variable in _SLA_VARIABLES.items():
            if getattr(self, name) < 1:
                raise SettingsError(f"{variable} must be at least 1")
        if not self.completion_days <= self.field_check_days <= self.max_days:
            raise SettingsError(
                "SLA deadlines must satisfy completion <= field check <= maximum days"
            )
        if self.internal_target_days is not None and self.internal_target_days < 0:
            raise SettingsError("LALISA_SLA_INTERNAL_TARGET_DAYS must be 0 or more, or off")

    @classmethod
    def from_env(cls, env: Env) -> SlaSettings:
        """Read the ``LALISA_SLA_*`` variables."""
        days = {
            name: env_int(env, variable, getattr(cls, name))
            for name, variable in _SLA_VARIABLES.items()
        }
        internal: int | None
        if env_value(env, "LALISA_SLA_INTERNAL_TARGET_DAYS").lower() in _OFF:
            internal = None
        else:
            internal = env_int(env, "LALISA_SLA_INTERNAL_TARGET_DAYS", 0)
        return cls(**days, internal_target_days=internal)


# ----------------------------------------------------------------------------- takeover


@dataclass(frozen=True)
class TakeoverSettings:
    """An admin taking a conversation over, through Rasa's HTTP API.

    Attributes:
        rasa_url: Base URL of Rasa's HTTP API (``RASA_URL``, default ``http://localhost:5005``).
        rasa_api_token: Token of ``rasa run --auth-token`` (``RASA_API_TOKEN``); ``None`` when
            Rasa runs without one (development only).
        idle_minutes: Minutes without admin activity after which the conversation goes back to
            the assistant (``TAKEOVER_IDLE_MINUTES``, default 30).
        timeout_seconds: Timeout of one request to Rasa.
        attempts: Attempts per call (retries on connection errors and 5xx answers).
        backoff_seconds: Wait before the first retry; doubled for each further one.
    """

    rasa_url: str = "http://localhost:5005"
    rasa_api_token: str | None = None
    idle_minutes: int = 30
    timeout_seconds: float = 5.0
    attempts: int = 3
    backoff_seconds: float = 0.5

    def __repr__(self) -> str:
        """Never show the token."""
        token = "set" if self.rasa_api_token else "unset"
        return (
            f"TakeoverSettings(rasa_url={self.rasa_url!r}, rasa_api_token=<{token}>, "
            f"idle_minutes={self.idle_minutes})"
        )

    @property
    def idle_after(self) -> timedelta:
        """The idle time as a timedelta."""
        return timedelta(minutes=self.idle_minutes)

    @classmethod
    def from_env(cls, env: Env) -> TakeoverSettings:
        """Read ``RASA_URL``, ``RASA_API_TOKEN`` and ``TAKEOVER_IDLE_MINUTES``."""
        return cls(
            rasa_url=env_value(env, "RASA_URL").rstrip("/") or cls.rasa_url,
            rasa_api_token=env_value(env, "RASA_API_TOKEN") or None,
            idle_minutes=env_int(env, "TAKEOVER_IDLE_MINUTES", cls.idle_minutes, minimum=1),
        )


# --------------------------------------------------------------------------- back office

# Host (optionally *.-wildcarded) and port only: the origin goes verbatim into the CSP header.
_TILE_HOST = re.compile(r"(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")


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


@dataclass(frozen=True)
class BackofficeSettings:
    """The back-office web application.

    Attributes:
        host: Interface uvicorn binds to (``BACKOFFICE_HOST``).
        port: TCP port (``BACKOFFICE_PORT``).
        public_url: The address officers open, for links in messages
            (``BACKOFFICE_PUBLIC_URL``, no trailing slash); ``None`` uses the request's.
        secure_cookies: Mark cookies ``Secure`` (off only with ``BACKOFFICE_INSECURE_COOKIES=1``,
            for tests and plain-http local use).
        max_failed_logins: Failed logins in a row that lock an account
            (``BACKOFFICE_MAX_FAILED_LOGINS``).
        max_failed_logins_per_address: Failed logins from one client address within
            ``lockout`` after which that address is refused for every account
            (``BACKOFFICE_MAX_FAILED_LOGINS_PER_ADDRESS``).
        lockout: How long a locked account stays locked (``BACKOFFICE_LOCKOUT_MINUTES``).
        max_body_bytes: Largest request body accepted (``BACKOFFICE_MAX_BODY_BYTES``; the
            default takes ten TRC photos of at most 10 MiB each in one report, with room for
            the form).
        session_lifetime: Absolute lifetime of a session (``BACKOFFICE_SESSION_HOURS``).
        session_idle_timeout: A session unused this long ends (``BACKOFFICE_SESSION_IDLE_MINUTES``).
        hotspot_tile_url: Optional base-map tile URL template of the hotspot map
            (``HOTSPOT_TILE_URL``, e.g. ``https://tile.example.org/{z}/{x}/{y}.png``); empty means
            no tiles (the map works offline). When set, its origin is added to the CSP img-src.
        hotspot_tile_attribution: Attribution shown with the tiles (``HOTSPOT_TILE_ATTRIBUTION``).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = None
    secure_cookies: bool = True
    max_failed_logins: int = 5
    max_failed_logins_per_address: int = 20
    lockout: timedelta = timedelta(minutes=15)
    max_body_bytes: int = 64 * 1024 * 1024
    session_lifetime: timedelta = timedelta(hours=12)
    session_idle_timeout: timedelta = timedelta(minutes=240)
    hotspot_tile_url: str = ""
    hotspot_tile_attribution: str = ""

    @classmethod
    def from_env(cls, env: Env) -> BackofficeSettings:
        """Read the ``BACKOFFICE_*`` and ``HOTSPOT_TILE_*`` variables."""
        tile_url = env_value(env, "HOTSPOT_TILE_URL")
        if tile_url:
            tile_origin(tile_url)
        minute, hour = timedelta(minutes=1), timedelta(hours=1)
        return cls(
            host=env_value(env, "BACKOFFICE_HOST", cls.host),
            port=env_port(env, "BACKOFFICE_PORT", cls.port),
            public_url=env_value(env, "BACKOFFICE_PUBLIC_URL").rstrip("/") or None,
            secure_cookies=not env_bool(env, "BACKOFFICE_INSECURE_COOKIES", False),
            max_failed_logins=env_int(
                env, "BACKOFFICE_MAX_FAILED_LOGINS", cls.max_failed_logins, minimum=1
            ),
            max_failed_logins_per_address=env_int(
                env,
                "BACKOFFICE_MAX_FAILED_LOGINS_PER_ADDRESS",
                cls.max_failed_logins_per_address,
                minimum=1,
            ),
            max_body_bytes=env_int(env, "BACKOFFICE_MAX_BODY_BYTES", cls.max_body_bytes, minimum=1),
            lockout=env_duration(env, "BACKOFFICE_LOCKOUT_MINUTES", cls.lockout, unit=minute),
            session_lifetime=env_duration(
                env, "BACKOFFICE_SESSION_HOURS", cls.session_lifetime, unit=hour
            ),
            session_idle_timeout=env_duration(
                env, "BACKOFFICE_SESSION_IDLE_MINUTES", cls.session_idle_timeout, unit=minute
            ),
            hotspot_tile_url=tile_url,
            hotspot_tile_attribution=env_value(env, "HOTSPOT_TILE_ATTRIBUTION"),
        )


# ------------------------------------------------------------------------------ reports


@dataclass(frozen=True)
class ReportSettings:
    """The signature block of the printed recap.

    Facts that are not confirmed (who signs, the NIP) stay blank when unset, so the printed
    report leaves room to write them by hand.

    Attributes:
        signer_title: ``LALISA_REPORT_SIGNER_TITLE`` (default: Kepala Satuan …).
        signer_name: ``LALISA_REPORT_SIGNER_NAME``; blank line when empty.
        signer_nip: ``LALISA_REPORT_SIGNER_NIP``; blank when empty.
        place: ``LALISA_REPORT_PLACE`` (place before the date of signing, default Paringin).
    """

    signer_title: str = "Kepala Satuan Polisi Pamong Praja Kabupaten Balangan"
    signer_name: str = ""
    signer_nip: str = ""
    place: str = "Paringin"

    @classmethod
    def from_env(cls, env: Env) -> ReportSettings:
        """Read the ``LALISA_REPORT_*`` variables."""
        return cls(
            signer_title=env_value(env, "LALISA_REPORT_SIGNER_TITLE", cls.signer_title),
            signer_name=env_value(env, "LALISA_REPORT_SIGNER_NAME"),
            signer_nip=env_value(env, "LALISA_REPORT_SIGNER_NIP"),
            place=env_value(env, "LALISA_REPORT_PLACE", cls.place),
        )


# ---------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionSettings:
    """How many days each store keeps its rows (``python -m lalisa.retention``).

    Attributes:
        tracker_days: Rasa's tracker events and the review index
            (``LALISA_TRACKER_RETENTION_DAYS``, 90).
        inbound_days: ``whatsapp_inbound_messages`` (``LALISA_INBOUND_RETENTION_DAYS``, 30; at
            least 7, because Meta redelivers a webhook for up to 7 days and these rows are how
            duplicates are found).
        outbound_days: ``whatsapp_outbound_messages`` (``LALISA_OUTBOUND_RETENTION_DAYS``, 30).
    """

    tracker_days: int = 90
    inbound_days: int = 30
    outbound_days: int = 30

    @classmethod
    def from_env(cls, env: Env) -> RetentionSettings:
        """Read the three ``LALISA_*_RETENTION_DAYS`` variables."""
        return cls(
            tracker_days=env_int(env, "LALISA_TRACKER_RETENTION_DAYS", cls.tracker_days, minimum=1),
            inbound_days=env_int(env, "LALISA_INBOUND_RETENTION_DAYS", cls.inbound_days, minimum=7),
            outbound_days=env_int(
                env, "LALISA_OUTBOUND_RETENTION_DAYS", cls.outbound_days, minimum=1
            ),
        )


# ----------------------------------------------------------------------- runtime settings

CACHE_SECONDS_VARIABLE: Final = "LALISA_SETTINGS_CACHE_SECONDS"


@dataclass(frozen=True)
class RuntimeSettingsConfig:
    """How the values administrators edit in the back office are read.

    Attributes:
        cache_seconds: How long a process keeps the edited values before reading them again
            (``LALISA_SETTINGS_CACHE_SECONDS``, 30; 0 disables the cache, a negative value
            counts as 0).
    """

    cache_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Env) -> RuntimeSettingsConfig:
        """Read ``LALISA_SETTINGS_CACHE_SECONDS``; a value that is no number keeps the default.

        Lenient on purpose: a typo here must not stop the assistant from answering citizens.
        """
        try:
            seconds = env_float(env, CACHE_SECONDS_VARIABLE, cls.cache_seconds)
        except SettingsError as exc:
            logger.warning("%s; using %g", exc, cls.cache_seconds)
            seconds = cls.cache_seconds
        return cls(cache_seconds=max(seconds, 0.0))


# --------------------------------------------------------------------------------- root


@dataclass(frozen=True)
class Settings:
    """Configuration of one La-Lisa process (app environment), one section per concern."""

    database: DatabaseSettings
    identity: IdentitySettings
    storage: StorageSettings
    ports: PortSettings = field(default_factory=PortSettings)
    office: OfficeSettings = field(default_factory=OfficeSettings)
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)
    takeover: TakeoverSettings = field(default_factory=TakeoverSettings)
    backoffice: BackofficeSettings = field(default_factory=BackofficeSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    runtime: RuntimeSettingsConfig = field(default_factory=RuntimeSettingsConfig)

    @classmethod
    def from_env(cls, env: Env) -> Settings:
        """Build every section from one set of variables (see :func:`load_settings`)."""
        return cls(
            database=DatabaseSettings.from_env(env),
            identity=IdentitySettings.from_env(env),
            storage=StorageSettings.from_env(env),
            ports=PortSettings.from_env(env),
            office=OfficeSettings.from_env(env),
            whatsapp=WhatsAppSettings.from_env(env),
            outbox=OutboxSettings.from_env(env),
            sla=SlaSettings.from_env(env),
            takeover=TakeoverSettings.from_env(env),
            backoffice=BackofficeSettings.from_env(env),
            reports=ReportSettings.from_env(env),
            retention=RetentionSettings.from_env(env),
            runtime=RuntimeSettingsConfig.from_env(env),
        )


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | Literal["default"] | None = "default",
) -> Settings:
    """Build settings from an environment mapping and an optional ``.env`` file.

    Args:
        environ: Process environment; defaults to :data:`os.environ`.
        env_file: Path of the ``.env`` file, ``None`` to read no file, or ``"default"`` for
            :func:`lalisa_common.env.default_env_file`. A missing file is fine.

    Returns:
        The validated settings.

    Raises:
        SettingsError: A variable holds an unusable value; the message names it.
    """
    return Settings.from_env(read_env(environ, env_file))


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
