"""Reading the assistant: which question a turn asks, which choices it offers, what happened.

The simulator must understand the assistant the way a citizen does, from the text and the
buttons on the screen, never from the tracker. The cues are keywords of Bahasa Indonesia
questions ("Di mana lokasinya?", "Kapan kejadiannya?"), not exact sentences, so rewording a
response does not break the suite; a cue list that no longer matches shows up as a failed
conversation with the unread text in its transcript.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class Question(str, enum.Enum):
    """What the assistant asks for in a turn."""

    MENU = "menu"
    """A greeting or a menu of services: no complaint question yet."""
    CONFIRM_REPORT = "confirm_report"
    """Whether the citizen wants to report a violation at all."""
    CATEGORY = "category"
    DESCRIPTION = "description"
    LOCATION = "location"
    TIME = "time"
    EVIDENCE = "evidence"
    EVIDENCE_MORE = "evidence_more"
    """A photo arrived; more may follow or the citizen goes on."""
    NAME = "name"
    SUMMARY = "summary"
    CORRECTION_FIELD = "correction_field"
    CONFIRM_CANCEL = "confirm_cancel"


COMPLAINT_QUESTIONS = frozenset(
    {
        Question.CATEGORY,
        Question.DESCRIPTION,
        Question.LOCATION,
        Question.TIME,
        Question.EVIDENCE,
        Question.EVIDENCE_MORE,
        Question.NAME,
        Question.SUMMARY,
        Question.CORRECTION_FIELD,
        Question.CONFIRM_CANCEL,
    }
)
"""Questions that only come once a complaint has started (an off-topic false start)."""

QUESTION_FACT = {
    Question.CATEGORY: "category",
    Question.DESCRIPTION: "story",
    Question.LOCATION: "place",
    Question.TIME: "time",
    Question.EVIDENCE: "photos",
    Question.EVIDENCE_MORE: "photos",
    Question.NAME: "name",
}
"""The persona fact that answers each complaint question."""

TICKET_RE = re.compile(r"\bLLS-\d{4}-\d{6}\b")


@dataclass(frozen=True)
class Option:
    """A choice the citizen can tap: a reply button, a list row, or a numbered text line."""

    title: str
    payload: str | None = None
    """REST: what tapping the button sends."""
    reply_id: str | None = None
    """WhatsApp: the id of the button or list row."""
    reply_kind: str | None = None
    """WhatsApp: ``button_reply`` or ``list_reply``."""
    number: int | None = None
    """A numbered text menu: the citizen answers with this number."""


@dataclass(frozen=True)
class BotMessage:
    """One message of the assistant, as the citizen sees it."""

    text: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Reading:
    """What a citizen understands from one turn of the assistant (all its messages)."""

    question: Question | None
    options: tuple[Option, ...] = ()
    ticket_numbers: tuple[str, ...] = ()
    cancelled: bool = False
    not_understood: bool = False
    text: str = ""
    hints: tuple[str, ...] = ()
    """Words the assistant says to type when the citizen cannot answer (*lewati*)."""
    summary: dict[str, str] = field(default_factory=dict)
    """The summary's fields (``jenis``, ``lokasi`` …), when the turn shows one."""
    retry: bool = False
    """The assistant failed to take the last message (a technical fault) and asks to resend."""


def normalise(text: str) -> str:
    """Lower-cased text without WhatsApp markup, with single spaces."""
    text = re.sub(r"[*_~`]", "", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def _has(text: str, cues: tuple[str, ...]) -> bool:
    """Whether ``text`` holds a cue; a cue starting with ``re:`` is a regular expression."""
    return any(re.search(cue[3:], text) if cue.startswith("re:") else cue in text for cue in cues)


def _questions(text: str) -> list[str]:
    """The sentences of ``text`` that end with a question mark."""
    return [s for s in re.split(r"(?<=[.!?\n])\s+", text) if s.strip().endswith("?")]


# Messages that only inform (an answer to a digression, a refusal): they ask nothing by
# themselves unless they also carry a question sentence.
_INFO_CUES = (
    "di luar kewenangan",
    "nomor darurat",
    "jam layanan",
    "jam kerja kantor",
    "dirahasiakan",
    "terenkripsi",
    "pp nomor 16",
    "kegiatan rutin",
    "alamat:",
    "telepon kantor",
    "cara melapor",
    "tiket",
    "status",
    "lokasi tercatat",
    # What happens after a report ("… TRC Satpol PP ke lokasi"): no question of the form.
    "tim reaksi cepat",
    # A change to the value already there ("Jenis laporan sudah tercatat sebagai …").
    "tidak ada yang perlu diubah",
    "hanya bisa membaca",
    "belum bisa dibaca",
)
_NOT_UNDERSTOOD = (
    "belum memahami",
    "belum mengerti",
    "kurang paham",
    "tidak mengerti",
    "belum paham",
)
_CANCELLED = ("dibatalkan", "tidak dikirim")
_NOT_FOUND = ("tidak ditemukan", "tidak kami temukan")
_RETRY = (r"re:\b(gagal|gangguan)\b.*\b(kirim ulang|coba lagi|coba kirim)",)
_CONFIRM_CANCEL = (
    "batalkan laporan",
    "membatalkan laporan",
    "yakin ingin membatalkan",
    "yakin batal",
)
_CORRECTION = (
    "bagian mana",
    "ingin diubah",
    "mau diubah",
    "yang diubah",
    "pilih salah satu: jenis",
)
_SUMMARY = ("periksa laporan", "ringkasan laporan", "sudah benar", "siap dikirim", "untuk mengirim")
_CONFIRM_REPORT = (
    "ingin melapor",
    "mau melapor",
    "ingin membuat laporan",
    "mau membuat laporan",
    "ingin melaporkan",
    "mau melaporkan",
    "laporan pelanggaran?",
    "handak bapadah",
)
_NAME = ("siapa nama", "nama anda", "nama pian", "sebutkan nama", "nama lengkap", "nama pelapor?")
_EVIDENCE_MORE = ("diterima (", "file lain", "foto lain", "foto/video diterima")
_EVIDENCE = ("foto", "video", "bukti", "gambar")
_KEPT = ("sudah kami terima", "akan kami lampirkan", "akan kami pakai")
_TIME = (r"re:\bkapan\b(?!\s+(saja|pun|lagi))", "waktu kejadian", "jam berapa", "tanggal berapa")
_LOCATION = ("lokasi", "di mana", "dimana", "desa/kelurahan", "nama desa", "kecamatan", "alamat")
_DESCRIPTION = ("ceritakan", "apa yang terjadi", "lebih lengkap", "jelaskan", "kronologi")
_CATEGORY = ("jenis pelanggaran", "jenis laporan", "pelanggaran apa", "jenis masalah", "kategori")
_MENU = ("selamat datang", "salamat datang", "pilih layanan", "bisa kami bantu", "kawa kami bantu")

CATEGORY_OPTION_WORDS = {
    "pkl": ("pkl", "pedagang", "kaki lima"),
    "reklame_liar": ("reklame", "spanduk", "baliho"),
    "miras": ("miras", "tuak", "minuman keras", "mabuk"),
    "peminta_sumbangan": ("sumbangan",),
    "asusila": ("asusila", "remang"),
    "hiburan_malam": ("hiburan",),
    "ramadan": ("ramadan", "ramadhan", "puasa"),
    "balap_liar": ("balap",),
    "keributan": ("keributan", "perkelahian", "ribut"),
    # "Kebisingan" itself: "bising" inside it starts no word, so it never matched.
    "kebisingan": ("kebisingan", "bising", "berisik"),
    "odgj": ("odgj", "gangguan jiwa"),
    "gepeng": ("gepeng", "pengemis", "gelandangan"),
    "sampah": ("sampah",),
    "ternak_lepas": ("ternak",),
    "bangunan_liar": ("bangunan",),
    "parkir_liar": ("parkir",),
    "fasum_rusak": ("fasilitas umum", "fasum", "perusakan"),
    "lainnya": ("lainnya", "lain-lain", "lain"),
}
"""Words by which a citizen recognises their kind of problem among the offered choices."""


def option_category(title: str) -> str | None:
    """The category a choice title stands for, or None when it is not a category."""
    text = normalise(title)
    for category, words in CATEGORY_OPTION_WORDS.items():
        if any(re.search(rf"\b{re.escape(word)}", text) for word in words):
            return category
    return None


def _numbered_options(text: str) -> tuple[Option, ...]:
    """``1. Paringin`` lines of a numbered text menu (the WhatsApp fallback for long lists)."""
    found = []
    for line in text.splitlines():
        match = re.match(r"^\s*\*?(\d{1,2})\*?[.)]\s+(.+?)\s*$", line)
        if match:
            title = match.group(2).split(" - ")[0].strip()
            found.append(Option(title=title, number=int(match.group(1))))
    numbers = [o.number for o in found]
    # A real menu counts 1, 2, 3 …; a numbered explanation in prose is not a menu.
    if len(found) >= 2 and numbers == list(range(1, len(found) + 1)):
        return tuple(found)
    return ()


def classify(message: BotMessage) -> Question | None:
    """The question one message asks, or None when it only informs."""
    text = normalise(message.text)
    titles = [normalise(o.title) for o in message.options]
    questions = [normalise(q) for q in _questions(message.text)]
    if TICKET_RE.search(message.text):
        return None
    if _has(text, _CANCELLED) and not questions:
        return None
    if questions and _has(" ".join(questions), _CONFIRM_CANCEL):
        return Question.CONFIRM_CANCEL
    if _has(text, _CORRECTION):
        return Question.CORRECTION_FIELD
    if _has(text, _SUMMARY) or any("kirim laporan" in t for t in titles):
        return Question.SUMMARY
    category_titles = sum(1 for o in message.options if option_category(o.title))
    asks_category = _has(text, _CATEGORY) or category_titles >= 2
    if questions and not asks_category and _has(" ".join(questions), _CONFIRM_REPORT):
        return Question.CONFIRM_REPORT
    if _has(text, _EVIDENCE_MORE):
        return Question.EVIDENCE_MORE
    if _has(text, _KEPT) and _has(text, _DESCRIPTION):
        # "Foto/lokasi sudah kami terima … Ceritakan singkat apa yang terjadi": what was sent
        # first is kept; the question is the story.
        return Question.DESCRIPTION
    informs = _has(text, _INFO_CUES) or _has(text, _NOT_UNDERSTOOD)
    if informs and not questions and not message.options:
        return None
    if _numbered_prose(message.text):
        return None
    if _has(text, _MENU) or any(t.startswith("lapor") for t in titles):
        return Question.MENU
    if _has(text, _NAME):
        return Question.NAME
    if _has(text, _EVIDENCE):
        return Question.EVIDENCE
    if _has(text, _TIME):
        return Question.TIME
    if _has(text, _LOCATION):
        return Question.LOCATION
    if _has(text, _DESCRIPTION):
        return Question.DESCRIPTION
    if asks_category:
        return Question.CATEGORY
    return None


def _is_cancellation(message: BotMessage) -> bool:
    """The assistant says the report was dropped.

    Not a question whether to drop it, and not "laporan tidak dibatalkan" (it was kept).
    """
    text = re.sub(
        r"\b(tidak|tak|nggak|gak|batal)\s+(jadi\s+)?dibatalkan\b", "", normalise(message.text)
    )
    return _has(text, _CANCELLED) and "batal" in text and not _questions(message.text)


def _numbered_prose(text: str) -> bool:
    """An explanation written as a numbered list (how to report) rather than a menu.

    A menu numbers short titles ("1. Awayan"); an explanation numbers sentences.
    """
    items = re.findall(r"(?m)^\s*\d[.)]\s+(.*)$", text)
    if len(items) < 3 or _questions(text):
        return False
    return sum(len(item.split()) for item in items) / len(items) > 6


def _hints(text: str) -> tuple[str, ...]:
    """Words in *bold* after "ketik" in a sentence about not having or not knowing."""
    hints = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        lowered = sentence.lower()
        if re.search(r"\b(tidak|tak|belum|kada)\b", lowered):
            hints += re.findall(r"[Kk]etik\s+\*([^*]+)\*", sentence)
    return tuple(h.strip() for h in hints)


def parse_summary(text: str) -> dict[str, str]:
    """The ``• Field: value`` lines of a summary, by lower-cased field name."""
    fields = {}
    for line in text.splitlines():
        match = re.match(r"^\s*[•\-*]\s*([^:]{2,30}):\s*(.*)$", line)
        if match:
            fields[normalise(match.group(1))] = match.group(2).strip()
    return fields


def read_turn(messages: Sequence[BotMessage]) -> Reading:
    """What one turn of the assistant asks: the last message that asks something wins.

    An answer to a digression followed by the form's question again reads as that question;
    "Lokasi tercatat: …" followed by "Kapan kejadiannya?" reads as the time question.
    """
    question = None
    options: tuple[Option, ...] = ()
    summary: dict[str, str] = {}
    for message in messages:
        asked = classify(message)
        if asked is not None:
            question = asked
            options = message.options or _numbered_options(message.text)
            if asked is Question.SUMMARY:
                summary = parse_summary(message.text) or summary
    full = "\n".join(m.text for m in messages)
    return Reading(
        question=question,
        options=options,
        # "Tiket LLS-… tidak ditemukan" (a status question about another number) files nothing.
        ticket_numbers=tuple(
            number
            for m in messages
            if not _has(normalise(m.text), _NOT_FOUND)
            for number in TICKET_RE.findall(m.text)
        ),
        cancelled=any(_is_cancellation(m) for m in messages),
        not_understood=_has(normalise(full), _NOT_UNDERSTOOD),
        text=full,
        hints=_hints(full),
        summary=summary,
        retry=question is None and _has(normalise(full), _RETRY),
    )


def find_option(options: Sequence[Option], words: Iterable[str]) -> Option | None:
    """The first option whose title contains one of ``words`` as a word (case-insensitive)."""
    wanted = [normalise(w) for w in words if w]
    for option in options:
        title = normalise(option.title)
        if any(re.search(rf"(^|\W){re.escape(w)}($|\W)", title) for w in wanted):
            return option
    return None
