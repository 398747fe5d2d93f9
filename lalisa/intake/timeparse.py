"""Incident times written by citizens in Bahasa Indonesia or Banjar, as datetimes.

Handles what people type when asked "kapan kejadiannya?": ``barusan``, ``tadi pagi``,
``semalam``, ``samalam`` (Banjar for *kemarin*), ``kemarin jam 8 malam``, ``2 jam yang lalu``,
``jam 21.30``, ``12/11``, ``12 november``. Anything else gives ``None``; the caller keeps the
original text either way, so a failed parse loses nothing.

Conventions (the incident is always in the past):

* A clock time without a day is the latest such moment not after ``now`` (``jam 9`` at 22:00 is
  21:00 today; at 08:00 it is 21:00 yesterday).
* A day without a clock time is 12:00 that day; a part of the day without a time uses a
  representative hour (pagi 08:00, siang 12:00, sore 16:00, malam 20:00). Times of today that
  would lie in the future are clamped to ``now``.
* ``semalam`` is the night before; ``tadi malam`` too, or this evening once it is past 19:00.
* Recurring phrases (``tiap malam``, ``sering``) have no single time and give ``None``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from lalisa.core.settings import get_settings
from lalisa.intake.answers import STRETCHED, slip_repairs

_NUMBER_WORDS = {
    "satu": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
}
_MONTHS = {
    "jan": 1, "januari": 1,
    "feb": 2, "februari": 2, "pebruari": 2, "peb": 2,
    "mar": 3, "maret": 3,
    "apr": 4, "april": 4,
    "mei": 5,
    "jun": 6, "juni": 6,
    "jul": 7, "juli": 7,
    "agu": 8, "agt": 8, "ags": 8, "aug": 8, "agustus": 8,
    "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oct": 10, "oktober": 10,
    "nov": 11, "nop": 11, "november": 11, "nopember": 11,
    "des": 12, "dec": 12, "desember": 12,
}  # fmt: skip
_WEEKDAYS = {
    "senin": 0,
    "selasa": 1,
    "rabu": 2,
    "kamis": 3,
    "jumat": 4,
    "sabtu": 5,
    "ahad": 6,
}
# Representative hour of a part of the day when no clock time is given.
_PERIOD_HOURS = {
    "dini hari": 2,
    "subuh": 5,
    "pagi": 8,
    "siang": 12,
    "sore": 16,
    "petang": 18,
    "malam": 20,
    "tengah malam": 24,
    # Prayer times are how many people in Balangan tell the time of day.
    "zuhur": 12,
    "ashar": 15,
    "maghrib": 18,
    "isya": 19,
}
# When a part of the day begins; "tadi sore" before 15:00 cannot be this afternoon.
_PERIOD_STARTS = {
    "dini hari": 0,
    "subuh": 4,
    "pagi": 5,
    "siang": 11,
    "sore": 15,
    "petang": 18,
    "malam": 18,
    "tengah malam": 18,
    "zuhur": 11,
    "ashar": 15,
    "maghrib": 18,
    "isya": 19,
}
_FUTURE_TOLERANCE = timedelta(minutes=5)

_NUM = r"(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
_RECURRING = re.compile(r"\b(tiap|setiap|satiap|saban|sering|selalu|terus menerus|berulang)\b")
_AGO = re.compile(
    rf"\b(?:{_NUM}\s*|(se)|(setengah)\s*)(menit|mnt|jam|hari|minggu)\s*"
    r"(?:yang\s+|yg\s+)?(?:lalu|lewat|yll?|sebelumnya|tadi)\b"
)
_NOW_WORDS = re.compile(
    r"\b(barusan|baru saja|baru aja|baru tadi|bru saja|hanyar haja|hanyar|sekarang|skrg|skrng"
    r"|saat ini|wayahini|wayah ini|wahini|sedang berlangsung|masih berlangsung|lagi terjadi)\b"
)
_TADI = re.compile(r"\b(tadi|td|tdi)\b")
_TODAY = re.compile(r"\b(hari ini|pagi ini|siang ini|sore ini|malam ini)\b")
_LAST_NIGHT = re.compile(r"\b(semalam|semalem|smalam)\b")
_TONIGHT_OR_LAST_NIGHT = re.compile(r"\b(tadi malam|tadi malem|td malam|malam tadi)\b")
_YESTERDAY = re.compile(r"\b(kemarin|kemaren|kmrn|kmrin|kmarin|kmaren|kemrin|kamarin|samalam)\b")
_TWO_DAYS = re.compile(r"\b(kemarin lusa|lusa kemarin|kemaren lusa)\b")
_WEEKDAY = re.compile(r"\b(?:hari\s+)?(senin|selasa|rabu|kamis|jumat|sabtu|ahad)\b|\bhari minggu\b")
_NUMERIC_DATE = re.compile(r"(?<![\d.:])(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?(?![\d:])")
_NAMED_DATE = re.compile(
    r"\b(\d{1,2})\s+(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b(?:\s+(\d{4}))?"
)
_DAY_OF_MONTH = re.compile(r"\b(?:tanggal|tgl)\s*(\d{1,2})\b")
_PERIOD = re.compile(
    r"\b(dini hari|tengah malam|subuh|pagi|siang|sore|kamarian|petang|malam|malem"
    r"|zuhur|dzuhur|duhur|lohor|luhur|ashar|asar|maghrib|magrib|mahrib|isya|isa)\b"
)
_PERIOD_ALIASES = {
    "kamarian": "sore",
    "malem": "malam",
    "dzuhur": "zuhur",
    "duhur": "zuhur",
    "lohor": "zuhur",
    "luhur": "zuhur",
    "asar": "ashar",
    "magrib": "maghrib",
    "mahrib": "maghrib",
    "isa": "isya",
}
# WhatsApp abbreviations of day parts ("td pgi", "kmrn mlm").
_ABBREVIATIONS = {"pgi": "pagi", "pg": "pagi", "mlm": "malam", "sre": "sore", "sng": "siang"}
_LAST_WEEK = re.compile(r"\b(minggu lalu|minggu kemarin|minggu kemaren|pekan lalu)\b")
# Ongoing or repeated events have no single time but do answer "when?".
_ONGOING = re.compile(
    r"\b(sejak|semenjak|lama sudah|berhari hari|berminggu minggu"
    r"|berbulan bulan|dari kemarin|dari kemaren|tiap hari|setiap hari|hampir tiap)\b"
    # "udh lama", "lumayan lama", Banjar "sudah lawas": long ago and still so.
    r"|\b(?:sudah|sudh|udah|udh|dah|sdh|sdah|lumayan|cukup)\s+(?:lama|lawas)\b"
    # "dari dulu", "sejak dahulu", Banjar "dari bahari": as long as anyone remembers.
    r"|\b(?:dari|dri|dr|sejak)\s+(?:dulu|dlu|dahulu|bahari)\b"
    # "bertahun-tahun", "udah bertahun2", "berbulan2".
    r"|\bber(?:hari|minggu|bulan|tahun)(?:\s+(?:hari|minggu|bulan|tahun)|2)\b"
    # "baru seminggu ini", "sudah dua bulan", "sebulan terakhir"
    r"|\b(?:(?:baru|sudah|udah|sdh|sekitar|kira kira|hampir)\s+)?"
    # Banjar "saminggu", "sabulan"; "sebulanan", "2 mingguan": about that long.
    r"(?:se|sa|(?:\d+|dua|tiga|empat|lima|enam|beberapa)\s*)(?:hari|minggu|pekan|bulan|tahun)"
    r"(?:an)?(?:\s+(?:ini|terakhir|belakangan|lebih|an|lalu))?\b"
)
# Words that only appear when someone talks about time; a free-text answer with one of them
# is kept as the time even when it cannot be turned into a moment.
_TIME_WORDS = re.compile(
    r"\b(jam|pukul|pkl|tanggal|tgl|hari|minggu|pekan|bulan|tahun|pagi|siang|sore|petang"
    r"|malam|subuh|tadi|barusan|kemarin|kemaren|samalam|semalam|sekarang|lalu|waktu|saat"
    r"|ketika|pas|sejak|sering|tiap|setiap|senin|selasa|rabu|kamis|jumat|sabtu|ahad"
    r"|maghrib|isya|ashar|zuhur|wayah|hanyar|menit|detik|isuk|baisukan|kamarian"
    r"|\d{1,2}[.:]\d{2})\b"
)
_CLOCK_NUMBER_WORDS = {**_NUMBER_WORDS, "sebelas": 11, "dua belas": 12}
_CLOCK_WORD = re.compile(
    r"\b(?:jam|jm|pukul|pkl|pk)\s*(\d{1,2}|"
    + "|".join(sorted(_CLOCK_NUMBER_WORDS, key=len, reverse=True))
    + r")(?:[.:](\d{2}))?(?:\s*an)?\b"
)
# "malam minggu" is Saturday night: the night before the named day.
_NIGHT_BEFORE = re.compile(r"\bmalam\s+(minggu|senin|selasa|rabu|kamis|jumat|sabtu)\b")
_NIGHT_BEFORE_WEEKDAY = {
    "senin": 6, "selasa": 0, "rabu": 1, "kamis": 2, "jumat": 3, "sabtu": 4, "minggu": 5,
}  # fmt: skip
_HALF_PAST = re.compile(r"\b(?:jam\s+|pukul\s+)?setengah\s+(\d{1,2})\b")
_BARE_CLOCK = re.compile(r"(?<![\d/.])(\d{1,2}):(\d{2})(?![\d/])")


@dataclass
class _Parts:
    day: date | None = None
    explicit_year: bool = True
    last_night: bool = False
    tadi: bool = False
    weekday: bool = False
    period: str | None = None
    clock: tuple[int, int] | None = None


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("'", "")
    # A letter held on a phone ("tadi malammm", "kemarinnn"): no word has three in a row.
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)
    # "kemarin-kemarin", "berhari-hari"; dates such as 12-11 keep their dash.
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    return " ".join(_repaired(_ABBREVIATIONS.get(word, word)) for word in text.split())


# Time words a phone slip can spoil ("samaalm", "kemarni", "brusan"), each mapped to the
# spelling it is repaired to (variants of one word to one, so "kemarn", one slip from both
# "kemarin" and "kemaren", is still repaired). Words of five letters or more only: around a
# shorter word too many other words lie one slip away. "tengah" and "sering" are left out:
# they are everyday words as well.
_SLIP_REPAIRABLE: dict[str, str] = {
    **{word: word for word in (
        "kemarin", "samalam", "semalam", "barusan", "sekarang", "malam", "siang", "subuh",
        "petang", "kamarian", "hanyar", "maghrib", "minggu", "senin", "selasa", "kamis",
        "jumat", "sabtu", "bulan", "tahun", "seminggu", "sebulan", "setahun", "wayah",
        "wahini", "wayahini", "kamarin",
    )},
    "kemaren": "kemarin", "semalem": "semalam", "malem": "malam", "magrib": "maghrib",
    # Banjar "saminggu", "sabulan": a slip between the two spellings means the same.
    "saminggu": "seminggu", "sabulan": "sebulan",
    # "about a month": a slip between "sebulan" and "sebulanan" means the same.
    "semingguan": "seminggu", "sebulanan": "sebulan", "mingguan": "minggu", "bulanan": "bulan",
    # Banjar "now" said short: a slip between "wahini" and "wayahini" means the same.
    "wahini": "wayahini",
}  # fmt: skip
_MIN_SLIP_LETTERS = 5


@functools.lru_cache(maxsize=4096)
def _repaired(word: str) -> str:
    """``word``, or the one time word it is a phone slip of ("samaalm", "kemarni", "brusan").

    A slip is a dropped, doubled, added or swapped letter. A word that is a time word, has a
    digit, is short, or is one slip from two different time words stays as it is.
    """
    if word in _SLIP_REPAIRABLE or len(word) < _MIN_SLIP_LETTERS or not word.isalpha():
        return word
    candidates = slip_repairs(word) & _SLIP_REPAIRABLE.keys()
    meanings = {_SLIP_REPAIRABLE[c] for c in candidates}
    if len(meanings) > 1:
        # "smalem" is "semalem" with a letter dropped or "malem" with an "s" added; "sbulan"
        # "sebulan" or "s" + "bulan". A thumb drops a letter far more often than it adds a
        # stray one before a word, so the longer reading wins.
        meanings = {_SLIP_REPAIRABLE[c] for c in candidates if len(c) > len(word)}
    return meanings.pop() if len(meanings) == 1 else word


# Five-letter time words whose four-letter drops ("mlam", "buan", "wayh") are read only in a
# short answer to "kapan?": in a story too many real words lie one drop away ("alam" from
# "malam", "satu" from "sabtu", "ayah" from "wayah"), and those are kept here too.
_SHORT_DROP_WORDS: Final = frozenset(
    w for w in _SLIP_REPAIRABLE if len(w) == _MIN_SLIP_LETTERS and w.isalpha()
)
_REAL_SHORT_WORDS: Final = frozenset(
    {
        "alam", "mala", "ayah", "waah", "waya", "sang", "sing", "umat", "satu", "sabu", "seni",
        "amis", "kami", "kais", "tahu", "taun", "male", "maem", "alem", "subu", "buah", "bula",
        "mina", "ming", "siag", "ahun", "aula", "bual", "juma", "sain", "sian",
    }
)  # fmt: skip


def repair_short_time_answer(text: str) -> str:
    """A short answer to "kapan?" with a five-letter time word typed one letter short repaired.

    "mlam", "sudah dua buan", "wayh ini masih ada" read as "malam", "sudah dua bulan",
    "wayah ini masih ada". Longer texts, and words that are words of their own, are returned
    as they are.
    """
    parts = text.split()
    if not parts or len(parts) > MAX_TIME_PHRASE_WORDS:
        return text

    def repair(match: re.Match[str]) -> str:
        token = match.group(0)
        lowered = STRETCHED.sub(r"\1", token.lower())
        if len(lowered) != _MIN_SLIP_LETTERS - 1 or lowered in _REAL_SHORT_WORDS:
            return token
        meant = {
            _SLIP_REPAIRABLE[w]
            for w in _SHORT_DROP_WORDS
            if any(w[:i] + w[i + 1 :] == lowered for i in range(len(w)))
        }
        return meant.pop() if len(meant) == 1 else token

    return re.sub(r"[A-Za-z]+", repair, text)


def _find_day(text: str, today: date, now_hour: int, parts: _Parts) -> None:
    match = _NUMERIC_DATE.search(text)
    if match:
        day, month = int(match[1]), int(match[2])
        year = int(match[3]) if match[3] else today.year
        parts.explicit_year = match[3] is not None
        parts.day = _safe_date(year + 2000 if year < 100 else year, month, day)
        return
    match = _NAMED_DATE.search(text)
    if match:
        parts.explicit_year = match[3] is not None
        year = int(match[3]) if match[3] else today.year
        parts.day = _safe_date(year, _MONTHS[match[2]], int(match[1]))
        return
    match = _DAY_OF_MONTH.search(text)
    if match:
        parts.explicit_year = False
        candidate = _safe_date(today.year, today.month, int(match[1]))
        if candidate is not None and candidate > today:
            previous_month = today.replace(day=1) - timedelta(days=1)
            candidate = _safe_date(previous_month.year, previous_month.month, int(match[1]))
        parts.day = candidate
        return
    if _TWO_DAYS.search(text):
        parts.day = today - timedelta(days=2)
        return
    match = _NIGHT_BEFORE.search(text)
    if match:
        back = (today.weekday() - _NIGHT_BEFORE_WEEKDAY[match[1]]) % 7
        if back == 0 and (_YESTERDAY.search(text) or re.search(r"\blalu\b", text)):
            back = 7
        parts.day = today - timedelta(days=back)
        parts.weekday = True
        return
    if _LAST_WEEK.search(text):
        parts.day = today - timedelta(days=7)
        return
    match = _AGO.search(text)
    if match and match[4] in {"hari", "minggu"}:
        count = 1 if match[2] else _number(match[1]) if match[1] else 1
        parts.day = today - timedelta(days=count * (7 if match[4] == "minggu" else 1))
        return
    if _LAST_NIGHT.search(text):
        parts.last_night = True
        parts.day = today - timedelta(days=1)
        return
    if _TONIGHT_OR_LAST_NIGHT.search(text):
        parts.last_night = True
        parts.day = today if now_hour >= 19 else today - timedelta(days=1)
        return
    weekday_match = _WEEKDAY.search(text)
    if _YESTERDAY.search(text) and weekday_match is None:
        parts.day = today - timedelta(days=1)
        return
    match = weekday_match
    if match:
        # "jumat kemarin", "sabtu kmrn": the latest such day, not yesterday.
        weekday = _WEEKDAYS[match[1]] if match[1] else 6
        back = (today.weekday() - weekday) % 7
        if back == 0 and (_YESTERDAY.search(text) or re.search(r"\blalu\b", text)):
            back = 7
        parts.day = today - timedelta(days=back)
        parts.weekday = True
        return
    if _TODAY.search(text):
        parts.day = today
    elif _TADI.search(text):
        parts.tadi = True


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_clock(text: str) -> tuple[int, int] | None:
    match = _HALF_PAST.search(text)
    if match:
        hour = int(match[1])
        return ((hour - 1) % 24, 30) if 1 <= hour <= 24 else None
    match = _CLOCK_WORD.search(text) or _BARE_CLOCK.search(text)
    if match:
        word = match[1]
        hour = int(word) if word.isdigit() else _CLOCK_NUMBER_WORDS[word]
        minute = int(match[2] or 0)
        if hour <= 24 and minute <= 59:
            return (0 if hour == 24 else hour, minute)
    return None


def _find_period(text: str) -> str | None:
    match = _PERIOD.search(text)
    if match is None:
        return None
    return _PERIOD_ALIASES.get(match[1], match[1])


def _apply_period(hour: int, period: str | None) -> tuple[int, int]:
    """Return (hour, day offset) for a clock hour said with a part of the day."""
    if period in {"siang"} and hour < 6:
        return hour + 12, 0
    if period in {"sore", "petang"} and hour < 12:
        return hour + 12, 0
    if period in {"malam", "tengah malam"}:
        if 6 <= hour < 12:
            return hour + 12, 0
        if hour == 12 or hour == 0:
            return 0, 1
        if hour < 6:
            # "jam 2 malam" is after midnight, i.e. early the next calendar day.
            return hour, 1
    return hour, 0


def parse_incident_time(text: str, now: datetime, *, tz: tzinfo | None = None) -> datetime | None:
    """Turn a citizen's description of when something happened into a datetime.

    Args:
        text: What the citizen wrote, e.g. ``"tadi malam sekitar jam 11"``.
        now: The time the message was received (aware).
        tz: Local zone for day boundaries; defaults to ``LALISA_TIMEZONE`` (WITA).

    Returns:
        An aware datetime in the local zone, never later than ``now``, or ``None`` when the
        text has no recognisable single time.

    Raises:
        ValueError: ``now`` is naive.
    """
    if now.utcoffset() is None:
        raise ValueError(f"naive datetime {now!r}; pass an aware datetime")
    zone = tz if tz is not None else get_settings().office.tz
    local_now = now.astimezone(zone)
    today = local_now.date()
    normalised = _normalise(text)
    if not normalised or _RECURRING.search(normalised):
        return None

    ago = _AGO.search(normalised)
    if ago and ago[4] in {"menit", "mnt", "jam"}:
        if ago[3]:
            minutes = 30 if ago[4] == "jam" else 0
        else:
            count = 1 if ago[2] else _number(ago[1])
            minutes = count * 60 if ago[4] == "jam" else count
        if minutes <= 0:
            return None
        return (local_now - timedelta(minutes=minutes)).replace(second=0, microsecond=0)

    parts = _Parts()
    _find_day(normalised, today, local_now.hour, parts)
    parts.period = _find_period(normalised)
    parts.clock = _find_clock(normalised)
    if parts.last_night and parts.period not in {"malam", "tengah malam"}:
        parts.period = "malam"

    if parts.day is None and parts.clock is None and parts.period is None:
        if parts.tadi or _NOW_WORDS.search(normalised):
            return local_now.replace(second=0, microsecond=0)
        return None

    result = _resolve(parts, local_now, zone)
    if result is None or result <= local_now:
        return result
    timed = parts.clock is not None or parts.period is not None
    if parts.weekday and timed and result > local_now + _FUTURE_TOLERANCE:
        # "hari senin jam 2 siang" said on Monday morning: last Monday, not later today.
        return result - timedelta(days=7)
    if parts.last_night:
        # "tadi malam jam 2" said late in the evening: the early hours of this day.
        result -= timedelta(days=1)
        return result if result <= local_now else None
    if parts.clock is None and (parts.day is None or parts.day == today):
        started = parts.period is None or local_now.hour >= _PERIOD_STARTS[parts.period]
        if started:
            # "tadi pagi" said at 07:00: the morning has begun, the representative 08:00 not.
            return local_now.replace(second=0, microsecond=0)
        # "tadi sore" said in the morning can only be yesterday afternoon.
        return result - timedelta(days=1)
    if result > local_now + _FUTURE_TOLERANCE:
        if parts.day is not None and not parts.explicit_year:
            # "12/11" typed in January means last November.
            previous = _same_moment_previous_year(result)
            return previous if previous is not None and previous <= local_now else None
        return None
    return local_now.replace(second=0, microsecond=0)


def _same_moment_previous_year(moment: datetime) -> datetime | None:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return None


def _at(day: date, hour: int, minute: int, zone: tzinfo) -> datetime:
    extra_days, hour = divmod(hour, 24)
    return datetime.combine(day + timedelta(days=extra_days), time(hour, minute), tzinfo=zone)


def _resolve(parts: _Parts, local_now: datetime, zone: tzinfo) -> datetime | None:
    today = local_now.date()
    if parts.clock is not None:
        hour, minute = parts.clock
        if parts.period is not None:
            hour, shift = _apply_period(hour, parts.period)
            if parts.day is not None:
                return _at(parts.day + timedelta(days=shift), hour, minute, zone)
            candidates = [
                _at(today - timedelta(days=back - shift), hour, minute, zone) for back in (0, 1)
            ]
            return _latest_not_after(candidates, local_now)
        if parts.day is not None and parts.day != today:
            return _at(parts.day, hour, minute, zone)
        # No part of the day: "jam 9" may be 09:00 or 21:00; the latest past one is meant.
        hours = [hour] + ([hour + 12] if 1 <= hour < 12 else [])
        days = [today] if parts.day == today else [today, today - timedelta(days=1)]
        candidates = [_at(day, h, minute, zone) for day in days for h in hours]
        return _latest_not_after(candidates, local_now)

    day = parts.day if parts.day is not None else today
    if parts.period is not None:
        hour, shift = _apply_period(_PERIOD_HOURS[parts.period] % 24, parts.period)
        if parts.period == "tengah malam":
            hour, shift = 0, 1
        moment = _at(day + timedelta(days=shift), hour, 0, zone)
        if parts.day is None and not parts.tadi and moment > local_now:
            # "malam" with no day, said in the morning, is the night before.
            moment -= timedelta(days=1)
        return moment
    return _at(day, 12, 0, zone)


def _latest_not_after(candidates: list[datetime], limit: datetime) -> datetime | None:
    past = [c for c in candidates if c <= limit + _FUTURE_TOLERANCE]
    return max(past) if past else None


def is_recurring_or_ongoing(text: str) -> bool:
    """Tells whether a text describes a repeated or ongoing event ("tiap malam", "sejak kemarin").

    Such an answer has no single moment (:func:`parse_incident_time` gives ``None``) but does
    answer "kapan kejadiannya?".
    """
    normalised = _normalise(text)
    return bool(_RECURRING.search(normalised) or _ONGOING.search(normalised))


def mentions_time(text: str) -> bool:
    """Tells whether a text talks about time at all ("waktu itu lagi rame", "pas hujan").

    Used to keep a free-text answer to "kapan?" that cannot be parsed.
    """
    return bool(_TIME_WORDS.search(_normalise(text)))


# Words that start the place in "tadi malam di depan pasar Paringin" (Indonesian, WhatsApp
# short forms, Banjar "parak"/"higa"/"muka").
_PLACE_LEAD = re.compile(
    r"(?:^|(?<=[\s,;]))(?:di|dekat|dkt|deket|depan|dpn|muka|parak|higa|samping|sebelah|seberang"
    r"|belakang|blkg|jalan|jln|jl|desa|ds|kelurahan|kel|kecamatan|kec)\b",
    re.I,
)


@dataclass(frozen=True)
class TimeAndPlace:
    """One answer that holds a time and a place ("tadi malam di depan pasar Paringin")."""

    time: str
    place: str


def split_time_and_place(text: str) -> TimeAndPlace | None:
    """Splits an answer that gives the time and the place together.

    The time is either before the place ("tadi malam di depan pasar Paringin") or after it
    ("di pasar Halong samalam"). Whether the place part names a real place is for the caller
    to decide (the gazetteer); this only finds where the time expression ends or begins.

    Returns:
        The two parts, or ``None`` when the text has no time part or no place part.
    """
    lead = next((m for m in _PLACE_LEAD.finditer(text) if m.start() > 0), None)
    if lead is None:
        return _time_after_place(text)
    before = text[: lead.start()].strip(" ,;.-")
    after = text[lead.start() :].strip(" ,;.-")
    if before and after and _is_time_phrase(before):
        return TimeAndPlace(time=before, place=after)
    return _time_after_place(text)


def _time_after_place(text: str) -> TimeAndPlace | None:
    """``di pasar Halong tadi malam``: the shortest tail that is a time phrase."""
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    for start in starts[1:]:
        tail = text[start:].strip(" ,;.-")
        head = text[:start].strip(" ,;.-")
        first = tail.split()[0] if tail else ""
        # The place must be said as one ("di pasar Halong"): a bare word before the time
        # is more often part of it ("baru seminggu ini", and Baru is a desa).
        if (
            _PLACE_LEAD.match(head)
            and _has_time_word(first)
            and _is_time_phrase(tail)
            and not _is_time_phrase(head)
        ):
            return TimeAndPlace(time=tail, place=head)
    return None


MAX_TIME_PHRASE_WORDS = 6
"""A longer part before the place is a story, not a time ("tadi malam ada yang berkelahi")."""


def _has_time_word(text: str) -> bool:
    normalised = _normalise(text)
    return bool(
        _TIME_WORDS.search(normalised)
        or _TADI.search(normalised)
        or _YESTERDAY.search(normalised)
        or _LAST_NIGHT.search(normalised)
        or _NOW_WORDS.search(normalised)
        or _RECURRING.search(normalised)
        or _ONGOING.search(normalised)
    )


def is_time_phrase(text: str) -> bool:
    """Whether a short text only says when ("malam Minggu kemarin", "sudah dua minggu").

    A text with a place word ("di", "desa", "depan" …) or more than a few words is not.
    """
    parts = text.split()
    if not parts or _PLACE_LEAD.search(text) or len(parts) > MAX_TIME_PHRASE_WORDS:
        return False
    return _has_time_word(text)


def _is_time_phrase(text: str) -> bool:
    """Whether ``text`` is a short time phrase with no place in it, starting with time."""
    parts = text.split()
    if not parts or _PLACE_LEAD.search(text) or len(parts) > MAX_TIME_PHRASE_WORDS:
        return False
    first = parts[0].lower().strip(",.")
    return first in _APPROXIMATELY or _has_time_word(first)


_APPROXIMATELY = frozenset({"sekitar", "kira", "kurang", "lebih", "kurleb", "kisaran"})


# Words that tie a time to an event ("habis magrib", "setelah hujan", "waktu acara nikahan",
# Banjar "imbah sembahyang"); a free-form answer to "kapan?" begins with one.
_EVENT_ANCHORS: Final = frozenset(
    {
        "pas", "waktu", "wktu", "wkt", "saat", "ketika", "sewaktu", "habis", "abis", "hbs",
        "sehabis", "setelah", "stlh", "sesudah", "sebelum", "menjelang", "jelang", "selesai",
        "imbah", "selama",
    }
)  # fmt: skip
# A time unit inside a word: "mingguan", "sebulanan", "harian", "bermalam".
_TIME_STEM = re.compile(r"(?:minggu|bulan|hari|tahun|pekan|malam|pagi|siang|sore|subuh)")


def describes_time(text: str) -> bool:
    """Whether a free-form answer to "kapan?" plausibly says when, though not parsed.

    It holds a time word ("pas lagi hujan deras", "waktu acara nikahan kemarin"), a
    number ("udah 2x"), a time unit inside a word ("mingguan") or opens with a word that ties
    the time to an event ("habis sholat jumat", "setelah pengajian"). A place, a name, a
    remark or a correction ("maaf salah tempat") does not.
    """
    normalised = _normalise(text)
    tokens = re.findall(r"[a-z0-9]+", normalised)
    if not tokens:
        return False
    return (
        _has_time_word(text)
        or any(char.isdigit() for char in normalised)
        or tokens[0] in _EVENT_ANCHORS
        or any(_TIME_STEM.search(token) for token in tokens)
        or any(_slipped_time_unit(token) for token in tokens)
    )


# Long time units: a word one slip from holding one ("sebulaan", "semnigguan") holds it.
_LONG_TIME_UNIT = re.compile(r"(?:minggu|bulan|tahun)")


def _slipped_time_unit(token: str) -> bool:
    if len(token) < _MIN_SLIP_LETTERS or not token.isalpha():
        return False
    return any(_LONG_TIME_UNIT.search(candidate) for candidate in slip_repairs(token))


# Where one clause of an answer ends: a comma, semicolon, "!" or a full stop (not the one of
# "19.30") before a space, or a dash between spaces.
_CLAUSE_END = re.compile(r"(?:[,;!]|\.(?!\d))\s+|\s+-\s+")


def without_trailing_remark(text: str) -> str:
    """A time answer without the remark after it.

    "samalam habis isya, ini ulun kirim fotonya" is "samalam habis isya"; "tadi malam, ini
    fotonya nyusul ya" is "tadi malam"; "Hampir setiap siang, terakhir tadi siang. Mohon segera
    ditertibkan." keeps both clauses that say when. Only whole clauses after the last one that
    says a time are dropped, so a remark that itself says a time ("fotonya nanti sore") stays,
    and a text whose clauses say no time at all is returned as it is.
    """
    breaks = list(_CLAUSE_END.finditer(text))
    starts = [0] + [m.end() for m in breaks]
    ends = [m.start() for m in breaks] + [len(text)]
    timed = [
        end for start, end in zip(starts, ends, strict=True) if _has_time_word(text[start:end])
    ]
    if not timed or timed[-1] == len(text):
        return text
    return text[: timed[-1]].rstrip(" ,;.!-")
