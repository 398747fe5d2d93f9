"""Evidence answers: "no photo" (in its many forms) and "is a photo required?"."""

from __future__ import annotations

import functools
from typing import Final

from lalisa.intake.answers import is_skip_answer, slip_of
from lalisa.intake.readers.words import NEGATIONS, _content, words
from lalisa.intake.readers.yes_no import reads_cancel

_EVIDENCE_WORDS: Final = frozenset(
    {
        "foto", "fotonya", "poto", "potonya", "photo", "pic", "pict", "gambar", "gambarnya",
        "video", "videonya", "vidio", "vidionya", "vid", "bukti", "buktinya", "dokumentasi",
        "dokumentasinya", "rekaman", "rekamannya", "lampiran", "file", "filenya", "ss",
        "kamera", "kameranya",
    }
)  # fmt: skip
# Verbs and pronouns that go with a refusal ("belum sempat foto", "ga punya fotonya").
_EVIDENCE_CONTEXT: Final = frozenset(
    {
        "ada", "punya", "sempat", "sempet", "smpt", "bisa", "ambil", "mengambil", "memfoto",
        "moto", "motret", "memotret", "difoto", "direkam", "merekam", "rekam", "kirim",
        "ngirim", "mengirim", "dikirim", "saya", "aku", "ulun", "sy", "gue", "gw", "kami",
        "hp", "lagi", "lg", "dulu", "dl", "jadi", "karena", "krn", "soalnya", "takut",
        "yang", "yg", "itu", "buat", "untuk", "utk", "sama", "sekali", "kawa", "handak",
        "mau", "berani", "sudah", "udah", "sdh", "hilang", "kehapus", "terhapus", "lupa",
        "wani", "mamoto", "mamfoto", "bafoto", "mamotret",
    }
)  # fmt: skip

_FEAR_WORDS: Final = frozenset({"takut", "tatakutan", "ngeri", "kada wani"})
_PHOTO_VERBS: Final = frozenset(
    {"moto", "motret", "memotret", "memfoto", "difoto", "rekam", "merekam", "direkam", "mamoto",
     "mamfoto", "bafoto", "mamotret", "ngerekam", "fotoin", "videoin"}
)  # fmt: skip


# Words that ask whether something is required or allowed: "fotonya wajib ga?", "hrs nama asli?".
_REQUIREMENT_WORDS: Final = frozenset(
    {
        "wajib", "wajibkah", "harus", "haruskah", "hrs", "perlu", "perlukah", "musti", "mesti",
        "kudu", "boleh", "bolehkah", "bulih", "bulihkah", "gpp", "gapapa", "apakah",
        "diwajibkan", "diharuskan", "diperlukan", "mewajibkan", "wajibkan",
    }
)  # fmt: skip
# Words after a negation that say there is none: "ga ada", "belum sempat", "kada wani".
_HAVE_WORDS: Final = frozenset(
    {"ada", "punya", "sempat", "sempet", "smpt", "bisa", "berani", "wani", "kawa", "pegang"}
)
_HAVE_NONE: Final = frozenset({"kadada", "kdd", "gaada", "gada", "gakada", "tidakada", "tanpa"})


def _says_there_is_none(tokens: list[str]) -> bool:
    """Whether the words say there is none: "ga ada", "kadada", "belum sempat", "kada wani"."""
    if any(t in _HAVE_NONE for t in tokens):
        return True
    return any(
        t in NEGATIONS and any(n in _HAVE_WORDS for n in tokens[i + 1 : i + 3])
        for i, t in enumerate(tokens)
    )


_SLIPPABLE_EVIDENCE_WORDS: Final = frozenset(w for w in _EVIDENCE_WORDS if len(w) >= 5)


@functools.lru_cache(maxsize=4096)
def _evidence_slip(token: str) -> str:
    """``token``, or the evidence word it is one phone slip from ("ftonya", "gamabr")."""
    return slip_of(token, _SLIPPABLE_EVIDENCE_WORDS, keep=_EVIDENCE_WORDS | {"bukit"}) or token


def asks_if_required(text: str) -> bool:
    """Whether an answer asks what the question requires instead of refusing it.

    "fotonya wajib ga min?", "hrs nama asli ga?", "harus pakai ngaran asli kah?" ask; the
    "ga" in them is the tag of a question, not a refusal. A message that starts with a
    negation ("ga perlu foto kan?") or says there is none ("ga ada foto, gpp kan?") still
    refuses.

    Args:
        text: The citizen's answer.

    Returns:
        True when the text asks about a requirement (by its words, with or without "?").
    """
    tokens = _content(words(text))
    if not tokens or tokens[0] in NEGATIONS or _says_there_is_none(tokens):
        return False
    return any(
        t in _REQUIREMENT_WORDS or (t.endswith("kah") and t[:-3] in _REQUIREMENT_WORDS)
        for t in tokens
    )


def refuses_evidence(text: str) -> bool:
    """Tells whether an answer to "send a photo" means there is none.

    Args:
        text: The citizen's answer, e.g. "ga ada foto min", "belum sempat foto", "kadada".

    Returns:
        True for refusals and "skip" answers; False for anything else ("ada", "nanti").
    """
    if is_skip_answer(text):
        return True
    tokens = [_evidence_slip(t) for t in _content(words(text))]
    if not tokens or asks_if_required(text):
        # "fotonya wajib ga min?" asks about the question; the step's help answers it.
        return False
    if reads_cancel(text) and not any(t in _EVIDENCE_WORDS or t in _PHOTO_VERBS for t in tokens):
        # "ga jadi lapor deh" drops the report (the form asks first); "ga jadi motret" is no
        # photo.
        return False
    if any(t in _FEAR_WORDS for t in tokens) and any(
        t in _EVIDENCE_WORDS or t in _PHOTO_VERBS for t in tokens
    ):
        # "takut motret min": afraid to take the photo, so there is none.
        return True
    if "lupa" in tokens and any(t in _EVIDENCE_WORDS or t in _PHOTO_VERBS for t in tokens):
        # "lupa foto kak", "lupa motret": none was taken.
        return True
    if "tanpa" in tokens and any(t in _EVIDENCE_WORDS for t in tokens):
        # "tanpa foto gpp?", "tanpa bukti bisa kah": there is none.
        return True
    if not any(t in NEGATIONS for t in tokens):
        return False
    rest = [t for t in tokens if t not in NEGATIONS and t not in _EVIDENCE_CONTEXT and t != "ada"]
    names_evidence = any(t in _EVIDENCE_WORDS for t in tokens)
    unexplained = [t for t in rest if t not in _EVIDENCE_WORDS]
    return (names_evidence and len(unexplained) <= 3) or len(unexplained) <= 1
