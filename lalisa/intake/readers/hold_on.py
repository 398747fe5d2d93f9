"""Whether a message only asks the assistant to wait: the citizen is driving, working or busy.

"eh bentar sy lg nyetir, nanti sy lanjut", "kaina dulu lah pian, ulun lagi bagawi", "Mohon
maaf, saya sedang rapat" answer no question of the form; taken as the story, the place or the
time they would be filed as such. The form replies in kind and asks its question again.
"""

from __future__ import annotations

import re
from typing import Final

from lalisa.intake.readers.words import FILLERS, words

# Words that say "wait" or "busy"; one of them must be said.
_HOLD_ON_CUES: Final = frozenset(
    {
        "bentar", "sebentar", "bntr", "sbntr", "tunggu", "tunggui", "nanti", "ntar", "ntr",
        "nnti", "kaina", "lanjut", "lanjutkan", "dilanjut", "dilanjutkan", "sambung",
        "disambung", "nyetir", "menyetir", "mengemudi", "nyupir", "kerja", "bekerja", "bagawi",
        "rapat", "meeting", "sibuk", "repot",
    }
)  # fmt: skip
# Words that may come with them without saying anything of the report.
_HOLD_ON_WORDS: Final = _HOLD_ON_CUES | frozenset(
    {
        "dulu", "lagi", "lg", "lgi", "sedang", "sdg", "masih", "msh", "di", "dijalan", "jalan",
        "perjalanan", "motor", "mobil", "bawa", "kantor", "eh", "ehh", "oh", "aduh", "duh",
        "saya", "sy", "aku", "ak", "gw", "ulun", "jawab", "jawabnya", "balas", "balasnya",
        "dibalas", "bales", "pelan", "pelan2", "ya", "yaa", "iya", "ok", "oke", "sip", "siap",
        "nah", "kabari", "kabarin", "yg", "ini", "nih", "mau", "akan", "pang", "lah", "hanyar",
        "tahan", "waktu", "jam", "menit", "lima", "sepuluh", "udah", "belum",
    }
)  # fmt: skip
_TOKEN = re.compile(r"[a-z0-9]+")


def asks_to_wait(text: str) -> bool:
    """Whether a message only says "wait, I am busy" ("bentar, lg nyetir, nanti sy lanjut").

    Every word must be one of waiting, being busy, courtesy or filler, and one must say wait
    or busy: "tadi sy lagi nyetir ada sapi di jalan" tells a story and is no such message.
    """
    tokens = [t for word in words(text) for t in _TOKEN.findall(word.lower()) if t not in FILLERS]
    if not any(t in _HOLD_ON_CUES for t in tokens):
        return False
    return all(t in _HOLD_ON_WORDS or t.isdigit() for t in tokens)
