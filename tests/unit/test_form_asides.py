"""Small talk and the confidentiality question, before, during and after a report.

"ini rahasia kan?" asked at a form step is no cancel and no refusal of the name; "makasih ya",
"apa kabar min" are no name and no story. The form answers them in kind and asks its question
again; the report keeps everything it had. Each message is given several intents DIET has
given such messages (likely and misleading ones) and must be read the same way every time.
The phrasings are written for these tests (Indonesian, WhatsApp slang, Banjar Hulu), not taken
from the simulated citizens.
"""

from __future__ import annotations

from typing import Any

import pytest

from lalisa.intake.form.asides import (
    CONFIDENTIALITY_RESPONSE,
    HOLD_ON_RESPONSE,
    SMALL_TALK_RESPONSES,
)
from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import MAIN_QUESTIONS
from lalisa.intake.readers.hold_on import asks_to_wait
from lalisa_common.small_talk import asks_confidentiality, read_small_talk
from tests.unit.test_form_flow import NOW, at, category_entity, responses, say

MISLEADING_INTENTS = (
    "cancel",
    "deny",
    "affirm",
    "out_of_scope",
    "nlu_fallback",
    "greet",
    "thank",
    "ask_confidentiality",
    "report_complaint",
)
# Read as the confidentiality question, the form leaves it to the domain's rule (interrupt).
WRONG_INTENTS = tuple(i for i in MISLEADING_INTENTS if i != "ask_confidentiality")
CONFIDENTIALITY_QUESTIONS = (
    "ini rahasia kan?",
    "nama saya dirahasiakan kan min?",
    "identitas pelapor aman kah?",
    "kada disabutakan ngaran ulun lah?",
    "data sy aman gak min",
    "kalau saya lapor ketauan ga sama orangnya?",
    "apakah nama saya di rahasiakan",
    "nama saya aman aja kan?",  # "aja" after a word of safety is no request
    "nomor hp saya aman kah?",
    # Being known rather than kept secret, and "who reported".
    "identitas saya tidak akan diketahui terlapor, bukan?",
    "nama saya ga bakal dikenali pelaku kan?",
    "orangnya tau ga siapa yang lapor?",
)
# What the form asks at each main question, and what it keeps.
STEPS = tuple(q for q in MAIN_QUESTIONS if q != "category")


# ------------------------------------------------------------------------------ the readers


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("apa kabar min", "how_are_you"),
        ("Baapa kabar pian?", "how_are_you"),
        ("makasih ya", "thanks"),
        ("terima kasih banyak min", "thanks"),
        ("tq kak", "thanks"),
        ("selamat pagi", "greeting"),
        ("Selamat malam pak admin", "greeting"),
        ("halo min", "greeting"),
        ("assalamualaikum", "salam"),
        ("Assalamu alaikum wr wb", "salam"),
        ("halo, gimana kabarnya?", "how_are_you"),
        ("bagaimana kabar anda", "how_are_you"),
        # A call for attention alone, before the message: a greeting.
        ("p", "attention"),
        ("P", "attention"),
        ("min", "attention"),
        ("min?", "attention"),
        ("oi", "attention"),
        ("woy min", "attention"),
        ("pak", "attention"),
        ("halo min?", "greeting"),
        ("pagi min", "greeting"),
        ("sore pak admin", "greeting"),
        ("permisi", "greeting"),
    ],
)
def test_small_talk_is_read_by_its_words(text: str, kind: str) -> None:
    assert read_small_talk(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "selamat pagi, saya mau lapor ada pkl",  # small talk that opens a report
        "ya makasih",  # a yes at the summary
        "ok makasih",
        "malam",  # an answer to "kapan?"
        "iya min",  # a yes
        "ok min",
        "ini min",  # with a photo
        "p min ada pkl",  # the message itself
        "wassalamualaikum",  # goodbye
        "apa min",
        # News of a report, not "how are you": the how-word does not come first.
        "kabarnya gimana min?",
        "makasih, kabarnya gimana?",
        "kabar min?",
        "halo min, gimana?",
        "/greet",
        "",
    ],
)
def test_anything_more_than_small_talk_is_not_small_talk(text: str) -> None:
    assert read_small_talk(text) is None


@pytest.mark.parametrize("text", CONFIDENTIALITY_QUESTIONS)
def test_the_confidentiality_question_is_read_by_its_words(text: str) -> None:
    assert asks_confidentiality(text)


@pytest.mark.parametrize(
    "text",
    [
        "tolong rahasiakan nama saya",  # a request, not a question
        "rahasia",
        "anonim aja ya?",  # refuses the name
        "dirahasiakan aja ya min?",
        # A secret word with "aja"/"haja" asks for it, whatever particle follows; a "kan"
        # that opens the message does not ask ("I said already").
        "rahasia aja kan?",
        "rahasia haja lah",
        "kan td udh bilang min, rahasia aja",
        "kan sudah saya bilang namanya dirahasiakan",
        "hp saya hilang di pasar, aman kah ditinggal di pos?",  # a phone, not its number
        "namanya disebut apa ya?",  # what something is called
        "tolong jangan disebut nama saya ya?",
        "dia ketahuan nyontek padahal kan sudah dilarang",  # someone else found out
        "nama asli wajib kah?",  # asks about the name question (its own help)
        "tanpa nama boleh?",
        "ngaran ulun kada usah dipadahakan pang, rahasia haja",  # "no need": a refusal
        "ga usah disebut namaku ya, rahasia",
        "maksudnya alamat lengkap kah? ulun kada tahu nomor rumahnya",
        "tadi malam ada yang mabuk di jalan, rahasia kan?",  # tells what happened
        "kan td udh bilang min, rahasia aja",  # asks for it ("kan" is emphasis)
        "/ask_confidentiality",
        "saya tidak tahu cara lapor, gimana?",  # how to report
        "rumah saya dibongkar kah?",  # a house, not an identity
        "bukan saya yang lihat, tetangga",
    ],
)
def test_requests_refusals_and_stories_are_no_confidentiality_question(text: str) -> None:
    assert not asks_confidentiality(text)


# ------------------------------------------------------------------------------- the form


@pytest.mark.parametrize("intent", WRONG_INTENTS)
@pytest.mark.parametrize("question", CONFIDENTIALITY_QUESTIONS)
def test_a_confidentiality_question_at_the_name_step_is_answered_not_taken_as_the_name(
    question: str, intent: str
) -> None:
    step = advance(at("reporter_name"), answer=say(question, intent, 0.95), now=NOW)
    assert not step.interrupt
    assert responses(step) == [CONFIDENTIALITY_RESPONSE]
    assert step.slots["requested_slot"] == "reporter_name"
    assert "reporter_name" not in step.slots
    assert "cancel_requested" not in step.slots and "complaint_outcome" not in step.slots


@pytest.mark.parametrize("intent", ["cancel", "deny", "out_of_scope"])
@pytest.mark.parametrize("asked", STEPS)
def test_a_confidentiality_question_never_cancels_and_keeps_the_question(
    asked: str, intent: str
) -> None:
    slots = at(asked)
    step = advance(slots, answer=say("ini rahasia kan?", intent, 0.97), now=NOW)
    assert not step.interrupt
    assert responses(step) == [CONFIDENTIALITY_RESPONSE]
    assert step.slots["requested_slot"] == asked
    assert "cancel_requested" not in step.slots and "complaint_outcome" not in step.slots
    # Nothing the report had is touched.
    assert {k for k in step.slots if slots.get(k) is not None} <= {"requested_slot", "form_asks"}


def test_a_confidentiality_question_while_cancelling_keeps_the_cancel_question() -> None:
    slots = at("cancel_confirmation")
    step = advance(slots, answer=say("identitas pelapor aman kah?", "cancel", 0.9), now=NOW)
    assert responses(step) == [CONFIDENTIALITY_RESPONSE]
    assert step.slots["requested_slot"] == "cancel_confirmation"
    assert "complaint_outcome" not in step.slots


@pytest.mark.parametrize("asked", ["category", *STEPS, "cancel_confirmation"])
@pytest.mark.parametrize(
    "question", ["nama saya dirahasiakan kan min", "kada disabutakan ngaran ulun lah"]
)
def test_a_confidentiality_question_read_as_one_interrupts_even_without_a_question_mark(
    asked: str, question: str
) -> None:
    """The domain's rule answers it and the form asks again; never read as "anonim"."""
    step = advance(at(asked), answer=say(question, "ask_confidentiality", 1.0), now=NOW)
    assert step.interrupt


def test_a_story_naming_a_category_is_read_as_the_story() -> None:
    """A question naming a category ("ada miras lagi, rahasia kan?") tells the story."""
    text = "ada urang mabuk-mabukan di pos ronda, rahasia kan?"
    answer = say(text, "report_complaint", 0.9, entities=(category_entity("miras", 0.9),))
    step = advance(at("description"), answer=answer, now=NOW)
    assert CONFIDENTIALITY_RESPONSE not in responses(step)


@pytest.mark.parametrize("intent", MISLEADING_INTENTS)
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("apa kabar min", "how_are_you"),
        ("makasih ya", "thanks"),
        ("selamat pagi", "greeting"),
        ("assalamualaikum", "salam"),
    ],
)
@pytest.mark.parametrize("asked", ["category", *STEPS])
def test_small_talk_in_the_form_gets_a_reply_and_the_question_again(
    asked: str, text: str, kind: str, intent: str
) -> None:
    slots: dict[str, Any] = at(asked)
    step = advance(slots, answer=say(text, intent, 0.95), now=NOW)
    assert not step.interrupt
    assert responses(step) == [SMALL_TALK_RESPONSES[kind]]  # type: ignore[index]
    assert step.slots["requested_slot"] == asked
    assert {k for k in step.slots if slots.get(k) is not None} <= {"requested_slot", "form_asks"}
    assert "complaint_outcome" not in step.slots and "cancel_requested" not in step.slots
    assert "form_last_answer" not in step.slots


def test_banjar_how_are_you_is_answered_in_banjar() -> None:
    step = advance(at("location"), answer=say("baapa kabar pian", "greet", 0.9), now=NOW)
    assert responses(step) == ["utter_small_talk_how_are_you_banjar"]
    assert step.slots["requested_slot"] == "location"


def test_thanks_after_a_photo_at_the_evidence_question_still_means_done() -> None:
    slots = at("evidence", evidence_media=[7])
    step = advance(slots, answer=say("makasih ya", "thank", 0.95), now=NOW)
    assert step.slots["evidence"] == "(media)"
    assert step.slots["requested_slot"] == "reporter_name"


def test_a_greeting_word_that_answers_the_question_is_the_answer() -> None:
    """A part of the day ("malam") at "kapan?" is the time, not small talk."""
    step = advance(at("incident_time"), answer=say("malam", "greet", 0.9), now=NOW)
    assert step.slots["incident_time"] == "malam"
    assert step.slots["requested_slot"] == "evidence"


@pytest.mark.parametrize("intent", MISLEADING_INTENTS)
@pytest.mark.parametrize("text", ["p", "min", "min?", "oi", "woy min"])
@pytest.mark.parametrize("asked", ["category", *STEPS])
def test_a_call_for_attention_in_the_form_is_answered_and_the_question_repeated(
    asked: str, text: str, intent: str
) -> None:
    """A nudge ("p", "min") while the form waits: "we are here", and the question again.

    Nothing is misunderstood, so it is no miss of the loop guard.
    """
    slots: dict[str, Any] = at(asked)
    step = advance(slots, answer=say(text, intent, 0.95), now=NOW)
    assert not step.interrupt
    assert responses(step) == [SMALL_TALK_RESPONSES["attention"]]
    assert step.slots["requested_slot"] == asked
    assert {k for k in step.slots if slots.get(k) is not None} <= {"requested_slot", "form_asks"}
    assert "form_last_answer" not in step.slots


def test_a_nudge_after_a_miss_is_not_a_second_miss() -> None:
    slots: dict[str, Any] = {**at("location"), "form_asks": {"question": "location", "count": 2}}
    step = advance(slots, answer=say("min", "nlu_fallback", 0.4), now=NOW)
    assert not step.missed_twice
    assert responses(step) == [SMALL_TALK_RESPONSES["attention"]]
    # The question comes again as it was: no list of places instead.
    assert step.slots["requested_slot"] == "location"
    assert step.slots["form_asks"]["count"] == 2
    # A second aside in a row counts: nothing read as an aside can loop for ever.
    again = advance({**slots, **step.slots}, answer=say("min", "nlu_fallback", 0.4), now=NOW)
    assert again.slots["requested_slot"] == "kecamatan_choice"


@pytest.mark.parametrize("text", ["pagi min", "malam pak"])
def test_a_part_of_the_day_with_an_address_answers_the_time_question(text: str) -> None:
    step = advance(at("incident_time"), answer=say(text, "greet", 1.0), now=NOW)
    assert step.slots["incident_time"] == text
    assert responses(step) == []


# ------------------------------------------------------------------- "wait, I am driving"

WAITS = (
    "eh bentar ya, lg nyetir, ntar sy lanjut",
    "Mohon maaf, saya sedang rapat, nanti saya lanjutkan",
    "kaina lah pian, ulun lagi bagawi",
    "tunggu 10 menit ya min",
)


@pytest.mark.parametrize(
    "text",
    [
        *WAITS,
        "sy lg nyetir, balasnya pelan2 ya",
    ],
)
def test_asking_to_wait_is_read_by_its_words(text: str) -> None:
    assert asks_to_wait(text)


@pytest.mark.parametrize(
    "text",
    [
        "tadi sy lagi nyetir ada sapi lepas di jalan",  # the story of a driver
        "sebentar lg kerja, fotonya nanti sy kirim",  # says what comes next: for the question
        "nanti malam",
        "di jalan",
        "kerja bakti warga",
        "",
    ],
)
def test_a_message_that_says_more_than_wait_is_read_as_usual(text: str) -> None:
    assert not asks_to_wait(text)


@pytest.mark.parametrize("asked", STEPS)
@pytest.mark.parametrize("text", WAITS)
@pytest.mark.parametrize("intent", ("nlu_fallback", "out_of_scope", "report_complaint", "cancel"))
def test_asking_to_wait_in_the_form_keeps_the_report_and_asks_again(
    asked: str, text: str, intent: str
) -> None:
    slots: dict[str, Any] = at(asked)
    step = advance(slots, answer=say(text, intent, 0.6), now=NOW)
    assert not step.interrupt
    assert responses(step) == [HOLD_ON_RESPONSE]
    assert step.slots["requested_slot"] == asked
    assert {k for k in step.slots if slots.get(k) is not None} <= {"requested_slot", "form_asks"}
    assert "complaint_outcome" not in step.slots and "cancel_requested" not in step.slots
