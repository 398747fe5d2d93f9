"""Every setting the superadmin can edit on ``/pengaturan``: key, label, help, parser, default.

:data:`REGISTRY` is a declaration table, one entry per setting, read by the loader and writer
in :mod:`lalisa.runtime_settings.service`; the parsers are in
:mod:`lalisa.runtime_settings.validation`. Notification texts are declared generically from
:mod:`lalisa.notifications.texts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from lalisa.core.settings import (
    Settings,
    get_settings,
)
from lalisa.notifications import texts
from lalisa.runtime_settings.validation import (
    format_names,
    int_parser,
    message_text_parser,
    parse_holidays,
    parse_language,
    parse_office_hours_value,
    parse_phone,
    parse_template_name,
    placeholders,
    text_parser,
)

TEXT_PREFIX: Final = "teks."
MAX_SLA_DAYS: Final = 365
MAX_INTERNAL_TARGET_DAYS: Final = 30


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
