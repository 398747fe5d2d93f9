"""Yes or no, and "batal": the answers to the form's yes/no questions and a cancel said in words."""

from __future__ import annotations

import re
from typing import Final, Literal

from lalisa.intake.answers import slip_of
from lalisa.intake.readers.words import NEGATIONS, _content, is_payload, looks_like_question, words

_YES_PHRASES: Final = frozenset(
    {
        "ya", "iya", "iyaa", "iyaaa", "iye", "y", "yes", "yess", "yup", "yap", "yoi", "ok",
        "oke", "okey", "okay", "okee", "okeh", "oce", "benar", "betul", "bener", "bnr",
        "sudah benar", "sdh benar", "udah bener", "udah benar", "sudah betul", "sudah sesuai",
        "sesuai", "cocok", "tepat", "benar semua", "betul semua", "kirim", "kirimkan",
        "kirim laporan", "kirim aja", "kirim saja", "lanjut", "lanjutkan", "siap", "sip",
        "mantap", "setuju", "boleh", "inggih", "iih", "ih", "au", "auh", "aok", "bujur",
        "banar", "jadi", "jadi ai", "jadiai", "jadi haja", "sudah", "sdh", "udah", "udh",
        "ya kirim", "ya benar", "ya betul", "iya benar", "iya betul", "iya kirim",
        "tidak ada yang salah", "ga ada yang salah", "gak ada yang salah", "kadada nang salah",
        "sudah semua", "itu saja", "itu aja", "cukup", "gas", "gass", "gaskan", "gaskeun",
    }
)  # fmt: skip
_NO_PHRASES: Final = frozenset(
    {
        "tidak", "tdk", "tak", "ga", "gak", "gk", "nggak", "enggak", "engga", "ndak", "kada",
        "kd", "bukan", "belum", "blm", "no", "nope", "jangan", "jgn", "salah", "keliru",
        "belum benar", "tidak benar", "kada banar", "kada bujur", "bukan itu", "tidak jadi",
        "ga jadi", "gak jadi", "kada jadi", "tidak usah", "ga usah", "gak usah", "kada usah",
        "lanjutkan laporan", "lanjut lapor", "jangan dibatalkan", "jangan batal",
    }
)  # fmt: skip


YesNo = Literal["yes", "no"]

# Words said with a yes that add nothing to it: "betul, silakan dikirim", "iya langsung
# diproses aja".
_WITH_A_YES: Final = frozenset(
    {
        "laporan",
        "lapor",
        "semua",
        "sudah",
        "itu",
        "silakan",
        "silahkan",
        "dikirim",
        "dikirimkan",
        "diproses",
        "proses",
        "diteruskan",
        "langsung",
        "tolong",
        "segera",
        # Courtesy of the civil servant's register and thanks: "siap, benar, mohon izin
        # dikirim", "betul, terima kasih".
        "mohon",
        "izin",
        "ijin",
        "bismillah",
        "terima",
        "kasih",
        "makasih",
        "trims",
    }
)

_WITH_A_YES_SLIPPABLE: Final = frozenset(w for w in _WITH_A_YES if len(w) >= 5)
"""Words said with a yes long enough for a phone slip ("silakan dikirm", "benar semau")."""
_MIN_SLIP_LETTERS: Final = 4


def _said_with_a_yes(token: str) -> bool:
    return (
        token in _YES_PHRASES
        or token in _WITH_A_YES
        or slip_of(token, _WITH_A_YES_SLIPPABLE, min_letters=_MIN_SLIP_LETTERS) is not None
    )


_APPROVAL_EMOJI = re.compile("[\U0001f44d\U0001f44c](?:[\U0001f3fb-\U0001f3ff])?")
"""👍 and 👌, with any skin tone."""


def read_yes_no(text: str) -> YesNo | None:
    """Reads a yes or a no in Indonesian, slang or Banjar.

    Args:
        text: e.g. "iya kak", "inggih", "au", "jadi ai", "kada", "ga jadi".

    Returns:
        ``"yes"``, ``"no"`` or None when the text is neither.
    """
    if not text or is_payload(text):
        return None
    # A thumbs-up or OK hand typed instead of tapping "Kirim laporan" is a yes.
    tokens = words(_APPROVAL_EMOJI.sub(" ok ", text))
    phrase = " ".join(tokens)
    content = " ".join(_content(tokens))
    for candidate in (phrase, content):
        if candidate in _NO_PHRASES:
            return "no"
        if candidate in _YES_PHRASES:
            return "yes"
    kept = _content(tokens)
    if not kept:
        # Only particles, e.g. "ok kak" (ok is a filler too).
        return "yes" if any(t in _YES_PHRASES for t in tokens) else None
    if kept[0] in NEGATIONS:
        return "no"
    if kept[0] in _YES_PHRASES and all(_said_with_a_yes(t) for t in kept):
        return "yes"
    return None


# "batal", "ga jadi (lapor)", "gajadi", "kada jadi", "udahan", "stop": the report is dropped.
_CANCEL_SAID = re.compile(
    r"\b(?:(?:di)?batal(?:kan|in|ken|akan)?(?:lah|aja|ja|haja)?|cancel|gajadi|gkjadi"
    r"|btl|(?:tidak|tdk|tak|ga|gak|gk|nggak|ngga|enggak|engga|ndak|kada|kd)\s+(?:jadi|jd))\b"
    r"|\b(?:tidak|tdk|ga|gak|gk|nggak|ngga|enggak|ndak|kada|kd)\s+(?:usah|mau|perlu|handak)\s+"
    r"(?:di|me|ma)?lanjut(?:kan|in|akan)?\b",
    re.I,
)
# "jangan dibatalkan", "ga usah dibatalin": a negated cancel keeps the report.
_CANCEL_DENIED = re.compile(
    r"\b(?:jangan|jgn|tidak|tdk|ga|gak|gk|nggak|ngga|kada|kd|usah|ndak)\s+(?:usah\s+)?"
    r"(?:di)?batal",
    re.I,
)
# Words that stop a report only when they are (nearly) the whole message: "udahan aja min",
# not "motornya berhenti di depan pasar".
_STOP_WORDS: Final = frozenset(
    {"udahan", "sudahan", "stop", "berhenti", "hentikan", "sudahi", "lupakan"}
)
MAX_UNCLEAR_CANCEL_WORDS: Final = 4
"""A message this short that neither says "cancel" nor asks anything leaves it to the NLU."""


def reads_cancel(text: str) -> bool | None:
    """Whether a message sent at a form step drops the report, read from its words.

    Args:
        text: The typed message ("kada jadi ai, batal haja", "rahasia kan?", "udah ah").

    Returns:
        True when the words say "cancel" ("batalkan", "ga jadi lapor", "udahan", "ga usah
        dilanjutkan"); False when they clearly say something else (a question, a sentence
        without any cancel word, "jangan dibatalkan"); None when the text is too short to
        tell ("udah ah", "sudahlah"), so that the intent decides.
    """
    if not text or is_payload(text):
        return None
    if _CANCEL_DENIED.search(text):
        return False
    if _CANCEL_SAID.search(text):
        return True
    content = _content(words(text))
    if len(content) <= MAX_UNCLEAR_CANCEL_WORDS and any(t in _STOP_WORDS for t in content):
        return True
    if looks_like_question(text):
        # "rahasia kan?", "kapan ditindak?": a question is no cancel, whatever the NLU says.
        return False
    if len(content) > MAX_UNCLEAR_CANCEL_WORDS:
        return False
    return None
