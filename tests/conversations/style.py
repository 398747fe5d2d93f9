"""How a persona types: generic answers in its style, with small seeded variation.

Three styles: ``formal`` (Indonesian as written to an office), ``slang`` (WhatsApp Indonesian:
lower case, abbreviations, no final punctuation) and ``banjar`` (Banjar Hulu as spoken in
Balangan; vocabulary from the reference notes, reference/balangan-facts.md §4b). The
phrases are what people answer to optional questions; a persona may replace any of them with
its own (``say:`` in its file).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "yes": {
        "formal": ("Ya, sudah benar.", "Betul, silakan dikirim.", "Sudah benar.", "Ya, kirim."),
        "slang": ("iya bener", "ya udh bener kirim aja", "yup kirim", "ok min kirim", "y"),
        "banjar": ("inggih", "au", "inggih sudah banar", "jadi ai", "au kirim haja"),
    },
    "report": {
        "formal": ("Saya ingin melaporkan pelanggaran.", "Saya mau membuat laporan."),
        "slang": ("mau lapor min", "min mo lapor", "aku mau ngelapor"),
        "banjar": ("ulun handak bapadah", "handak malapor pian", "ulun handak malaporakan"),
    },
    "agree_report": {
        "formal": ("Ya, saya ingin melapor.", "Benar, ini laporan."),
        "slang": ("iya mau lapor", "iya min", "ya"),
        "banjar": ("inggih, handak bapadah", "au", "inggih"),
    },
    "not_a_report": {
        "formal": ("Tidak, saya hanya ingin menyampaikan saja.", "Bukan, ini bukan laporan."),
        "slang": ("ga min cuma cerita", "nggak kok", "gak jadi"),
        "banjar": ("kada, cuma bakisah haja", "kada", "kadada, kada handak bapadah"),
    },
    "keep_going": {
        "formal": ("Tidak, lanjutkan laporan saya.", "Jangan dibatalkan."),
        "slang": ("ga jd batal, lanjut", "jangan dibatalin min"),
        "banjar": ("kada, lanjut haja", "jangan dibatalakan"),
    },
    "no_photo": {
        "formal": ("Tidak ada foto.", "Maaf, saya tidak sempat memotret.", "Tidak ada, Pak."),
        "slang": ("ga ada foto min", "gak ada", "blm sempet foto", "ga punya fotonya"),
        "banjar": ("kadada foto", "kada ada gambar", "balum sempat foto", "kadada pang"),
    },
    "photos_done": {
        "formal": ("Sudah, itu saja fotonya.", "Cukup, itu saja."),
        "slang": ("udh itu aja", "dah itu aja min", "cukup"),
        "banjar": ("sudah, itu haja", "cukup ngitu haja"),
    },
    "no_name": {
        "formal": ("Saya ingin anonim.", "Mohon dirahasiakan saja.", "Tidak usah disebutkan."),
        "slang": ("anonim aja", "rahasia min", "ga usah pake nama", "jangan disebut ya"),
        "banjar": ("kada usah", "rahasia haja", "kada usah disambat ngaran ulun", "anonim haja"),
    },
    "no_time": {
        "formal": ("Saya kurang tahu pastinya.", "Tidak tahu persis waktunya."),
        "slang": ("ga tau jam brp", "lupa min", "gatau"),
        "banjar": ("kada tahu pang", "kada ingat ulun"),
    },
    "change": {
        "formal": ("Ubah.", "Saya ingin mengubah laporannya."),
        "slang": ("ubah min", "mau ganti dikit"),
        "banjar": ("ubah pang", "handak maubah"),
    },
    "no_change": {
        "formal": ("Tidak ada lagi, sudah benar.", "Sudah benar semua."),
        "slang": ("udh bener kok", "ga ada lg min"),
        "banjar": ("kadada lagi, sudah banar", "sudah banar haja"),
    },
    "more_detail": {
        "formal": ("Mohon segera ditertibkan karena sangat mengganggu warga.",),
        "slang": ("tolong ditindak ya min soalnya ganggu bgt",),
        "banjar": ("tulung diurusiakan, kami taganggu banar",),
    },
    "place_fallback": {
        "formal": ("Desa {desa}, Kecamatan {kecamatan}.", "Di {desa}, Kecamatan {kecamatan}."),
        "slang": ("desa {desa} kec {kecamatan}", "di {desa} kecamatan {kecamatan}"),
        "banjar": ("di desa {desa}, kecamatan {kecamatan}", "di {desa} pang, {kecamatan}"),
    },
    "kecamatan_fallback": {
        "formal": ("Kecamatan {kecamatan}.",),
        "slang": ("kec {kecamatan}",),
        "banjar": ("di kecamatan {kecamatan}",),
    },
}
"""Generic answers by intent and style."""

FIELD_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "category": {"formal": ("Jenis pelanggaran",), "slang": ("jenisnya",), "banjar": ("jenis",)},
    "story": {"formal": ("Kejadian",), "slang": ("ceritanya",), "banjar": ("kisahnya",)},
    "place": {"formal": ("Lokasi",), "slang": ("lokasinya",), "banjar": ("lokasi",)},
    "time": {"formal": ("Waktu",), "slang": ("waktunya",), "banjar": ("waktunya",)},
    "photos": {"formal": ("Foto",), "slang": ("fotonya",), "banjar": ("foto",)},
    "name": {"formal": ("Nama pelapor",), "slang": ("namanya",), "banjar": ("ngaran",)},
}
"""How each style names the field it wants to change."""

FIELD_OPTION_WORDS = {
    "category": ("jenis", "kategori", "pelanggaran"),
    "story": ("kejadian", "cerita", "uraian"),
    "place": ("lokasi", "tempat"),
    "time": ("waktu", "jam"),
    "photos": ("foto", "bukti", "video"),
    "name": ("nama",),
}
"""Words of a choice title that stand for each field."""

_SLANG_SHORT = {
    "tidak": "gak",
    "sudah": "udh",
    "yang": "yg",
    "saja": "aja",
    "belum": "blm",
    "dengan": "dgn",
    "untuk": "utk",
    "banyak": "byk",
    "sekarang": "skrg",
    "karena": "krn",
}


class Voice:
    """A persona's way of typing.

    Args:
        style: ``formal``, ``slang`` or ``banjar``.
        rng: The persona's own random generator (seeded by its id: runs are repeatable).
        own: The persona's own phrases, replacing the generic ones by intent.
    """

    def __init__(
        self, style: str, rng: random.Random, own: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Creates the voice."""
        self.style = style
        self.rng = rng
        self.own = dict(own or {})
        self._offset = {intent: rng.randrange(16) for intent in PHRASES}

    def phrase(self, intent: str, attempt: int = 0, **values: str) -> str:
        """A generic answer: the persona's own wording first, else a style phrase.

        The first answer is picked at random (seeded); a repeated question gets the next
        phrase, so a citizen who is not understood says it differently.
        """
        own = self.own.get(intent)
        if own:
            return self.render(own[attempt % len(own)].format(**values), typed_by_hand=True)
        pool = PHRASES[intent][self.style]
        chosen = pool[(self._offset[intent] + attempt) % len(pool)]
        return self.render(chosen.format(**values))

    def field_word(self, fact: str) -> str:
        """How the persona names a field it wants to change ("lokasi", "waktunya" …)."""
        return self.render(self.rng.choice(FIELD_WORDS[fact][self.style]))

    def render(self, text: str, *, typed_by_hand: bool = False) -> str:
        """Applies the style's surface: slang is lower case, shortened, unpunctuated.

        ``typed_by_hand`` texts (written in the persona file) keep their wording and only get
        the slang persona's casing; the persona's author already chose their spelling.
        """
        if self.style != "slang":
            return text
        lowered = text[0].lower() + text[1:] if text else text
        if typed_by_hand:
            return lowered
        words = []
        for word in lowered.split(" "):
            short = _SLANG_SHORT.get(word.lower())
            words.append(short if short and self.rng.random() < 0.6 else word)
        return re.sub(r"[.!]+$", "", " ".join(words)).lower()
