"""The WhatsApp "*word" correction: "*Syarifah" right after "Syarifan" fixes that word.

People who see that their phone changed a word send the right one with a star in front (or
behind: "Syarifah*"). It replaces the word of their previous message that is closest to it
(edit distance); the message is then read again as the answer it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_STARRED: Final = re.compile(r"^\s*\*\s*([^\W\d_][\w'-]*)\s*[.!]?\s*$|^\s*([^\W\d_][\w'-]*)\*\s*$")
"""One word with a star before it ("*tuak") or after it ("tuak*"); "*tuak*" is bold."""
_WORD: Final = re.compile(r"[^\W_][\w'-]*")
MIN_STAR_WORD_LETTERS: Final = 3


@dataclass(frozen=True)
class StarFix:
    """The previous message with one word replaced.

    Attributes:
        text: The previous message, corrected.
        old: The word replaced, as it was typed.
        new: The word typed with the star.
    """

    text: str
    old: str
    new: str


def star_word(text: str) -> str | None:
    """The word of a "*word" correction, or None when the text is no such correction."""
    match = _STARRED.match(text or "")
    if match is None:
        return None
    word = match.group(1) or match.group(2)
    return word if len(word) >= MIN_STAR_WORD_LETTERS else None


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def apply_star(previous: str, word: str) -> StarFix | None:
    """Replaces the word of ``previous`` closest to ``word`` (a third of its letters at most).

    Args:
        previous: The citizen's previous message ("min ada warung jual tuan dekat pasar").
        word: The word typed with the star ("tuak").

    Returns:
        The corrected message, or None when no word is close enough, or the closest word is
        the same word (nothing to correct) or two words are equally close.
    """
    limit = max(1, len(word) // 3)
    target = word.lower()
    scored = [
        (_distance(match.group(0).lower(), target), match) for match in _WORD.finditer(previous)
    ]
    if not scored:
        return None
    best = min(distance for distance, _ in scored)
    closest = [match for distance, match in scored if distance == best]
    if best == 0 or best > limit or len({m.group(0).lower() for m in closest}) > 1:
        return None
    old = closest[0]
    text = previous[: old.start()] + word + previous[old.end() :]
    return StarFix(text=text, old=old.group(0), new=word)
