"""Whether a citizen asks whom to call or which number to ring, in the middle of a report.

"ulun musti telpon ka mana?", "kalau terjadi lagi saya harus menghubungi nomor berapa?",
"nomor darurat berapa min?": a citizen in danger asks for help, not for the form's help. The
answer is the emergency numbers, whatever the step; the form then asks its question again.
The office's own number ("nomor kantor satpol berapa?") is another question and is left to
the NLU (``ask_office_contact``).
"""

from __future__ import annotations

import itertools
from typing import Final

from lalisa.intake.readers.words import looks_like_question, words

# Verbs of calling or contacting: Indonesian, slang and Banjar ("batelpon", "mahubungi").
_CALL_WORDS: Final = frozenset(
    {
        "telpon", "telepon", "tlp", "tlpn", "telp", "nelpon", "nelepon", "menelpon",
        "menelepon", "ditelpon", "ditelepon", "batelpon", "betelpon", "hubungi", "menghubungi",
        "dihubungi", "mahubungi", "hubungin", "kontak", "mengontak", "dikontak", "call",
        "panggil", "memanggil", "dipanggil", "mengiyau", "kiyau", "minta", "mintak", "tulung",
        "tolong",
    }
)  # fmt: skip
# The missing part of the question: whom, where to, which number.
_TARGET_WORDS: Final = frozenset(
    {
        "siapa", "sapa", "siapakah", "mana", "kemana", "kamana", "manakah", "berapa", "brp",
        "barapa", "nomor", "nomer", "nmr", "no", "nomornya", "nomernya",
    }
)  # fmt: skip
_NUMBER_WORDS: Final = frozenset(
    {"nomor", "nomer", "nmr", "no", "nomornya", "nomernya", "kontak", "telpon", "telepon"}
)
# The services an emergency number reaches.
_EMERGENCY_SERVICES: Final = frozenset(
    {
        "darurat", "polisi", "polsek", "polres", "damkar", "pemadam", "ambulans", "ambulan",
        "ambulance", "sakit", "puskesmas", "112",
    }
)  # fmt: skip
# Words that make it a question about the agency itself (its office, its admin, a report).
_OFFICE_WORDS: Final = frozenset(
    {
        "kantor", "kantornya", "satpol", "pp", "admin", "alamat", "alamatnya", "tiket",
        "tiketnya", "status", "statusnya", "wa", "whatsapp", "petugas", "lalisa", "lisa",
    }
)  # fmt: skip
_ASK_HELP_WORDS: Final = frozenset({"minta", "mintak", "tolong", "tulung"})
_TO: Final = frozenset({"ke", "ka", "sama", "lawan", "kepada"})
_WHO_WHERE: Final = frozenset({"siapa", "sapa", "mana", "siapakah"})
MAX_WORDS: Final = 30
"""A longer message is a story that may mention calling, not a question for help."""


def asks_whom_to_call(text: str) -> bool:
    """Whether ``text`` asks whom to call or which number to ring.

    Args:
        text: The citizen's message, e.g. "inya bawa parang jua, ulun musti telpon ka mana?".

    Returns:
        True for a question with a calling verb and its missing object ("telpon ka mana",
        "menghubungi nomor berapa", "minta tolong ke siapa") or for a question about an
        emergency service's number ("nomor polisi berapa?"); False for a question about the
        office's own contact and for statements ("sudah saya telpon polisi").
    """
    tokens = words(text)
    if not tokens or len(tokens) > MAX_WORDS or not looks_like_question(text):
        return False
    if any(t in _OFFICE_WORDS for t in tokens):
        return False
    for index, token in enumerate(tokens):
        if token in _CALL_WORDS:
            after = tokens[index + 1 : index + 5]
            if token in _ASK_HELP_WORDS:
                # "minta tolong ke siapa?", "tulung ka siapa?": only asked to someone.
                if any(a in _TO and b in _WHO_WHERE for a, b in itertools.pairwise(after)):
                    return True
                continue
            if any(t in _TARGET_WORDS for t in after):
                return True
            # "siapa yang harus saya telpon?", "ke mana saya harus menghubungi?"
            before = tokens[max(0, index - 5) : index]
            if any(t in _WHO_WHERE or t in ("kemana", "kamana") for t in before):
                return True
    has_number = any(t in _NUMBER_WORDS for t in tokens)
    return has_number and any(t in _EMERGENCY_SERVICES for t in tokens)
