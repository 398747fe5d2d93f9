"""Checks of the values a superadmin types on ``/pengaturan``, with messages in Bahasa Indonesia.

Each parser turns the form's text into the stored value or raises :class:`SettingValueError`;
:data:`lalisa.runtime_settings.service.REGISTRY` names the parser of every setting.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Final

from lalisa.notifications import texts
from lalisa.office.schedule import parse_office_hours

MAX_MESSAGE_TEXT: Final = 1500
"""Longest free text; WhatsApp allows 4096, but a citizen message should stay short."""
MAX_NOTE: Final = 500
"""Longest template note; the template parameter limit is 600 and the body 1024."""
MAX_HOLIDAYS: Final = 60


class SettingValueError(ValueError):
    """A value typed by the superadmin is not acceptable; the message is Bahasa Indonesia."""


_FORMATTER = string.Formatter()


def placeholders(text: str) -> frozenset[str]:
    """Return the ``{field}`` names of a ``str.format`` text.

    Args:
        text: The text.

    Returns:
        The field names.

    Raises:
        SettingValueError: The braces are unbalanced, or a field uses a conversion, a format
            specification, an index or an attribute (``{x!r}``, ``{x:>5}``, ``{x.y}``).
    """
    names: set[str] = set()
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise SettingValueError(
            "Kurung kurawal { } tidak berpasangan. Gunakan kurung kurawal hanya untuk isian "
            "seperti {number}."
        ) from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise SettingValueError(
                f"Isian {{{name}}} tidak valid; tulis isian persis seperti pada teks bawaan."
            )
        names.add(name)
    return frozenset(names)


def format_names(names: Iterable[str]) -> str:
    """The placeholder names as ``{a}, {b}`` for a message."""
    return ", ".join(f"{{{name}}}" for name in sorted(names))


def message_text_parser(name: str) -> Callable[[str], str]:
    """The parser of the notification text ``name`` (its placeholders must stay)."""
    is_note = name.endswith("_NOTE")
    limit = MAX_NOTE if is_note else MAX_MESSAGE_TEXT

    def parse(raw: str) -> str:
        # Browsers send CRLF from a textarea; the stored text uses LF like texts.py.
        value = raw.replace("\r\n", "\n").replace("\r", "\n")
        if not value.strip():
            raise SettingValueError("Teks tidak boleh kosong.")
        if len(value) > limit:
            raise SettingValueError(f"Teks terlalu panjang (maksimal {limit} karakter).")
        if is_note and "\n" in value:
            raise SettingValueError(
                "Keterangan template harus satu baris (tanpa baris baru): WhatsApp menolak "
                "parameter template yang berisi baris baru."
            )
        expected = placeholders(str(getattr(texts, name)))
        used = placeholders(value)
        problems = []
        if expected - used:
            problems.append(f"isian yang hilang: {format_names(expected - used)}")
        if used - expected:
            problems.append(f"isian yang tidak dikenal: {format_names(used - expected)}")
        if problems:
            raise SettingValueError(
                "Teks harus memakai isian yang sama dengan teks bawaan "
                f"({format_names(expected) or 'tanpa isian'}); " + "; ".join(problems) + "."
            )
        return value

    return parse


def int_parser(minimum: int, maximum: int, *, optional: bool = False) -> Callable[[str], Any]:
    """A parser of whole numbers from ``minimum`` to ``maximum`` (empty allowed if optional)."""

    def parse(raw: str) -> int | None:
        value = raw.strip()
        if not value:
            if optional:
                return None
            raise SettingValueError("Isi dengan angka.")
        if not re.fullmatch(r"\d+", value):
            raise SettingValueError(f"Isi dengan bilangan bulat antara {minimum} dan {maximum}.")
        number = int(value)
        if not minimum <= number <= maximum:
            raise SettingValueError(f"Isi dengan bilangan bulat antara {minimum} dan {maximum}.")
        return number

    return parse


# English messages of lalisa.office.hours.parse_office_hours mapped to Bahasa Indonesia; the
# parser is shared with start-up validation, so it keeps its developer-facing English.
_OFFICE_HOURS_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^cannot read segment (?P<x>.+?); expected"),
        "Bagian {x} tidak dapat dibaca; tulis hari lalu jam, misalnya 'sen-kam 08:00-16:00'.",
    ),
    (
        re.compile(r"^cannot read time range (?P<x>.+?); expected"),
        "Rentang jam {x} tidak dapat dibaca; tulis JJ:MM-JJ:MM, misalnya 08:00-16:00.",
    ),
    (re.compile(r"^invalid time (?P<x>\S+) in"), "Jam {x} tidak ada; pakai 00:00 sampai 24:00."),
    (
        re.compile(r"^unknown day (?P<x>.+?) in"),
        "Hari {x} tidak dikenal; pakai sen, sel, rab, kam, jum, sab, min "
        "(atau mon … sun), misalnya sen-kam.",
    ),
    (
        re.compile(r"^day range (?P<x>.+?) runs backwards"),
        "Rentang hari {x} terbalik; tulis hari pertama lebih dulu, misalnya sen-kam.",
    ),
    (
        re.compile(r"^time range (?P<x>.+?) ends before it starts"),
        "Rentang jam {x} berakhir sebelum dimulai.",
    ),
    (re.compile(r"^overlapping time ranges in (?P<x>.+)$"), "Rentang jam bertumpuk di {x}."),
    (re.compile(r"^(?P<x>\w+) is listed twice"), "Hari {x} disebut lebih dari sekali."),
    (re.compile(r"^office hours open on no day"), "Jam kantor harus mencakup minimal satu hari."),
)


def office_hours_error(exc: ValueError) -> str:
    """Explain an office-hours parsing error in Bahasa Indonesia.

    Args:
        exc: The error raised by :func:`lalisa.office.hours.parse_office_hours`.

    Returns:
        A sentence for the superadmin.
    """
    message = str(exc)
    for pattern, template in _OFFICE_HOURS_ERRORS:
        match = pattern.search(message)
        if match is not None:
            return template.format(**match.groupdict())
    return f"Jam kantor tidak dapat dibaca ({message})."


def parse_office_hours_value(raw: str) -> str:
    """Office hours as typed, normalised and checked by the office-hours parser."""
    segments = (" ".join(part.split()) for part in re.split(r"[;\r\n]+", raw))
    value = "; ".join(segment for segment in segments if segment)
    if not value:
        raise SettingValueError("Jam kantor tidak boleh kosong.")
    if len(value) > 300:
        raise SettingValueError("Jam kantor terlalu panjang (maksimal 300 karakter).")
    try:
        parse_office_hours(value)
    except ValueError as exc:
        raise SettingValueError(office_hours_error(exc)) from exc
    return value


def parse_holidays(raw: str) -> list[str]:
    """Holiday dates (ISO, separated by spaces, commas or semicolons), sorted, unique."""
    days: set[date] = set()
    for item in re.split(r"[\s,;]+", raw):
        if not item:
            continue
        try:
            days.add(date.fromisoformat(item))
        except ValueError as exc:
            raise SettingValueError(
                f"Tanggal {item!r} tidak valid; tulis TTTT-BB-HH, misalnya 2026-12-24, "
                "satu tanggal per baris."
            ) from exc
    if len(days) > MAX_HOLIDAYS:
        raise SettingValueError(f"Terlalu banyak tanggal (maksimal {MAX_HOLIDAYS}).")
    return [day.isoformat() for day in sorted(days)]


def text_parser(*, required: bool, limit: int) -> Callable[[str], str]:
    """A parser of a short text (whitespace collapsed to single spaces), ``limit`` at most."""

    def parse(raw: str) -> str:
        value = " ".join(raw.split())
        if required and not value:
            raise SettingValueError("Isian ini tidak boleh kosong.")
        if len(value) > limit:
            raise SettingValueError(f"Terlalu panjang (maksimal {limit} karakter).")
        return value

    return parse


def parse_phone(raw: str) -> str:
    """A telephone number as people write it (empty allowed)."""
    value = " ".join(raw.split())
    if value and not re.fullmatch(r"\+?[0-9(][0-9 ()\-.]{4,30}", value):
        raise SettingValueError(
            "Nomor telepon hanya boleh berisi angka, spasi, tanda hubung, tanda kurung dan "
            "tanda + di depan, misalnya 0526-1234567. Kosongkan jika belum diketahui."
        )
    return value


def parse_template_name(raw: str) -> str:
    """A WhatsApp template name (lower case, digits, underscores)."""
    value = raw.strip()
    if not re.fullmatch(r"[a-z0-9_]{1,512}", value):
        raise SettingValueError(
            "Nama template hanya boleh huruf kecil, angka dan garis bawah (seperti di WhatsApp "
            "Manager), misalnya lalisa_status_laporan."
        )
    return value


def parse_language(raw: str) -> str:
    """A WhatsApp template language code (``id``, ``en_US``)."""
    value = raw.strip()
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", value):
        raise SettingValueError("Kode bahasa template tidak valid; untuk Bahasa Indonesia: id.")
    return value
