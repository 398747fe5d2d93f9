"""ValidateComplaintForm and the form's ask actions, with tracker fixtures (no Rasa server)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tickets import (
    ActionAskCategory,
    ActionAskComplaintConfirmation,
    ActionAskDesaChoice,
    ActionAskKecamatanChoice,
    ActionCheckComplaintSignal,
    ValidateComplaintForm,
    answers_question,
    summary_values,
)
from lalisa.tickets.categories import (
    CATEGORY_LABELS,
    FALLBACK_CATEGORY,
    MORE_CATEGORIES,
    category_list_buttons,
)

from .helpers import domain, responses, tracker

FORM = ValidateComplaintForm()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that records what the action says."""
    return CollectingDispatcher()


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def run(dispatcher: CollectingDispatcher, **kwargs: Any) -> dict[str, Any]:
    events = await FORM.run(dispatcher, tracker(**kwargs), domain())
    return slot_events(events)


async def test_barusan_fills_the_time(dispatcher: CollectingDispatcher) -> None:
    """A time the NLU reads as "cancel" is a time at the time question."""
    slots = await run(
        dispatcher,
        text="barusan",
        intent="cancel",
        confidence=0.67,
        requested_slot="incident_time",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar", "location": "x"},
    )
    assert slots["incident_time"] == "barusan"
    assert slots["requested_slot"] == "evidence"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("samalam habis isya, ini ulun kirim fotonya", "samalam habis isya"),
        ("tadi malam, ini fotonya nyusul ya", "tadi malam"),
        ("Kemarin sore sekitar jam 5, saya melihat sendiri", "Kemarin sore sekitar jam 5"),
    ],
)
async def test_a_remark_after_the_time_is_not_stored_with_it(
    dispatcher: CollectingDispatcher, text: str, stored: str
) -> None:
    """The officer reads when it happened, not "ini fotonya nyusul ya"."""
    slots = await run(
        dispatcher,
        text=text,
        intent="inform",
        confidence=0.6,
        requested_slot="incident_time",
        slots={"category": "miras", "description": "ada yang mabuk di pos ronda", "location": "x"},
    )
    assert slots["incident_time"] == stored
    assert slots["requested_slot"] == "evidence"


async def test_place_read_as_a_question_fills_the_location(
    dispatcher: CollectingDispatcher,
) -> None:
    """A desa and kecamatan the NLU reads as ask_programs fills the location."""
    text = "Desa Batu Piring, Kecamatan Paringin Selatan"
    slots = await run(
        dispatcher,
        text=text,
        intent="ask_programs",
        confidence=0.8,
        requested_slot="location",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar"},
    )
    assert slots["location_desa"] == "Batu Piring"
    assert responses(dispatcher) == ["utter_location_confirmed"]


async def test_a_clear_question_rejects_the_form(dispatcher: CollectingDispatcher) -> None:
    """No event at all: Rasa rejects the form and the digression rule answers."""
    events = await FORM.run(
        dispatcher,
        tracker(
            text="jam berapa kantor buka?",
            intent="ask_service_hours",
            requested_slot="location",
            slots={"category": "pkl", "description": "ada pkl jualan di trotoar"},
        ),
        domain(),
    )
    assert events == []
    assert dispatcher.messages == []


async def test_resuming_after_a_digression_does_not_read_it_again(
    dispatcher: CollectingDispatcher,
) -> None:
    """After the rules answered a question, the form asks again and counts the repeat."""
    slots = await run(
        dispatcher,
        text="jam berapa kantor buka?",
        intent="ask_service_hours",
        requested_slot="location",
        slots={
            "category": "pkl",
            "description": "ada pkl jualan di trotoar",
            "form_asks": {"question": "location", "count": 1},
        },
        after=[
            {"event": "action_execution_rejected", "name": "complaint_form"},
            {"event": "action", "name": "action_tell_service_hours"},
            {"event": "bot", "text": "Jam layanan ..."},
        ],
    )
    assert slots == {
        "form_asks": {"question": "location", "count": 2},
        "requested_slot": "location",
    }


def test_answers_question() -> None:
    """Only a form call right after the user message reads it as an answer."""
    user = {"event": "user", "text": "x"}
    form = {"event": "action", "name": "complaint_form"}
    assert answers_question([user, {"event": "slot", "name": "requested_slot"}, form])
    assert answers_question([user, {"event": "user_featurization"}, form])
    assert not answers_question([user, {"event": "action", "name": "utter_emergency"}, form])
    assert not answers_question([])


async def test_opening_message_fills_category_and_description(
    dispatcher: CollectingDispatcher,
) -> None:
    """The message that starts the form already tells the story."""
    text = "ada pkl jualan di trotoar depan pasar paringin"
    slots = await run(
        dispatcher,
        text=text,
        intent="report_complaint",
        entities=[{"entity": "category", "value": "pkl", "confidence": 0.93}],
        requested_slot=None,
    )
    assert slots["category"] == "pkl"
    assert slots["description"] == text
    assert slots["requested_slot"] == "location"


async def test_pending_report_is_the_opening_after_yes(dispatcher: CollectingDispatcher) -> None:
    """After "do you want to report?" -> "ya", the kept message is the description."""
    pending = {
        "text": "pedagang jualan di trotoar depan sekolah tiap pagi",
        "intent": {"name": "report_complaint", "confidence": 0.6},
        "entities": [{"entity": "category", "value": "pkl", "confidence": 0.8}],
    }
    slots = await run(
        dispatcher,
        text="ya",
        intent="affirm",
        requested_slot=None,
        slots={"pending_report": pending},
    )
    assert slots["category"] == "pkl"
    assert slots["description"] == pending["text"]
    assert slots["pending_report"] is None


async def test_typed_share_media_is_not_a_photo(dispatcher: CollectingDispatcher) -> None:
    """The answer "ga ada foto min" (NLU: share_media) is a refusal, not a file."""
    slots = await run(
        dispatcher,
        text="ga ada foto min",
        intent="share_media",
        confidence=0.84,
        requested_slot="evidence",
        slots={"category": "pkl", "description": "x y z", "location": "x", "incident_time": "-"},
    )
    assert slots["evidence"] == "-"
    assert "evidence_media" not in slots


async def test_pin_payload_resolves_desa(dispatcher: CollectingDispatcher) -> None:
    """A pin in Paringin Kota fills kecamatan, desa and coordinates."""
    slots = await run(
        dispatcher,
        text='/share_location{"latitude": -2.324289, "longitude": 115.460773}',
        intent="share_location",
        entities=[
            {"entity": "latitude", "value": -2.324289},
            {"entity": "longitude", "value": 115.460773},
        ],
        requested_slot="location",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar"},
    )
    assert slots["location_kecamatan"] == "Paringin"
    assert slots["location_desa"] == "Paringin Kota"
    assert slots["location_lat"] == pytest.approx(-2.324289)


async def test_pin_without_coordinates_is_a_miss(dispatcher: CollectingDispatcher) -> None:
    """A malformed pin never crashes the form."""
    slots = await run(
        dispatcher,
        text="/share_location",
        intent="share_location",
        requested_slot="location",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar"},
    )
    assert slots["requested_slot"] == "location"
    assert responses(dispatcher) == ["utter_location_not_found"]


async def test_cancel_asks_first(dispatcher: CollectingDispatcher) -> None:
    """The answer "batal" with content asks "Batalkan laporan ini?" instead of cancelling."""
    slots = await run(
        dispatcher,
        text="batal",
        intent="cancel",
        requested_slot="location",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar"},
    )
    assert slots == {
        "cancel_requested": True,
        "form_asks": {"question": "cancel_confirmation", "count": 1},
        "requested_slot": "cancel_confirmation",
    }


async def test_category_question_offers_the_likeliest(dispatcher: CollectingDispatcher) -> None:
    """Two or three categories as buttons, plus "Lainnya"."""
    t = tracker(slots={"category_candidates": ["pkl", "gepeng"]})
    await ActionAskCategory().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_category_choice"
    assert [b["title"] for b in message["buttons"]] == ["PKL", "Gepeng / pengemis", "Lainnya"]
    assert message["buttons"][0]["payload"] == '/report_complaint{"category": "pkl"}'


async def test_category_question_without_candidates(dispatcher: CollectingDispatcher) -> None:
    """The full list when the classifier had nothing to go on: its first page."""
    await ActionAskCategory().run(dispatcher, tracker(), domain())
    assert responses(dispatcher) == ["utter_ask_category"]
    (message,) = dispatcher.messages
    assert message["buttons"] == category_list_buttons()


async def test_category_question_second_page(dispatcher: CollectingDispatcher) -> None:
    """After "Lihat semua jenis": every category not on the first page, and "Lainnya"."""
    t = tracker(slots={"category_page": "more"})
    await ActionAskCategory().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_category_choice"
    assert message["buttons"] == category_list_buttons("more")


async def test_category_question_after_an_unreadable_answer(
    dispatcher: CollectingDispatcher,
) -> None:
    """Asked again at a change request: says the words were not understood, and shows the list."""
    t = tracker(slots={"category_told": "karoke ilegal", "category_rounds": 1})
    await ActionAskCategory().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_category_again"
    assert message["category_told"] == "karoke ilegal"
    assert message["buttons"] == category_list_buttons()


def _payload_category(payload: str) -> str:
    return str(json.loads(payload.removeprefix("/report_complaint"))["category"])


def test_every_category_can_be_chosen_from_the_list() -> None:
    """Two pages of at most 10 rows (WhatsApp's limit) that hold every category once."""
    first, second = category_list_buttons(), category_list_buttons("more")
    assert len(first) <= 10 and len(second) <= 10
    chosen = [_payload_category(b["payload"]) for b in first + second]
    assert set(chosen) == set(CATEGORY_LABELS) | {MORE_CATEGORIES}
    assert [c for c in chosen if c != FALLBACK_CATEGORY] == list(
        dict.fromkeys(c for c in chosen if c != FALLBACK_CATEGORY)
    )
    assert "hiburan_malam" in chosen
    for button in first + second:
        assert len(button["title"]) <= 24
        assert len(button["description"]) <= 72
    more = [b for b in first if _payload_category(b["payload"]) == MORE_CATEGORIES]
    assert [b["title"] for b in more] == ["Lihat semua jenis"]
    assert first[-1]["title"] == second[-1]["title"] == "Lainnya"
    labels = {b["description"] for b in first + second}
    assert CATEGORY_LABELS["hiburan_malam"] in labels


def test_summary_shows_the_citizens_words_for_an_unread_category() -> None:
    t = tracker(slots={"category": "lainnya", "category_told": "karoke ilegal"})
    assert summary_values(t)["category_label"] == "Lainnya (karoke ilegal)"
    t = tracker(slots={"category": "pkl", "category_told": "karoke ilegal"})
    assert summary_values(t)["category_label"] == CATEGORY_LABELS["pkl"]


async def test_desa_list_of_the_chosen_kecamatan(dispatcher: CollectingDispatcher) -> None:
    """Every desa/kelurahan of the kecamatan, nothing from elsewhere."""
    t = tracker(slots={"location_kecamatan": "Tebing Tinggi"})
    await ActionAskDesaChoice().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_desa_choice"
    assert message["kecamatan"] == "Tebing Tinggi"
    assert len(message["buttons"]) == 12
    assert all(b["payload"] == b["title"] for b in message["buttons"])


async def test_kecamatan_list_for_a_desa_name_two_kecamatan_share(
    dispatcher: CollectingDispatcher,
) -> None:
    """A desa name two kecamatan share ("desa Galumbang") lists only those kecamatan."""
    t = tracker(slots={"location_note": "di desa galumbang dekat masjid", "location_mode": "pick"})
    await ActionAskKecamatanChoice().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_kecamatan_choice_shared_desa"
    assert message["desa"] == "Galumbang"
    assert [b["payload"] for b in message["buttons"]] == ["Juai", "Paringin Selatan", "tidak tahu"]


@pytest.mark.parametrize("note", [None, "dekat jembatan gantung", "desa halong"])
async def test_kecamatan_list_otherwise_shows_every_kecamatan(
    dispatcher: CollectingDispatcher, note: str | None
) -> None:
    t = tracker(slots={"location_note": note, "location_mode": "pick"})
    await ActionAskKecamatanChoice().run(dispatcher, t, domain())
    (message,) = dispatcher.messages
    assert message["response"] == "utter_ask_kecamatan_choice"
    assert not message.get("buttons")


async def test_a_nudge_at_the_form_repeats_the_question_without_a_miss(
    dispatcher: CollectingDispatcher,
) -> None:
    """A nudge ("min") after a miss: "we are here", the question again, no offer of a person."""
    events = await FORM.run(
        dispatcher,
        tracker(
            text="min",
            intent="greet",
            confidence=1.0,
            requested_slot="location",
            slots={
                "category": "pkl",
                "description": "ada pkl jualan di trotoar",
                "form_asks": {"question": "location", "count": 2},
            },
        ),
        domain(),
    )
    slots = slot_events(events)
    assert responses(dispatcher)[0] == "utter_small_talk_attention"
    assert slots["requested_slot"] == "location"


async def test_a_short_map_link_gets_its_own_answer(dispatcher: CollectingDispatcher) -> None:
    slots = await run(
        dispatcher,
        text="https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8",
        intent="nlu_fallback",
        confidence=0.3,
        requested_slot="location",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar"},
    )
    assert responses(dispatcher) == ["utter_location_link_unreadable"]
    assert slots["requested_slot"] == "location"
    assert "location_note" not in slots


@pytest.mark.parametrize(
    ("text", "entities", "signal"),
    [
        ("mau lapor", [], "strong"),
        ("Kamar hotelnya rigat bau, ada bakas anduk urang", [], "weak"),
        (
            "ada balap liar",
            [{"entity": "category", "value": "balap_liar", "confidence": 0.9}],
            "strong",
        ),
    ],
)
async def test_complaint_signal(
    dispatcher: CollectingDispatcher, text: str, entities: list[dict[str, Any]], signal: str
) -> None:
    """A weak signal keeps the message aside for after the citizen's "ya"."""
    t = tracker(text=text, entities=entities, active_loop=None)
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert SlotSet("complaint_signal", signal) in events
    pending = slot_events(events)["pending_report"]
    assert (pending is not None) == (signal == "weak")
    if pending is not None:
        assert pending["text"] == text


@pytest.mark.parametrize(("gate", "signal"), [(0.3, "weak"), (0.9, "strong")])
async def test_complaint_signal_reads_the_complaint_gate(
    dispatcher: CollectingDispatcher, gate: float, signal: str
) -> None:
    """The gate's doubt (complaint_gate.confidence in the parse) makes the signal weak."""
    entities = [{"entity": "category", "value": "parkir_liar", "confidence": 0.8}]
    t = tracker(text="parkirannya sempit dan kotor", entities=entities, active_loop=None)
    t.latest_message["complaint_gate"] = {"confidence": gate, "demoted": False}
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert SlotSet("complaint_signal", signal) in events


async def test_a_story_after_a_kept_photo_starts_the_report(
    dispatcher: CollectingDispatcher,
) -> None:
    """A photo came first ("Ceritakan singkat apa yang terjadi"): the story is the report."""
    entities = [{"entity": "category", "value": "sampah", "confidence": 0.67}]
    text = "ini tumpukan sampah di samping pasar sudah berhari-hari"
    t = tracker(text=text, entities=entities, active_loop=None, slots={"evidence_media": [7]})
    t.latest_message["complaint_gate"] = {"confidence": 0.34, "demoted": False}
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert SlotSet("complaint_signal", "strong") in events


async def test_a_lost_and_found_post_after_a_kept_photo_is_asked_about(
    dispatcher: CollectingDispatcher,
) -> None:
    """A kept photo makes a story the report, but not a post asking finders to call back."""
    text = "jatuh di sekitar terminal tadi pagi, bagi yg menemukan hubungi sy, ada imbalan"
    t = tracker(text=text, entities=[], active_loop=None, slots={"evidence_media": [7]})
    t.latest_message["complaint_gate"] = {"confidence": 0.7, "demoted": False}
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert SlotSet("complaint_signal", "weak") in events


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


async def test_summary_of_a_place_chosen_from_the_lists() -> None:
    """A place picked from the lists is not shown twice."""
    t = tracker(
        slots={
            "location": "Lok Hamawang, Kecamatan Lampihong",
            "location_kecamatan": "Lampihong",
            "location_desa": "Lok Hamawang",
        }
    )
    assert summary_values(t)["location_summary"] == "Lok Hamawang, Kecamatan Lampihong"


async def test_unanswered_summary_becomes_a_short_choice() -> None:
    """After two unanswered summaries the question changes."""
    dispatcher = CollectingDispatcher()
    await ActionAskComplaintConfirmation().run(
        dispatcher, tracker(slots={"confirmation_mode": "choice"}), domain()
    )
    assert responses(dispatcher) == ["utter_ask_confirmation_choice"]


def test_every_form_response_exists() -> None:
    """Every response the form logic can send is in the domain."""
    import re
    from pathlib import Path

    form = Path(__file__).resolve().parents[3] / "lalisa/intake/form"
    source = "".join(path.read_text() for path in sorted(form.glob("*.py")))
    used = set(re.findall(r'"(utter_[a-z_]+)"', source))
    assert used <= set(domain()["responses"]), used - set(domain()["responses"])


async def test_photo_before_the_complaint_is_kept_as_its_evidence(db: str) -> None:
    """A photo sent first is recorded and becomes the evidence of the report that follows."""
    from actions.tickets import ActionKeepMedia
    from lalisa.core.db import session_scope
    from lalisa.tickets.models import TicketMedia

    dispatcher = CollectingDispatcher()
    t = tracker(
        text='/share_media{"media_id": "777", "media_type": "image"}',
        intent="share_media",
        entities=[
            {"entity": "media_id", "value": "777"},
            {"entity": "media_type", "value": "image"},
        ],
        active_loop=None,
    )
    events = await ActionKeepMedia().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_media_kept"]
    [kept] = [e["value"] for e in events if e["name"] == "evidence_media"]
    async with session_scope() as session:
        media = await session.get(TicketMedia, kept[0])
        assert media is not None and media.wa_media_id == "777" and media.ticket_id is None
    # The complaint that follows does not ask for evidence again.
    started = await FORM.run(
        CollectingDispatcher(),
        tracker(
            text="ada pkl jualan di trotoar depan pasar paringin tiap pagi",
            entities=[{"entity": "category", "value": "pkl", "confidence": 0.9}],
            slots={"evidence_media": kept},
            requested_slot=None,
        ),
        domain(),
    )
    assert slot_events(started)["evidence"] == "(media)"


async def test_typed_text_read_as_media_outside_the_form_keeps_nothing(
    dispatcher: CollectingDispatcher,
) -> None:
    from actions.tickets import ActionKeepMedia

    t = tracker(text="ini fotonya", intent="share_media", active_loop=None)
    assert await ActionKeepMedia().run(dispatcher, t, domain()) == []
    # No file arrived: no "file sudah kami terima", the default answer instead.
    assert responses(dispatcher) == ["utter_default"]


async def test_only_a_pin_is_thanked_for_as_a_location() -> None:
    from actions.tickets import ActionLocationOutsideForm

    typed = CollectingDispatcher()
    t = tracker(text="sinyal di desa kami lemah", intent="share_location", active_loop=None)
    events = await ActionLocationOutsideForm().run(typed, t, domain())
    assert slot_events(events) == {"complaint_signal": None}
    assert responses(typed) == ["utter_default"]


async def test_a_typed_complaint_read_as_a_pin_starts_the_report() -> None:
    """A typed complaint with a place, read as a pin (a second report after a ticket).

    It names a category the classifier is sure of and a place: a complaint, whose form
    starts with it; an unsure category leaves the default answer.
    """
    from actions.tickets import ActionLocationOutsideForm

    text = "satu lagi min, ada yg jual tuak di desa halong"
    sure = {"entity": "category", "value": "miras", "confidence": 0.91}
    started = CollectingDispatcher()
    t = tracker(text=text, intent="share_location", entities=[sure], active_loop=None)
    assert await ActionLocationOutsideForm().run(started, t, domain()) == [
        SlotSet("complaint_signal", None),
        FollowupAction("complaint_form"),
    ]
    assert responses(started) == []
    opened = await FORM.run(
        CollectingDispatcher(),
        tracker(text=text, intent="share_location", entities=[sure], requested_slot=None),
        domain(),
    )
    assert slot_events(opened)["location_desa"] == "Halong"
    assert slot_events(opened)["category_candidates"] == ["miras"]
    unsure = CollectingDispatcher()
    doubt = {**sure, "confidence": 0.3}
    t = tracker(text=text, intent="share_location", entities=[doubt], active_loop=None)
    assert await ActionLocationOutsideForm().run(unsure, t, domain()) == [
        SlotSet("complaint_signal", None)
    ]
    assert responses(unsure) == ["utter_default"]


def _pin_tracker(latitude: float, longitude: float) -> Any:
    pin = f'/share_location{{"latitude": {latitude}, "longitude": {longitude}}}'
    return tracker(
        text=pin,
        intent="share_location",
        entities=[
            {"entity": "latitude", "value": latitude},
            {"entity": "longitude", "value": longitude},
        ],
        metadata={"name": "Jl. Ahmad Yani Paringin"},
        active_loop=None,
    )


async def test_pin_before_the_complaint_is_kept_as_its_place() -> None:
    """A pin sent first fills the place of the report that follows (like a photo sent first)."""
    from actions.tickets import ActionLocationOutsideForm
    from tests.conversations.personas import find_desa

    desa = find_desa("Paringin Timur")
    pinned = CollectingDispatcher()
    kept = await ActionLocationOutsideForm().run(
        pinned, _pin_tracker(desa.latitude, desa.longitude), domain()
    )
    assert responses(pinned) == ["utter_location_kept"]
    slots = {e["name"]: e["value"] for e in kept}
    # A pin alone is a weak signal: the rules ask whether to report something there.
    assert slots.pop("complaint_signal") == "weak"
    assert (slots["location_kecamatan"], slots["location_desa"]) == ("Paringin", "Paringin Timur")
    assert slots["location"] == "Jl. Ahmad Yani Paringin"
    # The complaint that follows does not ask for the place again.
    started = await FORM.run(
        CollectingDispatcher(),
        tracker(
            text="mobil parkir sembarangan nutup jalan depan toko bangunan",
            entities=[{"entity": "category", "value": "parkir_liar", "confidence": 0.9}],
            slots=slots,
            requested_slot=None,
        ),
        domain(),
    )
    assert slot_events(started)["requested_slot"] == "incident_time"
    # A pin outside Balangan is refused, and keeps nothing.
    outside = CollectingDispatcher()
    refused = await ActionLocationOutsideForm().run(outside, _pin_tracker(-6.2, 106.8), domain())
    assert slot_events(refused) == {"complaint_signal": None}
    assert responses(outside) == ["utter_location_outside_balangan"]


def _asked_about_the_pin() -> list[dict[str, Any]]:
    """The events of a pin sent first and "do you want to report something there?"."""
    return [
        {"event": "user", "text": "/share_location", "parse_data": {}},
        {"event": "action", "name": "action_location_outside_form"},
        {"event": "slot", "name": "complaint_signal", "value": "weak"},
        {"event": "action", "name": "utter_ask_wants_to_report"},
        {"event": "action", "name": "action_listen"},
    ]


_PIN_SLOTS = {
    "location": "(titik lokasi)",
    "location_lat": -2.33,
    "location_lon": 115.47,
    "location_kecamatan": "Paringin",
    "location_desa": "Paringin Timur",
    "complaint_signal": "weak",
}


@pytest.mark.parametrize(
    ("text", "category", "signal"),
    [
        # The story after the pin is the yes and the description: no "ya" asked for.
        ("min ini lokasinya, mobil2 parkir sembarangan nutup jalan", "parkir_liar", "strong"),
        ("di sini bubuhan anak nom bakabut motor tiap malam minggu", "balap_liar", "strong"),
        # A question about the pin tells nothing: asked again, never the form.
        ("ini dimana ya?", None, "weak"),
        ("kesel bgt sumpah", None, "weak"),
    ],
)
async def test_a_complaint_after_a_pin_is_the_yes(
    dispatcher: CollectingDispatcher, text: str, category: str | None, signal: str
) -> None:
    entities = [{"entity": "category", "value": category, "confidence": 0.9}] if category else []
    t = tracker(
        text=text,
        entities=entities,
        slots=_PIN_SLOTS,
        active_loop=None,
        before=_asked_about_the_pin(),
    )
    slots = slot_events(await ActionCheckComplaintSignal().run(dispatcher, t, domain()))
    assert slots["complaint_signal"] == signal
    assert (slots["pending_report"] is None) == (signal == "strong")


@pytest.mark.parametrize(
    ("text", "intent", "category", "signal"),
    [
        ("jambatan gantung ni papannya dicabuti urang", "nlu_fallback", "fasum_rusak", "strong"),
        ("ada yang mabuk2an tiap malam bikin resah warga", "out_of_scope", None, "strong"),
        ("ini di mana pang, ulun handak tulak ka situ", "out_of_scope", None, "weak"),
        ("ini tempat apa ya", "nlu_fallback", None, "weak"),
    ],
)
async def test_a_message_the_nlu_cannot_place_after_a_pin(
    dispatcher: CollectingDispatcher, text: str, intent: str, category: str | None, signal: str
) -> None:
    """Its own words decide whether it is the story (the form starts) or is asked about."""
    from actions.tickets import ActionKeepStory

    entities = [{"entity": "category", "value": category, "confidence": 0.5}] if category else []
    t = tracker(
        text=text,
        intent=intent,
        entities=entities,
        slots=_PIN_SLOTS,
        active_loop=None,
        before=_asked_about_the_pin(),
    )
    slots = slot_events(await ActionKeepStory().run(dispatcher, t, domain()))
    assert slots["complaint_signal"] == signal
    assert slots["pending_report"]["text"] == text
    # The form that starts then reads the kept message as its opening (the description).
    if signal == "strong":
        started = await FORM.run(
            CollectingDispatcher(),
            tracker(
                text=text,
                intent=intent,
                slots={**_PIN_SLOTS, "pending_report": slots["pending_report"]},
                requested_slot=None,
            ),
            domain(),
        )
        assert slot_events(started)["description"] == text


async def test_the_story_after_a_photo_is_still_only_kept(dispatcher: CollectingDispatcher) -> None:
    """Without a pin asked about, action_keep_story keeps the message and decides nothing."""
    from actions.tickets import ActionKeepStory

    t = tracker(
        text="jambatan gantung ni papannya dicabuti urang", intent="nlu_fallback", active_loop=None
    )
    events = await ActionKeepStory().run(dispatcher, t, domain())
    assert set(slot_events(events)) == {"pending_report"}


async def test_typed_coordinates_first_are_kept_as_a_pin() -> None:
    from actions.tickets import ActionLocationOutsideForm

    said = CollectingDispatcher()
    t = tracker(
        text="https://maps.google.com/?q=-2.324289,115.460773",
        intent="share_location",
        active_loop=None,
    )
    slots = slot_events(await ActionLocationOutsideForm().run(said, t, domain()))
    assert responses(said) == ["utter_location_kept"]
    assert slots["location_kecamatan"] == "Paringin"
    assert slots["complaint_signal"] == "weak"


async def test_a_short_map_link_first_says_how_to_share_the_place() -> None:
    """Not the generic "belum memahami": share the pin or type the desa, and report?"""
    from actions.tickets import ActionLocationOutsideForm

    said = CollectingDispatcher()
    t = tracker(
        text="https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8", intent="share_location", active_loop=None
    )
    slots = slot_events(await ActionLocationOutsideForm().run(said, t, domain()))
    assert responses(said) == ["utter_location_link_outside_form"]
    assert slots == {"complaint_signal": "weak"}


async def test_a_voice_note_first_cannot_be_listened_to() -> None:
    from actions.tickets import ActionKeepMedia

    said = CollectingDispatcher()
    t = tracker(
        text='/share_media{"media_id": "91", "media_type": "audio"}',
        intent="share_media",
        entities=[
            {"entity": "media_id", "value": "91"},
            {"entity": "media_type", "value": "audio"},
        ],
        active_loop=None,
    )
    assert await ActionKeepMedia().run(said, t, domain()) == []
    assert responses(said) == ["utter_voice_outside_form"]


async def test_a_voice_note_in_the_form_is_not_recorded_as_evidence() -> None:
    said = CollectingDispatcher()
    t = tracker(
        text='/share_media{"media_id": "92", "media_type": "audio"}',
        intent="share_media",
        entities=[
            {"entity": "media_id", "value": "92"},
            {"entity": "media_type", "value": "audio"},
        ],
        requested_slot="evidence",
        slots={
            "category": "pkl",
            "description": "ada pkl jualan di trotoar",
            "location": "x",
            "location_kecamatan": "Paringin",
            "incident_time": "tadi",
        },
    )
    slots = slot_events(await FORM.run(said, t, domain()))
    assert responses(said) == ["utter_voice_not_evidence"]
    assert "evidence_media" not in slots and slots["requested_slot"] == "evidence"


async def test_a_story_after_a_photo_sent_first_is_kept_as_the_pending_report() -> None:
    from actions.tickets import ActionKeepStory

    story = "jambatan gantung ni papannya dicabuti urang, bahaya gasan kakanakan"
    t = tracker(text=story, intent="nlu_fallback", confidence=0.3, active_loop=None)
    [event] = await ActionKeepStory().run(CollectingDispatcher(), t, domain())
    assert event["name"] == "pending_report"
    assert event["value"]["text"] == story
    assert event["value"]["intent"]["name"] == "report_complaint"
    # A button payload is never a story.
    payload = tracker(text="/deny", intent="deny", active_loop=None)
    assert await ActionKeepStory().run(CollectingDispatcher(), payload, domain()) == []


async def test_a_photo_caption_in_the_form_is_read_as_the_answer(db: str) -> None:
    """The words sent with a photo at the place question are the place (no turn lost)."""
    dispatcher = CollectingDispatcher()
    t = tracker(
        text='/share_media{"media_id": "778", "media_type": "image"}',
        intent="share_media",
        entities=[
            {"entity": "media_id", "value": "778"},
            {"entity": "media_type", "value": "image"},
        ],
        metadata={"caption": "ini di muka pasar Batumandi"},
        slots={"category": "pkl", "description": "pkl jualan di trotoar sampai ke jalan"},
        requested_slot="location",
    )
    events = slot_events(await FORM.run(dispatcher, t, domain()))
    assert events["evidence"] == "(media)"
    assert events["location_kecamatan"] == "Batu Mandi"
    assert events["requested_slot"] == "incident_time"


def _captioned_photo(caption: str, intent: str, confidence: float = 0.95, **kwargs: Any) -> Any:
    """A photo sent first whose caption the fast path parsed as if typed."""
    t = tracker(
        text='/share_media{"media_id": "779", "media_type": "image"}',
        intent="share_media",
        entities=[
            {"entity": "media_id", "value": "779"},
            {"entity": "media_type", "value": "image"},
        ],
        metadata={"caption": caption},
        **kwargs,
    )
    t.latest_message["caption_parse"] = {
        "text": caption,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": "category", "value": "balap_liar", "confidence": 0.9}],
    }
    return t


async def test_a_photo_sent_first_with_its_story_starts_the_report(db: str) -> None:
    """The caption is read like a typed opening; the photo is the report's evidence."""
    from actions.tickets import ActionKeepMedia

    caption = "balap liar di jalan depan kantor desa Halong tiap malam minggu, bising sekali"
    dispatcher = CollectingDispatcher()
    kept_events = await ActionKeepMedia().run(
        dispatcher, _captioned_photo(caption, "report_complaint", active_loop=None), domain()
    )
    assert responses(dispatcher) == ["utter_evidence_received"]
    assert FollowupAction("complaint_form") in kept_events
    [kept] = [e["value"] for e in kept_events if e.get("name") == "evidence_media"]

    started = slot_events(
        await FORM.run(
            CollectingDispatcher(),
            _captioned_photo(
                caption, "report_complaint", slots={"evidence_media": kept}, requested_slot=None
            ),
            domain(),
        )
    )
    assert started["description"] == caption
    assert started["category"] == "balap_liar"
    assert started["location_desa"] == "Halong"
    assert started["evidence"] == "(media)"


@pytest.mark.parametrize(
    ("caption", "intent", "confidence"),
    [
        ("ini fotonya min", "share_media", 0.9),  # the photo is the message
        ("ini fotonya min", "nlu_fallback", 0.3),  # unplaced, but tells no story
    ],
)
async def test_a_caption_that_is_no_complaint_only_keeps_the_photo(
    db: str, caption: str, intent: str, confidence: float
) -> None:
    from actions.tickets import ActionKeepMedia

    dispatcher = CollectingDispatcher()
    t = _captioned_photo(caption, intent, confidence, active_loop=None)
    events = await ActionKeepMedia().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_media_kept"]
    assert all(e.get("event") != "followup" for e in events)


@pytest.mark.parametrize(
    "caption", ["dicari stnk hilang min, hilang di pasar batumandi", "dijual motor bekas mulus"]
)
async def test_a_caption_about_something_else_asks_before_presuming_a_report(
    db: str, caption: str
) -> None:
    """A lost-and-found post or an offer with a picture is asked about.

    Not "… akan kami lampirkan pada laporan Anda. Ceritakan …": it is no report; the citizen
    is asked whether they want to make one.
    """
    from actions.tickets import ActionKeepMedia

    dispatcher = CollectingDispatcher()
    t = _captioned_photo(caption, "out_of_scope", 0.99, active_loop=None)
    events = await ActionKeepMedia().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_media_received"]
    assert all(e.get("event") != "followup" for e in events)
    assert slot_events(events)["complaint_signal"] == "weak"


async def test_an_invitation_read_as_a_complaint_is_asked_about(db: str) -> None:
    """A photo with an invitation the NLU is sure is a complaint does not start the form."""
    from actions.tickets import ActionKeepMedia

    caption = "undangan aruh bakawinan di rumah ulun di Tebing Tinggi hari sabtu"
    dispatcher = CollectingDispatcher()
    t = _captioned_photo(caption, "report_complaint", 1.0, active_loop=None)
    t.latest_message["caption_parse"]["complaint_gate"] = {"confidence": 0.6, "demoted": False}
    events = await ActionKeepMedia().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_media_received"]
    assert all(e.get("event") != "followup" for e in events)
    assert slot_events(events)["complaint_signal"] == "weak"


@pytest.mark.parametrize(
    ("caption", "intent", "confidence"),
    [
        # The NLU reads a complaint but is unsure (as a typed opening of that strength).
        ("anak muda balapan motor tiap malam minggu, bising sekali", "report_complaint", 0.2),
        # The NLU cannot place it, yet it tells what happened (as the story after a photo).
        ("jembatan gantung di kampung kami papannya dicabuti urang", "nlu_fallback", 0.3),
        # Another intent, yet words that tell something (an invitation read as a greeting).
        (
            "Assalamualaikum, mohon doa restu dan kehadirannya di acara pernikahan anak kami",
            "greet",
            0.56,
        ),
    ],
)
async def test_an_unsure_caption_is_asked_about_like_a_typed_opening(
    db: str, caption: str, intent: str, confidence: float
) -> None:
    """Not "Ceritakan …": the caption is kept aside and "ya" opens the form with it."""
    from actions.tickets import ActionKeepMedia

    dispatcher = CollectingDispatcher()
    t = _captioned_photo(caption, intent, confidence, active_loop=None)
    events = await ActionKeepMedia().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_media_received"]
    assert all(e.get("event") != "followup" for e in events)
    slots = slot_events(events)
    # The rule "A photo whose caption may tell a complaint …" asks on this slot.
    assert slots["complaint_signal"] == "weak"
    assert slots["pending_report"]["text"] == caption
    assert slots["pending_report"]["intent"]["name"] == "report_complaint"

    # "ya" to "Apakah Anda ingin melaporkan …?" opens the form with the caption as the story.
    started = slot_events(
        await FORM.run(
            CollectingDispatcher(),
            tracker(
                text="ya",
                intent="affirm",
                slots={
                    "evidence_media": slots["evidence_media"],
                    "pending_report": slots["pending_report"],
                },
                requested_slot=None,
            ),
            domain(),
        )
    )
    assert started["description"] == caption
    assert started["evidence"] == "(media)"


async def test_a_plain_photo_resets_a_weak_signal_left_by_an_earlier_message(db: str) -> None:
    """A stale "weak" must not make the rules ask "do you want to report?" after a photo."""
    from actions.tickets import ActionKeepMedia

    t = _captioned_photo(
        "ini fotonya min", "share_media", 0.9, active_loop=None, slots={"complaint_signal": "weak"}
    )
    events = await ActionKeepMedia().run(CollectingDispatcher(), t, domain())
    assert slot_events(events)["complaint_signal"] is None
