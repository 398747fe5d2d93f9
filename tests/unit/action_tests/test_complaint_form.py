"""ValidateComplaintForm: each answer of the complaint form."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.tickets import (
    ActionAskComplaintConfirmation,
    ValidateComplaintForm,
    clear_for_correction,
    summary_values,
)

from .helpers import domain, responses, tracker

FORM = ValidateComplaintForm()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that records what the action says."""
    return CollectingDispatcher()


def test_pin_inside_balangan_resolves_desa(dispatcher: CollectingDispatcher) -> None:
    """A pin in Paringin Kota fills kecamatan and desa and is confirmed to the citizen."""
    t = tracker(
        text='/share_location{"latitude": -2.324289, "longitude": 115.460773}',
        intent="share_location",
        entities=[
            {"entity": "latitude", "value": -2.324289},
            {"entity": "longitude", "value": 115.460773},
        ],
        requested_slot="location",
    )
    result = FORM.validate_location("(titik lokasi)", dispatcher, t, domain())
    assert result["location_kecamatan"] == "Paringin"
    assert result["location_desa"] == "Paringin Kota"
    assert result["location_lat"] == pytest.approx(-2.324289)
    assert responses(dispatcher) == ["utter_location_confirmed"]


def test_pin_outside_balangan_is_refused(dispatcher: CollectingDispatcher) -> None:
    """A pin in Banjarmasin clears the location and explains why."""
    t = tracker(
        text="/share_location",
        intent="share_location",
        entities=[
            {"entity": "latitude", "value": -3.3194},
            {"entity": "longitude", "value": 114.5908},
        ],
    )
    result = FORM.validate_location("(titik lokasi)", dispatcher, t, domain())
    assert result == {"location": None, "location_lat": None, "location_lon": None}
    assert responses(dispatcher) == ["utter_location_outside_balangan"]


def test_pin_without_coordinates_is_refused(dispatcher: CollectingDispatcher) -> None:
    """A malformed pin message never crashes the form."""
    t = tracker(text="/share_location", intent="share_location", entities=[])
    result = FORM.validate_location("(titik lokasi)", dispatcher, t, domain())
    assert result["location"] is None
    assert responses(dispatcher) == ["utter_location_not_found"]


@pytest.mark.parametrize(
    ("typed", "kecamatan", "desa"),
    [
        ("depan pasar paringen", "Paringin", None),
        ("desa hujan mas dekat masjid", "Paringin", "Hujan Mas"),
        ("btu mandi", "Batu Mandi", None),
    ],
)
def test_typed_place_is_resolved(
    dispatcher: CollectingDispatcher, typed: str, kecamatan: str, desa: str | None
) -> None:
    """Typed places, typos included, resolve to a kecamatan (and desa when named)."""
    t = tracker(text=typed, requested_slot="location")
    result = FORM.validate_location(typed, dispatcher, t, domain())
    assert result["location"] == typed
    assert result["location_kecamatan"] == kecamatan
    if desa:
        assert result["location_desa"] == desa


def test_unknown_place_is_asked_again(dispatcher: CollectingDispatcher) -> None:
    """A place that is not in Balangan is not accepted."""
    t = tracker(text="di rumah saya", requested_slot="location")
    result = FORM.validate_location("di rumah saya", dispatcher, t, domain())
    assert result == {"location": None}
    assert responses(dispatcher) == ["utter_location_not_found"]


@pytest.mark.parametrize("answer", ["lewati", "gak tau", "kada tahu", "-"])
async def test_incident_time_can_be_skipped(dispatcher: CollectingDispatcher, answer: str) -> None:
    """The time is optional."""
    result = await FORM.validate_incident_time(answer, dispatcher, tracker(text=answer), domain())
    assert result == {"incident_time": "-", "incident_at": None}


async def test_incident_time_is_parsed(dispatcher: CollectingDispatcher) -> None:
    """The answer "tadi malam" is kept as typed and parsed to a moment."""
    result = await FORM.validate_incident_time(
        "tadi malam", dispatcher, tracker(text="tadi malam"), domain()
    )
    assert result["incident_time"] == "tadi malam"
    assert result["incident_at"] is not None


def test_short_description_is_refused(dispatcher: CollectingDispatcher) -> None:
    """One word is not enough for the field team to act on."""
    result = FORM.validate_description("pkl", dispatcher, tracker(text="pkl"), domain())
    assert result == {"description": None}
    assert responses(dispatcher) == ["utter_description_too_short"]


def test_description_is_kept_as_plain_text(dispatcher: CollectingDispatcher) -> None:
    """Markup in a description is stored as text, not interpreted."""
    text = "<script>alert(1)</script> ada pkl di trotoar"
    result = FORM.validate_description(text, dispatcher, tracker(text=text), domain())
    assert result == {"description": text}


async def test_opening_message_becomes_the_description() -> None:
    """A complaint that already tells the story is not asked for it again."""
    text = "ada pkl jualan di trotoar depan pasar paringin"
    t = tracker(text=text, requested_slot=None)
    result = await FORM.extract_description(CollectingDispatcher(), t, domain())
    assert result == {"description": text}


async def test_short_opening_is_not_a_description() -> None:
    """The answer "mau lapor" starts the form but is not a description."""
    t = tracker(text="mau lapor", requested_slot=None)
    assert await FORM.extract_description(CollectingDispatcher(), t, domain()) == {}


async def test_unclassified_category_answer_becomes_lainnya() -> None:
    """An answer the classifier could not place is filed under "lainnya"."""
    t = tracker(text="pokoknya ada masalah di kampung", requested_slot="category")
    assert await FORM.extract_category(CollectingDispatcher(), t, domain()) == {
        "category": "lainnya"
    }


async def test_question_at_category_step_is_a_digression() -> None:
    """A question is not turned into a category."""
    t = tracker(text="apa tugas satpol pp", intent="ask_duties", requested_slot="category")
    assert await FORM.extract_category(CollectingDispatcher(), t, domain()) == {}


@pytest.mark.parametrize(("value", "expected"), [("pkl", "pkl"), ("nonsense", "lainnya")])
def test_category_is_canonical(dispatcher: CollectingDispatcher, value: str, expected: str) -> None:
    """Only canonical categories are stored."""
    assert FORM.validate_category(value, dispatcher, tracker(), domain()) == {"category": expected}


@pytest.mark.parametrize(("answer", "expected"), [("lewati", "-"), ("nama saya Siti", "Siti")])
def test_reporter_name(dispatcher: CollectingDispatcher, answer: str, expected: str) -> None:
    """The name is optional and lead-ins are removed."""
    result = FORM.validate_reporter_name(answer, dispatcher, tracker(text=answer), domain())
    assert result == {"reporter_name": expected}


def test_confirmation_yes(dispatcher: CollectingDispatcher) -> None:
    """The submit button confirms."""
    t = tracker(text="/affirm", intent="affirm", requested_slot="complaint_confirmation")
    result = FORM.validate_complaint_confirmation("ya", dispatcher, t, domain())
    assert result == {"complaint_confirmation": "ya"}


def test_confirmation_change_named_field(dispatcher: CollectingDispatcher) -> None:
    """The answer "ubah lokasi" clears the location so the form asks it again."""
    t = tracker(text="ubah lokasi", intent="deny", requested_slot="complaint_confirmation")
    result = FORM.validate_complaint_confirmation("ubah", dispatcher, t, domain())
    assert result == clear_for_correction("location")
    assert result["location"] is None and result["location_kecamatan"] is None


def test_confirmation_change_asks_which_field(dispatcher: CollectingDispatcher) -> None:
    """The change button leads to the correction question."""
    t = tracker(text="/deny", intent="deny", requested_slot="complaint_confirmation")
    result = FORM.validate_complaint_confirmation("ubah", dispatcher, t, domain())
    assert result == {"complaint_confirmation": "ubah"}


async def test_correction_field_is_asked_after_change() -> None:
    """After "ubah" the form inserts the correction question before the summary."""
    t = tracker(slots={"complaint_confirmation": "ubah"})
    form_slots = ["category", "description", "correction_field", "complaint_confirmation"]
    slots = await FORM.required_slots(form_slots, CollectingDispatcher(), t, domain())
    assert slots == form_slots
    before = tracker(slots={"complaint_confirmation": None})
    slots = await FORM.required_slots(form_slots, CollectingDispatcher(), before, domain())
    assert slots == ["category", "description", "complaint_confirmation"]


def test_unclear_confirmation_is_asked_again(dispatcher: CollectingDispatcher) -> None:
    """An unrelated answer at the summary gets a hint."""
    t = tracker(text="hmm", intent="nlu_fallback", requested_slot="complaint_confirmation")
    result = FORM.validate_complaint_confirmation("hmm", dispatcher, t, domain())
    assert result == {"complaint_confirmation": None}
    assert responses(dispatcher) == ["utter_confirmation_unclear"]


async def test_summary_shows_every_field() -> None:
    """The summary names category, place, time, evidence and name in Bahasa Indonesia."""
    t = tracker(
        slots={
            "category": "miras",
            "description": "warung jual tuak tiap malam",
            "location": "dekat jembatan",
            "location_kecamatan": "Lampihong",
            "location_desa": "Hilir Pasar",
            "incident_time": "-",
            "evidence_media": [1, 2],
            "reporter_name": "-",
        }
    )
    values = summary_values(t)
    assert values["category_label"].startswith("Minuman keras")
    assert values["location_summary"] == "dekat jembatan (Hilir Pasar, Kecamatan Lampihong)"
    assert values["incident_time_summary"] == "tidak disebutkan"
    assert values["evidence_summary"] == "2 foto/video"
    assert values["reporter_name_summary"] == "tidak disebutkan"
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintConfirmation().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_complaint_summary"]


async def test_time_answer_that_looks_like_an_hours_question(
    dispatcher: CollectingDispatcher,
) -> None:
    """The answer "tadi malam jam 10" is a time even when NLU calls it ask_service_hours."""
    t = tracker(text="tadi malam jam 10", intent="ask_service_hours")
    result = await FORM.validate_incident_time("tadi malam jam 10", dispatcher, t, domain())
    assert result["incident_time"] == "tadi malam jam 10"
    assert result["incident_at"] is not None
    assert responses(dispatcher) == []


async def test_office_hours_question_at_time_step_is_answered(
    dispatcher: CollectingDispatcher, lalisa_env: dict[str, str]
) -> None:
    """A real question about office hours gets the answer and the time is asked again."""
    t = tracker(text="kantor buka jam berapa?", intent="ask_service_hours")
    result = await FORM.validate_incident_time("kantor buka jam berapa?", dispatcher, t, domain())
    assert result == {"incident_time": None, "incident_at": None}
    assert responses(dispatcher) == ["utter_service_hours"]
