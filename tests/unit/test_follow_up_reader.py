"""Questions about the follow-up of a report, read by their words (lalisa_common.follow_up)."""

from __future__ import annotations

import pytest

from lalisa_common.follow_up import asks_about_follow_up


@pytest.mark.parametrize(
    "text",
    [
        "kapan ditindak min?",
        "kapan ditindak min",
        "Kira-kira kapan akan ditindaklanjuti?",
        "Terima kasih. Kira-kira kapan petugas datang?",
        "nanti orangnya dibawa kemana min?",
        "nanti saya dikabari kah?",
        "berapa lama diprosesnya?",
        "bila petugas turun kasini pian?",
        "siapa nang maurusi?  diurusiakan kah?",
        # Written apart.
        "Apakah saya nanti akan diberi tahu hasil tindak lanjutnya?",
    ],
)
def test_follow_up_questions(text: str) -> None:
    assert asks_about_follow_up(text)


@pytest.mark.parametrize(
    "text",
    [
        # A request, thanks or a hope is no question.
        "tolong segera ditindak min",
        "Mohon laporan kali ini benar-benar ditindaklanjuti.",
        "inggih, terima kasih banyak pian, mudahan lakas ditindak",
        # A status check by number or status: check_status as the NLU reads it.
        "min coba cek status LLS-2026-00012 udh diproses blm",
        "tiketnya kapan diproses?",
        # Another agency's service: out_of_scope names who handles it.
        "kapan petugas PLN datang? listrik padam dari pagi",
        "bpjs saya kapan diproses min?",
        "motor kena tilang, sidangnya di mana? bisa diurus lewat sini kah?",
        # Questions about Satpol PP or about reporting before one reports: their own intents.
        "masalah apa saja yang ditangani satpol pp",
        "kapan satpol pp turun patroli ke kecamatan",
        "kawa kah ulun datang ka kantor",
        "biasanya berapa lama laporan ditindaklanjuti setelah masuk",
        "kalo lapor skrg kira2 brp lama baru ditindak",
        # Coming, of no one who comes.
        "Teori datang mana ngitu?",
        # Other questions after the ticket.
        "sudah masuk?",
        "ulun kawa ai mangirim foto wayah ini kah?",
        "",
        "/check_status",
        # A long message tells something of its own.
        "kapan ditindak min? soalnya tiap malam mereka balapan di jalan depan rumah saya dan "
        "suaranya sangat mengganggu anak-anak yang mau tidur",
    ],
)
def test_not_follow_up_questions(text: str) -> None:
    assert not asks_about_follow_up(text)
