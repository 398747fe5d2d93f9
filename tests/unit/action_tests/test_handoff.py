"""Requests for a person and double fallbacks land on the back office's "needs a person" list."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.handoff as handoff
from actions.handoff import ActionNoteFallback, ActionRequestHuman, fell_back_twice
from lalisa.core.crypto import blind_index, get_identity_cipher
from lalisa.core.db import dispose_engine, session_scope
from lalisa.takeover.models import HandoffRequest

from .helpers import domain, responses, tracker

# Monday 30 November 2026, 10:00 WITA: office open. Saturday 28 November, 21:00 WITA: closed.
IN_HOURS = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
OUT_OF_HOURS = datetime(2026, 11, 28, 13, 0, tzinfo=timezone.utc)
SENDER = "6281200000077"


async def requests() -> list[HandoffRequest]:
    async with session_scope() as session:
        query = select(HandoffRequest).order_by(HandoffRequest.id)
        return list((await session.execute(query)).scalars())


def user_event(intent: str, text: str = "...") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def tracker_with(intents: list[str]):
    t = tracker(intent=intents[-1], sender_id=SENDER, active_loop=None)
    t.events = []
    for intent in intents:
        t.events += [user_event(intent), {"event": "action", "name": "utter_default"}]
    return t


async def test_request_for_a_person_is_recorded_once_while_open(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handoff, "utcnow", lambda: OUT_OF_HOURS)
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        await ActionRequestHuman().run(
            dispatcher, tracker(intent="request_human", sender_id=SENDER), domain()
        )
        assert responses(dispatcher) == ["utter_human_requested_out_of_hours"]
    [request] = await requests()
    assert (request.reason, request.out_of_hours) == ("request_human", True)
    assert request.sender_ref == blind_index(SENDER)
    assert get_identity_cipher().decrypt(request.sender_encrypted) == SENDER
    assert SENDER not in request.sender_encrypted
    assert request.resolved_at is None


async def test_database_down_still_answers(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No migrated database: the citizen still gets the honest answer."""
    monkeypatch.setattr(handoff, "utcnow", lambda: IN_HOURS)
    dispatcher = CollectingDispatcher()
    try:
        await ActionRequestHuman().run(
            dispatcher, tracker(intent="request_human", sender_id=SENDER), domain()
        )
    finally:
        await dispose_engine()  # the engine of the unmigrated file must not outlive the test
    assert responses(dispatcher) == ["utter_human_requested_in_hours"]


def test_fell_back_twice_looks_at_the_last_two_user_messages() -> None:
    events = lambda *intents: [user_event(i) for i in intents]  # noqa: E731
    assert fell_back_twice(events("nlu_fallback", "nlu_fallback"))
    assert fell_back_twice(events("greet", "nlu_fallback", "nlu_fallback"))
    assert not fell_back_twice(events("nlu_fallback"))
    assert not fell_back_twice(events("nlu_fallback", "greet", "nlu_fallback"))
    assert not fell_back_twice(events("nlu_fallback", "nlu_fallback", "greet"))


async def test_second_fallback_in_a_row_is_recorded(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handoff, "utcnow", lambda: IN_HOURS)
    dispatcher = CollectingDispatcher()
    assert (
        await ActionNoteFallback().run(
            dispatcher, tracker_with(["greet", "nlu_fallback"]), domain()
        )
        == []
    )
    assert await requests() == []
    await ActionNoteFallback().run(
        dispatcher, tracker_with(["nlu_fallback", "nlu_fallback"]), domain()
    )
    assert dispatcher.messages == []
    [request] = await requests()
    assert (request.reason, request.out_of_hours) == ("fallback_twice", False)
    assert "action_note_fallback" in domain()["actions"]


async def test_two_fallbacks_inside_the_form_are_recorded(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback rule does not run in the form; the form notes two misses itself."""
    import actions.tickets as tickets

    monkeypatch.setattr(tickets, "utcnow", lambda: IN_HOURS)
    slots = {"category": "pkl", "description": "ada pkl jualan di trotoar depan pasar"}
    asked_twice = {"form_asks": {"question": "location", "count": 2}}
    earlier = [user_event("nlu_fallback", "hmm gimana ya"), {"event": "action", "name": "x"}]
    t = tracker(
        text="pokoknya situ deh",
        intent="nlu_fallback",
        confidence=0.4,
        requested_slot="location",
        slots={**slots, **asked_twice},
        sender_id=SENDER,
    )
    t.events = earlier + t.events
    await tickets.ValidateComplaintForm().run(CollectingDispatcher(), t, domain())
    [request] = await requests()
    assert (request.reason, request.out_of_hours) == ("fallback_twice", False)


async def test_one_miss_in_the_form_is_not_recorded(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import actions.tickets as tickets

    monkeypatch.setattr(tickets, "utcnow", lambda: IN_HOURS)
    t = tracker(
        text="pokoknya situ deh",
        intent="nlu_fallback",
        confidence=0.4,
        requested_slot="location",
        slots={"category": "pkl", "description": "ada pkl jualan di trotoar depan pasar"},
        sender_id=SENDER,
    )
    t.events = [user_event("nlu_fallback", "hmm"), *t.events]
    await tickets.ValidateComplaintForm().run(CollectingDispatcher(), t, domain())
    assert await requests() == []
