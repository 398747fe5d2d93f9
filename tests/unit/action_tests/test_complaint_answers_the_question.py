"""A complaint sent as the answer to "Apakah Anda ingin melaporkan …?" (tracker fixtures).

The kept story (``pending_report``) and the answer are one opening; the question is not
asked again. A "tidak" (or anything else) before a later complaint leaves the kept story out.
"""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tickets import (
    ActionCheckComplaintSignal,
    ValidateComplaintForm,
    answers_wants_to_report,
)

from .helpers import domain, tracker

FORM = ValidateComplaintForm()
KEPT = {
    "text": "ada warung makan yang buka siang hari",
    "intent": {"name": "report_complaint", "confidence": 0.55},
    "entities": [
        {
            "entity": "category",
            "value": "pkl",
            "confidence": 0.35,
            "additional_info": {
                "ranking": [
                    {"value": "pkl", "confidence": 0.35},
                    {"value": "ramadan", "confidence": 0.3},
                ]
            },
        }
    ],
}
MORE = "iya min, tadi siang warung itu buka lagi di desa Kapul, padahal bulan puasa"
MORE_ENTITIES = [{"entity": "category", "value": "ramadan", "confidence": 0.9}]
ASKED = [
    {"event": "action", "name": "utter_ask_wants_to_report"},
    {"event": "bot", "text": "Apakah Anda ingin melaporkan pelanggaran ketertiban?"},
    {"event": "action", "name": "action_listen"},
]
# "tidak" -> "Baik, laporan tidak dibuat", then a new message.
DECLINED = [
    *ASKED,
    {"event": "user", "text": "tidak", "parse_data": {"intent": {"name": "deny"}}},
    {"event": "action", "name": "utter_report_not_started"},
    {"event": "bot", "text": "Baik."},
    {"event": "action", "name": "action_listen"},
]


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that records what the action says."""
    return CollectingDispatcher()


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def test_answers_wants_to_report() -> None:
    """Only the message right after the question (listening aside) answers it."""
    message = {"event": "user", "text": "x"}
    signal = {"event": "action", "name": "action_check_complaint_signal"}
    assert answers_wants_to_report([*ASKED, message, signal])
    assert not answers_wants_to_report([*DECLINED, message, signal])
    assert not answers_wants_to_report([message, signal])


async def test_a_complaint_answering_the_question_keeps_the_story(
    dispatcher: CollectingDispatcher,
) -> None:
    """The answer does not replace the kept story, and the signal is strong (no second ask)."""
    t = tracker(
        text="tiap hari kaya itu",  # weak on its own: no category, few words
        slots={"pending_report": KEPT, "complaint_signal": "weak"},
        active_loop=None,
        before=ASKED,
    )
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert events == [SlotSet("complaint_signal", "strong")]
    assert not dispatcher.messages


async def test_after_a_no_a_new_message_is_checked_on_its_own(
    dispatcher: CollectingDispatcher,
) -> None:
    """After "tidak", a later message is a new story: weak ones are kept in place of the old."""
    text = "Kamar hotelnya rigat bau, ada bakas anduk urang"
    t = tracker(text=text, slots={"pending_report": KEPT}, active_loop=None, before=DECLINED)
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert SlotSet("complaint_signal", "weak") in events
    assert slot_events(events)["pending_report"]["text"] == text


async def test_the_form_opens_with_both_messages(dispatcher: CollectingDispatcher) -> None:
    """Category of the surer message, both texts as the description, the place of the answer."""
    events = await FORM.run(
        dispatcher,
        tracker(
            text=MORE,
            entities=MORE_ENTITIES,
            requested_slot=None,
            slots={"pending_report": KEPT, "complaint_signal": "strong"},
            before=ASKED,
        ),
        domain(),
    )
    slots = slot_events(events)
    assert slots["category"] == "ramadan"
    assert slots["description"] == f"{KEPT['text']}\n{MORE}"
    assert slots["location_desa"] == "Kapul"
    assert slots["incident_time"] == "tadi siang"
    assert slots["pending_report"] is None
    assert slots["requested_slot"] == "evidence"


async def test_the_kept_story_gives_what_the_answer_does_not(
    dispatcher: CollectingDispatcher,
) -> None:
    """A kept story with a sure category, place and time; the answer only says more."""
    kept = {
        "text": "samalam ada urang mabuk bakalahi di depan masjid desa Murung Ilung",
        "intent": {"name": "report_complaint", "confidence": 0.6},
        "entities": [{"entity": "category", "value": "keributan", "confidence": 0.8}],
    }
    more = "iya pak, sampai warga takutan keluar rumah"
    events = await FORM.run(
        dispatcher,
        tracker(
            text=more,
            entities=[{"entity": "category", "value": "kebisingan", "confidence": 0.4}],
            requested_slot=None,
            slots={"pending_report": kept},
            before=ASKED,
        ),
        domain(),
    )
    slots = slot_events(events)
    assert slots["category"] == "keributan"
    assert slots["description"] == f"{kept['text']}\n{more}"
    assert slots["location_desa"] == "Murung Ilung"
    assert slots["incident_time"] == "samalam"


async def test_an_old_kept_story_is_not_joined(dispatcher: CollectingDispatcher) -> None:
    """A complaint that starts the form later (here: after "tidak") is its own opening."""
    text = "ada urang bajualan di trotoar depan sekolah tiap pagi"
    events = await FORM.run(
        dispatcher,
        tracker(
            text=text,
            entities=[{"entity": "category", "value": "pkl", "confidence": 0.9}],
            requested_slot=None,
            slots={"pending_report": KEPT},
            before=DECLINED,
        ),
        domain(),
    )
    slots = slot_events(events)
    assert slots["category"] == "pkl"
    assert slots["description"] == text
    assert slots["pending_report"] is None


@pytest.mark.parametrize(
    "text", ["kapan ditindak min? soalnya tiap hari gini", "kapan diproses ya min?"]
)
async def test_a_question_about_the_ticket_just_filed_is_no_new_form(
    dispatcher: CollectingDispatcher, text: str
) -> None:
    """Words of the complaint in "kapan ditindak?" after the ticket: its status answers it."""
    t = tracker(text=text, slots={"last_ticket_number": "LLS-2026-000002"}, active_loop=None)
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert events == [SlotSet("complaint_signal", None)]


@pytest.mark.parametrize(
    ("text", "last_ticket"),
    [
        ("kapan ditindak min? soalnya tiap hari gini", None),  # no ticket filed yet
        ("kapan ditindak? ada lagi balap liar di desa Halong", "LLS-2026-000002"),  # a place
        ("ada lagi balap liar tiap malam di jalan", "LLS-2026-000002"),  # no question
    ],
)
async def test_other_messages_after_a_ticket_are_checked_as_usual(
    dispatcher: CollectingDispatcher, text: str, last_ticket: str | None
) -> None:
    t = tracker(text=text, slots={"last_ticket_number": last_ticket}, active_loop=None)
    events = await ActionCheckComplaintSignal().run(dispatcher, t, domain())
    assert SlotSet("complaint_signal", None) not in events
