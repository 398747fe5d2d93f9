"""The WhatsApp "*word" correction: the word fixed and the previous message read again."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from actions.tickets import previous_answer
from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import Answer
from lalisa.intake.readers.star import apply_star, star_word

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "word"),
    [("*Syarifah", "Syarifah"), ("* tuak", "tuak"), ("tuak*", "tuak"), ("*Tundakan.", "Tundakan")],
)
def test_a_starred_word_is_a_correction(text: str, word: str) -> None:
    assert star_word(text) == word


@pytest.mark.parametrize(
    "text", ["*tuak*", "tuak", "*ya", "* 12", "*Tundakan kec Awayan", "ada *tuak* di warung"]
)
def test_bold_words_sentences_and_short_words_are_no_star_correction(text: str) -> None:
    assert star_word(text) is None


def test_the_closest_word_of_the_previous_message_is_replaced() -> None:
    fix = apply_star("min ada warung jual tuan dekat pasar", "tuak")
    assert fix is not None
    assert (fix.text, fix.old, fix.new) == ("min ada warung jual tuak dekat pasar", "tuan", "tuak")
    assert apply_star("Syarifan", "Syarifah") is not None
    assert apply_star("desa tindakan kec awalan", "Tundakan").text == "desa Tundakan kec awalan"


@pytest.mark.parametrize(
    ("previous", "word"),
    [
        ("Syarifah", "Syarifah"),  # nothing to correct
        ("desa halubau paringin selatan", "kemarin"),  # no word close enough
        ("", "tuak"),
    ],
)
def test_no_close_word_is_no_fix(previous: str, word: str) -> None:
    assert apply_star(previous, word) is None


def _summary(**slots: object) -> dict[str, object]:
    state: dict[str, object] = {
        "category": "fasum_rusak",
        "description": "papan nama jalan sama rambu di kampung sy dirusak",
        "location": "desa halubau, paringin selatan",
        "location_kecamatan": "Paringin Selatan",
        "location_desa": "Halubau",
        "incident_time": "kemarin pagi",
        "evidence": "-",
        "reporter_name": "Syarifan",
        "requested_slot": "complaint_confirmation",
        "form_asks": {"question": "complaint_confirmation", "count": 1},
    }
    state.update(slots)
    return state


def test_a_starred_name_at_the_summary_replaces_the_name() -> None:
    answer = Answer(text="*Syarifah", previous_text="Syarifan", previous_question="reporter_name")
    step = advance(_summary(), answer=answer, now=NOW)
    assert step.slots["reporter_name"] == "Syarifah"
    assert [u.response for u in step.utterances] == ["utter_corrected_reporter_name"]
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_a_starred_word_of_the_opening_fixes_the_story_and_its_category() -> None:
    opening = "min ada warung jual tuan dekat pasar"
    state = _summary(
        category="asusila",
        description=opening,
        location=None,
        location_kecamatan=None,
        location_desa=None,
        incident_time=None,
        evidence=None,
        reporter_name=None,
        requested_slot="location",
        form_asks={"question": "location", "count": 1},
    )
    answer = Answer(text="*tuak", previous_text=opening, previous_question=None)
    step = advance(state, answer=answer, now=NOW)
    assert step.slots["category"] == "miras"
    assert step.slots["description"] == "min ada warung jual tuak dekat pasar"
    assert step.slots["requested_slot"] == "location"
    assert "utter_location_not_found" not in [u.response for u in step.utterances]


def test_the_previous_message_and_its_question_are_read_from_the_events() -> None:
    events = [
        {"event": "user", "text": "min papan nama jalan dirusak"},
        {"event": "active_loop", "name": "complaint_form"},
        {"event": "slot", "name": "requested_slot", "value": "reporter_name"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "Syarifan"},
        {"event": "slot", "name": "requested_slot", "value": "complaint_confirmation"},
        {"event": "user", "text": "*Syarifah"},
    ]
    assert previous_answer(events) == ("Syarifan", "reporter_name")
    assert previous_answer([*events[:6], {"event": "user", "text": "x"}])[1] == "reporter_name"
    opening = [events[0], events[1], {"event": "user", "text": "*tuak"}]
    assert previous_answer(opening) == ("min papan nama jalan dirusak", None)
    tapped = [{"event": "user", "text": "/affirm"}, {"event": "user", "text": "*ya"}]
    assert previous_answer(tapped) == ("", None)
