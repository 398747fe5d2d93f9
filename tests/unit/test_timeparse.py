"""Incident times in Bahasa Indonesia and Banjar."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lalisa.intake.timeparse import (
    TimeAndPlace,
    describes_time,
    is_recurring_or_ongoing,
    mentions_time,
    parse_incident_time,
    repair_short_time_answer,
    split_time_and_place,
    without_trailing_remark,
)

WITA = ZoneInfo("Asia/Makassar")
# Thursday 12 November 2026, 10:15 WITA
MORNING = datetime(2026, 11, 12, 10, 15, tzinfo=WITA)
# Same Thursday, 22:40 WITA
EVENING = datetime(2026, 11, 12, 22, 40, tzinfo=WITA)
# Monday 5 January 2026, 07:00 WITA
NEW_YEAR = datetime(2026, 1, 5, 7, 0, tzinfo=WITA)


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("barusan", at(12, 10, 15)),
        ("baru saja", at(12, 10, 15)),
        ("hanyar haja", at(12, 10, 15)),
        ("tadi", at(12, 10, 15)),
        ("tadi pagi", at(12, 8)),
        ("tadi subuh", at(12, 5)),
        ("tadi siang", at(11, 12)),  # said before noon: yesterday
        ("tadi sore", at(11, 16)),
        ("tadi malam", at(11, 20)),
        ("semalam", at(11, 20)),
        ("samalam", at(11, 12)),  # Banjar: kemarin
        ("kemarin", at(11, 12)),
        ("kmrn sore", at(11, 16)),
        ("kemarin malam", at(11, 20)),
        ("tadi jam 9", at(12, 9)),
        ("jam 21.30", at(11, 21, 30)),
        ("jam 21:30", at(11, 21, 30)),
        ("pukul 07.45", at(12, 7, 45)),
        ("kemarin jam 8 malam", at(11, 20)),
        ("tadi malam jam 11", at(11, 23)),
        ("tadi malam jam 2", at(12, 2)),
        ("jam 2 malam", at(12, 2)),
        ("jam setengah 9", at(12, 8, 30)),
        ("sekitar jam 10an", at(12, 10)),
        ("2 jam yang lalu", at(12, 8, 15)),
        ("dua jam yg lalu", at(12, 8, 15)),
        ("30 menit yang lalu", at(12, 9, 45)),
        ("setengah jam lalu", at(12, 9, 45)),
        ("sejam yang lalu", at(12, 9, 15)),
        ("hari ini", at(12, 10, 15)),
        ("pagi ini", at(12, 8)),
        ("3 hari yang lalu", at(9, 12)),
        ("kemarin lusa", at(10, 12)),
        ("hari senin", at(9, 12)),
        ("12/11", at(12, 10, 15)),
        ("10/11", at(10, 12)),
        ("10/11/2026 jam 14.00", at(10, 14)),
        ("12 november", at(12, 10, 15)),
        ("1 nov", at(1, 12)),
        ("tanggal 20", at(20, 12, month=10)),
        ("Kejadiannya kemarin sekitar jam 8 malam di depan pasar", at(11, 20)),
    ],
)
def test_morning(text: str, expected: datetime) -> None:
    assert parse_incident_time(text, MORNING, tz=WITA) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Today is Thursday: a Thursday hour still to come is last Thursday's.
        ("hari kamis jam 2 siang", at(5, 14)),
        ("kamis sore", at(5, 16)),
        ("kamis jam 9 pagi", at(12, 9)),  # already past today
        ("hari senin jam 2 siang", at(9, 14)),
        # A weekday with "kemarin" is the latest such day, not yesterday.
        ("jum'at kemarin", at(6, 12)),
        ("rabu kmrn", at(11, 12)),
        ("kamis kemarin", at(5, 12)),
        # "malam minggu" is Saturday night; "malam jumat" Thursday night.
        ("malam minggu kemarin", at(7, 20)),
        ("malam minggu jam 11", at(7, 23)),
        ("malam jumat", at(5, 20)),
        # Hours in words.
        ("jam sepuluh malam", at(11, 22)),
        ("jam dua belas siang", at(11, 12)),
    ],
)
def test_todays_weekday_with_a_later_hour_is_last_week(text: str, expected: datetime) -> None:
    assert parse_incident_time(text, MORNING, tz=WITA) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tadi", at(12, 22, 40)),
        ("tadi siang", at(12, 12)),
        ("tadi sore", at(12, 16)),
        ("tadi malam", at(12, 20)),  # after 19:00: this evening
        ("tadi malammm", at(12, 20)),  # a letter held on a phone
        ("semalam", at(11, 20)),
        ("tadi jam 9", at(12, 21)),  # 21:00 is the latest past 9 o'clock
        ("jam 21.30", at(12, 21, 30)),
        ("tadi malam jam 2", at(12, 2)),
        ("hari ini", at(12, 12)),
        ("2 jam yang lalu", at(12, 20, 40)),
    ],
)
def test_evening(text: str, expected: datetime) -> None:
    assert parse_incident_time(text, EVENING, tz=WITA) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/11", at(12, 12, year=2025)),  # in January, "12/11" is last November
        ("12 november", at(12, 12, year=2025)),
        ("tadi jam 9", at(4, 21, month=1)),  # before 09:00: last night
        ("senin lalu", at(29, 12, month=12, year=2025)),
        ("hari senin", at(5, 7, month=1)),
        ("tanggal 20", at(20, 12, month=12, year=2025)),
    ],
)
def test_year_and_month_boundaries(text: str, expected: datetime) -> None:
    assert parse_incident_time(text, NEW_YEAR, tz=WITA) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "tidak tahu",
        "ulun kada tahu",
        "-",
        "tiap malam",
        "setiap hari jam 9",
        "sering sekali",
        "30/2",
        "hari ini jam 23",  # later today: the incident cannot be in the future
        "jam 25",
        "12/11/2027",
    ],
)
def test_unparseable(text: str) -> None:
    assert parse_incident_time(text, MORNING, tz=WITA) is None


@pytest.mark.parametrize(
    ("text", "typed_right"),
    [
        ("tadi samaalm", "tadi samalam"),  # swapped
        ("kemarni sore", "kemarin sore"),
        ("kemarn jam 8 malam", "kemarin jam 8 malam"),  # one slip from kemarin and kemaren
        ("brusan", "barusan"),  # dropped
        ("tadi sinag", "tadi siang"),
        ("jumta kemarin", "jumat kemarin"),
        ("mingu lalu", "minggu lalu"),
        ("selasaa jam 2 siang", "selasa jam 2 siang"),  # doubled
        ("kemarin malamm", "kemarin malam"),
    ],
)
def test_a_time_word_with_one_phone_slip_reads_as_typed_right(text: str, typed_right: str) -> None:
    expected = parse_incident_time(typed_right, EVENING, tz=WITA)
    assert expected is not None
    assert parse_incident_time(text, EVENING, tz=WITA) == expected


@pytest.mark.parametrize(
    ("text", "typed_right"),
    [("smalem", "semalem"), ("smalam jam 9", "semalam jam 9"), ("waahini", "wayahini")],
)
def test_a_slip_between_a_time_word_and_a_longer_one_reads_as_the_longer(
    text: str, typed_right: str
) -> None:
    # "smalem" is also "malem" with a stray "s": a dropped letter is the likelier slip.
    expected = parse_incident_time(typed_right, EVENING, tz=WITA)
    assert expected is not None
    assert parse_incident_time(text, EVENING, tz=WITA) == expected


@pytest.mark.parametrize(
    ("text", "typed_right"),
    [
        ("mlam", "malam"),
        ("malm", "malam"),
        ("sudah dua buan", "sudah dua bulan"),
        ("SUDAH BEBERAPA BUANNNN", "SUDAH BEBERAPA bulan"),
        ("wayh ini masih ada", "wayah ini masih ada"),
    ],
)
def test_a_short_time_answer_one_letter_short_is_repaired(text: str, typed_right: str) -> None:
    assert repair_short_time_answer(text) == typed_right


@pytest.mark.parametrize(
    "text",
    ["alam", "satu", "ayah", "umat", "kami", "tahu", "seni",
     "ada orang mabuk di sekitar alam sini tiap hari sampai larut"],
)  # fmt: skip
def test_real_words_and_long_texts_are_no_short_time_slip(text: str) -> None:
    assert repair_short_time_answer(text) == text


@pytest.mark.parametrize(
    "text",
    ["pasar", "rahasia", "malang", "semalaman", "salam", "Rahmat", "pagar", "siangan"],
)
def test_words_that_are_no_time_word_stay_unread(text: str) -> None:
    assert parse_incident_time(text, EVENING, tz=WITA) is None


@pytest.mark.parametrize(
    "text", ["barusan", "tadi malam", "jam 9", "12/11", "kemarin", "2 jam yang lalu", "sore"]
)
@pytest.mark.parametrize("now", [MORNING, EVENING, NEW_YEAR])
def test_never_in_the_future_and_always_aware(text: str, now: datetime) -> None:
    result = parse_incident_time(text, now, tz=WITA)
    assert result is not None
    assert result.tzinfo is not None
    assert result <= now


def test_now_in_another_zone() -> None:
    now_utc = MORNING.astimezone(timezone.utc)
    assert parse_incident_time("tadi jam 9", now_utc, tz=WITA) == at(12, 9)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_incident_time("tadi", datetime(2026, 11, 12, 10, 0), tz=WITA)


def test_default_zone_from_settings(lalisa_env: dict[str, str]) -> None:
    assert parse_incident_time("tadi jam 9", MORNING) == at(12, 9)


WORDS = [
    "tadi",
    "semalam",
    "samalam",
    "kemarin",
    "pagi",
    "siang",
    "sore",
    "malam",
    "jam",
    "9",
    "21.30",
    "12/11",
    "2",
    "yang",
    "lalu",
    "barusan",
    "hari",
    "ini",
    "senin",
    "setengah",
    "november",
    "tanggal",
    "20",
    "subuh",
    "menit",
    "di",
    "pasar",
    "ada",
    "orang",
]


@given(
    words=st.lists(st.sampled_from(WORDS), max_size=6),
    now=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(WITA)
    ),
)
def test_any_phrase_gives_a_past_aware_time_or_none(words: list[str], now: datetime) -> None:
    result = parse_incident_time(" ".join(words), now, tz=WITA)
    assert result is None or (result.tzinfo is not None and result <= now)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "tadi malam di depan pasar paringin",
            TimeAndPlace("tadi malam", "di depan pasar paringin"),
        ),
        (
            "samalam sanja di jambatan desa pulantan",
            TimeAndPlace("samalam sanja", "di jambatan desa pulantan"),
        ),
        ("kmrn mlm dkt terminal", TimeAndPlace("kmrn mlm", "dkt terminal")),
        ("di pasar halong samalam", TimeAndPlace("samalam", "di pasar halong")),
        ("sekitar jam 9 malam di pasar", TimeAndPlace("sekitar jam 9 malam", "di pasar")),
        ("depan pasar paringin", None),
        ("Desa Batu Piring, Kecamatan Paringin Selatan", None),
        ("pasar minggu di paringin", None),
        ("tadi malam", None),
    ],
)
def test_time_and_place_in_one_answer_are_split(text: str, expected: TimeAndPlace | None) -> None:
    assert split_time_and_place(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("malam Minggu kemarin", True),
        ("sudah dua minggu", True),
        ("tadi malam di depan pasar", False),  # a place in it
        ("ada lima orang mabuk", False),
    ],
)
def test_is_time_phrase(text: str, expected: bool) -> None:
    from lalisa.intake.timeparse import is_time_phrase

    assert is_time_phrase(text) is expected


@pytest.mark.parametrize(
    "text", ["sudah saminggu", "udah sebulanan", "udh 2 mingguan", "satiap isuk", "udh semingguan"]
)
def test_banjar_and_about_durations_are_ongoing(text: str) -> None:
    assert is_recurring_or_ongoing(text)


@pytest.mark.parametrize(
    "text",
    [
        "udh lama",
        "sudah lama",
        "dah lama min",
        "lumayan lama",
        "dari dulu",
        "dari dulu gini terus",
        "sejak dahulu",
        "udah bertahun2",
        "udah bertahun-tahun",
        "berbulan2",
        "sejak bulan lalu",
        "sudah lawas",
    ],
)
def test_long_ago_and_still_so_is_ongoing(text: str) -> None:
    """Long ago and still so answers "kapan?" (stored as said), as "tiap hari" does."""
    assert is_recurring_or_ongoing(text)


@pytest.mark.parametrize(
    "text", ["jalan lama", "di pasar lama", "ok min", "Taufik", "lama banget nunggu balasan"]
)
def test_lama_alone_or_as_a_name_is_no_time(text: str) -> None:
    assert not is_recurring_or_ongoing(text)


@pytest.mark.parametrize(
    "text",
    [
        "pas lagi hujan deras",
        "waktu acara nikahan kemarin",
        "habis sholat jumat",
        "setelah pengajian",
        "imbah sembahyang",
        "udah 2x",
        "mingguan",
    ],
)
def test_free_form_times_describe_a_time(text: str) -> None:
    assert describes_time(text)


@pytest.mark.parametrize(
    "text", ["di rumah warga", "ok min siap", "Budi Santoso", "maaf salah tempat", "ada fotonya"]
)
def test_places_names_and_remarks_describe_no_time(text: str) -> None:
    assert not describes_time(text)


@pytest.mark.parametrize(
    "text",
    ["udah sebulaan", "udh semniggu an", "sudah dua bulna", "baru semingu ini", "udh seulanan"],
)
def test_a_duration_typed_with_a_slip_is_still_a_time(text: str) -> None:
    assert mentions_time(text) or is_recurring_or_ongoing(text)


@pytest.mark.parametrize("text", ["wahinni", "wayyah ini", "kaamarin"])
def test_now_or_yesterday_in_banjar_typed_with_a_slip_is_a_moment(text: str) -> None:
    assert parse_incident_time(text, EVENING, tz=WITA) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("samalam habis isya, ini ulun kirim fotonya", "samalam habis isya"),
        ("tadi malam, ini fotonya nyusul ya", "tadi malam"),
        ("tadi baisukan, lakas ditindak lah pian", "tadi baisukan"),
        ("tadi malam - cepat ya min", "tadi malam"),
        # Every clause that says when stays; so does a remark that says a time itself.
        (
            "Hampir setiap siang, terakhir tadi siang. Mohon segera ditertibkan.",
            "Hampir setiap siang, terakhir tadi siang",
        ),
        ("kayanya tadi malam, pagi ini udah gitu", "kayanya tadi malam, pagi ini udah gitu"),
        ("tadi malam, fotonya nanti sore", "tadi malam, fotonya nanti sore"),
        # A clock's full stop is no clause end; a text with no time is left alone.
        ("pukul 19.30 WITA", "pukul 19.30 WITA"),
        ("ga tau, lupa", "ga tau, lupa"),
    ],
)
def test_a_remark_after_the_time_is_dropped(text: str, expected: str) -> None:
    assert without_trailing_remark(text) == expected
