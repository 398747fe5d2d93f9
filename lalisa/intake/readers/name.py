"""The reporter's name: a name given, a name refused ("anonim", "kada usah"), a name changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from lalisa.intake.answers import SKIPPED, STRETCHED, is_skip_answer, slip_of, slip_repairs
from lalisa.intake.readers.correction import _APOLOGY, _CORRECTION_CUE, read_correction
from lalisa.intake.readers.evidence import asks_if_required
from lalisa.intake.readers.words import (
    FILLERS,
    NEGATIONS,
    _content,
    is_payload,
    looks_like_question,
    words,
)
from lalisa.intake.readers.yes_no import _YES_PHRASES, reads_cancel

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
    # Banjar puts "-akan" where Indonesian has "-kan": "rahasiaakan", "disambunyiakan".
    r"(?:di)?(?:rahasia|anonim|samar|sembunyi|sambunyi)(?:kan|ken|in|akan)?(?:lah|nya)?"
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
# "nama" in Indonesian, "ngaran" in Banjar.
_NAME_WORDS: Final = frozenset(
    {"nama", "namaku", "namanya", "nm", "ngaran", "ngaranku", "ngaran ulun", "identitas"}
)
_SLIPPABLE_NAME_WORDS: Final = frozenset(w for w in _NAME_WORDS if len(w) >= 6 and " " not in w)
"""Words for "name" long enough for a phone slip: "kada handak manyambat ngarn"."""


def _names_the_name(token: str) -> bool:
    """Whether a word is "name" ("nama", "ngaran"), also typed with one slip ("ngraan")."""
    return token in _NAME_WORDS or slip_of(token, _SLIPPABLE_NAME_WORDS, min_letters=5) is not None


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
_NAME_LABEL = re.compile(
    r"^(?:nama|nm|ngaran)(?:ku)?"
    r"(?:\s+(?:lengkap|pelapor|asli|panggilan|saya|sy|ku|aku|ulun))*\s*:\s*",
    re.I,
)
"""A form's label before the name ("Nama: Nurhayati", "Nama lengkap: Siti Aminah")."""
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
        # A remark before the answer ("kan td udh bilang min, rahasia aja"): "I said so
        # already" is no name, whatever follows the comma.
        "kan", "tadi", "td", "tdi", "udh", "sdh", "dah", "bilang", "blg", "bilangin",
        "ngomong", "sampaikan", "disampaikan", "sebut", "sebutkan", "disebutkan", "bapadah",
    }
)  # fmt: skip

# Particles that may follow a name given as an answer ("Nor aja", "fitri ya min").
_TRAILING_PARTICLES: Final = frozenset(
    {
        "aja", "saja", "haja", "ja", "min", "kak", "ya", "yah", "yaa", "pak", "bu", "pian",
        "nah", "deh", "dong", "ok", "oke", "gan", "sis", "ai", "pang", "kah",
    }
)  # fmt: skip


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
    return any(t in NEGATIONS for t in tokens) and any(_names_the_name(t) for t in tokens)


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
    kept_secret = _name_kept_secret(text)
    if kept_secret is not None:
        return kept_secret
    if refuses_name(text):
        return NameAnswer(SKIPPED)
    if looks_like_question(text):
        return None
    if " ".join(words(text)) in _YES_PHRASES:
        # "siap", "ok", "inggih", "sip": the citizen acknowledges the question, no name yet.
        return None
    given = _NAME_GIVEN.search(text.strip().rstrip("."))
    if given is not None and given.start() > 0:
        # "eh maaf itu nomor hp, nama sy Fikri": whatever comes first, the name is named.
        named = read_name(given.group("name"))
        if named is not None and not named.refused:
            return named
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
    value = _NAME_LABEL.sub("", value, count=1)
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
    if not all(
        re.fullmatch(r"[A-Za-z][A-Za-z.'\-]*", part) or _neighbourhood_number(parts, index)
        for index, part in enumerate(parts)
    ):
        return None
    if any(part.lower().strip(".") in _NOT_NAME_WORDS for part in parts):
        return None
    if any(_CANCEL_WORD.fullmatch(part.lower()) for part in parts):
        return None
    if len(value.replace(" ", "")) < 2:
        return None
    return NameAnswer(value.title() if value.islower() else value)


# "mohon identitas saya dirahasiakan", "tolong dirahasiakan ya": asking that the name given be
# kept confidential (it is), which is no refusal to give it ("anonim aja" after a name is).
_KEEP_SECRET = re.compile(r"\b(?:di)?rahasia(?:kan|in)?(?:lah|nya)?\b", re.I)


def _name_kept_secret(text: str) -> NameAnswer | None:
    """The name before a request to keep it confidential.

    "Hasan, mohon identitas saya dirahasiakan" is Hasan. A refusal, or anything that is no
    name, before the comma is not.
    """
    head, comma, rest = text.partition(",")
    if not comma or not _KEEP_SECRET.search(rest) or any(t in NEGATIONS for t in words(rest)):
        return None
    named = read_name(head)
    return named if named is not None and not named.refused else None


_NEIGHBOURHOOD: Final = frozenset({"rt", "rw", "rt.", "rw."})
"""A neighbourhood (rukun tetangga/warga) a reporter names themself by: "Pak RT 03"."""


def _neighbourhood_number(parts: list[str], index: int) -> bool:
    """The number of an RT/RW in a name given as a role ("Pak RT 03", "Ketua RW 2", "RT.05")."""
    part = parts[index]
    if re.fullmatch(r"(?i)r[tw]\.?\d{1,3}", part):
        return True
    return (
        re.fullmatch(r"\d{1,3}", part) is not None
        and index > 0
        and parts[index - 1].lower() in _NEIGHBOURHOOD
    )


# "nama saya Abdul Hakim", "tulis saja nama saya: Abdul Hakim", "pakai nama ulun, Ijai".
_NAME_GIVEN = re.compile(
    r"\b(?:nama|nm|ngaran)\s*(?:saya|sy|aku|ku|ulun)\s*(?:adalah|ialah|yaitu|aja|saja|haja|ja)?"
    r"\s*[:,-]?\s*(?P<name>[A-Za-z][^,;!?]*)$",
    re.I,
)


# "nama saya ditulis lengkap: Lina Marlina", "namanya tolong diganti: Rina": what is asked of
# the name, then a colon, then the name.
_NAME_AFTER_COLON = re.compile(
    r"\b(?:nama|nm|ngaran)(?:nya|ku)?\b[^:\n]{0,40}:\s*(?P<name>[A-Za-z][^,;!?:]*)$", re.I
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
    given = _NAME_AFTER_COLON.search(text.strip().rstrip(".")) or _NAME_GIVEN.search(
        text.strip().rstrip(".")
    )
    if given is not None:
        name = read_name(given.group("name"))
        if name is not None and not name.refused:
            return name
    tokens = words(text)
    about_name = any(t in _NAME_WORDS or t in _NAME_REFUSAL_WORDS for t in tokens)
    if about_name and refuses_name(text):
        return NameAnswer(SKIPPED)
    return None
