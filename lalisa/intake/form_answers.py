# Size: over the ~600-line guideline: the form's answer readers (names, yes/no, refusals,
# corrections, places, cancelling, the complaint signal) with the word lists they match
# (Indonesian, slang, Banjar), kept side by side so their overlaps stay visible.
"""Reading one answer to one question of the complaint form, the way people type on WhatsApp.

Plain functions over text (no Rasa): each reader says whether the citizen's text answers a
particular question and with which value, in Indonesian, WhatsApp slang and Banjar Hulu
("kadada foto", "anonim", "inggih", "au", "jadi ai", "maaf salah, lokasinya di desa Halong").
A reader that cannot find an answer returns ``None``; the form then decides whether the
message was a question of its own (a digression) or a miss.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from lalisa.intake.answers import SKIPPED, STRETCHED, is_skip_answer
from lalisa.intake.readers.evidence import asks_if_required
from lalisa.intake.readers.words import (
    FILLERS,
    NEGATIONS,
    _content,
    _stem,
    is_payload,
    looks_like_question,
    slip_repairs,
    story_words,
    without_courtesy_lead,
    words,
)
from lalisa.intake.readers.yes_no import _YES_PHRASES, read_yes_no, reads_cancel
from lalisa.intake.timeparse import is_time_phrase

MAX_PLACE_CHARS: Final = 300
MAX_NAME_WORDS: Final = 4
MAX_LONG_NAME_WORDS: Final = 6
"""A name typed with capitals may have this many words."""
_NAME_PARTICLES: Final = frozenset({"bin", "binti", "al", "el", "van", "de"})

_NAME_REFUSAL_WORDS: Final = frozenset(
    {
        "anonim", "anonymous", "anon", "anonym", "rahasia", "rahasiakan", "dirahasiakan",
        "privasi", "privacy", "sembunyikan", "disembunyikan", "samarkan", "disamarkan",
        "lewati", "lewat", "skip", "-",
    }
)  # fmt: skip
_NAME_REFUSAL_VERB = re.compile(
    r"(?:di)?(?:rahasia|anonim|samar|sembunyi)(?:kan|ken|in)?(?:lah|nya)?"
)
MIN_SLIP_REPAIR_LETTERS: Final = 6
"""A refusal word typed with a slip is recognised only when the word has this many letters:
"anonm", "rahhasia", "rahasiin" are refusals; "Samara" is a name, not a slip of "samar"."""


def _slipped_refusal(token: str) -> bool:
    """A refusal word typed with one slip ("anonm haja", "rahhasia min")."""
    if len(token) < MIN_SLIP_REPAIR_LETTERS - 1 or token in FILLERS:
        return False
    return any(
        len(word) >= MIN_SLIP_REPAIR_LETTERS
        and (word in _NAME_REFUSAL_WORDS or _NAME_REFUSAL_VERB.fullmatch(word) is not None)
        for word in slip_repairs(token)
    )


# At the name question only: fear of being known ("takut ketahuan") means no name. Not a
# name change at the summary, where "takut" may be about the incident.
_NAME_FEAR_WORDS: Final = frozenset({"takut", "tatakutan", "ketahuan", "katahuan"})
# Words that follow a negation in a refusal to give a name: "kada usah", "jangan disebut".
_NAME_REFUSAL_CONTEXT: Final = frozenset(
    {
        "usah", "perlu", "mau", "handak", "disebut", "sebut", "disebutkan", "sebutkan", "disabut",
        "menyebutkan", "nama", "namanya", "saya", "ulun", "aku", "sy", "dikasih", "kasih",
        "kasi", "dikasi", "ditulis", "tulis", "dicantumkan", "cantumkan", "dulu", "pakai",
        "pake", "ada", "bisa", "boleh", "ingin", "pengen", "dicatat", "catat",
    }
)  # fmt: skip
# "nama" in Indonesian, "ngaran" in Banjar.
_NAME_WORDS: Final = frozenset(
    {"nama", "namaku", "namanya", "nm", "ngaran", "ngaranku", "ngaran ulun", "identitas"}
)
_NAME_REFUSAL_PHRASES: Final = (
    "hamba allah",
    "hamba tuhan",
    "tanpa nama",
    "warga",
    "warga sekitar",
    "warga biasa",
    "masyarakat",
    "masyarakat umum",
    "pelapor",
    "seseorang",
)
# Which name is meant: a question about them ("nama asli?") asks, it does not refuse.
_NAME_KIND_WORDS: Final = frozenset(
    {"asli", "lengkap", "ktp", "sesuai", "panggilan", "samaran", "inisial", "beneran"}
)
# Lead-ins before a name: "nama saya Budi", "ulun Ahmad", "panggil aja Rina".
_NAME_LEAD_IN = re.compile(
    r"^(?:(?:nama|nm|ngaran)\s*(?:saya|sy|ku|aku|ulun|gue|gw)?\s*(?:adalah|ialah|yaitu)?|"
    r"namaku|panggil\s+(?:saja|aja|ja)|saya|sy|ulun|aku|gue|gw|dengan|dgn)\s+",
    re.I,
)
_NAME_YES_LEAD = re.compile(
    r"^(?:inggih|iih|iya+|iye|ya|yes|au|ok|oke|okey|baik|boleh|siap|bisa)\b"
    r"(?:\s*[,.!]+\s*(?=\S)|\s+(?=(?:nama|nm|ngaran|namaku|saya|sy|ulun|aku|gue|gw)\s))",
    re.I,
)
"""A yes before the name ("Inggih, ulun Utuh"): the citizen agrees, then names themself."""
_CANCEL_WORD = re.compile(r"(?:di)?batal(?:kan|in|ken)?(?:lah|aja|ja)?|cancel")
"""Any form of "cancel" ("batal", "batalkan", "batalin", "cancel")."""
# Words that never appear in a person's name given as an answer.
_NOT_NAME_WORDS: Final = frozenset(
    {
        "ada", "apa", "apakah", "kapan", "dimana", "mana", "gimana", "bagaimana", "kenapa",
        "mengapa", "siapa", "berapa", "brp", "bisa", "boleh", "mau", "ingin", "tolong",
        "lapor", "laporan", "melapor", "foto", "video", "lokasi", "di", "ke", "dari", "yang",
        "yg", "dan", "atau", "tapi", "sudah", "udah", "belum", "lagi", "sedang", "itu", "ini",
        "halo", "hallo", "hai", "hi", "hello", "assalamualaikum", "salam", "selamat", "pagi",
        "siang", "sore", "malam", "terima", "kasih", "makasih", "thanks", "ok", "oke", "ya",
        "iya", "tidak", "gak", "ga", "kada", "batal", "status", "petugas", "admin", "jam",
        "kantor", "rahasia", "anonim", "aman", "identitas", "nomor", "hp", "wa", "whatsapp",
        "kok", "nanti", "dulu", "sebentar", "bentar", "tunggu", "ubah", "ganti",
        "salah", "benar", "betul", "kirim", "lewati", "skip", "jangan", "jgn", "disebut",
        "ngaran", "namaku", "nama", "inisial", "pakai", "pake", "tulis", "maaf", "mohon",
        "maap", "koreksi", "ralat",
    }
)  # fmt: skip

# Particles that may follow a name given as an answer ("Nor aja", "fitri ya min").
_TRAILING_PARTICLES: Final = frozenset(
    {
        "aja", "saja", "haja", "ja", "min", "kak", "ya", "yah", "yaa", "pak", "bu", "pian",
        "nah", "deh", "dong", "ok", "oke", "gan", "sis", "ai", "pang", "kah",
    }
)  # fmt: skip
_CHANGE_WORDS: Final = (
    "ubah", "rubah", "robah", "ganti", "perbaiki", "koreksi", "edit", "revisi", "ralat",
    "betulkan", "benarkan",
)  # fmt: skip

# Form slots a citizen can name, by the words used for them ("lokasinya salah").
FIELD_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "category": ("jenis", "kategori", "pelanggaran", "jenisnya", "kategorinya"),
    "description": ("kejadian", "cerita", "keterangan", "deskripsi", "isi", "kronologi"),
    "location": (
        "lokasi", "tempat", "alamat", "desa", "kecamatan", "kelurahan", "kampung", "tkp",
        "daerah", "posisi",
    ),
    "incident_time": ("waktu", "jam", "tanggal", "tgl", "kapan", "hari", "pukul"),
    "evidence": ("bukti", "foto", "video", "gambar", "lampiran"),
    "reporter_name": ("nama", "pelapor"),
}  # fmt: skip

# "maaf", "eh", "ups" … before a correction.
# "mohon maaf" in a letter, "maap" in Banjar.
_APOLOGY_PATTERN: Final = (
    r"^(?:\W*(?:mohon\s+maaf|maaf|maap|mf|eh+|ups|oops|sorry|sori|aduh|astaga|waduh|oh)\b\W*)*"
)
_CORRECTION_CUE = re.compile(
    _APOLOGY_PATTERN
    # "saya ralat", "ulun salah": the one who got it wrong may be named first.
    + r"(?:(?:(?:saya|sy|aku|ulun)\s+)?(?:salah|keliru|typo|ralat|koreksi)\b"
    r"|(?:yang|yg)\s+(?:benar|betul)(?:nya)?\b"
    r"|(?:se)?harusnya\b|(?:benar|betul)nya\b|maksud(?:nya|ku|\s+saya|\s+ulun)?\b"
    r"|bukan\b.*?\b(?:tapi|tetapi|melainkan)\b)",
    re.I,
)
_APOLOGY = re.compile(_APOLOGY_PATTERN, re.I)
# A field named as the subject at the start, after an optional apology: "waktunya …",
# "eh maaf, lokasinya …", "namanya …".
_FIELD_LEAD = re.compile(
    _APOLOGY_PATTERN
    + r"(?:(?:lokasi|tempat|alamat|waktu|jam|tanggal|hari|nama|jenis|kategori|kejadian)nya"
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


@dataclass(frozen=True)
class NameAnswer:
    """An answer to "what is your name?": a name, or :data:`SKIPPED` when refused."""

    name: str

    @property
    def refused(self) -> bool:
        """Whether the citizen prefers not to give a name."""
        return self.name == SKIPPED


def refuses_name(text: str) -> bool:
    """Tells whether an answer to "what is your name?" refuses to give one.

    Args:
        text: e.g. "anonim", "rahasia", "kada usah", "jangan disebut", "no", "hamba Allah".

    Returns:
        True for refusals.
    """
    if is_skip_answer(text):
        return True
    tokens = _content(words(text))
    if not tokens:
        return False
    if any(_CANCEL_WORD.fullmatch(t) for t in tokens) or (
        reads_cancel(text) and not any(t in _NAME_WORDS for t in tokens)
    ):
        # "kada jadi ai, batal haja", "ga jadi lapor deh": the citizen drops the report (the
        # form asks first), which is not a refusal to give a name ("ga jadi pakai nama" is).
        return False
    if any(t in _NAME_REFUSAL_WORDS or t in _NAME_FEAR_WORDS for t in tokens):
        return True
    if any(_NAME_REFUSAL_VERB.fullmatch(t) for t in tokens):
        # "rahasiain", "dirahasiakan dong", "anonimkan", "disamarin": any form of the verb.
        return True
    if any(_slipped_refusal(t) for t in tokens):
        # "anonm haja", "rahhasia min": typed on a phone, still a refusal, not a name.
        return True
    if " ".join(tokens) in _NAME_REFUSAL_PHRASES:
        return True
    if asks_if_required(text) or (
        looks_like_question(text) and any(t in _NAME_KIND_WORDS for t in tokens)
    ):
        # "hrs nama asli ga min?", "ga harus nama lengkap kan?": a question about the name
        # asked, answered by the step's help (a nickname or no name at all is fine).
        return False
    if "tanpa" in tokens and any(t in _NAME_WORDS for t in tokens):
        # "tanpa nama boleh?", "lapor tanpa nama aja": no name.
        return True
    if tokens[0] in NEGATIONS:
        # No one's name starts with "jangan"/"kada"/"tidak": "jgn disebut namaku",
        # "jangan disabut ngaran ulun".
        return True
    return any(t in NEGATIONS for t in tokens) and any(t in _NAME_WORDS for t in tokens)


def read_name(text: str) -> NameAnswer | None:
    """Reads an answer to "what is your name?".

    Args:
        text: e.g. "Budi", "nama saya Siti Aminah", "ulun Ahmad", "anonim".

    Returns:
        The name (lead-ins removed, capitalised when typed in lower case), a refusal
        (``name == "-"``), or None when the text does not look like a name at all
        (a question, a sentence, a greeting).
    """
    if not text or is_payload(text):
        return None
    if refuses_name(text):
        return NameAnswer(SKIPPED)
    if looks_like_question(text):
        return None
    if " ".join(words(text)) in _YES_PHRASES:
        # "siap", "ok", "inggih", "sip": the citizen acknowledges the question, no name yet.
        return None
    if _CORRECTION_CUE.match(text):
        # "eh salah, nama saya Budi" gives the name anew; "Mohon maaf, koreksi: bukan malam
        # Minggu, tetapi malam Sabtu" corrects another answer and holds no name.
        correction = read_correction(text)
        if correction is None or correction.field != "reporter_name" or not correction.value:
            return None
        return read_name(correction.value)
    value = re.sub(r"\s+", " ", text.strip())
    # "Inggih, ulun Utuh" / "iya, nama saya Rina": the yes to the question is not the name.
    value = _NAME_YES_LEAD.sub("", value, count=1) or value
    # "maaf, nama saya Budi": the apology is no part of the name.
    value = _APOLOGY.sub("", value, count=1)
    value = _NAME_LEAD_IN.sub("", value, count=1)
    # "Budi, warga Paringin" / "Budi dari desa X": the name is the part before.
    value = re.split(r",|;|\s+(?:dari|warga|di|asal)\s+", value, maxsplit=1, flags=re.I)[0]
    # "Fitri 🙏", "Nor aja", "Rina kak": emoji and particles after the name are not part of it.
    value = re.sub(r"[^\w\s.'\-,;]", " ", value)
    value = value.strip(" .!-")
    parts = value.split()
    # "Rina minnn": a particle with a held letter is still a particle.
    while len(parts) > 1 and STRETCHED.sub(r"\1", parts[-1].lower()) in _TRAILING_PARTICLES:
        parts.pop()
    if len(parts) == 1 and parts[0].lower() in _TRAILING_PARTICLES:
        return None
    value = " ".join(parts)
    capitalised = all(p[0].isupper() or p.lower() in _NAME_PARTICLES for p in parts)
    # A long name is written as one ("Muhammad Arsyad Al Banjari bin Abdullah"); a sentence
    # of as many words is not.
    if not 1 <= len(parts) <= (MAX_LONG_NAME_WORDS if capitalised else MAX_NAME_WORDS):
        return None
    if not all(re.fullmatch(r"[A-Za-z][A-Za-z.'\-]*", part) for part in parts):
        return None
    if any(part.lower().strip(".") in _NOT_NAME_WORDS for part in parts):
        return None
    if any(_CANCEL_WORD.fullmatch(part.lower()) for part in parts):
        return None
    if len(value.replace(" ", "")) < 2:
        return None
    return NameAnswer(value.title() if value.islower() else value)


def field_named(text: str) -> str | None:
    """The form field a citizen names: "lokasi", "ubah foto", "namanya salah".

    Args:
        text: The citizen's words.

    Returns:
        The slot name (``location``, ``incident_time`` …) or None.
    """
    stems = {_stem(token) for token in words(text)}
    for slot, keywords in FIELD_WORDS.items():
        if stems.intersection(keywords):
            return slot
    return None


# Field nouns that are the subject of a correction, not part of the new value: "lokasinya"
# goes, "desa" in "di desa Halong" and "jam" in "jam 9" stay.
_FIELD_SUBJECTS: Final = frozenset(
    {
        "lokasi", "tempat", "alamat", "posisi", "tkp", "waktu", "kapan", "nama", "jenis",
        "kategori", "kejadian", "cerita", "keterangan", "bukti", "pelapor",
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


def _without_name_remark(text: str) -> str:
    """A corrected name without the remark on the old one before it ("kurang lengkap, Rina")."""
    clauses = [c for c in re.split(r"[,.;:]", text) if c.strip()]
    while len(clauses) > 1 and any(t in _NAME_REMARK_WORDS for t in words(clauses[0])):
        clauses.pop(0)
    return ",".join(clauses).strip(" ,.;:!-") if clauses else text


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
    stripped = text.strip()
    cue = _CORRECTION_CUE.match(stripped)
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
        r"^[\s,.:;!-]*(?:(?:nya|harusnya|seharusnya|yang benar|yg benar)\b)?\s*", "", rest
    )
    # "namanya diganti (jadi) Siti": the verb of changing is not part of the new value.
    rest = re.sub(
        # "ke" only as a word: "kemarin sore" keeps its "ke".
        r"^(?:\w*(?:ubah|ganti|perbaiki|koreksi|ralat)\w*\s+)?"
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
    if field == "reporter_name":
        rest = _without_name_remark(rest)
        rest = _OWN_NAME_LEAD.sub("", rest, count=1)
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
# "nama saya Abdul Hakim", "tulis saja nama saya: Abdul Hakim", "pakai nama ulun, Ijai".
_NAME_GIVEN = re.compile(
    r"\b(?:nama|nm|ngaran)\s*(?:saya|sy|aku|ku|ulun)\s*(?:adalah|ialah|yaitu|aja|saja|haja|ja)?"
    r"\s*[:,-]?\s*(?P<name>[A-Za-z][^,;!?]*)$",
    re.I,
)


def read_name_change(text: str) -> NameAnswer | None:
    """A reporter who changes their mind about their name after answering it.

    "tulis saja nama saya: Abdul Hakim" gives the name; "jangan pake nama sy, anonim aja"
    takes it back. Only a message that speaks of the name (or anonymity) counts; a bare
    "Budi" at the summary is not a name change.

    Returns:
        The new name, a refusal (``name == "-"``), or None when the text is not about the name.
    """
    if not text or is_payload(text) or looks_like_question(text):
        return None
    given = _NAME_GIVEN.search(text.strip().rstrip("."))
    if given is not None:
        name = read_name(given.group("name"))
        if name is not None and not name.refused:
            return name
    tokens = words(text)
    about_name = any(t in _NAME_WORDS or t in _NAME_REFUSAL_WORDS for t in tokens)
    if about_name and refuses_name(text):
        return NameAnswer(SKIPPED)
    return None


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
    if any(stem in token for token in tokens for stem in _CHANGE_WORDS):
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


COMPLAINT_INTENT_CONFIDENCE: Final = 0.7
"""A ``report_complaint`` below this intent confidence is a weak signal."""
COMPLAINT_CATEGORY_CONFIDENCE: Final = 0.3
"""A category at least this probable makes a message read as a complaint."""
COMPLAINT_GATE_CONFIDENCE: Final = 0.5
"""A complaint-gate probability below this is a weak signal (lalisa_rasa.nlu.complaint_gate
demotes below 0.25; between the two the citizen is asked first)."""

# Words of someone who says outright that they are reporting: these outweigh a doubtful gate.
_REPORTING_VERBS = re.compile(
    r"\b(lapor|melapor|melaporkan|laporkan|lapur|malapor|mengadu|adukan|aduan|pengaduan"
    # Spoken Jakarta-style forms: "mau ngelapor", "tolong laporin", "ngadu".
    r"|ngelapor|nglapor|ngelaporin|laporin|dilaporin|ngadu|ngaduin"
    r"|bapadah|komplain|komplen|tertibkan|ditertibkan|menertibkan|tindak|ditindak|razia"
    r"|dirazia|satpol)\b",
    re.I,
)

# Words before a reporting word that make it the name of someone's complaint service, asked
# for, not a report made: "nomor pengaduan PLN", "layanan aduan PDAM", "kamana bapadah?".
_SERVICE_LEAD = re.compile(
    r"\b(?:nomor|nomer|nmr|no|kontak|layanan|pusat|call\s*center|hotline|alamat|tempat"
    r"|kemana|kamana|ke\s+mana|ka\s+mana|dimana|di\s+mana|siapa)\s+(?:\w+\s+)?$",
    re.I,
)


def says_reporting(text: str) -> bool:
    """Whether the citizen says outright that they are reporting ("mau lapor", "bapadah").

    A reporting word that names another service asked for ("Mohon info nomor pengaduan PLN",
    "kamana bapadah banyu mati?") says nothing of a report to Satpol PP.
    """
    return any(
        not _SERVICE_LEAD.search(text[: match.start()]) for match in _REPORTING_VERBS.finditer(text)
    )


# Words of someone who means to report: "mau lapor", "tolong ditertibkan", "aduan".
_REPORT_WORDS = re.compile(
    r"\b(lapor|melapor|melaporkan|laporkan|laporan|lapur|mengadu|adukan|aduan|pengaduan"
    r"|ngelapor|nglapor|ngelaporin|laporin|dilaporin|ngadu|ngaduin"
    r"|komplain|komplen|tertibkan|ditertibkan|menertibkan|penertiban|tindak|ditindak"
    r"|tindaklanjuti|razia|dirazia|satpol|bubarkan|dibubarkan|resahkan|meresahkan|mengganggu"
    # Words of a public-order problem, not of a review or a private matter.
    r"|ganggu|terganggu|ilegal|liar|berisik|brisik|bising|bahaya|berbahaya|membahayakan|izin"
    r"|izinnya|sembarangan|dilarang|terlarang|melanggar|pelanggaran|resah|meresahkan)\b",
    re.I,
)

Signal = Literal["strong", "weak"]

# Words of feeling and emphasis: a line made only of them vents ("kesel bgt sumpah", "hadeh
# parah banar"), it tells no incident to report.
_VENTING_WORDS: Final = frozenset(
    {
        "kesel", "kesal", "kzl", "sebel", "sebal", "jengkel", "jangkel", "marah", "emosi",
        "geram", "muak", "kecewa", "sedih", "capek", "cape", "lelah", "bete", "bt",
        "pusing", "stres", "stress", "sakit", "hati", "sumpah", "demi", "parah", "gila",
        "gokil", "anjir", "anjay", "astaga", "astagfirullah", "astaghfirullah", "ya", "allah",
        "masya", "masyaallah", "hadeh", "hadeuh", "haduh", "aduh", "duh", "wkwk", "wkwkwk",
        "haha", "hehe", "huft", "hufft", "bgt", "banget", "bngt", "bener", "benar", "banar",
        "sangat", "sekali", "amat", "asli", "pol", "kacau", "ampun", "beh", "buset", "anjrit",
        "sial", "sialan", "nyebelin", "menyebalkan", "ngeselin", "menjengkelkan", "bikin",
        "pang", "lah", "ai", "ni", "nih", "tu", "tuh", "jadi", "aku", "gue", "gw", "hari",
        "ini", "rasanya", "rasa", "kayanya", "kaya", "kayak", "mood", "males", "malas",
    }
)  # fmt: skip
# Courtesy words of an opening line: "Mohon maaf mengganggu waktunya", "izin bertanya sebentar".
_COURTESY_WORDS: Final = frozenset(
    {
        "waktunya", "waktu", "sebentar", "bentar", "sejenak", "ganggu", "mengganggu",
        "menganggu", "ngganggu", "nanya", "bertanya", "tanya", "numpang", "sehat", "kabar",
        "semoga", "selalu", "bapak", "ibu", "pian", "sekalian", "semua", "apa", "sudah",
        "udah", "udh", "sdh", "sarapan", "makan", "ngopi", "baik", "gimana", "bagaimana",
    }
)  # fmt: skip


def tells_no_incident(text: str) -> bool:
    """Whether a message says nothing that happened: only greetings, courtesy or feelings.

    "kesel bgt sumpah", "Mohon maaf mengganggu waktunya.", "hadeh parah banar" tell no
    incident; "berisik bgt tiap malam" does (``berisik``, ``malam``).

    Args:
        text: The message.

    Returns:
        True when no word of it tells what happened.
    """
    return not [
        t
        for t in story_words(text)
        if t not in _VENTING_WORDS and t not in _COURTESY_WORDS and t not in NEGATIONS
    ]


def complaint_signal(
    text: str,
    *,
    intent_confidence: float,
    category_confidence: float | None,
    gate_confidence: float | None = None,
    with_media: bool = False,
) -> Signal:
    """How clearly a message classified as ``report_complaint`` is a complaint.

    A weak signal makes the assistant ask "do you want to report a violation?" before it
    starts the form, so that a hotel review or a piece of news does not open a report.

    Args:
        text: The message (a button payload is always a clear signal).
        intent_confidence: The confidence of ``report_complaint``.
        category_confidence: The category's probability when the classifier found one, None
            when it found none, 1.0 for a category chosen with a button.
        gate_confidence: The complaint gate's probability that the message is a complaint
            (``complaint_gate.confidence`` of the parse), None when the parse has none.
        with_media: The citizen sent a photo/video first, kept for the next report, and was
            asked to tell what happened: the story that follows is that report.

    Returns:
        ``strong`` or ``weak``.
    """
    if is_payload(text):
        return "strong"
    if intent_confidence < COMPLAINT_INTENT_CONFIDENCE or (
        tells_no_incident(text) and not says_reporting(text)
    ):
        # A line of feeling or courtesy ("kesel bgt sumpah", "Mohon maaf mengganggu
        # waktunya.") starts nothing, however sure the NLU is: ask first.
        return "weak"
    if with_media:
        return "strong"
    if (
        gate_confidence is not None
        and gate_confidence < COMPLAINT_GATE_CONFIDENCE
        and not says_reporting(text)
    ):
        # DIET is sure but the model trained on real off-topic text doubts it (a review that
        # says "kotor", "parkir", "bau"): ask rather than start the form.
        return "weak"
    if _REPORT_WORDS.search(text):
        return "strong"
    if category_confidence is not None and category_confidence >= COMPLAINT_CATEGORY_CONFIDENCE:
        return "strong"
    return "weak"
