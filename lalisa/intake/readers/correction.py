"""Corrections of earlier answers and the answer to the summary.

"maaf salah, lokasinya di desa Halong", "ganti nama", "bukan Halong, Lok Batu": which field
(:func:`field_named`), the new value (:func:`read_correction`), and the confirmation of the
summary (:func:`read_confirmation`). Also :func:`place_text`, the place part of an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from lalisa.intake.answers import STRETCHED, slip_of
from lalisa.intake.readers.words import (
    FILLERS,
    NEGATIONS,
    _stem,
    is_payload,
    without_courtesy_lead,
    words,
)
from lalisa.intake.readers.yes_no import read_yes_no
from lalisa.intake.timeparse import is_time_phrase

MAX_PLACE_CHARS: Final = 300
_CHANGE_WORDS: Final = (
    "ubah", "rubah", "robah", "ganti", "perbaiki", "koreksi", "edit", "revisi", "ralat",
    "betulkan", "benarkan",
)  # fmt: skip

# The words of a change as typed right, for reading one typed with a phone slip ("mengbah",
# "gnti", "maubha"): the stems above with the affixes people put on them.
_CHANGE_FORMS: Final = frozenset(
    {
        "ubah", "rubah", "robah", "maubah", "mengubah", "merubah", "diubah", "ubahlah",
        "ganti", "diganti", "mengganti", "gantikan", "perbaiki", "diperbaiki", "koreksi",
        "dikoreksi", "revisi", "direvisi", "ralat", "diralat", "betulkan", "dibetulkan",
        "benarkan", "dibenarkan", "edit", "diedit",
    }
)  # fmt: skip
# Words one slip from a change word that are words of their own: "buah" is a fruit.
_NOT_CHANGE_SLIPS: Final = frozenset({"buah", "rubuh", "ganjil", "gantung"})
_MIN_CHANGE_SLIP_LETTERS: Final = 4


def _names_a_change(token: str) -> bool:
    """Whether a word asks for a change: "ubah", "diganti", or one typed with a slip."""
    return any(stem in token for stem in _CHANGE_WORDS) or (
        slip_of(token, _CHANGE_FORMS, keep=_NOT_CHANGE_SLIPS, min_letters=_MIN_CHANGE_SLIP_LETTERS)
        is not None
    )


# Form slots a citizen can name, by the words used for them ("lokasinya salah").
FIELD_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "category": ("jenis", "kategori", "pelanggaran", "jenisnya", "kategorinya"),
    "description": ("kejadian", "cerita", "keterangan", "deskripsi", "isi", "kronologi"),
    "location": (
        "lokasi", "tempat", "alamat", "desa", "kecamatan", "kelurahan", "kampung", "tkp",
        "daerah", "posisi", "tmpt", "tmpat",
    ),
    "incident_time": ("waktu", "jam", "tanggal", "tgl", "kapan", "hari", "pukul"),
    "evidence": ("bukti", "foto", "video", "gambar", "lampiran"),
    "reporter_name": ("nama", "pelapor"),
}  # fmt: skip

# "maaf", "eh", "ups" … before a correction.
# "mohon maaf" in a letter, "maap" in Banjar.
_APOLOGY_WORDS: Final = r"mohon\s+maaf|maaf|maap|mf|eh+|ups|oops|sorry|sori|aduh|astaga|waduh|oh"
# "eh sori min, …": the one addressed may follow the apology.
_ADDRESS_WORDS: Final = r"min|mimin|admin|kak|kakak|pak|bu|bapak|ibu|bang|mas|mbak|pian"
_APOLOGY_PATTERN: Final = rf"^(?:\W*(?:{_APOLOGY_WORDS})\b\W*(?:(?:{_ADDRESS_WORDS})\b\W*)?)*"
_CORRECTION_CUE = re.compile(
    _APOLOGY_PATTERN
    # "saya ralat", "ulun salah": the one who got it wrong may be named first.
    + r"(?:(?:(?:saya|sy|aku|ulun)\s+)?(?:salah|keliru|typo|ralat|koreksi)\b"
    r"|(?:yang|yg)\s+(?:benar|betul)(?:nya)?\b"
    r"|(?:se)?harusnya\b|(?:benar|betul)nya\b|maksud(?:nya|ku|\s+saya|\s+ulun)?\b"
    r"|bukan\b.*?\b(?:tapi|tetapi|melainkan)\b"
    # "sudah benar semua kecuali jamnya, …": everything is right but the field named.
    r"|(?:(?:sudah|udah|udh|dah|sdh)\s+)?(?:benar|bener|betul|banar|ok|oke|sesuai)\s+"
    r"(?:semua(?:nya)?\s+|sisanya\s+)?(?:kecuali|selain)\b)",
    re.I,
)
_APOLOGY = re.compile(_APOLOGY_PATTERN, re.I)
# "eh sori min, bukan Bata, di desa Mihu": an apology, then the denied answer and the new one
# after a comma (no "tapi"). Only after an apology: a story may start "bukan sekali, …".
_APOLOGISED_DENIAL = re.compile(
    rf"^(?:\W*(?:{_APOLOGY_WORDS})\b\W*(?:(?:{_ADDRESS_WORDS})\b\W*)?)+bukan\b[^,;.]*[,;]",
    re.I,
)
# A field named as the subject at the start, after an optional apology: "waktunya …",
# "eh maaf, lokasinya …", "namanya …".
_FIELD_LEAD = re.compile(
    _APOLOGY_PATTERN
    # "sama jenisnya …", "terus lokasinya …": a second change joined to the first.
    + r"(?:(?:sama|terus|trus|lalu|dan|juga|jg|satu\s+lagi)\s+)?"
    r"(?:(?:lokasi|tempat|alamat|waktu|jam|tanggal|hari|nama|jenis|kategori|kejadian)nya"
    # "maaf, nama lengkap saya …", "nama ulun …": the name given anew.
    r"|nama\s+(?:lengkap\s+)?(?:saya|sy|aku|ulun)|nama\s+lengkap(?:nya)?)\b",
    re.I,
)
# "bukan Tarangan tapi Lingsir", "Lingsir, bukan Tarangan": the denied value is not the new one.
_DENIED_THEN_NEW = re.compile(
    r"\bbukan\b.*?\b(?:tapi|tetapi|tp|melainkan|namun)\b\s*(?P<new>.+)$", re.I
)
_NEW_THEN_DENIED = re.compile(r"^(?P<new>.+?)[\s,;]+bukan\b.*$", re.I)
_DENIED_FIRST = re.compile(r"^bukan\s+[^,;]+[,;]\s*(?P<new>.+)$", re.I)
_OWN_NAME_LEAD = re.compile(
    r"^(?:lengkap(?:nya)?\s+)?(?:saya|sy|aku|ulun)?\s*(?:adalah|ialah)?\s*", re.I
)


def field_named(text: str) -> str | None:
    """The form field a citizen names: "lokasi", "ubah foto", "namanya salah".

    Args:
        text: The citizen's words.

    Returns:
        The slot name (``location``, ``incident_time`` …) or None.
    """
    # "jeenisnya", "deanya": a field word typed with a slip names the field all the same.
    stems = {_stem(token) for token in words(_with_cue_slips_repaired(text))}
    for slot, keywords in FIELD_WORDS.items():
        if stems.intersection(keywords):
            return slot
    return None


# Field nouns that are the subject of a correction, not part of the new value: "lokasinya"
# goes, "desa" in "di desa Halong" and "jam" in "jam 9" stay.
_FIELD_SUBJECTS: Final = frozenset(
    {
        "lokasi", "tempat", "alamat", "posisi", "tkp", "waktu", "kapan", "nama", "jenis",
        "kategori", "kejadian", "cerita", "keterangan", "bukti", "pelapor", "tmpt", "tmpat",
    }
)  # fmt: skip


_ALL_FIELD_WORDS: Final = frozenset(word for words in FIELD_WORDS.values() for word in words)


def strip_field_words(text: str) -> str:
    """Removes the field nouns from a change request, keeping the new value.

    "lokasinya di desa Halong" becomes "di desa Halong"; place and time words such as "desa"
    or "jam" stay, as they are part of the value.
    """
    kept = []
    for token in text.split():
        bare = re.sub(r"[^a-z]", "", token.lower())
        if _stem(bare) in _FIELD_SUBJECTS:
            continue
        if bare.endswith("nya") and _stem(bare) in _ALL_FIELD_WORDS:
            continue  # "jamnya jam 9", "desanya Halong"
        kept.append(token)
    return " ".join(kept)


@dataclass(frozen=True)
class Correction:
    """A correction of an earlier answer: "maaf salah, lokasinya di desa Halong".

    Attributes:
        field: The slot named ("location"), or None when only the new value was given.
        value: The rest of the message, the new value as typed ("di desa Halong"); empty
            when the citizen only said what is wrong ("lokasinya salah").
    """

    field: str | None
    value: str


_NEW_VALUE_CUE: Final = re.compile(
    r"\b(?:seharusnya|harusnya|mestinya|(?:yang|yg)\s+(?:benar|bener|betul|banar))\b\s*:?", re.I
)
# What people say about a name they gave before the right one: "kurang lengkap min, Rina
# Marlina", "salah ketik, Budiman".
_NAME_REMARK_WORDS: Final = frozenset(
    {"kurang", "lengkap", "singkat", "pendek", "kependekan", "typo", "ketik", "tulis", "keliru",
     "salah", "lengkapnya"}
)  # fmt: skip


# What people say about any wrong value before the right one: "kurang tepat, di desa Balang",
# "jamnya kurang, tadi malam jam 12". Only a clause made of these words alone is dropped.
_REMARK_WORDS: Final = frozenset(
    {"kurang", "tepat", "pas", "lengkap", "jelas", "sesuai", "benar", "bener", "betul", "salah",
     "keliru", "typo", "tidak", "tdk", "ga", "gak", "kada", "agak", "sedikit", "dikit", "itu",
     "tu", "juga", "jg", "min", "pak", "bu", "kak", "pian", "ya", "sih", "nih", "masih"}
)  # fmt: skip
_LEADING_CONNECTORS: Final = re.compile(
    r"^(?:(?:sama|terus|trus|lalu|dan|juga|jg|itu|tu)\b[\s,.:;!-]*)+", re.I
)
# An announced change without its value: "saya tambahkan sedikit", "mau diubah dikit".
_ANNOUNCE_WORDS: Final = frozenset(
    {"saya", "sy", "aku", "ulun", "mau", "ingin", "handak", "pengen", "tambah", "tambahkan",
     "ditambah", "ditambahkan", "tambahin", "ditambahin", "lengkapi", "dilengkapi", "lengkapin",
     "dilengkapin", "ubah", "diubah", "ganti", "diganti", "perbaiki", "diperbaiki", "edit",
     "diedit", "revisi", "direvisi", "sedikit", "dikit", "lagi", "juga", "jg", "dong", "ya",
     "min", "pak", "bu", "kak", "pian", "nya", "sekalian", "perlu", "mohon", "tolong", "bisa"}
)  # fmt: skip


def announces_change(text: str) -> bool:
    """Whether a correction's value only announces a change ("saya tambahkan sedikit")."""
    tokens = words(text)
    return bool(tokens) and all(t in _ANNOUNCE_WORDS for t in tokens)


def _without_remark(text: str, name: bool) -> str:
    """A corrected value without the remark on the old one before it ("kurang lengkap, Rina").

    Before a name, a clause with any remark word goes (no name holds one); before another
    value, only a clause of remark words alone ("kurang tepat, di desa Balang").
    """
    # A stop or comma ends a clause only before a space: "pukul 02.00" is one value.
    clauses = [c for c in re.split(r"[,.;:](?=\s|$)", text) if c.strip()]
    dropped = 0
    while len(clauses) > 1 and (
        any(t in _NAME_REMARK_WORDS for t in words(clauses[0]))
        if name
        else all(t in _REMARK_WORDS for t in words(clauses[0]))
    ):
        clauses.pop(0)
        dropped += 1
    if not dropped:
        return text
    return ",".join(clauses).strip(" ,.;:!-")


# The words that make a message a correction, as typed right. A word one phone slip from
# exactly one of them ("slah", "salh", "maksdnya", "lokasnya") is read as that word.
_CUE_WORDS: Final = frozenset(
    {
        "salah", "keliru", "ralat", "koreksi", "maksud", "maksudnya", "harusnya",
        "seharusnya", "benarnya", "betulnya", "lokasi", "lokasinya", "tempat", "tempatnya",
        "alamat", "alamatnya", "waktunya", "namanya",
        # The other fields named as the subject ("jeenisnya", "deanya", "kcamatannya",
        # "foonya"), and the words around a correction ("Mohhon maaf", "Suah benar semua
        # kecuali …", "bkan Bata, …").
        "jenisnya", "kategorinya", "kejadiannya", "ceritanya", "desanya", "kecamatannya",
        "kelurahannya", "jamnya", "tanggalnya", "fotonya", "buktinya", "videonya",
        "gambarnya", "pelapor", "kecamatan", "kelurahan", "kejadian", "mohon", "sudah",
        "kecuali", "bukan", "benar", "semua",
    }
)  # fmt: skip
# Words one slip from a cue word that are words of their own ("alah" is an exclamation,
# "tepat" is right, "salat" a prayer that dates an incident: "habis salat jumat").
_NOT_SLIPS: Final = frozenset(
    {"alah", "sala", "tempa", "maksa", "harus", "waktu", "nama", "tepat", "salam", "salat",
     "saleh", "salak", "rapat", "buka", "bukaan", "suda", "mohan", "desan", "semau", "bena"}
)  # fmt: skip
_MIN_CUE_SLIP_LETTERS: Final = 4


def _with_cue_slips_repaired(text: str) -> str:
    """``text`` with the correction words typed with one slip spelled right ("eh slah")."""

    def repair(match: re.Match[str]) -> str:
        token = match.group(0)
        meant = slip_of(
            # "foonyaaa": a held letter is squeezed before the slip is looked at.
            STRETCHED.sub(r"\1", token.lower()),
            _CUE_WORDS,
            keep=_NOT_SLIPS,
            min_letters=_MIN_CUE_SLIP_LETTERS,
            unique=True,
        )
        return meant or token

    return re.sub(r"[A-Za-z]+", repair, text)


def read_correction(text: str) -> Correction | None:
    """Recognises a correction of an earlier answer.

    Args:
        text: e.g. "maaf salah, lokasinya di desa Halong", "eh salah, jam 9 malam",
            "lokasinya salah", "bukan di Paringin tapi di Awayan".

    Returns:
        The correction, or None when the text carries no correction cue.
    """
    if not text or is_payload(text):
        return None
    stripped = _with_cue_slips_repaired(text.strip())
    cue = _CORRECTION_CUE.match(stripped) or _APOLOGISED_DENIAL.match(stripped)
    field = field_named(stripped)
    tokens = words(stripped)
    says_wrong = any(t in {"salah", "keliru", "ralat", "koreksi"} for t in tokens)
    if cue is None:
        lead = _FIELD_LEAD.match(stripped)
        if lead is not None:
            # "eh maaf, waktunya setiap pagi": an earlier answer named and given anew.
            cue = _APOLOGY.match(stripped)
        elif not (field is not None and says_wrong):
            return None
    rest = stripped[cue.end() :] if cue is not None else stripped
    rest = re.sub(r"\b(?:salah|keliru|ralat|koreksi)\b", " ", rest, flags=re.I)
    # "salah min, bukan Tariwin …": a form of address is not part of the new value.
    rest = _LEADING_PARTICLES.sub("", rest)
    rest = strip_field_words(rest)
    rest = re.sub(
        r"^[\s,.:;!-]*(?:(?:nya|harusnya|seharusnya|yang benar|yg benar"
        r"|maksud(?:nya|ku|\s+saya|\s+ulun)?)\b)?\s*",
        "",
        rest,
    )
    # "sama jenisnya itu …", "lokasinya jg salah, …": joining words are not the new value.
    rest = _LEADING_CONNECTORS.sub("", rest)
    # "namanya diganti (jadi) Siti": the verb of changing is not part of the new value.
    rest = re.sub(
        # "ke" only as a word: "kemarin sore" keeps its "ke".
        r"^(?:(?:tolong|mohon|tlg)\s+)?(?:\w*(?:ubah|ganti|perbaiki|koreksi|ralat)\w*[\s,.:;!-]+)?"
        r"(?:(?:jadi|menjadi|ke|dengan)\b|:)?\s*",
        "",
        rest,
        flags=re.I,
    )
    rest = re.sub(r"\s+", " ", rest).strip(" ,.;:!-")
    # "terlalu singkat. Yang benar Budiman Saputra": the new value follows its cue, even
    # after a remark on the old one.
    cued = _NEW_VALUE_CUE.split(rest)
    if len(cued) > 1 and cued[-1].strip(" ,.;:!-"):
        rest = cued[-1].strip(" ,.;:!-")
    # "jamnya kurang, tadi malam jam 12": the remark on the old value is not the new one.
    rest = _without_remark(rest, field == "reporter_name")
    if field == "reporter_name":
        rest = _OWN_NAME_LEAD.sub("", rest, count=1)
    if announces_change(rest):
        # "Kejadiannya juga saya tambahkan sedikit.": the change is announced; the new value
        # comes when the field is asked again.
        rest = ""
    value = without_denied(rest)
    if field == "description" and value and is_time_phrase(value):
        # "kejadiannya malam Minggu kemarin": the incident's time, not its story.
        field = "incident_time"
    return Correction(field=field, value=value)


_LEADING_PARTICLES: Final = re.compile(
    r"^(?:[\s,.:;!-]*\b(?:"
    + "|".join(sorted(FILLERS, key=len, reverse=True))
    + r")\b)+[\s,.:;!-]*",
    re.I,
)


def without_denied(text: str) -> str:
    """The new value of a correction without the value it denies.

    "bukan tadi sanja tapi tadi baisukan" is "tadi baisukan"; "Lingsir, bukan Tarangan" is
    "Lingsir"; "bukan Tarangan, Lingsir" is "Lingsir". A text without "bukan" is unchanged.
    """
    for pattern in (_DENIED_THEN_NEW, _DENIED_FIRST, _NEW_THEN_DENIED):
        match = pattern.search(text)
        if match is not None and match.group("new").strip(" ,.;:!-"):
            return match.group("new").strip(" ,.;:!-")
    return text


def place_text(text: str) -> str:
    """The location as it will be stored: the citizen's words without correction lead-ins.

    "maaf salah, lokasinya di depan pasar Halong" is kept as "di depan pasar Halong"; the
    landmark ("dekat jembatan", "depan pasar") stays, because it is what the officer needs.
    """
    text = without_courtesy_lead(text)
    correction = read_correction(text)
    value = correction.value if correction is not None and correction.value else text
    value = re.sub(r"^\s*(?:lokasi|lokasinya|tempatnya|tempat|alamatnya|alamat)\b\s*:?", "", value)
    return re.sub(r"\s+", " ", value).strip(" ,.;:!")[:MAX_PLACE_CHARS]


ConfirmationKind = Literal["submit", "change"]


@dataclass(frozen=True)
class ConfirmationReading:
    """What the citizen said at the summary.

    Attributes:
        kind: ``submit`` or ``change``.
        field: For a change: the slot to correct, when named.
        value: For a change: the new value, when typed in the same message
            ("lokasinya di desa Halong").
    """

    kind: ConfirmationKind
    field: str | None = None
    value: str = ""


def read_confirmation(text: str) -> ConfirmationReading | None:
    """Reads an answer to "is this report right and ready to send?".

    Args:
        text: e.g. "ya", "inggih", "au kirim", "ubah", "lokasinya salah",
            "maaf salah, jamnya jam 9 malam", "kada".

    Returns:
        The reading, or None when the answer is neither a yes nor a change.
    """
    if not text or is_payload(text):
        return None
    tokens = words(text)
    correction = read_correction(text)
    if correction is not None:
        return ConfirmationReading("change", correction.field, correction.value)
    if any(_names_a_change(token) for token in tokens):
        field = field_named(text)
        value = ""
        if field is not None:
            after = re.split(r"\b(?:jadi|menjadi|ke)\b", text, maxsplit=1, flags=re.I)
            value = after[1].strip(" ,.:") if len(after) > 1 else ""
        return ConfirmationReading("change", field, value)
    answer = read_yes_no(text)
    if answer == "yes":
        return ConfirmationReading("submit")
    if answer == "no":
        return ConfirmationReading("change", field_named(text), _value_part(text))
    field = field_named(text)
    if field is not None and len(tokens) <= 3:
        return ConfirmationReading("change", field, _value_part(text))
    return None


def _value_part(text: str) -> str:
    """The new value in "tidak, lokasinya di desa Halong": what follows "no" and the field."""
    parts = text.split()
    while parts and re.sub(r"[^a-z]", "", parts[0].lower()) in (
        NEGATIONS | FILLERS | {"salah", "keliru"}
    ):
        parts.pop(0)
    return strip_field_words(" ".join(parts)).strip(" ,.;:!-")
