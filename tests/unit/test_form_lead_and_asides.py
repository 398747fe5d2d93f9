"""Readers of an opening's lead and asides inside the form (dev13 findings, general forms).

* a question asking whom to call or which number to ring gets the emergency numbers at any
  step, never a failed answer (:mod:`lalisa.intake.readers.whom_to_call`);
* a category named right after the reporting verb is the category
  (:mod:`lalisa.intake.readers.named_category`);
* the stored story loses the greeting, the reporter's introduction and the announcement
  (:mod:`lalisa.intake.readers.story_lead`).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from lalisa.intake.form.flow import advance
from lalisa.intake.readers.named_category import named_report_category
from lalisa.intake.readers.signal import complaint_signal
from lalisa.intake.readers.story_lead import without_story_lead
from lalisa.intake.readers.whom_to_call import asks_whom_to_call
from tests.unit.test_form_flow import at, responses, say

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text",
    [
        "inya bawa parang jua, ulun musti telpon ka mana?",
        "Kalau malam ini terjadi lagi, saya harus menghubungi nomor berapa?",
        "nomor darurat berapa min?",
        "siapa yang harus saya telpon?",
        "min hrs telp siapa ni?",
        "kami minta tolong ke siapa?",
        "nomor polisi berapa?",
        "kemana saya harus menghubungi kalau dia datang lagi?",
        "ulun harus mahubungi siapa?",
    ],
)
def test_questions_of_whom_to_call(text: str) -> None:
    assert asks_whom_to_call(text)


@pytest.mark.parametrize(
    "text",
    [
        "nomor kantor satpol berapa?",
        "sudah saya telpon polisi",
        "nomor rumahnya perlu?",
        "tolong lokasinya di mana?",
        "bisa saya telpon petugas?",
        "siapa yang bisa saya hubungi di kantor?",
        "nomor tiketnya berapa?",
        "alamat lengkap kah?",
        "di desa Halong dekat masjid",
    ],
)
def test_not_questions_of_whom_to_call(text: str) -> None:
    assert not asks_whom_to_call(text)


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("location", "inya bawa parang jua, ulun musti telpon ka mana?"),
        ("location", "Kalau malam ini terjadi lagi, saya harus menghubungi nomor berapa?"),
        ("incident_time", "Kalau malam ini terjadi lagi, saya harus menghubungi nomor berapa?"),
        ("evidence", "min hrs telp siapa ni?"),
        ("reporter_name", "nomor darurat berapa min?"),
    ],
)
def test_whom_to_call_at_a_step_gets_the_emergency_numbers(question: str, text: str) -> None:
    state = at(question)
    step = advance(state, answer=say(text, "nlu_fallback", 0.5), now=NOW)
    assert not step.interrupt
    assert responses(step) == ["utter_emergency"]
    assert step.slots["requested_slot"] == question
    assert state.get(question) is None and step.slots.get(question) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("mau lapor kebisingan min", "kebisingan"),
        ("mau lapor pkl min", "pkl"),
        ("saya ingin melaporkan soal miras", "miras"),
        ("ulun handak bapadah masalah sampah", "sampah"),
        ("mau menyampaikan keluhan tentang parkir liar", "parkir_liar"),
        ("mau lapor kebisinagn", "kebisingan"),
        ("mau lapor ada pengamen maksa", "gepeng"),
    ],
)
def test_a_category_named_after_the_reporting_verb(text: str, category: str) -> None:
    assert named_report_category(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "mau lapor min",
        "mau lapor kejadian di Awayan",
        "mau lapor pelanggaran nih min",
        # A category word further on in the story is the classifier's to weigh.
        "saya mau lapor, ada orang buang sampah",
        "laporan saya kemarin soal sampah udah ditindak?",
    ],
)
def test_no_category_named_after_the_reporting_verb(text: str) -> None:
    assert named_report_category(text) is None


def test_an_opening_naming_its_category_skips_the_category_question() -> None:
    opening = say("mau lapor kebisingan min", "report_complaint")
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots["category"] == "kebisingan"
    assert step.slots["requested_slot"] == "description"


def test_a_complaint_said_as_keluhan_is_a_clear_report() -> None:
    text = "saya ingin menyampaikan keluhan tentang suara bengkel las di sebelah rumah saya"
    assert complaint_signal(text, intent_confidence=1.0, category_confidence=None) == "strong"


@pytest.mark.parametrize(
    ("text", "story"),
    [
        (
            "Selamat malam. Saya Ketua RT 03 Desa Teluk Mesjid, ingin melaporkan aksi balap liar"
            " yang meresahkan warga kami.",
            "Aksi balap liar yang meresahkan warga kami.",
        ),
        (
            "Assalamualaikum warahmatullahi wabarakatuh. Bapak/Ibu petugas, saya warga Murung"
            " Ilung ingin menyampaikan keluhan tentang suara bengkel las di sebelah rumah saya.",
            "Suara bengkel las di sebelah rumah saya.",
        ),
        (
            "Selamat siang. Saya pemilik toko ponsel. Pesaing saya memasang spanduk di tiang"
            " listrik.",
            "Pesaing saya memasang spanduk di tiang listrik.",
        ),
        (
            "assalamualaikum pian, ulun handak bapadah, ada acara kawinan pakai organ tunggal",
            "ada acara kawinan pakai organ tunggal",
        ),
        (
            "Mohon izin Bapak, saya perangkat desa ingin melaporkan kambing yang dilepas.",
            "Kambing yang dilepas.",
        ),
        ("Saya Ahmad, warga Lok Batu. Tiap malam ada balap liar.", "Tiap malam ada balap liar."),
        ("nama saya Rahmat, mau lapor ada sampah di sungai", "ada sampah di sungai"),
        ("halo min ada org gila ngamuk di pasar", "ada org gila ngamuk di pasar"),
        ("min ada org gila kelayapan di jalan", "ada org gila kelayapan di jalan"),
        (
            "min maaf mau lapor, rumah kosong sering dipake mesum",
            "rumah kosong sering dipake mesum",
        ),
        # A story without a lead stays word for word.
        ("saya lihat ada orang mabuk di pos ronda", "saya lihat ada orang mabuk di pos ronda"),
        ("bapak itu jualan di trotoar terus", "bapak itu jualan di trotoar terus"),
        ("Lapor min", ""),
    ],
)
def test_the_story_without_its_lead(text: str, story: str) -> None:
    assert without_story_lead(text) == story


def test_the_stored_story_holds_no_introduction() -> None:
    opening = (
        "Selamat malam. Saya Ketua RT 03 Desa Teluk Mesjid, ingin melaporkan aksi balap liar"
        " yang meresahkan warga kami."
    )
    step = advance({}, answer=None, opening=say(opening, "report_complaint"), now=NOW)
    assert step.slots["description"] == "Aksi balap liar yang meresahkan warga kami."


def test_an_introduction_alone_is_no_story() -> None:
    step = advance(
        at("description"),
        answer=say("Selamat pagi, saya warga desa Halong, nama saya Budi."),
        now=NOW,
    )
    assert step.slots.get("description") is None
    assert step.slots["requested_slot"] == "description"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("yg mau dilaporin parkirnya", "parkir_liar"),
        ("yang dilaporkan itu mirasnya", "miras"),
        ("ulun handak bapadah sampahnya", "sampah"),
    ],
)
def test_the_category_named_as_what_is_reported(text: str, category: str) -> None:
    assert named_report_category(text) == category


@pytest.mark.parametrize("text", ["saya mau tanya", "yang dilaporkan itu tetangga saya"])
def test_no_category_named_as_what_is_reported(text: str) -> None:
    assert named_report_category(text) is None
