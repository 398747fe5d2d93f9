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


_WORD = re.compile(r"[A-Za-z]+")
_NO_SPACE = re.compile(r"([,.!?])\s+(?=\S)")
_FINAL_LETTER = re.compile(r"([A-Za-z]+)([^A-Za-z]*)$")
TYPO_KINDS = ("slip", "no_space", "lower", "stretch")
"""How a phone typist slips: a dropped, doubled or swapped letter in a long word; no space
after a comma or full stop; everything in lower case; a final letter held ("iyaaa")."""
SLIP_MIN_LETTERS = 5
"""Shorter words are left alone: a slip in "ya" or "di" makes another word, not a typo."""


class Typist:
    """Phone typing noise on a seeded fraction of the messages a citizen types (``--noise``).

    Off (rate 0) it changes nothing and draws nothing, so a run without noise is the run it
    always was. ``protected`` words (lower case) never get a letter slip or a held letter:
    the gazetteer's desa and kecamatan names (a one-letter slip can make another real place,
    which no reader could resolve; misspelled places are the subject of the dev3 persona set
    instead), the citizen's own name (stored and judged as typed) and a time the judge looks
    for. Taps, pins, photos and stickers are never typed, so never perturbed.

    Args:
        rate: The fraction of typed messages perturbed (0–1).
        rng: Its own random generator, apart from the persona's, for the same reason.
        protected: Words that keep their letters.
    """

    def __init__(self, rate: float, rng: random.Random, protected: frozenset[str]) -> None:
        """Creates the typist."""
        if not 0 <= rate <= 1:
            raise ValueError(f"noise rate must be within 0 and 1, got {rate}")
        self.rate = rate
        self.rng = rng
        self.protected = protected

    def type(self, text: str) -> str:
        """``text`` as typed: unchanged, or with one or two slips of different kinds."""
        if self.rate <= 0 or not text.strip() or self.rng.random() >= self.rate:
            return text
        kinds = [kind for kind in TYPO_KINDS if self._applies(kind, text)]
        if not kinds:
            return text
        chosen = self.rng.sample(kinds, k=min(len(kinds), self.rng.choice((1, 1, 2))))
        # In the order a thumb makes them: a held letter is the last key of the message, so a
        # slip never falls inside the held run ("kok" held is "kokkk", never "kkkk").
        for kind in sorted(chosen, key=TYPO_KINDS.index):
            text = self._apply(kind, text)
        return text

    def _slippable(self, text: str) -> list[re.Match[str]]:
        return [
            match
            for match in _WORD.finditer(text)
            if len(match.group()) >= SLIP_MIN_LETTERS
            and match.group().lower() not in self.protected
        ]

    def _applies(self, kind: str, text: str) -> bool:
        if kind == "slip":
            return bool(self._slippable(text))
        if kind == "no_space":
            return bool(_NO_SPACE.search(text))
        if kind == "lower":
            return text != text.lower()
        final = _FINAL_LETTER.search(text)
        return final is not None and final.group(1).lower() not in self.protected

    def _apply(self, kind: str, text: str) -> str:
        if kind == "slip":
            candidates = self._slippable(text)
            if not candidates:
                return text
            match = self.rng.choice(candidates)
            word = self._slip(match.group())
            return text[: match.start()] + word + text[match.end() :]
        if kind == "no_space":
            return _NO_SPACE.sub(r"\1", text)
        if kind == "lower":
            return text.lower()
        final = _FINAL_LETTER.search(text)
        if final is None or final.group(1).lower() in self.protected:
            return text
        held = final.group(1)[-1] * self.rng.randint(2, 3)
        return text[: final.end(1)] + held + text[final.end(1) :]

    def _slip(self, word: str) -> str:
        """One letter dropped, doubled, or swapped with its neighbour (never the first)."""
        at = self.rng.randrange(1, len(word) - 1)
        how = self.rng.choice(("drop", "double", "swap"))
        if how == "swap" and word[at] != word[at + 1]:
            return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        if how == "drop":
            return word[:at] + word[at + 1 :]
        return word[: at + 1] + word[at:]
