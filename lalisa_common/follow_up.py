"""Questions about what happens to a report once sent: "kapan ditindak min?".

Right after the ticket number, citizens ask when it is handled, who comes, whether they will
be told ("kapan ditindak min?", "kira-kira kapan petugas datang?", "nanti dikabari kah?",
"nanti orangnya dibawa kemana?"). The intent classifier reads these as nothing at all
(``nlu_fallback``: "belum memahami") or as something else, while their words leave no doubt:
a short question that names the follow-up of a report. Shared by the NLU
(:mod:`lalisa_rasa.nlu.text_rules`, which sets the intent ``ask_follow_up``) and the
complaint form (:mod:`lalisa.intake.step_questions`, which answers it at any step and asks
its question again), so both environments read the same words the same way. Standard
library only.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Final

MAX_FOLLOW_UP_WORDS: Final = 16
"""A longer message is a story or an answer of its own, not a question about the follow-up."""

# What the follow-up of a report is called: "kapan ditindak?", "diteruskan ke siapa?".
FOLLOW_UP_WORDS: Final = frozenset(
    {
        "ditindak", "ditindaklanjuti", "tindaklanjut", "tindaklanjuti", "diproses", "diurus",
        "ditangani", "ditertibkan", "ditertibakan", "diurusi", "diteruskan",
        "ditanggapi", "direspon", "datang", "turun", "kesini", "kasini", "dibaca",
        # Banjar "mohon diurusiakan" (mohon ditindaklanjuti; reference notes, NusaX).
        "diurusiakan",
        # Being told the outcome, and what is done with the people reported.
        "dikabari", "dikabarin", "dikabarkan", "dihubungi", "diberitahu", "dibawa",
        "ditinjau", "dicek", "dikabarakan",
    }
)  # fmt: skip

# Coming is a follow-up only of someone who comes: "kapan petugas datang?", "bila turun kasini?";
# "teori datang mana ngitu?" is not.
_COMING_WORDS: Final = frozenset({"datang", "turun", "kesini", "kasini"})
_COMING_CUES: Final = frozenset(
    {"kapan", "bila", "petugas", "petugasnya", "trc", "tim", "timnya", "orangnya"}
)
# Questions about Satpol PP in general ("masalah apa saja yang ditangani satpol pp?", "kapan
# satpol pp turun patroli?") or about reporting before one reports ("kalo lapor skrg kira2
# brp lama baru ditindak?", "bisa lapor tanpa datang ke kantor kah?"): their own intents
# (ask_duties, ask_programs, ask_how_to_report, ask_office_contact) answer them.
_GENERAL_WORDS: Final = frozenset(
    {
        "satpol", "satpolpp", "patroli", "kantor", "biasanya", "umumnya",
        "kalau", "kalo", "klo", "kl", "amun", "lapor", "melapor", "ngelapor", "saja", "aja",
    }
)  # fmt: skip

# How a question begins or ends without a question mark ("kapan ditindak min", "datang kah").
_ASKING_WORDS: Final = frozenset(
    {
        "apa", "apakah", "kapan", "bagaimana", "gimana", "gmn", "bgmn", "berapa", "brp",
        "siapa", "kemana", "kamana", "bila", "kira", "kirakira", "kayapa", "bisakah",
        "kah", "lama", "nanti", "ntar",
    }
)  # fmt: skip

# Words of a report sent before, named by its number or status: a status check, whose answer
# (the status of that ticket) the NLU's check_status gives.
_STATUS_WORDS: Final = frozenset({"status", "statusnya", "tiket", "tiketnya", "lls", "nomor"})


# Another agency's service ("kapan petugas PLN datang?", "bpjs saya kapan diproses?") is no
# follow-up of a report to Satpol PP; the NLU's out_of_scope answer names who handles it.
_OTHER_AGENCY_WORDS: Final = frozenset(
    {
        "pln", "listrik", "token", "bpjs", "ktp", "kk", "akta", "disdukcapil", "dukcapil",
        "samsat", "stnk", "bpkb", "sim", "pajak", "pbb", "pdam", "paspor", "bansos", "pkh",
        "blt", "pupuk", "sertifikat", "polisi", "polres", "polsek", "puskesmas", "tilang",
        "razia", "sidang", "sidangnya", "pengadilan", "kejaksaan",
    }
)  # fmt: skip


def _words(text: str) -> list[str]:
    lowered = text.lower().replace("’", "'").replace("'", "")
    return re.findall(r"[a-z0-9]+", lowered)


def names_follow_up(token: str) -> bool:
    """A follow-up word, also with "-nya" ("berapa lama diprosesnya?")."""
    return token in FOLLOW_UP_WORDS or (
        token.endswith("nya") and token[: -len("nya")] in FOLLOW_UP_WORDS
    )


def asks_about_follow_up(text: str) -> bool:
    """Whether a message asks what happens to a report once sent.

    Args:
        text: The typed message ("kapan ditindak min?", "nanti dikabari kah?").

    Returns:
        True for a short question (a question mark, a question word or particle) that names
        the follow-up; False for a request ("tolong segera ditindak"), a status check by
        number or status ("status LLS-2026-000123 sudah diproses?"), another agency's
        service ("kapan petugas PLN datang?") and longer messages.
    """
    if not text or text.lstrip().startswith("/"):
        return False
    tokens = _words(text)
    if not tokens or len(tokens) > MAX_FOLLOW_UP_WORDS:
        return False
    asks = "?" in text or any(
        t in _ASKING_WORDS or (t.endswith("kah") and len(t) > 4) for t in tokens
    )
    if not asks or any(
        t in _STATUS_WORDS or t in _OTHER_AGENCY_WORDS or t in _GENERAL_WORDS for t in tokens
    ):
        return False
    coming = any(t in _COMING_CUES for t in tokens)
    # Written apart as often as joined: "diberi tahu", "tindak lanjutnya".
    joined = [a + b for a, b in pairwise(tokens)]
    return any(
        names_follow_up(t) and (coming or t not in _COMING_WORDS) for t in [*tokens, *joined]
    )
