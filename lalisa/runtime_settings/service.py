"""Operational settings the superadmin edits in the back office (``/pengaturan``).

The environment (``.env``, process variables) and the code keep giving the *defaults*; a value
stored in the ``app_settings`` table overrides its default. Precedence, lowest first::

    built-in default  <  environment variable  <  stored value (app_settings)

:data:`~lalisa.runtime_settings.registry.REGISTRY` declares every editable setting: key, Bahasa
Indonesia label and help text, kind, validator and where its default comes from. Notification
texts are declared generically from :mod:`lalisa.notifications.texts` (every ``*_TEXT`` and
``*_NOTE`` string), so a text added there later appears on the settings page without a change
here.

Every process (back office, outbox worker, action server) reads the effective values through
:func:`load_effective_settings`, an async loader with a short per-process TTL cache
(``LALISA_SETTINGS_CACHE_SECONDS``, 30 s by default), so a change reaches every process within
that time and without a restart. The pure functions of the code base stay pure: callers load
:class:`EffectiveSettings` first and pass what it derives (:meth:`EffectiveSettings.app_settings`,
:meth:`EffectiveSettings.sla`, :meth:`EffectiveSettings.wording`) into them.

Writes go through :func:`save_setting` and :func:`reset_setting`: optimistic locking on a per-row
``version`` and a ``SETTING_CHANGED`` audit entry with the old and new value, in the caller's
transaction.
"""

from __future__ import annotations

import dataclasses
import logging
import time as _time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from lalisa.core import audit
from lalisa.core.db import get_engine, session_scope
from lalisa.core.models import utcnow
from lalisa.core.settings import (
    CACHE_SECONDS_VARIABLE,
    Settings,
    SettingsError,
    SlaSettings,
    get_settings,
)
from lalisa.notifications.messages import Wording
from lalisa.runtime_settings.models import AppSetting
from lalisa.runtime_settings.registry import (
    REGISTRY,
    SECTIONS,
    TEXT_PREFIX,
    SettingDefinition,
    definition,
    describe_value,
    message_text_keys,
)
from lalisa.runtime_settings.validation import (
    SettingValueError,
    office_hours_error,
    placeholders,
)

__all__ = [
    "CACHE_SECONDS_VARIABLE",
    "REGISTRY",
    "SECTIONS",
    "AppSetting",
    "EffectiveSettings",
    "SettingConflict",
    "SettingDefinition",
    "SettingValueError",
    "StoredSetting",
    "definition",
    "describe_value",
    "load_effective_settings",
    "message_text_keys",
    "office_hours_error",
    "placeholders",
    "read_effective_settings",
    "reset_runtime_settings_cache",
    "reset_setting",
    "save_setting",
    "stored_settings",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSetting:
    """A row of ``app_settings`` as plain data.

    Attributes:
        key: Setting key.
        value: Stored value (JSON form), ``None`` when reset to the default.
        updated_by: Username of the last change.
        updated_at: Time of the last change.
        version: Optimistic-lock version (0 when there is no row).
    """

    key: str
    value: Any
    updated_by: str
    updated_at: datetime
    version: int


# ------------------------------------------------------------------------------- conflicts


class SettingConflict(Exception):
    """Somebody else changed the setting since the form was built (nothing was written).

    Attributes:
        current: The stored row as it is now, or ``None`` when it does not exist.
    """

    def __init__(self, key: str, current: StoredSetting | None) -> None:
        """Remember what is stored now, for the message."""
        super().__init__(f"setting {key} changed concurrently")
        self.key = key
        self.current = current


# --------------------------------------------------------------------- effective settings


@dataclass(frozen=True)
class EffectiveSettings:
    """Defaults merged with the stored overrides, and what the rest of the code needs from them.

    Attributes:
        overrides: Valid stored values by key (reset and invalid rows are left out).
    """

    overrides: Mapping[str, Any] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        """Return the effective value of a setting (stored override, else default).

        Args:
            key: A key of :data:`REGISTRY`.

        Returns:
            The value in stored form.
        """
        if key in self.overrides:
            return self.overrides[key]
        return REGISTRY[key].default()

    def is_overridden(self, key: str) -> bool:
        """Tell whether a stored value replaces the default.

        Args:
            key: Setting key.

        Returns:
            True when the stored value is in force.
        """
        return key in self.overrides

    def app_settings(self, base: Settings | None = None) -> Settings:
        """Return process settings with the office and WhatsApp template values replaced.

        Args:
            base: Settings to start from; :func:`lalisa.core.settings.get_settings` by default.

        Returns:
            A copy usable with the pure functions of :mod:`lalisa.office.hours`.
        """
        settings = base or get_settings()
        if not self.overrides:
            return settings
        office = dataclasses.replace(
            settings.office,
            hours=self.value("office.hours"),
            extra_holidays=tuple(
                date.fromisoformat(d) for d in self.value("office.extra_holidays")
            ),
            address=self.value("office.address"),
            phone=self.value("office.phone"),
        )
        whatsapp = dataclasses.replace(
            settings.whatsapp,
            template_citizen_update=self.value("whatsapp.template_citizen_update"),
            template_trc_dispatch=self.value("whatsapp.template_trc_dispatch"),
            template_language=self.value("whatsapp.template_language"),
        )
        return dataclasses.replace(settings, office=office, whatsapp=whatsapp)

    def sla(self) -> SlaSettings:
        """Return the SLA deadlines in force.

        Returns:
            The settings (falls back to the defaults if the combination is contradictory).
        """
        if not any(key.startswith("sla.") for key in self.overrides):
            return get_settings().sla
        try:
            return _sla_from(self.value)
        except SettingsError:
            # save_setting refuses contradicting deadlines; this only happens when the
            # environment defaults changed under stored values.
            logger.warning("Stored SLA settings contradict each other; using the defaults")
            return get_settings().sla

    def wording(self) -> Wording:
        """Return the notification texts and template names in force.

        Returns:
            The wording for :mod:`lalisa.notifications.messages`.
        """
        return Wording(
            texts=MappingProxyType(
                {
                    key.removeprefix(TEXT_PREFIX): value
                    for key, value in self.overrides.items()
                    if key.startswith(TEXT_PREFIX)
                }
            ),
            template_citizen_update=self.value("whatsapp.template_citizen_update"),
            template_trc_dispatch=self.value("whatsapp.template_trc_dispatch"),
            template_language=self.value("whatsapp.template_language"),
        )


def _sla_from(value: Callable[[str], Any]) -> SlaSettings:
    return SlaSettings(
        first_response_days=value("sla.first_response_days"),
        completion_days=value("sla.completion_days"),
        field_check_days=value("sla.field_check_days"),
        max_days=value("sla.max_days"),
        internal_target_days=value("sla.internal_target_days"),
    )


def _valid_overrides(rows: Iterable[StoredSetting]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for row in rows:
        entry = REGISTRY.get(row.key)
        if entry is None or row.value is None:
            continue
        try:
            # Re-validate: a text stored before its default changed placeholders must not
            # reach a citizen with a field the code no longer fills.
            parsed = entry.parse(entry.to_form(row.value))
        except SettingValueError as exc:
            logger.warning("Ignoring stored setting %s (%s); using its default", row.key, exc)
            continue
        overrides[row.key] = parsed
    return overrides


@dataclass
class _Cache:
    engine: AsyncEngine | None = None
    expires: float = 0.0
    value: EffectiveSettings | None = None


_cache = _Cache()


def reset_runtime_settings_cache() -> None:
    """Forget the cached effective settings (after a save, and in tests)."""
    _cache.engine = None
    _cache.expires = 0.0
    _cache.value = None


async def _read_rows(session: AsyncSession) -> list[StoredSetting]:
    result = await session.execute(select(AppSetting))
    return [_plain(row) for row in result.scalars()]


def _plain(row: AppSetting) -> StoredSetting:
    return StoredSetting(row.key, row.value, row.updated_by, row.updated_at, row.version)


async def read_effective_settings(session: AsyncSession | None) -> EffectiveSettings:
    """Read the effective settings from the database, bypassing the cache.

    Args:
        session: Session to read with; a short session of its own when ``None``.

    Returns:
        The effective settings as stored now.
    """
    if session is not None:
        rows = await _read_rows(session)
    else:
        async with session_scope() as own:
            rows = await _read_rows(own)
    return EffectiveSettings(MappingProxyType(_valid_overrides(rows)))


async def load_effective_settings(
    session: AsyncSession | None = None,
    *,
    now: float | None = None,
) -> EffectiveSettings:
    """Return the effective settings, from the per-process cache when it is fresh.

    Args:
        session: Session to read with (the caller's unit of work); a short session of its own
            otherwise.
        now: Monotonic clock reading (tests).

    Returns:
        The effective settings. If the database cannot be read, the last known values (or the
        defaults) are returned and the error is logged: a citizen still gets an answer.
    """
    clock = _time.monotonic() if now is None else now
    engine = get_engine()
    # Keyed by engine, so a process (or test) that points at another database reloads.
    if _cache.value is not None and _cache.engine is engine and clock < _cache.expires:
        return _cache.value
    try:
        value = await read_effective_settings(session)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        logger.warning("Cannot read app_settings (%s); using the last known settings", exc)
        value = _cache.value if _cache.engine is engine and _cache.value else EffectiveSettings()
    _cache.engine = engine
    _cache.value = value
    _cache.expires = clock + get_settings().runtime.cache_seconds
    return value


# ------------------------------------------------------------------------------- writing


async def stored_settings(session: AsyncSession) -> dict[str, StoredSetting]:
    """Read every stored row (for the settings page).

    Args:
        session: The unit of work.

    Returns:
        Rows by key.
    """
    return {row.key: row for row in await _read_rows(session)}


def _check_combination(key: str, value: Any, effective: EffectiveSettings) -> None:
    if not key.startswith("sla."):
        return

    def merged(name: str) -> Any:
        return value if name == key else effective.value(name)

    try:
        _sla_from(merged)
    except SettingsError as exc:
        raise SettingValueError(
            "Tenggat harus berurutan: penyelesaian tanpa cek lapangan ≤ penyelesaian dengan "
            "cek lapangan ≤ batas maksimum."
        ) from exc


async def _write(
    session: AsyncSession,
    key: str,
    value: Any,
    *,
    actor: str,
    expected_version: int,
    reset: bool,
) -> StoredSetting:
    entry = REGISTRY[key]
    effective = await read_effective_settings(session)
    old_value = effective.value(key)
    row = await session.get(AppSetting, key, with_for_update=True, populate_existing=True)
    current = None if row is None else _plain(row)
    if (current.version if current else 0) != expected_version:
        raise SettingConflict(key, current)
    now = utcnow()
    if row is None:
        row = AppSetting(key=key, value=value, updated_by=actor, updated_at=now, version=1)
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError as exc:
            # The other superadmin inserted the row between our read and our insert.
            raise SettingConflict(key, None) from exc
    else:
        result = await session.execute(
            update(AppSetting)
            .where(AppSetting.key == key, AppSetting.version == expected_version)
            .values(value=value, updated_by=actor, updated_at=now, version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise SettingConflict(key, current)
        await session.refresh(row)
    new_value = entry.default() if value is None else value
    await audit.record(
        session,
        actor=actor,
        action=audit.SETTING_CHANGED,
        target=f"setting:{key}",
        detail={
            "key": key,
            "old": old_value,
            "new": new_value,
            "reset_to_default": reset,
            "was_default": key not in effective.overrides,
        },
    )
    reset_runtime_settings_cache()
    return _plain(row)


async def save_setting(
    session: AsyncSession,
    key: str,
    raw: str,
    *,
    actor: str,
    expected_version: int,
) -> StoredSetting:
    """Validate and store a new value, audited, in the caller's transaction.

    Args:
        session: The unit of work (not committed here).
        key: A key of :data:`REGISTRY`.
        raw: What the superadmin typed.
        actor: Username.
        expected_version: Version of the row when the form was built (0: no row yet).

    Returns:
        The stored row.

    Raises:
        KeyError: Unknown key.
        SettingValueError: The value is not acceptable (message in Bahasa Indonesia).
        SettingConflict: The setting changed since the form was built; nothing was written.
    """
    entry = REGISTRY[key]
    value = entry.parse(raw)
    effective = await read_effective_settings(session)
    _check_combination(key, value, effective)
    return await _write(
        session, key, value, actor=actor, expected_version=expected_version, reset=False
    )


async def reset_setting(
    session: AsyncSession, key: str, *, actor: str, expected_version: int
) -> StoredSetting:
    """Go back to the default ("Kembalikan ke bawaan"), audited, in the caller's transaction.

    Args:
        session: The unit of work.
        key: A key of :data:`REGISTRY`.
        actor: Username.
        expected_version: Version of the row when the form was built.

    Returns:
        The row (its value is ``None`` now).

    Raises:
        KeyError: Unknown key.
        SettingValueError: The default would contradict the other SLA deadlines.
        SettingConflict: The setting changed since the form was built.
    """
    entry = REGISTRY[key]
    effective = await read_effective_settings(session)
    _check_combination(key, entry.default(), effective)
    return await _write(
        session, key, None, actor=actor, expected_version=expected_version, reset=True
    )
