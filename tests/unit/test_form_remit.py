"""Questions about the agency's remit, mid-form and outside it, and vague openings.

"ini urusan satpol pp kah, atau urusan dinas?" asked at a form step is no place, no time and
no name: the form says that Satpol PP takes reports like this (the officer verifies) and asks
its question again. An opening that names only a vague act ("p min, ada yg ngerusakin") is
not kept as the story. The phrasings are written for these tests (Indonesian, WhatsApp slang,
Banjar Hulu), not taken from the simulated citizens.
"""

from __future__ import annotations

import pytest

from lalisa.intake.form.asides import REMIT_RESPONSE
from lalisa.intake.form.description import has_substance
from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import MAIN_QUESTIONS
from lalisa_common.remit import asks_about_remit, names_other_agency_service
from tests.unit.test_form_flow import NOW, at, category_entity, responses, say

REMIT_QUESTIONS = (
    "ini termasuk urusan satpol pp kan? bukan dinas perhubungan?",
    "yang begini urusan satpol pp kah atau pihak desa?",
    "ini wewenang satpol pp atau polisi min?",
    "kasus ini ranahnya satpol pp bukan?",
    "ini bisa ditangani satpol pp apa nggak?",
    "nang kaini gawian satpol pp kah?",
    "bisa ditertibkan satpol pp gak?",
    "yang bongkar nanti satpol pp atau dinas pupr?",
    "laporan ini diteruskan ke satpol pp atau ke kecamatan?",
)
NOT_REMIT_QUESTIONS = (
    "apa tugas satpol pp?",  # the duties, answered as such
    "apa saja kewenangan satpol pp",
    # "itu" after the agency's name names the agency, not this matter: its duties in general.
    "satpol pp itu tugasnya ngapain aja?",
    "satpol pp tu gawiannya apa haja?",
    # What it handles, asked as a list: its duties, not this matter's remit.
    "masalah apa saja yang ditangani satpol pp?",
    "satpol pp bisa menindak siapa saja?",
    # Questions about the agencies themselves, not about this matter.
    "apa itu tugas satpol pp",
    "apa bedanya satpol pp dengan polisi?",
    "satpol pp itu bagian dari pemda kah?",
    "satpol pp tugasnya cuma razia pkl kah?",
    "satpol pp itu apa?",
    "jam berapa kantor satpol pp buka?",
    "desa mana kah?",  # a place
    "masuk desa apa ya? saya kurang tahu",
    "sudah lapor ke desa tapi tidak ditangani",  # a statement
    "di depan kantor dinas pendidikan",  # a place
    "ini urusan satpol pp",  # no question
    "kapan ditindak satpol pp?",  # when (the follow-up answer)
    "",
)


@pytest.mark.parametrize("text", REMIT_QUESTIONS)
def test_a_remit_question_is_read_by_its_words(text: str) -> None:
    assert asks_about_remit(text)


@pytest.mark.parametrize("text", NOT_REMIT_QUESTIONS)
def test_other_questions_and_statements_are_no_remit_question(text: str) -> None:
    assert not asks_about_remit(text)


STEPS = tuple(q for q in MAIN_QUESTIONS if q != "category")


@pytest.mark.parametrize("intent", ["nlu_fallback", "ask_authority", "out_of_scope", "deny"])
@pytest.mark.parametrize("asked", STEPS)
def test_a_remit_question_at_a_step_is_answered_and_the_question_asked_again(
    asked: str, intent: str
) -> None:
    slots = at(asked)
    step = advance(slots, answer=say(REMIT_QUESTIONS[0], intent, 0.6), now=NOW)
    assert not step.interrupt
    assert responses(step) == [REMIT_RESPONSE]
    assert step.slots["requested_slot"] == asked
    assert "cancel_requested" not in step.slots and "complaint_outcome" not in step.slots
    # Nothing the report had is touched, nothing is stored as a place, time or name.
    assert {k for k in step.slots if slots.get(k) is not None} <= {"requested_slot", "form_asks"}
    assert "location_note" not in step.slots and "form_last_answer" not in step.slots


@pytest.mark.parametrize("asked", ["location", "incident_time"])
def test_a_banjar_remit_question_is_answered_at_place_and_time(asked: str) -> None:
    step = advance(at(asked), answer=say(REMIT_QUESTIONS[4], "nlu_fallback", 0.5), now=NOW)
    assert responses(step) == [REMIT_RESPONSE]


def test_a_category_named_with_the_remit_question_answers_the_category_question() -> None:
    text = "ada kios dibangun di atas saluran, urusan satpol pp kah?"
    answer = say(text, "report_complaint", 0.9, entities=(category_entity("bangunan_liar", 0.9),))
    step = advance(at("category"), answer=answer, now=NOW)
    assert REMIT_RESPONSE not in responses(step)
    assert step.slots.get("category") == "bangunan_liar"


@pytest.mark.parametrize(
    "text",
    [
        "mau perpanjang ktp di mana",
        "listrik padam dari sore",
        "bpjs saya tidak aktif",
        "jalan ke desa kami banyak lubang, tolong diaspal",
    ],
)
def test_services_of_other_agencies_are_named(text: str) -> None:
    assert names_other_agency_service(text)


@pytest.mark.parametrize(
    "text",
    [
        "ada yang membangun kios di atas saluran air, kalau hujan jalan tergenang",
        "orang dengan gangguan jiwa mengamuk bawa senjata tajam",
        "sapi lepas di jalan raya",
    ],
)
def test_satpol_pp_matters_name_no_other_agency_service(text: str) -> None:
    assert not names_other_agency_service(text)


# ------------------------------------------------------------------------- vague openings


@pytest.mark.parametrize(
    "text",
    ["p min, ada yg ngerusak", "tolong min ada orang yg nakal lagi", "min ada yang ribut tuh"],
)
def test_an_opening_with_only_a_vague_act_has_no_substance(text: str) -> None:
    assert not has_substance(text)


@pytest.mark.parametrize(
    "text",
    [
        "ada yg jualan tuak di warung",
        "min ada orang gila ngamuk di pasar",
        "ada yang merusak lampu taman kota",
        "p min, ada yg corat coret tembok sekolah",
    ],
)
def test_an_opening_naming_the_act_and_object_has_substance(text: str) -> None:
    assert has_substance(text)


def test_a_vague_opening_is_not_kept_as_the_description() -> None:
    """The form asks for the story instead of keeping "ada yg ngerusak" as it."""
    opening = say("p min, ada yg ngerusak nih", "report_complaint", 0.99)
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots.get("description") is None


def test_an_opening_with_substance_is_kept_as_the_description() -> None:
    opening = say("p min, ada yg ngerusak lampu taman kota", "report_complaint", 0.99)
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots.get("description") == "p min, ada yg ngerusak lampu taman kota"
