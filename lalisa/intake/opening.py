"""The place and the time a citizen already gave in the message that tells the story.

Many complaints arrive in one message: "ada balap liar di jalan A. Yani Paringin tadi malam",
"samalam ada urang mabuk di pasar Batumandi", "di desa Halong kecamatan Halong tiap malam minggu
ada …". The form takes the place and the time from it instead of asking for them again.

The message was not an answer to "where?" or "when?", so both readers are strict; a wrong
value costs the citizen a correction at the summary, a missing one only the question:

* a place only when it is named explicitly and resolves to one desa/kelurahan
  (:func:`lalisa.places.geo.find_place_mention`): a kecamatan alone still leads to the location
  question, and so do a desa name shared by two kecamatan, two different desa, a misspelt
  name without a cue word, or a name that is also a common word without "desa"/"kelurahan";
* a time only when an explicit expression says it: a word that anchors it in the past
  (``tadi``, ``barusan``, ``semalam``, ``samalam``, ``kemarin``, ``2 jam yang lalu``, ``jam 10``,
  a date, a weekday, ``malam minggu``) or a repetition with a part of the day (``tiap malam``,
  ``setiap malam minggu``). A part of the day alone ("malam-malam", "pasar pagi"), a vague
  repetition ("tiap hari", "sering"), a duration ("sudah seminggu"), the end of a span ("buka
  sampai jam 3 pagi"), a thing already known ("yang kemarin belum ditindak") and a time about
  the report itself ("sudah saya laporkan kemarin") are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from lalisa.intake.timeparse import is_recurring_or_ongoing, parse_incident_time
from lalisa.places.geo import Place, find_place_mention

MAX_PLACE_LEAD_WORDS: Final = 4
"""How far before a place name its landmark may start ("di jalan A. Yani Paringin")."""


@dataclass(frozen=True)
class OpeningPlace:
    """A place named in a story: what to store as the location, and the place it names."""

    text: str
    place: Place


@dataclass(frozen=True)
class OpeningTime:
    """A time said in a story: the phrase as written, and its moment when it has one."""

    text: str
    moment: datetime | None


# Words that start a place phrase: the landmark before a name belongs to the location.
_PLACE_LEADS: Final = frozenset(
    {
        "di", "dekat", "deket", "dkt", "depan", "dpn", "didepan", "muka", "dimuka", "parak",
        "higa", "samping", "disamping", "sebelah", "sabalah", "seberang", "belakang", "blkg",
        "dibelakang", "pinggir", "dipinggir", "jalan", "jln", "jl", "gang", "gg", "pasar",
        "simpang", "jembatan", "lapangan", "terminal", "masjid", "mesjid", "langgar", "desa",
        "ds", "dsa", "kelurahan", "kel", "kampung", "dusun", "kecamatan", "kec", "wilayah",
        "daerah", "sekitar", "kawasan", "komplek", "perumahan", "rt",
    }
)  # fmt: skip
# Leads that say nothing the officer needs: dropped from the front of the stored place.
_BARE_LEADS: Final = frozenset({"di", "wilayah", "daerah", "sekitar", "kawasan"})


def read_opening_place(text: str) -> OpeningPlace | None:
    """The desa/kelurahan a story names explicitly, with its landmark words.

    Args:
        text: The story, e.g. ``"ada balap liar di jalan A. Yani, desa Lasung Batu tadi malam"``.

    Returns:
        The location text to store ("jalan A. Yani, desa Lasung Batu") and the place, or
        ``None`` when no desa/kelurahan is named explicitly (a kecamatan alone included).
    """
    mention = find_place_mention(text)
    if mention is None or mention.place.desa is None:
        return None
    before = text[: mention.start]
    tokens = list(re.finditer(r"\S+", before))
    start = mention.start
    for token in reversed(tokens[-MAX_PLACE_LEAD_WORDS:]):
        word = token[0].lower().strip("\"'()")
        if _ends_sentence(word):
            break
        word = word.rstrip(".")
        if word in _BARE_LEADS:
            break
        if word in _PLACE_LEADS:
            start = token.start()
    place = re.sub(r"\s+", " ", text[start : mention.end]).strip(" ,.;:!?")
    return OpeningPlace(text=place, place=mention.place)


def _ends_sentence(word: str) -> bool:
    """A word that ends a clause ("malam,"), not an abbreviation ("ds.", "Kec.", "A.")."""
    if re.search(r"[,;:!?]$", word):
        return True
    stem = word.rstrip(".")
    return word.endswith(".") and len(stem) > 3 and stem not in _PLACE_LEADS


# ------------------------------------------------------------------------------------ time

# Words that anchor a time in the past on their own (after WhatsApp short forms are spelt out).
_ANCHORS: Final = frozenset(
    {
        "tadi", "tdi", "barusan", "semalam", "semalem", "smalam", "samalam", "kemarin",
        "kemaren", "kmrn", "kmrin", "kmarin", "kmaren", "kemrin", "kamarin", "malming",
        "senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "ahad",
    }
)  # fmt: skip
# Two-word anchors ("baru saja", "hari ini", "malam minggu", "minggu lalu", "jam 10").
_ANCHOR_PAIRS: Final = re.compile(
    r"^(?:baru (?:saja|aja|tadi)|bru saja|hanyar (?:haja|tadi)|(?:hari|pagi|siang|sore|malam) ini"
    r"|malam (?:minggu|senin|selasa|rabu|kamis|jumat|sabtu)|hari minggu"
    r"|(?:minggu|pekan) (?:lalu|kemarin|kemaren)|td (?:pagi|siang|sore|malam)"
    r"|(?:lagi|sedang|masih) (?:terjadi|berlangsung)"
    r"|(?:jam|jm|pukul|pkl) (?:\d{1,2}(?:[.:]\d{2})?|satu|dua|tiga|empat|lima|enam|tujuh"
    r"|delapan|sembilan|sepuluh|sebelas)(?:an)?"
    r"|(?:tanggal|tgl) \d{1,2}|\d{1,2} (?:januari|februari|maret|april|mei|juni|juli|agustus"
    r"|september|oktober|november|nopember|desember))$"
)
_SINGLE: Final = re.compile(r"^(?:\d{1,2}:\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)$")
_AGO: Final = re.compile(r"^(?:\d{1,2}|satu|dua|tiga|empat|lima|setengah) (?:menit|mnt|jam|hari)$")
_AGO_TAILS: Final = ("yang lalu", "yg lalu", "lalu", "yll", "lewat")
_REPEAT: Final = frozenset({"tiap", "setiap", "saban"})
_PERIODS: Final = frozenset(
    {
        "pagi", "siang", "sore", "petang", "malam", "subuh", "kamarian", "maghrib", "magrib",
        "isya", "ashar", "zuhur", "malming",
    }
)  # fmt: skip
_WEEKDAYS: Final = frozenset(
    {"senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu", "ahad"}
)
# Words that continue a time phrase before its anchor ("malam tadi", "sejak kemarin") …
_BEFORE_ANCHOR: Final = _PERIODS | _WEEKDAYS | _REPEAT | {
    "sekitar", "kira", "kira-kira", "sejak", "semenjak", "mulai", "dari", "hari", "dini",
    "tengah",
}  # fmt: skip
# … and after it ("tadi malam sekitar jam 11an", "kemarin sore", "sabtu malam").
_AFTER_ANCHOR: Final = _PERIODS | _WEEKDAYS | {
    "sekitar", "kira", "kira-kira", "kurang", "lebih", "kurleb", "hari", "lalu", "lusa",
    "kemarin", "kemaren", "tadi", "an", "wita", "dini", "tengah",
}  # fmt: skip
_LINK_WORDS: Final = frozenset(
    {
        "sekitar", "kira", "kira-kira", "dari", "mulai", "sejak", "kurang", "lebih", "hari",
        "tengah", "dini",
    }
)  # fmt: skip
# "tadi habis isya", "samalam abis magrib", "kemarin sesudah sholat ashar": a prayer time after
# one of these words places the time within the day, and belongs to the phrase.
_AFTER_WORDS: Final = frozenset(
    {"habis", "abis", "sehabis", "setelah", "stlh", "sesudah", "selesai", "bada", "pas", "waktu"}
)
_PRAYER_WORDS: Final = frozenset({"sholat", "shalat", "salat", "solat"})
_DONE_WORDS: Final = frozenset({"sudah", "udah", "sdh", "pernah", "sempat", "lagi", "lg"})
# Before a time, words that make it the end of a span ("buka sampai jam 3 pagi") or a thing
# already known ("yang kemarin belum ditindak"), not when the incident happened.
_NOT_THE_TIME_BEFORE: Final = frozenset(
    {"sampai", "sampe", "smpe", "smp", "ampe", "hingga", "yang", "yg", "nang"}
)
_REPORT_VERBS: Final = frozenset(
    {"lapor", "melapor", "laporkan", "dilaporkan", "melaporkan", "mengadu", "diadukan",
     "ngadu", "malapor", "bapadah", "ngelapor"}
)  # fmt: skip
_REQUEST_WORDS: Final = frozenset({"mohon", "tolong", "segera", "harap", "minta"})
_SHORT_FORMS: Final = {"pgi": "pagi", "pg": "pagi", "mlm": "malam", "malem": "malam", "sre": "sore"}


@dataclass(frozen=True)
class _Word:
    text: str  # lower case, short forms spelt out
    start: int
    end: int
    ends_clause: bool


def _words(text: str) -> list[_Word]:
    found = []
    for match in re.finditer(r"\S+", text):
        raw = match[0]
        core = raw.strip("\"'()[],.;:!?")
        if not core:
            continue
        offset = match.start() + raw.index(core)
        word = core.lower().replace("’", "").replace("'", "")
        found.append(
            _Word(
                text=_SHORT_FORMS.get(word, word),
                start=offset,
                end=offset + len(core),
                ends_clause=bool(re.search(r"[,.;!?]$", raw)),
            )
        )
    return found


def _anchor_length(words: list[_Word], index: int) -> int:
    """How many words from ``index`` anchor a time (0: none)."""
    one = words[index].text
    if index + 1 < len(words) and not words[index].ends_clause:
        following = words[index + 1]
        two = f"{one} {following.text}"
        if _ANCHOR_PAIRS.match(two):
            return 2
        if one in _REPEAT and (following.text in _PERIODS or following.text in _WEEKDAYS):
            return 2
        if _AGO.match(two) and not following.ends_clause:
            tail = " ".join(w.text for w in words[index + 2 : index + 4])
            said = next((t for t in _AGO_TAILS if f"{tail} ".startswith(f"{t} ")), None)
            if said is not None:
                return 2 + len(said.split())
    return 1 if one in _ANCHORS or _SINGLE.match(one) else 0


def read_opening_time(text: str, now: datetime) -> OpeningTime | None:
    """The time a story says explicitly, as a phrase of the story.

    Args:
        text: The story, e.g. ``"samalam ada urang mabuk di pasar Batumandi"``.
        now: When the message arrived (aware), for the moment.

    Returns:
        The phrase ("samalam") and its moment (``None`` for "tiap malam minggu"), or ``None``.
    """
    words = _words(text)
    for index in range(len(words)):
        length = _anchor_length(words, index)
        if not length:
            continue
        first = index
        while (
            first > 0
            and not words[first - 1].ends_clause
            and words[first - 1].text in _BEFORE_ANCHOR
        ):
            first -= 1
        last = _extend(words, index + length - 1)
        if first > 0 and words[first - 1].text in _NOT_THE_TIME_BEFORE:
            continue
        if _about_the_report(words, first, last):
            continue
        phrase = text[words[first].start : words[last].end]
        moment = parse_incident_time(phrase, now)
        if moment is None and not is_recurring_or_ongoing(phrase):
            continue
        return OpeningTime(text=phrase, moment=moment)
    return None


def _extend(words: list[_Word], last: int) -> int:
    """The last word of the time phrase whose anchor ends at ``last`` ("tadi malam jam 11")."""
    end = last
    while end + 1 < len(words) and not words[end].ends_clause:
        following = words[end + 1].text
        if following in _AFTER_ANCHOR or _anchor_length(words, end + 1):
            end += _anchor_length(words, end + 1) or 1
            continue
        if following == "ini" and words[end].text in _PERIODS | {"hari"}:
            end += 1
            continue
        after = _after_period_length(words, end + 1)
        if after:
            end += after
            continue
        break
    # A phrase never ends on a word that only links ("sekitar", "sejak").
    while end > last and words[end].text in _LINK_WORDS:
        end -= 1
    return end


def _after_period_length(words: list[_Word], index: int) -> int:
    """How many words from ``index`` say "after a prayer time" (0: they do not).

    "habis isya", "abis sholat magrib", "sesudah ashar".
    """
    if index >= len(words) or words[index].text not in _AFTER_WORDS:
        return 0
    length = 1
    if index + length < len(words) and words[index + length].text in _PRAYER_WORDS:
        if words[index + length - 1].ends_clause:
            return 0
        length += 1
    last = index + length
    if last >= len(words) or words[last - 1].ends_clause or words[last].text not in _PERIODS:
        return 0
    return length + 1


def _about_the_report(words: list[_Word], first: int, last: int) -> bool:
    """Whether the time is the report's: "sudah saya laporkan kemarin", "mohon hari ini juga"."""
    before = {w.text for w in words[max(0, first - 4) : first]}
    if before & _DONE_WORDS and before & _REPORT_VERBS:
        return True
    after = [w.text for w in words[last + 1 : last + 2]]
    return after == ["juga"] or bool(
        {w.text for w in words[max(0, first - 2) : first]} & _REQUEST_WORDS
    )
