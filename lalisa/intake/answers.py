"""Interpreting the citizen's answers to the complaint form.

Plain functions, no Rasa: the form validation action calls these and turns the
results into slot values and responses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Answers that mean "I have nothing for this optional question".
_SKIP_ANSWERS = frozenset(
    {
        "-",
        "lewati",
        "lewat",
        "skip",
        "tidak",
        "tdk",
        "tidak ada",
        "tdk ada",
        "ga",
        "gak",
        "ga ada",
        "gak ada",
        "gk ada",
        "gaada",
        "gada",
        "nggak",
        "nggak ada",
        "enggak",
        "engga",
        "enggak ada",
        "ndak",
        "ndak ada",
        "kada",
        "kadada",
        "kada ada",
        "tidak tahu",
        "tidak tau",
        "ga tau",
        "gak tau",
        "gatau",
        "gk tau",
        "ndak tahu",
        "kada tahu",
        "kada tau",
        "lupa",
        "belum ada",
        "blm ada",
        "tidak usah",
        "ga usah",
        "gak usah",
        "nanti saja",
        "rahasia",
        "anonim",
        "tanpa nama",
        "no",
        "none",
        "kosong",
    }
)

# Text shown in the summary and stored when an optional answer was skipped.
SKIPPED = "-"

MIN_DESCRIPTION_WORDS = 3
MAX_DESCRIPTION_CHARS = 2000
MAX_NAME_CHARS = 80


def normalise(text: str) -> str:
    """Lower-cases, trims punctuation at the ends and collapses whitespace."""
    text = re.sub(r"\s+", " ", text.strip().lower())
    return text.strip(" .,!?;:")


def is_skip_answer(text: str | None) -> bool:
    """Tells whether an answer to an optional question means "skip".

    Args:
        text: The citizen's answer.

    Returns:
        True for answers such as "lewati", "tidak ada", "gak tau", "kadada".
    """
    if text is None:
        return False
    value = normalise(text)
    return value == "" or value in _SKIP_ANSWERS


def clean_description(text: str | None) -> str | None:
    """Returns the description to store, or None when it is too short to act on.

    The text is kept as plain text: it is never interpreted as markup anywhere.
    """
    if text is None:
        return None
    value = re.sub(r"[ \t]+", " ", text.strip())
    if len(re.findall(r"\w+", value)) < MIN_DESCRIPTION_WORDS:
        return None
    return value[:MAX_DESCRIPTION_CHARS]


def clean_name(text: str | None) -> str | None:
    """Returns the reporter name to store, :data:`SKIPPED`, or None when empty."""
    if text is None:
        return None
    if is_skip_answer(text):
        return SKIPPED
    value = re.sub(r"\s+", " ", text.strip())
    # Common lead-ins: "nama saya Budi", "ulun Ahmad".
    value = re.sub(
        r"^(nama\s+(saya|ulun|aku)\s+(adalah\s+)?|saya\s+|ulun\s+|aku\s+)", "", value, flags=re.I
    )
    value = value.strip(" .,!")
    return value[:MAX_NAME_CHARS] or None


@dataclass(frozen=True)
class ConfirmationAnswer:
    """What the citizen said at the summary step."""

    submit: bool = False
    change: bool = False
    field: str | None = None


_YES = frozenset(
    {
        "ya",
        "iya",
        "iyaa",
        "y",
        "yes",
        "ok",
        "oke",
        "okey",
        "okay",
        "benar",
        "betul",
        "sudah benar",
        "kirim",
        "kirimkan",
        "kirim laporan",
        "lanjut",
        "siap",
        "sip",
        "inggih",
        "iih",
        "bujur",
        "ya kirim",
        "ya benar",
        "sudah",
        "sdh",
    }
)
_CHANGE_WORDS = ("ubah", "ganti", "perbaiki", "koreksi", "salah", "edit", "revisi", "robah")

# Form slots a citizen can correct, by the words they use for them.
CORRECTABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "category": ("jenis", "kategori", "pelanggaran"),
    "description": ("kejadian", "cerita", "keterangan", "deskripsi", "isi"),
    "location": ("lokasi", "tempat", "alamat", "desa", "kecamatan"),
    "incident_time": ("waktu", "jam", "tanggal", "kapan"),
    "evidence": ("bukti", "foto", "video", "gambar"),
    "reporter_name": ("nama",),
}


def correction_field(text: str | None) -> str | None:
    """Maps "lokasi", "ubah foto", "nama saya salah" to the form slot to clear."""
    if not text:
        return None
    words = set(re.findall(r"\w+", text.lower()))
    for slot, keywords in CORRECTABLE_FIELDS.items():
        if words.intersection(keywords):
            return slot
    return None


def interpret_confirmation(text: str | None) -> ConfirmationAnswer | None:
    """Interprets a typed answer to "is this summary right?".

    Returns:
        ``submit=True`` for yes; ``change=True`` (with the field when one was
        named) for a correction; None when the answer is unclear.
    """
    if not text:
        return None
    value = normalise(text)
    if value in _YES:
        return ConfirmationAnswer(submit=True)
    if any(value.startswith(word) or f" {word}" in value for word in _CHANGE_WORDS):
        return ConfirmationAnswer(change=True, field=correction_field(value))
    field = correction_field(value)
    if field is not None:
        return ConfirmationAnswer(change=True, field=field)
    return None
