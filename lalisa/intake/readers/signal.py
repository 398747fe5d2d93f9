"""Whether a message reports a complaint at all: reporting verbs, venting, courtesy only.

Used by the action server before the form starts (:func:`complaint_signal`).
"""

from __future__ import annotations

import re
from typing import Final, Literal

from lalisa.intake.readers.words import (
    NEGATIONS,
    asks_something,
    is_payload,
    story_words,
    tells_a_story,
)

COMPLAINT_INTENT_CONFIDENCE: Final = 0.7
"""A ``report_complaint`` below this intent confidence is a weak signal."""
COMPLAINT_CATEGORY_CONFIDENCE: Final = 0.3
"""A category at least this probable makes a message read as a complaint."""
COMPLAINT_GATE_CONFIDENCE: Final = 0.5
"""A complaint-gate probability below this is a weak signal (lalisa_rasa.nlu.complaint_gate
demotes below 0.25; between the two the citizen is asked first)."""

# Words of someone who says outright that they are reporting: these outweigh a doubtful gate.
_REPORTING_VERBS = re.compile(
    r"\b(lapor|melapor|melaporkan|laporkan|lapur|malapor|mengadu|adukan|aduan|pengaduan"
    # Spoken Jakarta-style forms: "mau ngelapor", "tolong laporin", "ngadu".
    r"|ngelapor|nglapor|ngelaporin|laporin|dilaporin|ngadu|ngaduin"
    r"|bapadah|komplain|komplen|tertibkan|ditertibkan|menertibkan|tindak|ditindak|razia"
    r"|dirazia|satpol)\b",
    re.I,
)

# Words before a reporting word that make it the name of someone's complaint service, asked
# for, not a report made: "nomor pengaduan PLN", "layanan aduan PDAM", "kamana bapadah?".
_SERVICE_LEAD = re.compile(
    r"\b(?:nomor|nomer|nmr|no|kontak|layanan|pusat|call\s*center|hotline|alamat|tempat"
    r"|kemana|kamana|ke\s+mana|ka\s+mana|dimana|di\s+mana|siapa)\s+(?:\w+\s+)?$",
    re.I,
)


def says_reporting(text: str) -> bool:
    """Whether the citizen says outright that they are reporting ("mau lapor", "bapadah").

    A reporting word that names another service asked for ("Mohon info nomor pengaduan PLN",
    "kamana bapadah banyu mati?") says nothing of a report to Satpol PP.
    """
    return any(
        not _SERVICE_LEAD.search(text[: match.start()]) for match in _REPORTING_VERBS.finditer(text)
    )


# Words of someone who means to report: "mau lapor", "tolong ditertibkan", "aduan".
_REPORT_WORDS = re.compile(
    r"\b(lapor|melapor|melaporkan|laporkan|laporan|lapur|mengadu|adukan|aduan|pengaduan"
    r"|ngelapor|nglapor|ngelaporin|laporin|dilaporin|ngadu|ngaduin"
    r"|komplain|komplen|tertibkan|ditertibkan|menertibkan|penertiban|tindak|ditindak"
    # "ingin menyampaikan keluhan tentang …", "mau mengeluhkan …": a complaint said as such.
    r"|keluhan|keluhkan|mengeluhkan|dikeluhkan"
    r"|tindaklanjuti|razia|dirazia|satpol|bubarkan|dibubarkan|resahkan|meresahkan|mengganggu"
    # Words of a public-order problem, not of a review or a private matter.
    r"|ganggu|terganggu|ilegal|liar|berisik|brisik|bising|bahaya|berbahaya|membahayakan|izin"
    r"|izinnya|sembarangan|dilarang|terlarang|melanggar|pelanggaran|resah|meresahkan)\b",
    re.I,
)

Signal = Literal["strong", "weak"]

# Words of feeling and emphasis: a line made only of them vents ("kesel bgt sumpah", "hadeh
# parah banar"), it tells no incident to report.
_VENTING_WORDS: Final = frozenset(
    {
        "kesel", "kesal", "kzl", "sebel", "sebal", "jengkel", "jangkel", "marah", "emosi",
        "geram", "muak", "kecewa", "sedih", "capek", "cape", "lelah", "bete", "bt",
        "pusing", "stres", "stress", "sakit", "hati", "sumpah", "demi", "parah", "gila",
        "gokil", "anjir", "anjay", "astaga", "astagfirullah", "astaghfirullah", "ya", "allah",
        "masya", "masyaallah", "hadeh", "hadeuh", "haduh", "aduh", "duh", "wkwk", "wkwkwk",
        "haha", "hehe", "huft", "hufft", "bgt", "banget", "bngt", "bener", "benar", "banar",
        "sangat", "sekali", "amat", "asli", "pol", "kacau", "ampun", "beh", "buset", "anjrit",
        "sial", "sialan", "nyebelin", "menyebalkan", "ngeselin", "menjengkelkan", "bikin",
        "pang", "lah", "ai", "ni", "nih", "tu", "tuh", "jadi", "aku", "gue", "gw", "hari",
        "ini", "rasanya", "rasa", "kayanya", "kaya", "kayak", "mood", "males", "malas",
    }
)  # fmt: skip
# Courtesy words of an opening line: "Mohon maaf mengganggu waktunya", "izin bertanya sebentar".
_COURTESY_WORDS: Final = frozenset(
    {
        "waktunya", "waktu", "sebentar", "bentar", "sejenak", "ganggu", "mengganggu",
        "menganggu", "ngganggu", "nanya", "bertanya", "tanya", "numpang", "sehat", "kabar",
        "semoga", "selalu", "bapak", "ibu", "pian", "sekalian", "semua", "apa", "sudah",
        "udah", "udh", "sdh", "sarapan", "makan", "ngopi", "baik", "gimana", "bagaimana",
    }
)  # fmt: skip

# Words of a citizen who hesitates before telling: "maaf min sy perempuan, mau cerita tp agak
# malu ngomongnya", "ulun takutan handak bapadah". The story is still to come: ask first.
_HESITATION_WORDS: Final = frozenset(
    {
        "cerita", "bercerita", "ceritakan", "menceritakan", "menceritakannya", "curhat",
        "takut", "takutan", "malu", "supan", "segan", "ragu", "bingung", "agak", "sebenarnya",
        "sebenernya", "sbnrnya", "tapi", "tp", "tpi", "tetapi", "perempuan", "cewek", "wanita",
        "ngomong", "ngomongnya", "bilang", "sesuatu", "boleh", "dulu", "jua", "kak", "pak", "bu",
    }
)  # fmt: skip

# Thanks for a report already handled: "makasih, laporan sy kemarin udah ditindak, spanduknya
# udah dicabut", "tarima kasih pian, sudah dibarasihi". Words of thanks, then of something done.
_THANKS = re.compile(r"\b(makasih|terima\s*kasih|tarima\s*kasih|trims|thanks|thx|tq|nuhun)\b", re.I)
_ALREADY_DONE = re.compile(
    r"\b(?:sudah|sdh|udah|udh|dah|telah|sudah\s+di|udah\s+di)\s+(?:\w+\s+)?"
    r"(?:di\w+|beres|selesai|tuntung|aman|bersih|hilang)\b",
    re.I,
)


# "But" and "still", and a problem come back: what was done did not end it.
_BUT_STILL: Final = r"tapi|tp|tpi|tetapi|namun|masih|balik\s+lagi|muncul\s+lagi"
_BUT_NOTHING_CHANGED = re.compile(
    rf"\b(?:{_BUT_STILL}|tagal|tagalnya|belum|blm|balum|kadada\s+parubahan"
    r"|tidak\s+ada\s+perubahan|ga\s+ada\s+perubahan)\b",
    re.I,
)


def thanks_for_a_handled_report(text: str) -> bool:
    """Whether a message thanks for something already done ("makasih, spanduknya udah dicabut").

    It names the problem of an earlier report, and a reporting word ("ditindak"), but reports
    nothing new.
    """
    done = _ALREADY_DONE.search(text) if _THANKS.search(text) else None
    # "Sudah dipadahi ka pambakal tagal kadada parubahan … Tarima kasih": what was done did
    # not help, the thanks close a new report.
    return done is not None and not _BUT_NOTHING_CHANGED.search(text[done.end() :])


# ------------------------------------------------------------------ frames of no report
# Messages whose frame is not "this is happening, please act", though they hold the words of
# a complaint: an invitation ("undangan baaruh di rumah ulun hari minggu"), a lost-and-found
# post ("hilang di pasar, kl ada yg nemu tolong kabarin, ada imbalan"), an offer ("dijual
# motor bekas surat lengkap nego"), praise or news of an operation already done ("mantap min
# razia miras semalam, lanjutkan"). Each frame needs words that make it; a place, a time or a
# category word alone never does. A complaint in such a frame is only asked about first
# ("Apakah Anda ingin melaporkan …?"), never dropped.

# Inviting words of their own: "undangan", "mohon doa restu".
_INVITING = re.compile(
    r"\b(?:undangan|undangannya|mengundang|diundang|kami\s+undang|doa\s+restu)\b", re.I
)
# Words asking someone to come, which invite only next to a celebration: "datang lah pian" in
# "… aruh di rumah ulun", not in "tolong datanglah, ada urang bakalahi".
_COME = re.compile(
    r"\b(?:(?:datang|hadir)\s?lah|kehadiran(?:nya)?|kedatangan(?:nya)?"
    r"|jangan\s+lupa\s+(?:datang|hadir)|bahadir|silakan\s+(?:datang|hadir))\b",
    re.I,
)
_CELEBRATION = re.compile(
    r"\b(?:acara|pernikahan|perkawinan|nikahan|kawinan|bakawinan|bakawin|pengantin|bapangantin"
    r"|aruh|baaruh|selamatan|baselamatan|syukuran|tasyakuran|walimah\w*|resepsi|khitanan|sunatan"
    r"|aqiqah|akikah|ulang\s+tahun|ultah|pengajian|maulid\w*|haul|batamat|mandi\s+pengantin)\b",
    re.I,
)
# Lost and found: a reward, "if anyone finds it", or something lost and "tell me".
_REWARD = re.compile(r"\bimbalan\b", re.I)
_IF_ANYONE_FINDS = re.compile(
    r"\b(?:kalau|kalo|klo|kl|kalu|jika|jk|bila|apabila|mun|amun|bagi|siapa)\s+(?:ada\s+)?"
    r"(?:yang|yg|nang|urang\s+nang)\s+(?:\w+\s+)?"
    r"(?:menemukan|nemu|nemuin|nemukan|manamukan|batamu|ketemu|ketemuin)\b",
    re.I,
)
_LOST = re.compile(r"\b(?:dicari|dicariin|kehilangan|hilang|ilang|hilangnya)\b", re.I)
_TELL_ME = re.compile(
    r"\b(?:kabari|kabarin|kabarkan|hubungi|hub|padahi|bagi\s+info|infokan"
    r"|bantu\s+(?:cari|share|sebar\w*)|sebarkan)\b",
    re.I,
)
# A post that opens with "DICARI" ("dicari stnk hilang"); inside a story "sudah dicari
# pemiliknya" is no such post.
_WANTED = re.compile(r"^\W*(?:dicari|dicariin)\b", re.I)
# Offers: words only a sale, rent or shop post uses ("dijual" alone is also "miras dijual
# bebas di warung", a complaint).
_OFFER = re.compile(
    r"\b(?:jual\s+cepat|dijual\s+cepat|disewakan|dikontrakkan|dikontrakan|over\s+kredit"
    r"|open\s+order|open\s+po|ready\s+sto(?:k|ck)|nego|cod|shm|cicilan"
    r"|minat\s+(?:hub\w*|wa|chat|japri|dm)"
    r"|harga\s+(?:nego|miring|promo|bersahabat|terjangkau))\b",
    re.I,
)
# A post headed by its offer ("PROMO umroh …"); inside a story "spanduk promo dipaku di pohon"
# is the complaint.
_OFFER_HEADLINE = re.compile(r"^\W*(?:promo|diskon|open\s+order)\b", re.I)
# Praise or news of an operation already done: "mantap min razia miras semalam, lanjutkan".
_PRAISE_OR_NEWS = re.compile(
    r"\b(?:mantap|mantab|mantul|keren|salut|hebat|apresiasi|lanjutkan|pertahankan|sukses"
    r"|semoga\s+makin|berita|beritanya|diberitakan)\b|👍|👏",
    re.I,
)
_OPERATION_DONE = re.compile(
    r"\b(?:razia|merazia|dirazia|operasi|patroli|penertiban|ditertibkan|menertibkan"
    r"|diamankan|mengamankan|disita|menyita|digerebek|digrebek|terjaring|dijaring|dibubarkan"
    r"|membubarkan|dibongkar|membongkar|dicabut|mencabut|diangkut|apel\s+siaga)\b",
    re.I,
)
# Words of a problem still going on, which make praise or thanks a report again: "mantap
# razianya, tapi pkl nya sudah balik lagi".
_STILL_GOING_ON = re.compile(rf"\b(?:{_BUT_STILL}|ada\s+lagi|kembali\s+lagi|tolong|mohon)\b", re.I)


def _names_a_problem(text: str) -> bool:
    """Whether a word of reporting or of a public-order problem is not only an operation's."""
    return any(
        not _OPERATION_DONE.fullmatch(match[0]) and not _SATPOL_OR_RAID.fullmatch(match[0])
        for match in _REPORT_WORDS.finditer(text)
    )


# The agency and its raids are named in praise and news as much as in reports.
_SATPOL_OR_RAID = re.compile(r"satpol|razia|dirazia|tindak|ditindak", re.I)


def frame_of_no_report(text: str) -> str | None:
    """The frame of a message that is not a report of a current problem, if it has one.

    Args:
        text: The message, e.g. ``"undangan baaruh di rumah ulun hari minggu, datang lah
            pian"``.

    Returns:
        ``"thanks"`` (thanks for a report already handled), ``"invitation"``,
        ``"lost_and_found"``, ``"offer"``, ``"praise"`` (praise or news of an operation
        already done), or None when the message may well report something.
    """
    if thanks_for_a_handled_report(text):
        return "thanks"
    if _names_a_problem(text):
        # Words of a public-order problem ("berisik", "mengganggu", "liar", "bahaya") make
        # the wedding with loud music or the lost manhole cover a report.
        return None
    if _INVITING.search(text) or (_COME.search(text) and _CELEBRATION.search(text)):
        return "invitation"
    if (
        _REWARD.search(text)
        or _IF_ANYONE_FINDS.search(text)
        or (_LOST.search(text) and (_TELL_ME.search(text) or _WANTED.search(text)))
    ):
        return "lost_and_found"
    if _OFFER.search(text) or _OFFER_HEADLINE.search(text):
        return "offer"
    if (
        _PRAISE_OR_NEWS.search(text)
        and _OPERATION_DONE.search(text)
        and not _STILL_GOING_ON.search(text)
    ):
        return "praise"
    return None


def tells_no_incident(text: str) -> bool:
    """Whether a message says nothing that happened: only greetings, courtesy, feelings or doubt.

    "kesel bgt sumpah", "Mohon maaf mengganggu waktunya.", "hadeh parah banar", "maaf min mau
    cerita tp takut" tell no incident; "berisik bgt tiap malam" does (``berisik``, ``malam``).

    Args:
        text: The message.

    Returns:
        True when no word of it tells what happened.
    """
    return not [
        t
        for t in story_words(text)
        if t not in _VENTING_WORDS
        and t not in _COURTESY_WORDS
        and t not in _HESITATION_WORDS
        and t not in NEGATIONS
    ]


def complaint_signal(
    text: str,
    *,
    intent_confidence: float,
    category_confidence: float | None,
    gate_confidence: float | None = None,
    with_media: bool = False,
) -> Signal:
    """How clearly a message classified as ``report_complaint`` is a complaint.

    A weak signal makes the assistant ask "do you want to report a violation?" before it
    starts the form, so that a hotel review or a piece of news does not open a report.

    Args:
        text: The message (a button payload is always a clear signal).
        intent_confidence: The confidence of ``report_complaint``.
        category_confidence: The category's probability when the classifier found one, None
            when it found none, 1.0 for a category chosen with a button.
        gate_confidence: The complaint gate's probability that the message is a complaint
            (``complaint_gate.confidence`` of the parse), None when the parse has none.
        with_media: The citizen sent a photo/video first, kept for the next report, and was
            asked to tell what happened: the story that follows is that report.

    Returns:
        ``strong`` or ``weak``.
    """
    if is_payload(text):
        return "strong"
    if (
        intent_confidence < COMPLAINT_INTENT_CONFIDENCE
        or (tells_no_incident(text) and not says_reporting(text))
        or frame_of_no_report(text) is not None
    ):
        # A line of feeling or courtesy ("kesel bgt sumpah", "Mohon maaf mengganggu
        # waktunya.") or a message framed as something else than a report (thanks for what
        # was done, an invitation, a lost-and-found post, an offer) starts nothing, however
        # sure the NLU is and even with a photo: ask first.
        return "weak"
    if with_media:
        return "strong"
    if (
        gate_confidence is not None
        and gate_confidence < COMPLAINT_GATE_CONFIDENCE
        and not says_reporting(text)
    ):
        # DIET is sure but the model trained on real off-topic text doubts it (a review that
        # says "kotor", "parkir", "bau"): ask rather than start the form.
        return "weak"
    if _REPORT_WORDS.search(text):
        return "strong"
    if category_confidence is not None and category_confidence >= COMPLAINT_CATEGORY_CONFIDENCE:
        return "strong"
    return "weak"


def asks_only(text: str) -> bool:
    """Whether a message only asks something and tells nothing ("ini dimana ya?").

    After a location pin sent first, "ini di mana ya?" asks about the pin; "di sini ada balap
    liar tiap malam, kapan ditindak?" tells a story with its question.
    """
    return asks_something(text) and not tells_a_story(text)


def signal_after_place(
    text: str,
    *,
    intent_confidence: float,
    category_confidence: float | None,
    gate_confidence: float | None = None,
) -> Signal:
    """How clearly a complaint sent after a location pin (and "do you want to report?") is one.

    The pin alone is a weak signal: La-Lisa kept it and asked whether the citizen wants to
    report something there. The story that follows answers yes ("min ini lokasinya, mobil2
    parkir sembarangan nutup jalan"), as the story after a photo does (``with_media``); a
    question that tells nothing ("ini dimana ya?") or a line of feeling does not.

    Args:
        text: The message the NLU read as ``report_complaint``.
        intent_confidence: The confidence of ``report_complaint``.
        category_confidence: As for :func:`complaint_signal`.
        gate_confidence: As for :func:`complaint_signal`.

    Returns:
        ``strong`` or ``weak``.
    """
    if asks_only(text):
        return "weak"
    return complaint_signal(
        text,
        intent_confidence=intent_confidence,
        category_confidence=category_confidence,
        gate_confidence=gate_confidence,
        with_media=True,
    )


def unplaced_story_signal(text: str, *, category_confidence: float | None) -> Signal:
    """Whether a message the NLU could not place, sent after a pin, tells the report.

    The message answered "do you want to report something at this place?" but the intent
    classifier fell back (or read ``out_of_scope``). It is the story (``strong``: the form
    starts with it, no "ya" needed) only when its own words say so: a reporting word, a word
    of a public-order problem or a complaint category, and not a bare question or a line of
    feeling. Otherwise (``weak``) the citizen is asked once more, the message kept aside.

    Args:
        text: The message.
        category_confidence: The category's probability when the classifier found one.

    Returns:
        ``strong`` or ``weak``.
    """
    if not text or is_payload(text) or asks_only(text) or thanks_for_a_handled_report(text):
        return "weak"
    if tells_no_incident(text) and not says_reporting(text):
        return "weak"
    if says_reporting(text) or _REPORT_WORDS.search(text):
        return "strong"
    if category_confidence is not None and category_confidence >= COMPLAINT_CATEGORY_CONFIDENCE:
        return "strong"
    return "weak"
