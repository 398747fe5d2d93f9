"""ValidateComplaintForm reads the place and time of the opening (tracker fixtures)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.tickets import ValidateComplaintForm

from .helpers import domain, tracker

FORM = ValidateComplaintForm()
KEPT = {
    "text": "ada urang mabuk bakalahi di jalan, warga takutan",
    "intent": {"name": "report_complaint", "confidence": 0.6},
    "entities": [{"entity": "category", "value": "keributan", "confidence": 0.8}],
}


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """A dispatcher that records what the action says."""
    return CollectingDispatcher()


async def run(dispatcher: CollectingDispatcher, **kwargs: Any) -> dict[str, Any]:
    events = await FORM.run(dispatcher, tracker(**kwargs), domain())
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_the_opening_gives_place_and_time(dispatcher: CollectingDispatcher) -> None:
    """The place and time of the opening ("samalam … desa Murung Ilung") are not asked."""
    slots = await run(
        dispatcher,
        text="samalam ada urang mabuk mabukan di depan masjid desa Murung Ilung",
        entities=[{"entity": "category", "value": "miras", "confidence": 0.95}],
        requested_slot=None,
    )
    assert slots["location_desa"] == "Murung Ilung"
    assert slots["incident_time"] == "samalam"
    assert slots["requested_slot"] == "evidence"
    assert any(m.get("response") == "utter_location_confirmed" for m in dispatcher.messages)


async def test_the_yes_to_do_you_want_to_report_adds_place_and_time(
    dispatcher: CollectingDispatcher,
) -> None:
    """The kept message is the story; "inggih, tadi malam di desa Kapul" adds the rest."""
    slots = await run(
        dispatcher,
        text="inggih, tadi malam di desa Kapul",
        intent="affirm",
        requested_slot=None,
        slots={"pending_report": KEPT},
    )
    assert slots["description"] == KEPT["text"]
    assert slots["location_desa"] == "Kapul"
    assert slots["incident_time"] == "tadi malam"
    assert slots["pending_report"] is None


@pytest.mark.parametrize("text", ["ya", "/affirm"])
async def test_a_plain_yes_adds_nothing(dispatcher: CollectingDispatcher, text: str) -> None:
    slots = await run(
        dispatcher, text=text, intent="affirm", requested_slot=None,
        slots={"pending_report": KEPT},
    )  # fmt: skip
    assert slots["category"] == "keributan"
    assert slots.get("location") is None
    assert slots.get("incident_time") is None
    assert slots["requested_slot"] == "location"
