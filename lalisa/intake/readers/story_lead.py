"""The story of a complaint without the greeting, the self-introduction and the announcement.

"Selamat malam. Saya Ketua RT 03 Desa Teluk Mesjid, ingin melaporkan aksi balap liar yang
meresahkan warga kami." is stored as the incident ("Kejadian") that the admin, the jajaran and
the TRC read: "aksi balap liar yang meresahkan warga kami." The reporter's identity ("Ketua RT
03 …", "guru di SMP …", "pemilik rumah makan …") must never reach the TRC (PRODUCT.md,
confidentiality), and the greeting and "saya ingin melaporkan" tell nobody anything.

Only the lead of the message goes, unit by unit, while each unit is one of:

* a greeting or salutation ("Assalamualaikum warahmatullahi wabarakatuh.", "Selamat pagi
  Bapak/Ibu petugas yang saya hormati.", "halo min", "Dengan hormat,");
* a courtesy ("Mohon maaf mengganggu waktunya.", "Maaf pian ulun mangganggu.");
* a self-introduction up to its comma or stop, or up to the wish to report ("Saya warga Murung
  Ilung", "Saya pemilik toko ponsel.", "ulun warga Juai,", "nama saya Rahmat,");
* the announcement itself ("saya ingin melaporkan", "ingin menyampaikan keluhan tentang",
  "ulun handak bapadah", "mohon izin melaporkan").

The story after it stays word for word; a closing greeting at the end ("Wassalamualaikum.")
goes too. When nothing of the story is left, the result is empty and the form asks for it.
"""

from __future__ import annotations

import re
from typing import Final

from lalisa.intake.readers.words import FILLERS, words

# Words a greeting or salutation is made of: the greeting, the time of day, the ones addressed.
_GREETING_WORDS: Final = frozenset(
    {
        "assalamualaikum", "assalamu", "assalammualaikum", "asalamualaikum", "assalamualaikom",
        "alaikum", "askum", "ass", "wr", "wb", "warahmatullahi", "wabarakatuh", "warahmatullah",
        "wabarakatu", "selamat", "salamat", "pagi", "siang", "sore", "malam", "sanja", "halo",
        "hallo", "helo", "hai", "hi", "permisi", "punten", "yth", "yang", "terhormat",
        "kepada", "bapak", "ibu", "bpk", "pak", "bu", "petugas", "admin", "min", "mimin",
        "kak", "kakak", "bang", "mas", "mbak", "pian", "sdr", "saudara", "saudari", "tim",
        "satpol", "pp", "satuan", "polisi", "pamong", "praja", "kabupaten", "balangan",
        "la", "lisa", "lalisa", "dengan", "hormat", "saya", "hormati", "kami", "semua",
        "sekalian", "om", "swastiastu", "salam", "sejahtera", "pagii", "siangg", "malem",
    }
)  # fmt: skip
# A greeting must start with one of these (a story may start with "bapak itu …").
_GREETING_STARTS: Final = frozenset(
    {
        "assalamualaikum", "assalamu", "assalammualaikum", "asalamualaikum", "assalamualaikom",
        "askum", "ass", "selamat", "salamat", "halo", "hallo", "helo", "hai", "hi", "permisi",
        "punten", "yth", "kepada", "dengan", "salam", "om",
        # The one addressed, first: "min, …", "pian, …" (never "bapak", which starts "bapak
        # itu jualan …").
        "min", "mimin", "admin", "pian",
    }
)  # fmt: skip
# Words of a courtesy sentence: "Mohon maaf mengganggu waktunya", "maaf pian ulun mangganggu".
_COURTESY_WORDS: Final = frozenset(
    {
        "mohon", "maaf", "maap", "mf", "mengganggu", "menganggu", "mangganggu", "ganggu",
        "waktunya", "waktu", "sebelumnya", "pian", "ulun", "saya", "sy", "izin", "ijin",
        "permisi", "sebentar", "bapak", "ibu", "pak", "bu", "min", "kak", "nah", "ya",
    }
)  # fmt: skip
_COURTESY_STARTS: Final = frozenset({"mohon", "maaf", "maap", "mf", "permisi"})
_SELF: Final = r"(?:saya|sy|aku|ulun|kami)"
# What a self-introduction says the reporter is: "saya warga …", "saya seorang guru …".
_IDENTITY_WORDS: Final = (
    r"warga|penduduk|ketua|kepala|seorang|salah\s+satu|salah\s+seorang|pemilik|pengelola"
    r"|pedagang|guru|pengurus|anggota|tokoh|ibu|bapak|pak|bu|orang|urang|pembakal|kades"
    r"|lurah|rt|rw|petani|pegawai|karyawan|mahasiswa|pelajar|siswa|sopir|supir|tukang"
    r"|bernama|nama(?:nya)?|dari|tinggal|yang\s+tinggal|nang\s+tinggal|marbot|takmir|imam"
    r"|perwakilan|wakil|pemuda"
)
# The wish or the verb that ends a self-introduction and starts the announcement.
_WISH: Final = r"(?:ingin|mau|mo|hendak|handak|bermaksud|akan|izin|ijin|mohon\s+izin)"
_REPORT_VERBS: Final = (
    r"(?:melaporkan|laporkan|lapor|melapor|malapor|mengadukan|mengadu|ngadu|bapadah"
    r"|menyampaikan|sampaikan|mengeluhkan|ngelapor|nglapor|laporin|bakisah|bercerita"
    r"|cerita|memberitahukan|menginformasikan|mengabarkan)"
)
_CLAUSE_END: Final = r"(?:[.,;:!?\n]+|$)"
_SELF_INTRO = re.compile(
    rf"^(?:(?:perkenalkan|perkenankan|kenalkan)\W+)?{_SELF}\s+(?:adalah\s+|sebagai\s+|ini\s+)?"
    rf"(?:{_IDENTITY_WORDS})\b.*?(?={_CLAUSE_END}|\s+{_WISH}\b|\s+{_REPORT_VERBS}\b)"
    rf"[.,;:!?\n]*",
    re.I | re.S,
)
# "nama saya Rahmat," / "ngaran ulun Udin," and "Saya Ahmad, warga …": a name given.
# "saya perangkat desa ingin melaporkan …": whoever the reporter says they are, up to the wish.
_SELF_BEFORE_WISH = re.compile(
    rf"^{_SELF}\s+(?:[^\s.,;:!?]+\s+){{1,6}}?(?=(?:{_WISH}\s+)?{_REPORT_VERBS}\b)", re.I
)
_NAME_INTRO = re.compile(
    rf"^(?:(?:nama|ngaran)\s+{_SELF}\s+[^.,;:!?\n]+[.,;:!?\n]+"
    rf"|(?i:saya|ulun|aku)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+){{0,2}}\s*[,.]+)",
)
# "Saya Ahmad, warga Lok Batu.": where the one just named lives, after the name.
_RESIDENCE = re.compile(r"^(?:warga|penduduk)\s+[^.,;:!?\n]+[.,;:!?\n]+", re.I)
_ANNOUNCEMENT = re.compile(
    # "maaf mau lapor, …": an apology may come first.
    r"^(?:(?:mohon\s+)?(?:maaf|maap|mf|permisi)\s+(?:(?:min|pak|bu|kak|pian)\s+)?)?"
    rf"(?:(?:perkenankan|izinkan)\s+{_SELF}\s+(?:sebagai\s+\w+\s+)?|{_SELF}\s+)?"
    rf"(?:{_WISH}\s+)?(?:(?:mohon\s+)?(?:izin|ijin)\s+)?{_REPORT_VERBS}\b"
    r"(?:\s+(?:keluhan|laporan|pengaduan|aduan|kejadian|masalah))?"
    r"(?:\s+(?:tentang|soal|terkait|mengenai|perihal|bahwa|atas|kalau|kalo|kalu|amun))?"
    r"(?:\s+adanya\b)?[\s.,;:!?\n]*",
    re.I,
)
_CLOSING = re.compile(
    r"(?:[\s.,;:!?\n]*(?:wassalamu\W*alaikum|wassalam|wasalam)\b[\w\s']*|[\s.,;:!?\n]*hormat\s+saya)"
    r"[\s.,;:!?\n]*$",
    re.I,
)
_TOKEN = re.compile(r"[A-Za-z0-9']+|[^\sA-Za-z0-9']")


def _lead_of_words(text: str, vocabulary: frozenset[str], starts: frozenset[str]) -> int:
    """The length of a lead of ``text`` made only of ``vocabulary`` words, ended by a stop.

    Returns 0 when the text does not start with one of ``starts`` or the lead runs into a
    word outside the vocabulary before its comma or stop ("halo min ada org gila" keeps
    "ada org gila": the lead "halo min" ends at the story, not at a stop).
    """
    position = 0
    seen = False
    last_end = 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        word = re.sub(r"[^a-z]", "", token.lower())
        if not word and token in ".,;:!?\n/-":
            if seen:
                last_end = match.end()
            continue
        if not word:
            break
        if not seen and word not in starts:
            return 0
        if word not in vocabulary:
            # The lead ends here: at its last stop, or at the first story word when the lead
            # is a greeting written without one ("halo min ada …").
            return last_end if last_end else match.start()
        seen = True
        position = match.end()
    return max(last_end, position) if seen else 0


def without_story_lead(text: str) -> str:
    """``text`` without its greeting, self-introduction and announcement (see the module).

    Args:
        text: An opening or a description, e.g. "Selamat malam. Saya Ketua RT 03 Desa Teluk
            Mesjid, ingin melaporkan aksi balap liar yang meresahkan warga kami."

    Returns:
        The story ("aksi balap liar yang meresahkan warga kami."), its first letter as
        capital as the text's was; "" when nothing but the lead was said.
    """
    rest = text.strip()
    for _ in range(8):
        before = rest
        cut = _lead_of_words(rest, _GREETING_WORDS, _GREETING_STARTS)
        if not cut:
            cut = _lead_of_words(rest, _COURTESY_WORDS, _COURTESY_STARTS)
            if cut and not re.match(r"^[^.,;:!?\n]*[.,;:!?\n]", rest[: cut + 1]):
                cut = 0  # a courtesy only counts as a whole sentence or clause
        if cut:
            rest = rest[cut:]
        else:
            for pattern in (_NAME_INTRO, _SELF_INTRO, _SELF_BEFORE_WISH, _ANNOUNCEMENT):
                match = pattern.match(rest)
                if match is not None and match.end():
                    rest = rest[match.end() :]
                    if pattern is _NAME_INTRO:
                        rest = _RESIDENCE.sub("", rest.lstrip(), count=1)
                    break
        rest = rest.lstrip(" \t\n.,;:!?-/")
        if rest == before:
            break
    rest = _CLOSING.sub("", rest).strip()
    if all(word in FILLERS for word in words(rest)):
        return ""  # "lapor min": nothing of the story but the one addressed
    if rest and text.strip()[:1].isupper():
        rest = rest[0].upper() + rest[1:]
    return rest
