"""Questions about the form's own question, asked instead of the answer.

At a form step citizens often ask what the question means before they answer it:
"maksudnya alamat lengkap kah?", "harus pakai nama asli kah?", "fotonya wajib ga min?",
"jam pastinya lupa, tidak apa-apa?", "kapan ditindak?". The NLU reads these as
``ask_office_contact``, ``ask_how_to_report`` or nothing at all, and the general answer (the
office address, the five steps of reporting, "waktunya belum kami pahami") does not answer
them. :func:`step_question` finds the response that does, for the question being asked; the
form says it and asks its question again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from lalisa.intake.readers.words import looks_like_question, words
from lalisa_common.follow_up import asks_about_follow_up, names_follow_up

MAX_STEP_QUESTION_WORDS: Final = 16
"""A longer message is a story or an answer of its own, not a question about the question."""

FOLLOW_UP_RESPONSE: Final = "utter_help_follow_up"
"""What happens to the report once sent (who reads it, when it is handled)."""

HELP_RESPONSES: Final[dict[str, str]] = {
    "category": "utter_help_category",
    "description": "utter_help_description",
    "location": "utter_help_location",
    "kecamatan_choice": "utter_help_location",
    "desa_choice": "utter_help_location",
    "incident_time": "utter_help_incident_time",
    "evidence": "utter_help_evidence",
    "reporter_name": "utter_help_reporter_name",
    "complaint_confirmation": FOLLOW_UP_RESPONSE,
}
"""The response that explains each question of the form."""

# Words that ask about a requirement or a meaning ("wajib kah", "harus", "maksudnya").
_ASKING_WORDS: Final = frozenset(
    {
        "kah", "wajib", "wajibkah", "harus", "haruskah", "hrs", "perlu", "perlukah", "musti",
        "mesti", "boleh", "bolehkah", "bulih", "bulihkah", "gpp", "gapapa", "papa", "maksud",
        "maksudnya", "contoh", "contohnya", "gimana", "bagaimana", "gmn", "kayapa", "apa",
        "apaan", "mana", "bingung",
    }
)  # fmt: skip

# The words of each question's topic ("alamat", "foto", "nama asli").
_CATEGORY_TOPIC: Final = frozenset(
    {"jenis", "jenisnya", "kategori", "kategorinya", "pilih", "pilihan", "bingung", "masuk"}
)
_DESCRIPTION_TOPIC: Final = frozenset(
    {
        "cerita", "ceritanya", "ceritakan", "diceritakan", "ceritain", "kisah", "kisahnya",
        "kisahakan", "dikisahakan", "detail", "detil", "detailnya", "lengkap", "panjang",
        "jelaskan", "dijelaskan", "kejadian", "kejadiannya",
    }
)  # fmt: skip
_LOCATION_TOPIC: Final = frozenset(
    {
        "alamat", "alamatnya", "lengkap", "rumah", "rumahnya", "nomor", "nomornya", "jalan",
        "jalannya", "jl", "jln", "desa", "desanya", "kelurahan", "kecamatan", "patokan",
        "patokannya", "lokasi", "lokasinya", "titik", "maps", "map", "share", "shareloc",
        "sharelok", "rt", "rw", "tempat", "tempatnya", "kampung",
    }
)  # fmt: skip
_TIME_TOPIC: Final = frozenset(
    {
        "jam", "jamnya", "tanggal", "tanggalnya", "tgl", "hari", "harinya", "waktu",
        "waktunya", "tepat", "persis", "pasti", "pastinya", "lupa", "ingat", "kira",
    }
)  # fmt: skip
_EVIDENCE_TOPIC: Final = frozenset(
    {
        "foto", "fotonya", "poto", "potonya", "gambar", "gambarnya", "video", "videonya",
        "bukti", "buktinya", "motret", "memotret", "difoto", "rekam", "direkam", "vidio",
    }
)  # fmt: skip
_NAME_TOPIC: Final = frozenset(
    {
        "nama", "namanya", "ngaran", "ngarannya", "ngaranya", "asli", "samaran", "panggilan",
        "lengkap", "ktp",
    }
)  # fmt: skip
_SUMMARY_TOPIC: Final = frozenset(
    {"siapa", "selanjutnya", "setelah", "habis", "abis", "kemudian", "dikirim"}
)
_TOPIC_WORDS: Final[dict[str, frozenset[str]]] = {
    "category": _CATEGORY_TOPIC,
    "description": _DESCRIPTION_TOPIC,
    "location": _LOCATION_TOPIC,
    "kecamatan_choice": _LOCATION_TOPIC,
    "desa_choice": _LOCATION_TOPIC,
    "incident_time": _TIME_TOPIC,
    "evidence": _EVIDENCE_TOPIC,
    "reporter_name": _NAME_TOPIC,
    "complaint_confirmation": _SUMMARY_TOPIC,
}


def _asks(text: str, tokens: list[str]) -> bool:
    return looks_like_question(text) or any(
        t in _ASKING_WORDS or (t.endswith("kah") and len(t) > 4) for t in tokens
    )


def step_question(asked: str, text: str) -> str | None:
    """The response that answers a question about the question ``asked``, if ``text`` is one.

    Args:
        asked: The slot the form asked for ("location", "evidence" …).
        text: The citizen's message, already known not to answer the question.

    Returns:
        A response name (``utter_help_location`` …), or None when the message is no
        question about this step (nor about what happens to the report).
    """
    if asks_about_follow_up(text):
        # The reader the NLU's text rules use: what they read as a follow-up question is
        # answered here too, whatever the step.
        return FOLLOW_UP_RESPONSE
    tokens = words(text)
    if not tokens or len(tokens) > MAX_STEP_QUESTION_WORDS or not _asks(text, tokens):
        return None
    if any(names_follow_up(t) for t in tokens):
        # "kapan ditindak?" at any step: what happens to the report, then the question again.
        return FOLLOW_UP_RESPONSE
    response = HELP_RESPONSES.get(asked)
    if response is None:
        return None
    topic = _TOPIC_WORDS.get(asked, frozenset())
    if any(t in topic for t in tokens) or tokens[0] in ("maksud", "maksudnya"):
        return response
    return None


# The words of each specific digression: a question at a step is that digression only when it
# says so ("identitas saya aman kah?", "jam berapa kantor buka?", "bisa bicara dengan petugas?"),
# not because the intent classifier guessed it for a question about the step.
_DIGRESSION_WORDS: Final[dict[str, frozenset[str]]] = {
    "ask_confidentiality": frozenset(
        {
            "rahasia", "dirahasiakan", "rahasiakan", "kerahasiaan", "aman", "keamanan",
            "privasi", "privacy", "identitas", "ketahuan", "katahuan", "bocor", "dibocorkan",
            "disebar", "disebarkan", "anonim", "terlapor", "dilaporkan",
        }
    ),
    "ask_service_hours": frozenset(
        {"buka", "tutup", "libur", "operasional", "pelayanan", "layanan", "kerja", "kantor"}
    ),
    "request_human": frozenset(
        {
            "petugas", "operator", "manusia", "orang", "cs", "telepon", "telpon", "nelpon",
            "bicara", "ngobrol", "langsung", "hubungi", "menghubungi",
        }
    ),
    "bot_challenge": frozenset({"bot", "robot", "mesin", "manusia", "otomatis", "ai"}),
    "emergency": frozenset(
        {
            "darurat", "kebakaran", "terbakar", "api", "berkelahi", "bakalahi", "tawuran",
            "luka", "berdarah", "pingsan", "kecelakaan", "tolong", "bahaya", "senjata",
            "ambulans", "ambulan", "damkar", "polisi",
        }
    ),
    "check_status": frozenset(
        {"status", "statusnya", "tiket", "tiketnya", "nomor", "lls", "sebelumnya", "kemarin"}
    ),
}  # fmt: skip


def names_digression(intent: str, text: str) -> bool:
    """Whether a question's own words name the digression the NLU gave it.

    Args:
        intent: The intent of the message (``ask_confidentiality`` …).
        text: The citizen's message.

    Returns:
        True when the text holds a word of that digression; False for intents without a word
        list and for questions that only name the step ("hrs nama asli ga min?").
    """
    topic = _DIGRESSION_WORDS.get(intent)
    return topic is not None and any(t in topic for t in words(text))


# Words that point at a report sent before this one ("laporan saya kemarin sudah diproses?").
_EARLIER_REPORT_WORDS: Final = frozenset(
    {
        "kemarin", "kmrn", "kemaren", "kamarin", "sebelumnya", "lalu", "dulu", "tadi",
        "status", "statusnya", "tiket", "tiketnya", "lls",
    }
)  # fmt: skip


def asks_about_an_earlier_report(text: str, entities: Iterable[Mapping[str, Any]] = ()) -> bool:
    """Whether a follow-up question is about a report sent before (a status check).

    Args:
        text: The citizen's message ("laporan saya kemarin kapan ditindak?").
        entities: The NLU entities of the message (a ``ticket_id`` names the report).

    Returns:
        True when the message names a ticket or an earlier report.
    """
    if any(entity.get("entity") == "ticket_id" for entity in entities):
        return True
    return any(t in _EARLIER_REPORT_WORDS for t in words(text))
