"""Operational settings the superadmin edits in the back office (``/pengaturan``).

Size: longer than the ~600-line guideline because about half of it is :data:`REGISTRY`, a
declaration table (one entry per editable setting: label, help text, parser, default) that reads
best as one list next to the loader and writer that interpret it. The parsers are in
:mod:`lalisa.runtime_settings.validation`.

The environment (``.env``, process variables) and the code keep giving the *defaults*; a value
stored in the ``app_settings`` table overrides its default. Precedence, lowest first::

    built-in default  <  environment variable  <  stored value (app_settings)

:data:`REGISTRY` declares every editable setting: key, Bahasa Indonesia label and help text,
kind, validator and where its default comes from. Notification texts are declared generically
from :mod:`lalisa.notifications.texts` (every ``*_TEXT`` and ``*_NOTE`` string), so a text added
there later appears on the settings page without a change here.

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
from typing import Any, Final

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
from lalisa.notifications import texts
from lalisa.notifications.messages import Wording
from lalisa.runtime_settings.models import AppSetting
from lalisa.runtime_settings.validation import (
    SettingValueError,
    format_names,
    int_parser,
    message_text_parser,
    office_hours_error,
    parse_holidays,
    parse_language,
    parse_office_hours_value,
    parse_phone,
    parse_template_name,
    placeholders,
    text_parser,
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

TEXT_PREFIX: Final = "teks."
MAX_SLA_DAYS: Final = 365
MAX_INTERNAL_TARGET_DAYS: Final = 30


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


# ---------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class SettingDefinition:
    """One editable setting.

    Attributes:
        key: Stable key (the ``app_settings`` primary key).
        section: Section id (see :data:`SECTIONS`).
        label: Bahasa Indonesia label.
        help: Bahasa Indonesia help text.
        kind: ``int``, ``optional_int``, ``text``, ``office_hours``, ``dates``,
            ``template_name``, ``message_text``.
        default: Returns the current default (code or environment), in stored form.
        parse: Turns form input into the stored form; raises :class:`SettingValueError`.
        source: Where the default comes from, for the page (an environment variable or module).
        multiline: The form uses a text area.
    """

    key: str
    section: str
    label: str
    help: str
    kind: str
    default: Callable[[], Any]
    parse: Callable[[str], Any]
    source: str
    multiline: bool = False

    def to_form(self, value: Any) -> str:
        """Render a stored-form value for a form field.

        Args:
            value: Stored form.

        Returns:
            The text to put in the input.
        """
        if value is None:
            return ""
        if self.kind == "dates":
            return "\n".join(str(item) for item in value)
        return str(value)


SECTIONS: Final[tuple[tuple[str, str, str], ...]] = (
    (
        "sla",
        "Tenggat layanan (SLA)",
        "Dalam hari kalender sejak laporan diterima. Bawaan mengikuti SP4N-LAPOR!.",
    ),
    (
        "office",
        "Kantor dan jam layanan",
        "Dipakai asisten La-Lisa saat menjawab warga dan untuk menghitung mulai kerja.",
    ),
    (
        "whatsapp",
        "Template WhatsApp",
        "Template yang disetujui Meta, dipakai di luar jendela 24 jam.",
    ),
    (
        "texts",
        "Teks notifikasi",
        "Pesan WhatsApp kepada warga dan TRC. Isian dalam kurung kurawal, misalnya {number}, "
        "diisi otomatis dan harus tetap sama dengan teks bawaan.",
    ),
)
"""(id, Bahasa Indonesia title, description) of each section, in display order."""


def _sla_default(name: str) -> Callable[[], Any]:
    def default() -> Any:
        return getattr(get_settings().sla, name)

    return default


def _app_default(read: Callable[[Settings], Any]) -> Callable[[], Any]:
    return lambda: read(get_settings())


_SLA_DAYS = int_parser(1, MAX_SLA_DAYS)

_FIXED: tuple[SettingDefinition, ...] = (
    SettingDefinition(
        "sla.first_response_days",
        "sla",
        "Respons pertama (hari)",
        "Batas waktu tindakan pertama setelah laporan masuk (SP4N-LAPOR!: 3 hari).",
        "int",
        _sla_default("first_response_days"),
        _SLA_DAYS,
        "LALISA_SLA_FIRST_RESPONSE_DAYS",
    ),
    SettingDefinition(
        "sla.completion_days",
        "sla",
        "Penyelesaian tanpa cek lapangan (hari)",
        "Batas waktu menutup laporan yang tidak perlu diperiksa TRC (SP4N-LAPOR!: 5 hari).",
        "int",
        _sla_default("completion_days"),
        _SLA_DAYS,
        "LALISA_SLA_COMPLETION_DAYS",
    ),
    SettingDefinition(
        "sla.field_check_days",
        "sla",
        "Penyelesaian dengan cek lapangan (hari)",
        "Batas waktu menutup laporan yang didisposisikan ke TRC (SP4N-LAPOR!: 14 hari).",
        "int",
        _sla_default("field_check_days"),
        _SLA_DAYS,
        "LALISA_SLA_FIELD_CHECK_DAYS",
    ),
    SettingDefinition(
        "sla.max_days",
        "sla",
        "Batas maksimum (hari)",
        "Batas mutlak penyelesaian (SP4N-LAPOR!: 60 hari). Harus sama atau lebih besar dari "
        "tenggat penyelesaian dengan cek lapangan.",
        "int",
        _sla_default("max_days"),
        _SLA_DAYS,
        "LALISA_SLA_MAX_DAYS",
    ),
    SettingDefinition(
        "sla.internal_target_days",
        "sla",
        "Target internal (hari)",
        "0 = hasil pada hari kerja yang sama; angka lain = sekian hari kemudian. Kosongkan "
        "untuk mematikan target internal.",
        "optional_int",
        _sla_default("internal_target_days"),
        int_parser(0, MAX_INTERNAL_TARGET_DAYS, optional=True),
        "LALISA_SLA_INTERNAL_TARGET_DAYS",
    ),
    SettingDefinition(
        "office.hours",
        "office",
        "Jam layanan kantor",
        "Hari lalu jam, dipisah titik koma, misalnya 'sen-kam 08:00-16:00; jum 08:00-16:30'. "
        "Hari yang tidak disebut dianggap tutup. Jam kantor Satpol PP Balangan belum "
        "dikonfirmasi: periksa sebelum dipakai.",
        "office_hours",
        _app_default(lambda s: s.office.hours),
        parse_office_hours_value,
        "LALISA_OFFICE_HOURS",
    ),
    SettingDefinition(
        "office.extra_holidays",
        "office",
        "Libur tambahan / cuti bersama lokal",
        "Satu tanggal per baris (TTTT-BB-HH). Libur nasional dan cuti bersama nasional sudah "
        "dihitung otomatis; isi hanya libur lokal tambahan.",
        "dates",
        _app_default(lambda s: [day.isoformat() for day in s.office.extra_holidays]),
        parse_holidays,
        "LALISA_EXTRA_HOLIDAYS",
        multiline=True,
    ),
    SettingDefinition(
        "office.address",
        "office",
        "Alamat kantor",
        "Alamat yang disebutkan asisten kepada warga. Alamat jalan belum dikonfirmasi; jangan "
        "mengisi alamat yang belum pasti.",
        "text",
        _app_default(lambda s: s.office.address),
        text_parser(required=True, limit=300),
        "LALISA_OFFICE_ADDRESS",
    ),
    SettingDefinition(
        "office.phone",
        "office",
        "Telepon kantor",
        "Nomor yang disebutkan asisten kepada warga. Kosongkan jika belum diketahui: asisten "
        "lalu mengatakan nomornya belum tersedia.",
        "text",
        _app_default(lambda s: s.office.phone),
        parse_phone,
        "LALISA_OFFICE_PHONE",
    ),
    SettingDefinition(
        "whatsapp.template_citizen_update",
        "whatsapp",
        "Template pembaruan untuk warga",
        "Nama template (kategori UTILITY) untuk pembaruan laporan di luar jendela 24 jam.",
        "template_name",
        _app_default(lambda s: s.whatsapp.template_citizen_update),
        parse_template_name,
        "WHATSAPP_TEMPLATE_CITIZEN_UPDATE",
    ),
    SettingDefinition(
        "whatsapp.template_trc_dispatch",
        "whatsapp",
        "Template disposisi TRC",
        "Nama template untuk pesan disposisi kepada petugas TRC di luar jendela 24 jam.",
        "template_name",
        _app_default(lambda s: s.whatsapp.template_trc_dispatch),
        parse_template_name,
        "WHATSAPP_TEMPLATE_TRC_DISPATCH",
    ),
    SettingDefinition(
        "whatsapp.template_language",
        "whatsapp",
        "Bahasa template",
        "Kode bahasa template seperti didaftarkan di WhatsApp Manager (Bahasa Indonesia: id).",
        "template_name",
        _app_default(lambda s: s.whatsapp.template_language),
        parse_language,
        "WHATSAPP_TEMPLATE_LANGUAGE",
    ),
)

# What each message is about, for its label; a text added to texts.py later without an entry
# here still appears, labelled with its name.
_TEXT_TOPICS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "VERIFIED": "Laporan diverifikasi",
        "DISPATCHED": "Diteruskan ke TRC",
        "IN_PROGRESS": "Dalam penanganan",
        "DONE": "Selesai",
        "DONE_RESULT": "Selesai, dengan hasil",
        "NOT_ACTIONABLE": "Tidak dapat ditindaklanjuti",
        "NOT_ACTIONABLE_CONTACT": "Tidak dapat ditindaklanjuti, dengan kontak",
        "REDIRECTED": "Dialihkan",
        "REDIRECTED_REASON": "Dialihkan: tambahan keterangan",
        "REDIRECTED_CONTACT": "Dialihkan: tambahan kontak",
        "DUPLICATE": "Duplikat",
        "REOPENED": "Dibuka kembali",
        "REOPENED_REASON": "Dibuka kembali, dengan alasan",
        "TRC_DISPATCH": "Disposisi untuk petugas TRC",
    }
)


def message_text_keys() -> tuple[str, ...]:
    """Names of the editable texts of :mod:`lalisa.notifications.texts`, in file order.

    Returns:
        Every module-level string whose name ends in ``_TEXT`` or ``_NOTE``.
    """
    return tuple(
        name
        for name, value in vars(texts).items()
        if name.isupper() and name.endswith(("_TEXT", "_NOTE")) and isinstance(value, str)
    )


def _text_definition(name: str) -> SettingDefinition:
    stem, _, suffix = name.rpartition("_")
    topic = _TEXT_TOPICS.get(stem, name)
    if suffix == "NOTE":
        label = f"{topic}: keterangan template"
        help_text = "Satu baris untuk kolom 'Keterangan' template, dipakai di luar jendela 24 jam."
    else:
        label = f"{topic}: pesan teks"
        help_text = "Pesan teks bebas, dipakai bila penerima menulis ke La-Lisa dalam 24 jam."
    expected = placeholders(str(getattr(texts, name)))
    if expected:
        help_text += f" Isian wajib: {format_names(expected)}."
    return SettingDefinition(
        key=TEXT_PREFIX + name,
        section="texts",
        label=label,
        help=help_text,
        kind="message_text",
        default=lambda: str(getattr(texts, name)),
        parse=message_text_parser(name),
        source=f"lalisa/notifications/texts.py: {name}",
        multiline=suffix == "TEXT",
    )


def _build_registry() -> Mapping[str, SettingDefinition]:
    entries = [*_FIXED, *(_text_definition(name) for name in message_text_keys())]
    return MappingProxyType({entry.key: entry for entry in entries})


REGISTRY: Final[Mapping[str, SettingDefinition]] = _build_registry()
"""Every editable setting by key, in display order."""


def definition(key: str) -> SettingDefinition | None:
    """Look a setting up by key.

    Args:
        key: Setting key.

    Returns:
        The definition, or ``None`` for an unknown key.
    """
    return REGISTRY.get(key)


def describe_value(key: str, value: Any) -> str:
    """Render a stored-form value for people (page, history).

    Args:
        key: Setting key.
        value: Stored form (``None`` renders as "mati" for the internal target).

    Returns:
        Bahasa Indonesia text.
    """
    entry = REGISTRY.get(key)
    if value is None:
        return "mati" if entry is not None and entry.kind == "optional_int" else "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "(tidak ada)"
    if value == "":
        return "(kosong)"
    return str(value)


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
