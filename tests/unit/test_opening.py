"""The place and time read from the message that tells the story (lalisa.intake.opening)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lalisa.intake.opening import read_opening_place, read_opening_time
from lalisa.places.geo import find_place_mention

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)  # Tuesday 14:00 WITA


# ------------------------------------------------------------------------------- place


@pytest.mark.parametrize(
    ("text", "stored", "kecamatan", "desa"),
    [
        (
            "di desa Halong kecamatan Halong tiap malam minggu ada balap liar",
            "desa Halong",
            "Halong",
            "Halong",
        ),
        (
            "kemarin sore sekitar jam 5 ada sapi lepas di jalan desa Tarangan kec Paringin Selatan",
            "jalan desa Tarangan kec Paringin Selatan",
            "Paringin Selatan",
            "Tarangan",
        ),
        (
            "ada orang mabuk di depan masjid desa Murung Ilung",
            "depan masjid desa Murung Ilung",
            "Paringin",
            "Murung Ilung",
        ),
        ("tiap malam ada yang mabuk di lapangan Mantimin", "lapangan Mantimin", "Batu Mandi",
         "Mantimin"),
        ("sabtu malam kemarin ada orgen tunggal sampai jam 2 di desa Kapul", "desa Kapul",
         "Halong", "Kapul"),
        # Banjar: "parak" (near), "ulun" (I).
        ("ulun handak malapor, urang bakalahi parak jembatan Murung Ilung samalam",
         "parak jembatan Murung Ilung", "Paringin", "Murung Ilung"),
        # A slip after "desa" and an abbreviated cue.
        ("ada pkl di ds. lasung batu, trotoar penuh", "ds. lasung batu", "Paringin",
         "Lasung Batu"),
        ("lapak pkl di desa tarangn bikin macet", "desa tarangn", "Paringin Selatan", "Tarangan"),
        # An ordinary-word name after "desa".
        ("ada sampah menumpuk di jalan desa Baru kecamatan Awayan", "jalan desa Baru "
         "kecamatan Awayan", "Awayan", "Baru"),
        # A comma ends the landmark: the story before it is not the place.
        ("ada balap liar tiap malam, jalan desa Lasung Batu", "jalan desa Lasung Batu",
         "Paringin", "Lasung Batu"),
    ],
)  # fmt: skip
def test_a_desa_named_in_the_story_is_the_place(
    text: str, stored: str, kecamatan: str, desa: str
) -> None:
    found = read_opening_place(text)
    assert found is not None
    assert (found.text, found.place.kecamatan, found.place.desa) == (stored, kecamatan, desa)


@pytest.mark.parametrize(
    "text",
    [
        # A kecamatan alone: the form still asks where.
        "ada balap liar di jalan A. Yani Paringin tadi malam",
        "ada warung buka siang bulan puasa di Awayan",
        # A kecamatan's name said as a landmark may be anywhere in it.
        "samalam ada urang mabuk di pasar Batumandi",
        "ada org minta sumbangan pake kotak di jalan awayan",
        "spanduk2 caleg numpuk di tiang listrik di jalan mau ke halong",
        # Common words that are desa names (Baru, Merah, Panggung) without "desa".
        "ada urang bajualan di lampu merah",
        "ada bangunan baru di pinggir sungai",
        "ada panggung dangdut sampai subuh",
        "warung di higa jalan tu malam-malam ada babinian bapupur tebal",
        # Residence, not the place of the incident.
        "saya warga desa Halong mau lapor sampah menumpuk",
        "ulun urang Sungai Ketapi handak bapadah",
        "saya warga RT 04 Kelurahan Paringin Kota melapor pkl di trotoar",
        # Two different desa: which one is for the citizen to say.
        "sampah menumpuk di desa Tarangan dan desa Lasung Batu",
        # A desa and a kecamatan it does not lie in (Baru is in Awayan).
        "ada sampah menumpuk di jalan desa Baru kecamatan Paringin",
        # A slip without a cue word, and one across a comma.
        "ada pkl di paringen",
        "ada warung jablay di parak simpang, urang baduaan sampai tangah malam",
        # A desa name shared by two kecamatan.
        "ada balapan di jln raya desa galumbang",
        "",
    ],
)
def test_no_place_unless_a_desa_is_named_explicitly(text: str) -> None:
    assert read_opening_place(text) is None


def test_the_mention_gives_where_the_place_is_named() -> None:
    text = "Ada sampah di desa Tarangan, Kec. Paringin Selatan, tiap hari"
    mention = find_place_mention(text)
    assert mention is not None
    assert mention.place.desa == "Tarangan"
    assert text[mention.start : mention.end] == "Tarangan, Kec. Paringin Selatan"


def test_the_mention_of_a_kecamatan_alone_is_the_kecamatan() -> None:
    mention = find_place_mention("ada balap liar di jalan A. Yani Paringin tadi malam")
    assert mention is not None
    assert (mention.place.kecamatan, mention.place.desa) == ("Paringin", None)


# ------------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("text", "phrase", "moment"),
    [
        ("ada balap liar di jalan A. Yani Paringin tadi malam", "tadi malam", "2026-03-09T20:00"),
        ("samalam ada urang mabuk di pasar Batumandi", "samalam", "2026-03-09T12:00"),
        ("kemarin sore sekitar jam 5 ada sapi lepas", "kemarin sore sekitar jam 5",
         "2026-03-09T17:00"),
        ("barusan ada yang berkelahi di pasar Juai", "barusan", "2026-03-10T14:00"),
        ("td mlm ada balapan di jln raya", "td mlm", "2026-03-09T20:00"),
        ("ada orang mabuk 2 jam yang lalu di depan masjid", "2 jam yang lalu", "2026-03-10T12:00"),
        ("jam 10 tadi ada keributan di pasar Juai", "jam 10 tadi", "2026-03-10T10:00"),
        ("sabtu malam kemarin ada orgen tunggal", "sabtu malam kemarin", "2026-03-07T20:00"),
        ("malam minggu ada balap liar di jalan lingkar", "malam minggu", "2026-03-07T20:00"),
        ("baru saja ada kecelakaan karena sapi lepas", "baru saja", "2026-03-10T14:00"),
        ("tadi pagi ada pkl jualan di trotoar", "tadi pagi", "2026-03-10T08:00"),
        # Banjar "kamarian" (afternoon).
        ("kamarin kamarian ada urang bakalahi", "kamarin kamarian", "2026-03-09T16:00"),
        # After a prayer time: part of the phrase, it says when in the day.
        # (14:00 now: "tadi abis isya" is yesterday evening's.)
        ("tadi abis isya ada yg berantem di lapangan", "tadi abis isya", "2026-03-09T19:00"),
        ("samalam habis isya ada urang bakalahi", "samalam habis isya", "2026-03-09T19:00"),
        ("kemarin sesudah sholat ashar ada sapi lepas", "kemarin sesudah sholat ashar",
         "2026-03-09T15:00"),
    ],
)  # fmt: skip
def test_an_explicit_time_in_the_story_is_the_time(text: str, phrase: str, moment: str) -> None:
    said = read_opening_time(text, NOW)
    assert said is not None
    assert said.text == phrase
    assert said.moment is not None
    assert said.moment.strftime("%Y-%m-%dT%H:%M") == moment


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("di desa Halong tiap malam minggu ada balap liar", "tiap malam minggu"),
        ("tiap malam ada yang mabuk di lapangan", "tiap malam"),
        ("setiap sore anak-anak mengemis di lampu merah", "setiap sore"),
    ],
)
def test_a_repetition_with_a_part_of_the_day_is_the_time(text: str, phrase: str) -> None:
    said = read_opening_time(text, NOW)
    assert said is not None
    assert (said.text, said.moment) == (phrase, None)


@pytest.mark.parametrize(
    "text",
    [
        # A part of the day alone, or a market called "pasar pagi".
        "warung di higa jalan tu malam-malam ada babinian bapupur tebal",
        "ada pkl jualan di pasar pagi paringin",
        "warung remang-remang buka sampai malam",
        # A vague repetition or a duration.
        "mau lapor asap sampah dibakar tiap hari di desa lok panginangan",
        "sering ada yang mabuk di pos ronda",
        "sudah seminggu ini sapi warga dilepas di jalan",
        # The time of the report, not of the incident.
        "sudah saya laporkan kemarin tapi belum ditindak",
        "mohon hari ini juga ditertibkan pkl di trotoar",
        "min mau lapor lg, yg kemarin blm ditindak",
        # The end of a span, not when it happened.
        "Tempat karaoke di dekat terminal buka sampai jam 3 pagi, padahal izinnya sampai jam 12.",
        # "jam" without an hour, "baru" and "hanyar" meaning new.
        "jam dinding di pos ronda dicuri",
        "ada bangunan baru di bantaran sungai",
        "rumah hanyar dibangun di atas saluran",
        "",
    ],
)
def test_no_time_unless_one_is_said_explicitly(text: str) -> None:
    assert read_opening_time(text, NOW) is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # "abis itu" is no prayer time; a comma ends the phrase.
        ("tadi abis itu ada yang lewat", "tadi"),
        ("tadi habis, isya ada ribut", "tadi"),
    ],
)
def test_an_after_word_without_a_prayer_time_stays_out(text: str, phrase: str) -> None:
    said = read_opening_time(text, NOW)
    assert said is not None and said.text == phrase
