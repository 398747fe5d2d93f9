"""Interpreting the citizen's answers to the complaint form.

Plain functions, no Rasa: the form validation action calls these and turns the
results into slot values and responses.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet

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
        "tdk tahu",
        "tdk tau",
        "gak tahu",
        "ga tahu",
        "nggak tahu",
        "kurang tahu",
        "kurang tau",
        "ndak tau",
        "lupa lagi",
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
        "next",
        "lanjut",
        "lanjutkan",
        "ngga tau",
        "ngga tahu",
        "nggak tau",
        "kd tau",
        "kd tahu",
        "entah",
        "entahlah",
    }
)
# Particles said around a skip: "lewati aja", "gatau min", "skip dulu kak".
_SKIP_PARTICLES = frozenset(
    {"aja", "saja", "haja", "ja", "min", "kak", "pak", "bu", "ya", "deh", "dong", "dulu", "dl",
     "pian", "pang", "ai", "lah", "gan", "sis", "bang"}
)  # fmt: skip

# Text shown in the summary and stored when an optional answer was skipped.
SKIPPED = "-"

MIN_DESCRIPTION_WORDS = 3
MAX_DESCRIPTION_CHARS = 2000


STRETCHED = re.compile(r"([a-z])\1{2,}")
"""A letter held on a phone ("gatauuu", "lewatiii"): no Indonesian or Banjar word has three."""

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def slip_repairs(token: str) -> set[str]:
    """The words ``token`` may be with one phone slip undone.

    A slip drops a letter, doubles or adds one, or swaps two neighbours: "rahhasia",
    "anonm", "raahsia" and "rahasiin" are one slip from "rahasia", "anonim" and "rahasiain".
    """
    dropped = {token[:i] + token[i + 1 :] for i in range(len(token))}
    swapped = {token[:i] + token[i + 1] + token[i] + token[i + 2 :] for i in range(len(token) - 1)}
    added = {token[:i] + c + token[i:] for i in range(len(token) + 1) for c in _LETTERS}
    return dropped | swapped | added


def slip_of(
    token: str,
    vocabulary: AbstractSet[str],
    *,
    keep: AbstractSet[str] = frozenset(),
    min_letters: int = 4,
    unique: bool = False,
) -> str | None:
    """The word of ``vocabulary`` that ``token`` is one phone slip from, or None.

    A token that is short, not made of letters, already in ``vocabulary`` or a word of its own
    (``keep``: "buka" is no slip of "bukan") is no slip. When several words are one slip away,
    the first in alphabetical order is taken, or none with ``unique``.
    """
    if len(token) < min_letters or token in vocabulary or token in keep or not token.isalpha():
        return None
    meant = slip_repairs(token) & vocabulary
    if unique and len(meant) != 1:
        return None
    return min(meant) if meant else None


_QUOTED_LINE = re.compile(r"^\s*>")


def without_quoted_reply(text: str) -> str:
    """The citizen's own words of a message that quotes the question it answers.

    People who reply to a particular message on WhatsApp Web, or copy the question into their
    answer, send "> Kapan kejadiannya?" and "kemarin sore" on the next line: the lines
    starting with ">" are the assistant's question, not the answer. A message that is nothing
    but quoted lines is kept as it is.
    """
    lines = text.splitlines()
    own = [line for line in lines if not _QUOTED_LINE.match(line)]
    if len(own) == len(lines) or not any(line.strip() for line in own):
        return text
    return "\n".join(own).strip()


def normalise(text: str) -> str:
    """Lower-cases, squeezes held letters, trims end punctuation, collapses whitespace."""
    text = STRETCHED.sub(r"\1", re.sub(r"\s+", " ", text.strip().lower()))
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
    # "?" or "..." is no answer at all, not a "skip".
    answer = normalise(text)
    if answer in _SKIP_ANSWERS:
        return True
    tokens = re.sub(r"[^\w\s-]", " ", answer).split()
    while tokens and tokens[-1] in _SKIP_PARTICLES:
        tokens.pop()
    return bool(tokens) and " ".join(tokens) in _SKIP_ANSWERS


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
