"""Shared word readers of the form's answers: tokens, filler words, questions, payloads.

The lowest layer of :mod:`lalisa.intake.readers`: every other reader (and
:mod:`lalisa.intake.step_questions`) splits text with :func:`words` and asks
:func:`looks_like_question` / :func:`is_payload`.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Final

from lalisa.intake.answers import STRETCHED, is_skip_answer, slip_of, slip_repairs

# Politeness and slang particles that carry no answer: "ga ada foto min", "iya kak".
FILLERS: Final = frozenset(
    {
        "min", "mimin", "admin", "kak", "ka", "kakak", "pak", "bu", "bapak", "ibu", "bang",
        "mas", "mbak", "om", "gan", "sis", "dik", "nah", "sih", "si", "ya", "yah", "yaa", "deh",
        "dong", "aja", "saja", "ja", "haja", "jua", "lah", "kok", "nih", "tuh", "pian", "nang",
        "nya", "kah", "loh", "lho", "gitu", "begitu", "mohon", "maaf", "mf", "sorry", "sori",
        "terima", "kasih", "makasih", "trims", "tq", "thanks", "tks", "ok", "oke", "pang",
        "ai",
    }
)  # fmt: skip

# Words that say "no" / "none": Indonesian, slang and Banjar (kada, kadada).
NEGATIONS: Final = frozenset(
    {
        "tidak", "tdk", "tak", "ga", "gak", "gk", "g", "nggak", "ngga", "nggk", "enggak",
        "engga", "ndak", "nda", "kada", "kd", "kadada", "kdd", "gaada", "gada", "gakada",
        "tidakada", "belum", "blm", "blum", "balum", "bulum", "bukan", "no", "nope", "none",
        "jangan", "jgn", "kosong", "nihil", "nothing",
    }
)  # fmt: skip


_QUESTION_WORDS: Final = frozenset(
    {
        "apa", "apakah", "kapan", "bagaimana", "gimana", "gmn", "bgmn", "berapa", "brp",
        "dimana", "kenapa", "mengapa", "siapa", "bisakah", "bolehkah", "adakah", "kayapa",
        "napa", "knp", "gmana",
    }
)  # fmt: skip


def words(text: str) -> list[str]:
    """Lower-case word tokens, letters and digits only, with stretched letters squeezed.

    "gaaak adaaa" becomes ``["gak", "ada"]``; "-" alone is kept so it can mean "skip".
    """
    lowered = text.lower().replace("’", "'").replace("'", "")
    if lowered.strip() == "-":
        return ["-"]
    squeezed = STRETCHED.sub(r"\1", lowered)
    # "gausah", "gkusah", "gausa": the negation typed joined to "usah" is two words.
    squeezed = _JOINED_USAH.sub(r"\1 usah", squeezed)
    tokens = re.findall(r"[a-z0-9]+", squeezed)
    return [word for token in tokens for word in _answer_word_slip(token).split()]


# Answer words long enough for a phone slip to spoil them: negations ("tdak", "kaadda",
# "jagnan", "blaum") and words of a yes ("benr", "sudha", "kirm"). A word one slip from
# exactly these is read as one of them, unless it is a word of its own ("buka" is "open",
# "bentar" is "a moment", "kiriman" is "a parcel").
_SLIPPABLE_NEGATIONS: Final = frozenset(n for n in NEGATIONS if len(n) >= 5)
_SLIPPABLE_YES: Final = frozenset(
    {
        "benar", "betul", "bener", "banar", "sudah", "kirim", "kirimkan", "lanjut",
        "lanjutkan", "setuju", "sesuai", "inggih", "silakan", "silahkan",
    }
)  # fmt: skip
_NOT_SLIPS: Final = frozenset(
    {
        "buka", "bukaan", "tindak", "bulu", "tiada", "banjar", "bentar", "kiriman", "bandar",
        "tinggih", "atau", "kiri", "bene", "sudut", "suda",
    }
)  # fmt: skip
_MIN_SLIP_LETTERS: Final = 4
"""A word of five letters typed with one dropped has four ("tdak", "benr")."""


@functools.lru_cache(maxsize=8192)
def _answer_word_slip(token: str) -> str:
    """``token``, or the answer word(s) it is one phone slip from ("tdiak" is "tidak")."""
    if (
        len(token) < _MIN_SLIP_LETTERS
        or token in NEGATIONS
        or token in _SLIPPABLE_YES
        or token in _NOT_SLIPS
        or not token.isalpha()
    ):
        return token
    candidates = slip_repairs(token)
    if "gausah" in candidates:
        # "gausaah", "guasah": "ga usah", as the joined form is read.
        return "ga usah"
    meant = candidates & _SLIPPABLE_NEGATIONS or candidates & _SLIPPABLE_YES
    return min(meant) if meant else token


# Words of not knowing that a slip may spoil ("kurng", "ingt", "gatua"); read only in a
# "don't know" answer, never as a word of their own.
_DONT_KNOW_WORDS: Final = frozenset({"kurang", "ingat", "gatau", "gatahu", "entah", "yakin"})


@functools.lru_cache(maxsize=4096)
def _dont_know_slip(token: str) -> str:
    return slip_of(token, _DONT_KNOW_WORDS, min_letters=_MIN_SLIP_LETTERS) or token


_JOINED_USAH: Final = re.compile(
    r"\b(ga|gak|gk|g|nggak|ngga|enggak|tdk|tak|kada|kd|ndak|nda)usah?\b"
)


# Words of a greeting, a courtesy or an announcement ("Assalamualaikum, saya ingin melaporkan
# …"): they say that something will be reported, not what happened.
_ANNOUNCEMENT_WORDS: Final = frozenset(
    {
        "assalamualaikum", "assalamu", "alaikum", "wr", "wb", "warahmatullahi", "wabarakatuh",
        "selamat", "salamat", "pagi", "siang", "sore", "malam", "permisi", "halo", "hallo",
        "hai", "yth", "dengan", "hormat", "mengganggu", "izin", "ijin", "saya", "sy", "aku",
        "ulun", "kami", "ingin", "mau", "mo", "hendak", "handak", "bermaksud", "lapor",
        "melapor", "melaporkan", "laporkan", "malapor", "bapadah", "mengadu", "mengadukan",
        "ngadu", "menyampaikan", "sampaikan", "pengaduan", "aduan", "laporan", "keluhan",
        "soal", "tentang", "mengenai", "terkait", "perihal", "adanya", "bersama", "ini",
        "ngelapor", "nglapor", "ngelaporin", "laporin",
    }
)  # fmt: skip


def story_words(text: str) -> list[str]:
    """The words of a message that tell what happened, without greetings and announcements.

    "Assalamualaikum, saya ingin mengadukan gangguan suara." leaves ``["gangguan", "suara"]``:
    the kind of problem, not yet a story.
    """
    return [t for t in words(text) if t not in _ANNOUNCEMENT_WORDS and t not in FILLERS]


MIN_QUESTION_STORY_WORDS: Final = 5
"""A message that looks like a question tells what happened only with this many story words
("kenapa ada pkl di trotoar terus tiap hari?"); fewer ask about the question itself."""


def tells_a_story(text: str) -> bool:
    """Whether a message that may be a question still tells what happened."""
    told = [t for t in story_words(text) if t not in _QUESTION_WORDS]
    return len(told) >= MIN_QUESTION_STORY_WORDS


def _stem(word: str) -> str:
    # Banjar and Indonesian "-nya" ("lokasinya", "fotonya") does not change the field named.
    return word[:-3] if word.endswith("nya") and len(word) > 5 else word


def _content(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in FILLERS]


def is_payload(text: str) -> bool:
    """Tells whether a message is a button payload such as ``/affirm`` rather than typed text."""
    return text.startswith("/")


def looks_like_question(text: str) -> bool:
    """Tells whether the citizen is asking something ("jam buka kantor?", "apakah aman").

    Args:
        text: The message.

    Returns:
        True for a question mark or a leading question word.
    """
    tokens = words(text)
    return "?" in text or bool(tokens and tokens[0] in _QUESTION_WORDS)


def asks_something(text: str) -> bool:
    """Whether a message asks something anywhere in it ("ini tempat apa ya", "ini di mana?").

    Looser than :func:`looks_like_question` (a question mark or a leading question word):
    a question word anywhere counts, for messages that are read as questions only when they
    tell nothing else (:func:`lalisa.intake.readers.signal.asks_only`).
    """
    return "?" in text or any(t in _QUESTION_WORDS or t == "mana" for t in words(text))


_DONT_KNOW = re.compile(
    r"\b(?:tidak|tdk|ga|gak|gk|nggak|ngga|enggak|engga|ndak|kada|kd|kurang|belum|blm)\s+"
    r"(?:\w+\s+)?(?:tahu|tau|tw|ingat|ingit|yakin|pasti|jelas|merhatiin|memperhatikan)\b"
    r"|\b(?:lupa|gatau|gatahu|gktau|entah|entahlah)\b",
    re.I,
)


def says_dont_know(text: str) -> bool:
    """Tells whether the citizen does not know the answer ("Saya kurang tahu pastinya.").

    Args:
        text: The answer.

    Returns:
        True for "don't know" answers, also inside a sentence.
    """
    if is_skip_answer(text) or _DONT_KNOW.search(STRETCHED.sub(r"\1", text.lower())):
        return True
    # The same words typed with a slip: "Tdiak tahu", "kada ingt", "kurng tahu", "gatua".
    repaired = " ".join(_dont_know_slip(token) for token in words(text))
    return bool(_DONT_KNOW.search(repaired))


# A courtesy or a yes before an answer: "Mohon izin, …", "Siap, …", "Inggih, …", "Baik, …".
_COURTESY_LEAD: Final = re.compile(
    r"^\s*(?:(?:mohon\s+)?(?:izin|ijin)(?:\s+(?:melaporkan|menyampaikan|pak|bapak|bu|ibu|komandan|ndan))?"
    r"|siap(?:\s+(?:pak|bapak|bu|ibu|komandan|ndan))?|inggih|iya|iye|ya|baik|oke|ok|nggih)"
    r"\s*[,.:!-]+\s*(?=\S)",
    re.I,
)


def without_courtesy_lead(text: str) -> str:
    """An answer without the courtesy before it: "Mohon izin, kemarin sore" is "kemarin sore".

    Officers read the stored place and time; the civil servant's "mohon izin" or "siap"
    tells them nothing. Only a lead closed by a comma or stop is removed ("ya" alone stays).
    """
    stripped = _COURTESY_LEAD.sub("", text, count=1)
    return stripped if stripped.strip() else text


_POSITION_WORDS: Final = {
    "satu": 1, "pertama": 1, "dua": 2, "kedua": 2, "tiga": 3, "ketiga": 3, "empat": 4,
    "keempat": 4, "lima": 5, "kelima": 5, "enam": 6, "keenam": 6, "tujuh": 7, "ketujuh": 7,
    "delapan": 8, "kedelapan": 8, "sembilan": 9, "kesembilan": 9, "sepuluh": 10,
    "kesepuluh": 10,
}  # fmt: skip
"""Numbers and ordinals in words: "yg kedua", "nomor tiga", "nang pertama"."""
_POSITION_LEADS: Final = frozenset(
    {"no", "nomor", "nmr", "nomer", "pilihan", "pilih", "yg", "yang", "ke", "angka", "urutan"}
)
MAX_LIST_POSITION: Final = 10
"""A WhatsApp list holds at most 10 rows: a larger number is not a position in it."""


def list_position(text: str) -> int | None:
    """The position in a shown list that the citizen typed instead of tapping, from 1.

    "2", "no 3", "nomor 3", "no.3", "yg kedua", "nang kedua", "ke-2", "pilihan 4 min" are
    positions; "2 orang", "jam 3" and "RT 03" are not (other words than a lead and fillers).

    Args:
        text: The answer.

    Returns:
        The position (1 … 10), or None when the text is not only a position.
    """
    tokens = [t for t in words(text) if t not in FILLERS or t in _POSITION_LEADS]
    while tokens and tokens[0] in _POSITION_LEADS:
        tokens = tokens[1:]
    if len(tokens) != 1:
        return None
    token = tokens[0]
    joined = re.fullmatch(r"(?:ke|no)?(\d{1,2})", token)
    number = int(joined[1]) if joined else _POSITION_WORDS.get(token)
    return number if number is not None and 1 <= number <= MAX_LIST_POSITION else None


MIN_TYPED_LABEL_CHARS: Final = 5
TYPED_LABEL_CUTOFF: Final = 0.85
"""A typed text this close (difflib ratio) to one label offered is that label."""


def typed_label(text: str, labels: tuple[str, ...]) -> str | None:
    """The button label a citizen typed instead of tapping, slips allowed ("kirim laporn").

    Args:
        text: The typed answer.
        labels: The labels of the buttons just offered ("Kirim laporan", "Ubah" …).

    Returns:
        The one label the text is (case and punctuation aside) or is close to, else None.
        Short texts must match exactly: around "ubah" too many words lie one slip away.
    """
    key = " ".join(t for t in words(text) if t not in FILLERS)
    by_key = {" ".join(words(label)): label for label in labels}
    if key in by_key:
        return by_key[key]
    if len(key) < MIN_TYPED_LABEL_CHARS:
        return None
    close = difflib.get_close_matches(key, list(by_key), n=2, cutoff=TYPED_LABEL_CUTOFF)
    return by_key[close[0]] if len(close) == 1 else None
