"""Questions about the agency's remit: "is this Satpol PP's business, or another agency's?".

Citizens ask it in the middle of the form ("ini masuk urusan satpol pp kan min? bukan
dishub?", Banjar "ini pang urusan Satpol PP kah, atau urusan desa?") and after the ticket
("yang mencopot Satpol PP atau Dinas?"). The intent classifier has no intent for it, and the
form's readers take it for a failed place or time. Its words leave no doubt: it asks, and it
names an agency together with a word of remit or of handling ("urusan", "wewenang",
"ditangani", "nertibin"), or sets Satpol PP against another agency ("satpol pp atau dinas?").

Shared by the NLU (:mod:`lalisa_rasa.nlu.text_rules`) and the complaint form
(:mod:`lalisa.intake.step_questions`), so both read the same words the same way. Standard
library only.
"""

from __future__ import annotations

import re
from typing import Final

MAX_REMIT_QUESTION_WORDS: Final = 18
"""A longer message tells a story of its own; it is read as usual."""

# "satpol pp", "satpolpp", "pol pp", "pamong praja".
_SATPOL_WORDS: Final = frozenset({"satpol", "satpolpp", "polpp", "pamong", "praja"})
# Other agencies by name: these are agencies whatever words stand around them.
_AGENCY_WORDS: Final = frozenset(
    {
        "dinas", "dishub", "dlh", "pupr", "pu", "pln", "pdam", "disdukcapil", "dukcapil",
        "polisi", "polsek", "polres", "kepolisian", "damkar", "bpbd", "dinsos", "dinkes",
        "puskesmas", "pemda", "pemkab", "bupati", "instansi", "koramil", "tni", "satlantas",
        "pemdes", "kades", "pambakal", "lurah", "camat",
    }
)  # fmt: skip
# Words that are an agency only after a word of remit or office: "urusan desa", "aparat
# kecamatan", "pihak RT"; alone "desa" is a place ("desa mana kah?").
_PLACE_OFFICES: Final = frozenset({"desa", "kelurahan", "kecamatan", "rt", "rw", "kampung"})
_OFFICE_WORDS: Final = frozenset(
    {
        "aparat",
        "pemerintah",
        "kepala",
        "pihak",
        "ketua",
        "perangkat",
        "kantor",
        "pak",
        "bapak",
        "ke",
        "kepada",
    }
)
# Words of remit: whose business it is.
_REMIT_WORDS: Final = frozenset(
    {
        "urusan", "urusannya", "urusanya", "wewenang", "wewenangnya", "kewenangan",
        "kewenangannya", "berwenang", "ranah", "ranahnya", "tugas", "tugasnya", "bagian",
        "bagiannya", "tanggung", "tanggungjawab", "bidang", "bidangnya", "gawian", "gawiannya",
    }
)  # fmt: skip
# Words of handling: who acts on it ("yang mencopot satpol pp atau dinas?").
_HANDLING_WORDS: Final = frozenset(
    {
        "menangani", "ditangani", "tangani", "nangani", "nanganin", "ngurus", "ngurusin",
        "mengurus", "mengurusi", "diurus", "diurusi", "menindak", "nindak", "ditindak",
        "menertibkan", "nertibin", "nertibkan", "ditertibkan", "mencopot", "dicopot", "nyopot",
        "copot", "membongkar", "dibongkar", "bongkar", "ngebongkar", "mengangkut", "diangkut",
        "razia", "merazia", "dirazia", "turun", "bertindak", "menanganinya", "menindaknya",
        "ditangkap", "menangkap", "mengamankan", "diamankan", "mengurusnya", "mahurus",
        "maurus", "diurusakan",
    }
)  # fmt: skip
# The last word of Satpol PP's name: a demonstrative after it points at the agency.
_AGENCY_TAIL_WORDS: Final = frozenset({"pp", "satpol", "satpolpp", "polpp", "praja"})
# Words that point at the matter at hand: "ini urusan satpol pp kah?" asks about this report
# ("yang" does not: it also begins "apa yang ditangani satpol pp?", a duties question).
_DEMONSTRATIVES: Final = frozenset(
    {
        "ini", "itu", "nih", "tu", "gini", "begini", "bgini", "gitu", "begitu", "kaini",
        "kaitu", "sini", "kasus", "laporan", "laporannya", "kejadian", "kejadiannya",
    }
)  # fmt: skip
# A question for a list ("apa saja", "siapa saja"): the duties in general, not one matter;
# "apa nggak" is a yes/no question ("ini bisa ditangani satpol pp apa nggak?").
_LIST_QUESTION_WORDS: Final = frozenset({"apa", "apaan", "siapa", "mana"})
_NEGATIONS: Final = frozenset(
    {"nggak", "ngga", "gak", "ga", "gk", "tidak", "tdk", "enggak", "engga", "ndak", "kada", "kd"}
)
_CONTRAST_WORDS: Final = frozenset({"atau", "ato", "atw", "bukan", "bkn", "bukannya"})
# A demonstrative after these does not point at the matter: "satpol pp itu …", "apa itu …".
_NOT_POINTING_BEFORE: Final = _AGENCY_TAIL_WORDS | {"apa", "apakah"}
_WHEN_WORDS: Final = frozenset({"kapan", "bila", "lama", "berapa", "brp", "kpn"})
# What makes it a question without a question mark ("urusan satpol pp kah").
_QUESTION_WORDS: Final = frozenset(
    {"kah", "kan", "kn", "bukan", "bkn", "apakah", "apa", "atau", "ato", "atw", "siapa", "mana"}
)


def _words(text: str) -> list[str]:
    lowered = text.lower().replace("’", "'").replace("'", "")
    squeezed = re.sub(r"([a-z])\1{2,}", r"\1", lowered)
    tokens = re.findall(r"[a-z0-9]+", squeezed)
    # "pol pp" and "sat pol pp" are Satpol PP too.
    return [
        "satpol" if t == "pol" and following == "pp" else t
        for t, following in zip(tokens, [*tokens[1:], ""], strict=False)
    ]


def _names_agency(tokens: list[str]) -> tuple[bool, bool]:
    """(names Satpol PP, names another agency)."""
    satpol = any(t in _SATPOL_WORDS for t in tokens)
    other = any(t in _AGENCY_WORDS for t in tokens) or any(
        t in _PLACE_OFFICES and (before in _REMIT_WORDS or before in _OFFICE_WORDS)
        for before, t in zip(["", *tokens], tokens, strict=False)
    )
    return satpol, other


def asks_about_remit(text: str) -> bool:
    """Whether a message asks whose business its matter is (Satpol PP's or another agency's).

    Args:
        text: The typed message ("ini masuk urusan satpol pp kan min? bukan dishub?", "ini
            pang urusan Satpol PP kah, atau urusan desa?", "yang mencopot Satpol PP atau
            Dinas?", "bisa ditangani satpol pp gak?").

    Returns:
        True for a short question that names an agency with a word of remit or handling, or
        sets Satpol PP against another agency; False for the agency's duties in general
        ("apa tugas satpol pp?"), statements ("sudah lapor ke desa
        tapi tidak ditangani"), places ("desa mana kah?") and long messages.
    """
    if not text or text.lstrip().startswith("/"):
        return False
    tokens = _words(text)
    if len(tokens) < 2 or len(tokens) > MAX_REMIT_QUESTION_WORDS:
        return False
    asks = "?" in text or any(
        t in _QUESTION_WORDS or (t.endswith("kah") and len(t) > 4) for t in tokens
    )
    if not asks:
        return False
    satpol, other = _names_agency(tokens)
    if not (satpol or other):
        return False
    # "ini urusan satpol pp kah?" points at this matter; the "itu" of "satpol pp itu tugasnya
    # apa aja" only names the agency and "apa itu tugas satpol pp" asks what its duties are:
    # the duties in general, which ask_duties answers.
    points_here = any(
        t in _DEMONSTRATIVES and before not in _NOT_POINTING_BEFORE
        for before, t in zip(["", *tokens], tokens, strict=False)
    )
    # "… satpol pp atau dinas?", "… bukan dishub?": another agency set against Satpol PP. Both
    # named without it ("apa bedanya satpol pp dengan polisi?") is a question about agencies.
    contrast = other and any(t in _CONTRAST_WORDS for t in tokens)
    remit = any(t in _REMIT_WORDS for t in tokens) and (points_here or contrast)
    # "kapan ditindak satpol pp?" asks when, not whose business (the follow-up answer). "Bisa
    # ditertibkan satpol pp gak?" is about this matter, left unsaid; "apa (saja) yang
    # ditangani satpol pp?" and "satpol pp tugasnya cuma razia kah?" ask for its duties.
    handled = [t for t in tokens if t in _HANDLING_WORDS]
    asks_list = any(
        t in _LIST_QUESTION_WORDS and following not in _NEGATIONS
        for t, following in zip(tokens, [*tokens[1:], ""], strict=False)
    )
    handling = (
        bool(handled)
        and not any(t in _WHEN_WORDS for t in tokens)
        and (
            points_here or contrast or (not asks_list and any(t.startswith("di") for t in handled))
        )
    )
    return remit or (handling and (satpol or other)) or (satpol and contrast and points_here)


# Services of other agencies: a message about them is theirs, whatever else it names ("mau
# bikin KTP", "listrik padam", "BPJS tidak aktif", "biaya sekolah", a road to be repaired, a
# land dispute, prices). Not roads, water or buildings as such: a kiosk over a drain or cattle
# on the road is Satpol PP's; a road "berlubang" that must be "diperbaiki" is Dinas PUPR's.
_OTHER_SERVICE_WORDS: Final = frozenset(
    {
        "ktp", "ektp", "kk", "akta", "akte", "kartu", "dukcapil", "disdukcapil", "sim", "stnk",
        "bpkb", "samsat", "pajak", "bpjs", "kis", "pln", "listrik", "token", "padam", "pdam",
        "sekolah", "spp", "ijazah", "beasiswa", "guru", "bansos", "blt", "pkh", "vaksin",
        "puskesmas", "rs", "sertifikat", "warisan", "utang", "hutang", "pinjol", "sinyal",
        "internet", "wifi", "nikah", "kua", "cerai", "gaji", "lowongan", "loker", "cpns",
        "pppk", "honorer", "paspor", "kredit", "penipuan", "tilang", "berlubang", "lubang",
        "aspal", "diaspal", "pengaspalan", "diperbaiki", "perbaikan", "longsor", "rabies",
        "antirabies", "sengketa", "bpn", "harga", "sembako",
    }
)  # fmt: skip


def names_other_agency_service(text: str) -> bool:
    """Whether a message names a service of another agency (ID cards, power, schools …).

    Args:
        text: The message ("mau bikin KTP dimana ya", "listrik padam dari tadi").

    Returns:
        True when one of its words names such a service.
    """
    return any(t in _OTHER_SERVICE_WORDS for t in _words(text))
