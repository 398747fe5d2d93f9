"""Questions about the question asked ("fotonya wajib kah?"): answered there, then asked again."""

from __future__ import annotations

import pytest

from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import MAX_ASKS
from lalisa.intake.step_questions import FOLLOW_UP_RESPONSE, HELP_RESPONSES, step_question
from tests.unit.test_form_flow import NOW, apply, at, responses, say


@pytest.mark.parametrize(
    ("asked", "text", "intent"),
    [
        (
            "location",
            "maksudnya alamat lengkap kah? ulun kada tahu nomor rumahnya",
            "ask_office_contact",
        ),
        ("location", "harus disambat ngaran jalan kah?", "nlu_fallback"),
        ("location", "lokasinya harus lengkap ya min?", "ask_how_to_report"),
        ("evidence", "fotonya wajib ga min? sy lg di jalan", "ask_how_to_report"),
        ("evidence", "wajib kah fotonya? ulun takutan motret", "ask_how_to_report"),
        ("evidence", "Apakah foto wajib dilampirkan?", "ask_how_to_report"),
        ("reporter_name", "hrs nama asli ga min?", "ask_how_to_report"),
        ("reporter_name", "harus pakai ngaran asli kah?", "ask_how_to_report"),
        ("incident_time", "Jam pastinya saya lupa, apakah tidak apa-apa?", "nlu_fallback"),
        ("incident_time", "Apakah harus tepat jamnya?", "nlu_fallback"),
        ("description", "ceritanya harus detail ga min?", "ask_how_to_report"),
        ("description", "maksudnya dikisahakan kaya apa?", "nlu_fallback"),
        ("category", "kategorinya apa ya min, sy bingung", "nlu_fallback"),
    ],
)
def test_a_question_about_the_step_is_answered_there(asked: str, text: str, intent: str) -> None:
    state = at(asked)
    step = advance(state, answer=say(text, intent, 0.8), now=NOW)
    assert not step.interrupt
    assert responses(step) == [HELP_RESPONSES[asked]]
    # The same question comes again, and nothing was stored or cancelled.
    assert step.slots["requested_slot"] == asked
    assert state.get(asked) is None and step.slots.get(asked) is None
    assert "cancel_requested" not in step.slots
    assert not step.missed_twice


@pytest.mark.parametrize(
    ("asked", "text"),
    [
        ("incident_time", "kapan ditindak min?"),
        ("incident_time", "kapan ditindak pak? urangnya masih bakeliling ni"),
        ("location", "ini nanti diproses kapan ya?"),
        ("complaint_confirmation", "Setelah ini laporan saya diteruskan kepada siapa?"),
        ("complaint_confirmation", "ini berapa lama diprosesnya min?"),
        ("complaint_confirmation", "kira-kira berapa lama diurusiakan pian?"),
    ],
)
def test_when_will_it_be_handled_is_answered_at_any_step(asked: str, text: str) -> None:
    step = advance(at(asked), answer=say(text, "nlu_fallback", 0.5), now=NOW)
    assert not step.interrupt
    assert responses(step) == [FOLLOW_UP_RESPONSE]
    assert step.slots["requested_slot"] == asked
    assert "complaint_outcome" not in step.slots


def test_what_happens_next_read_as_a_status_check_is_answered_at_the_summary() -> None:
    """This report has no ticket yet: "diteruskan kepada siapa?" is about what comes next."""
    text = "Setelah ini laporan saya diteruskan kepada siapa?"
    step = advance(at("complaint_confirmation"), answer=say(text, "check_status", 0.9), now=NOW)
    assert not step.interrupt
    assert responses(step) == [FOLLOW_UP_RESPONSE]


@pytest.mark.parametrize(
    "text", ["laporan saya kemarin kapan ditindak?", "tiket LLS-2026-000123 kapan diproses?"]
)
def test_a_status_check_of_an_earlier_report_still_interrupts(text: str) -> None:
    entities = ({"entity": "ticket_id", "value": "LLS-2026-000123"},) if "LLS" in text else ()
    answer = say(text, "check_status", 0.9, entities=entities)
    assert advance(at("evidence"), answer=answer, now=NOW).interrupt


def test_the_answer_after_the_help_is_read() -> None:
    state = at("evidence")
    helped = apply(state, advance(state, answer=say("fotonya wajib kah?"), now=NOW))
    step = advance(helped, answer=say("kadada foto"), now=NOW)
    assert step.slots["evidence"] == "-"
    assert step.slots["requested_slot"] == "reporter_name"


def test_an_answer_holding_a_question_word_is_still_the_answer() -> None:
    """Reading the slot comes first: a place with "kah" is the place."""
    step = advance(
        at("location"), answer=say("desa lok batu kah? batumandi", "nlu_fallback"), now=NOW
    )
    assert step.slots["location_desa"] == "Lok Batu"


def test_helping_twice_still_keeps_the_loop_guard() -> None:
    """A question after the question was asked twice: the form changes strategy (skips)."""
    state = at("evidence")
    state["form_asks"] = {"question": "evidence", "count": MAX_ASKS}
    step = advance(state, answer=say("fotonya wajib kah?"), now=NOW)
    assert step.slots["evidence"] == "-"
    assert step.slots["requested_slot"] == "reporter_name"


@pytest.mark.parametrize(
    ("asked", "text"),
    [
        # Questions of their own, for the domain's rules: not about the step.
        ("location", "jam buka kantor satpol pp jam berapa?"),
        ("evidence", "laporan saya yang kemarin sudah sampai mana?"),
        # A long story is no question about the question.
        (
            "description",
            "kenapa ya min tiap malam ada anak muda balapan motor di jalan depan rumah saya "
            "sampai jam dua pagi dan tidak ada yang menegur sama sekali?",
        ),
    ],
)
def test_other_questions_are_not_step_questions(asked: str, text: str) -> None:
    assert step_question(asked, text) is None


def test_a_statement_is_not_a_step_question() -> None:
    assert step_question("evidence", "foto nanti saya kirim") is None
    assert step_question("reporter_name", "nama saya Budi") is None


def test_every_help_response_is_in_the_domain() -> None:
    from lalisa_common.rasa_domain import load_domain

    defined = load_domain()["responses"]
    assert {*HELP_RESPONSES.values(), FOLLOW_UP_RESPONSE} <= set(defined)


def test_a_correction_of_the_time_sent_at_the_name_question_is_no_name() -> None:
    """The time came from the opening; the citizen corrects it while the name is asked."""
    state = at("reporter_name", incident_time="malam Minggu kemarin")
    text = "Mohon maaf, koreksi: bukan malam Minggu, tetapi malam Sabtu."
    step = advance(state, answer=say(text), now=NOW)
    assert "reporter_name" not in step.slots or step.slots["reporter_name"] is None
    assert "Sabtu" in step.slots["incident_time"]
    assert step.slots["requested_slot"] == "reporter_name"
