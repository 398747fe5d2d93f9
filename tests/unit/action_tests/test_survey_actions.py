"""The survey actions (actions/survey.py) against a real database."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.survey import (
    ActionSurveyDecline,
    ActionSurveyFinish,
    ActionSurveyPause,
    ActionSurveyShared,
    ActionSurveyStart,
    ValidateSurveyForm,
)
from lalisa.core.db import session_scope
from lalisa.survey.models import SurveyResponse, SurveyStatus
from lalisa.survey.skm import UNSUR
from lalisa.tickets.models import TicketStatus
from lalisa.tickets.workflow import close_done
from tests.backoffice.workflow_helpers import load_ticket_in, make_ticket

from .helpers import domain, responses, tracker

pytestmark = pytest.mark.usefixtures("db")

PHONE = "6281277770001"


async def _closed(sender: str = PHONE) -> str:
    number = await make_ticket(status=TicketStatus.DALAM_PENANGANAN, sender=sender)
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await close_done(session, ticket, actor="admin", result=None, expected_version=None)
    return number


async def _survey(number: str) -> SurveyResponse:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = select(SurveyResponse).where(SurveyResponse.ticket_id == ticket.id)
        return (await session.execute(query)).scalar_one()


def _slots(events: list[Any]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def _survey_tracker(
    text: str,
    *,
    number: str | None,
    requested: str | None,
    intent: str = "survey_answer",
    entities: list[dict[str, Any]] | None = None,
    sender: str = PHONE,
) -> Any:
    return tracker(
        text=text,
        intent=intent,
        entities=entities,
        slots={"survey_ticket": number},
        requested_slot=requested,
        sender_id=sender,
        active_loop="survey_form" if requested else None,
    )


async def _validate(slot: str, value: str, number: str) -> tuple[dict[str, Any], list[str]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateSurveyForm(), f"validate_{slot}")
    result = await method(
        value, dispatcher, _survey_tracker(value, number=number, requested=slot), domain()
    )
    return result, responses(dispatcher)


async def test_start_from_the_invitation_button() -> None:
    number = await _closed()
    dispatcher = CollectingDispatcher()
    start = _survey_tracker(
        f'/survey_start{{"ticket_id":"{number}"}}',
        number=None,
        requested=None,
        intent="survey_start",
        entities=[{"entity": "ticket_id", "value": number}],
    )
    events = await ActionSurveyStart().run(dispatcher, start, domain())
    slots = _slots(events)
    assert slots["survey_ready"] is True
    assert slots["survey_ticket"] == number
    assert all(slots[f"survey_{key}"] is None for key in UNSUR)
    assert responses(dispatcher) == ["utter_survey_intro"]
    assert dispatcher.messages[0]["ticket_number"] == number


async def test_answers_are_saved_as_they_come_and_resume_prefills() -> None:
    number = await _closed()
    result, said = await _validate("survey_persyaratan", "4", number)
    assert result == {"survey_persyaratan": "4"} and said == []
    result, _ = await _validate("survey_prosedur", "kurang puas", number)
    assert result == {"survey_prosedur": "2"}
    result, _ = await _validate("survey_waktu", "3 - Cepat", number)
    assert result == {"survey_waktu": "3"}
    survey = await _survey(number)
    assert (survey.score_persyaratan, survey.score_prosedur, survey.score_waktu) == (4, 2, 3)
    assert survey.status is SurveyStatus.PARTIAL

    # The next day, a new conversation: "lanjutkan survei".
    dispatcher = CollectingDispatcher()
    events = await ActionSurveyStart().run(
        dispatcher,
        _survey_tracker("lanjutkan survei", number=None, requested=None, intent="survey_start"),
        domain(),
    )
    slots = _slots(events)
    assert [slots[f"survey_{key}"] for key in UNSUR[:4]] == ["4", "2", "3", None]
    assert responses(dispatcher) == ["utter_survey_resume"]
    assert dispatcher.messages[0]["question"] == "ke-4"


async def test_unreadable_answer_is_asked_again() -> None:
    number = await _closed()
    result, said = await _validate("survey_biaya", "apa maksudnya", number)
    assert result == {"survey_biaya": None}
    assert said == ["utter_survey_invalid_answer"]
    assert (await _survey(number)).score_biaya is None


async def test_typed_decline_and_pause_end_the_form() -> None:
    number = await _closed()
    result, _ = await _validate("survey_persyaratan", "nanti saja ya", number)
    assert result == {
        "survey_persyaratan": None,
        "requested_slot": None,
        "survey_outcome": "paused",
    }
    assert (await _survey(number)).status is SurveyStatus.INVITED
    result, _ = await _validate("survey_persyaratan", "tidak mau", number)
    assert result["survey_outcome"] == "declined" and result["requested_slot"] is None
    assert (await _survey(number)).status is SurveyStatus.DECLINED
    dispatcher = CollectingDispatcher()
    finish = tracker(text="", slots={"survey_outcome": "declined"}, active_loop=None)
    await ActionSurveyFinish().run(dispatcher, finish, domain())
    assert responses(dispatcher) == ["utter_survey_declined"]


async def test_suggestion_completes_the_survey() -> None:
    number = await _closed()
    for key in UNSUR:
        await _validate(f"survey_{key}", "4", number)
    result, _ = await _validate("survey_saran", "Petugas cepat datang", number)
    assert result == {"survey_saran": "Petugas cepat datang", "survey_outcome": "completed"}
    survey = await _survey(number)
    assert survey.status is SurveyStatus.COMPLETED
    assert survey.saran == "Petugas cepat datang"
    dispatcher = CollectingDispatcher()
    finish = tracker(text="", slots={"survey_outcome": "completed"}, active_loop=None)
    events = await ActionSurveyFinish().run(dispatcher, finish, domain())
    assert responses(dispatcher) == ["utter_survey_thanks"]
    assert _slots(events)["survey_ready"] is False
    # Nothing left to fill in.
    dispatcher = CollectingDispatcher()
    events = await ActionSurveyStart().run(
        dispatcher,
        _survey_tracker("lanjutkan survei", number=None, requested=None, intent="survey_start"),
        domain(),
    )
    assert _slots(events)["survey_ready"] is False
    assert responses(dispatcher) == ["utter_survey_none"]


@pytest.mark.parametrize("answer", ["-", "nanti saja", "ga mau"])
async def test_skipped_suggestion(answer: str) -> None:
    number = await _closed()
    for key in UNSUR:
        await _validate(f"survey_{key}", "3", number)
    result, _ = await _validate("survey_saran", answer, number)
    assert result == {"survey_saran": "-", "survey_outcome": "completed"}
    survey = await _survey(number)
    assert survey.saran is None and survey.status is SurveyStatus.COMPLETED


async def test_decline_button_and_pause_action() -> None:
    number = await _closed()
    dispatcher = CollectingDispatcher()
    events = await ActionSurveyPause().run(
        dispatcher, _survey_tracker("berhenti", number=number, requested="survey_waktu"), domain()
    )
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
    assert responses(dispatcher) == ["utter_survey_paused"]
    dispatcher = CollectingDispatcher()
    decline_tracker = _survey_tracker(
        f'/survey_decline{{"ticket_id":"{number}"}}',
        number=None,
        requested=None,
        intent="survey_decline",
        entities=[{"entity": "ticket_id", "value": number}],
    )
    await ActionSurveyDecline().run(dispatcher, decline_tracker, domain())
    assert responses(dispatcher) == ["utter_survey_declined"]
    assert (await _survey(number)).status is SurveyStatus.DECLINED
    dispatcher = CollectingDispatcher()
    await ActionSurveyDecline().run(dispatcher, decline_tracker, domain())
    assert responses(dispatcher) == ["utter_survey_none"]


async def test_another_citizen_cannot_answer_or_decline() -> None:
    number = await _closed()
    dispatcher = CollectingDispatcher()
    method = ValidateSurveyForm().validate_survey_persyaratan
    result = await method(
        "4",
        dispatcher,
        _survey_tracker("4", number=number, requested="survey_persyaratan", sender="628999"),
        domain(),
    )
    assert result["survey_outcome"] == "closed"
    assert (await _survey(number)).score_persyaratan is None


async def _shared(text: str, number: str, requested: str, intent: str) -> tuple[Any, list[str]]:
    dispatcher = CollectingDispatcher()
    shared = _survey_tracker(text, number=number, requested=requested, intent=intent)
    events = await ActionSurveyShared().run(dispatcher, shared, domain())
    return events, responses(dispatcher)


async def test_a_real_file_or_pin_in_the_survey_is_acknowledged_and_saves_nothing() -> None:
    number = await _closed()
    events, said = await _shared(
        '/share_media{"media_id":"wamid.1","media_type":"image"}',
        number,
        "survey_persyaratan",
        "share_media",
    )
    assert events == [] and said == ["utter_media_outside_form"]
    events, said = await _shared(
        '/share_location{"latitude":-2.33,"longitude":115.46}',
        number,
        "survey_persyaratan",
        "share_location",
    )
    assert events == [] and said == ["utter_location_outside_form"]
    assert (await _survey(number)).score_persyaratan is None


@pytest.mark.parametrize("intent", ["share_media", "share_location"])
async def test_typed_text_read_as_a_file_or_pin_is_the_survey_answer(intent: str) -> None:
    number = await _closed()
    events, said = await _shared(
        "sangat sesuai, foto sudah dikirim", number, "survey_persyaratan", intent
    )
    assert "utter_media_outside_form" not in said and "utter_location_outside_form" not in said
    assert _slots(events) == {"survey_persyaratan": "4"}
    assert (await _survey(number)).score_persyaratan == 4
    # An unreadable one is asked again, as any typed answer.
    events, said = await _shared("ini fotonya", number, "survey_prosedur", intent)
    assert _slots(events) == {"survey_prosedur": None}
    assert said == ["utter_survey_invalid_answer"]


async def test_a_typed_suggestion_read_as_a_file_completes_the_survey() -> None:
    number = await _closed()
    for key in UNSUR:
        await _validate(f"survey_{key}", "4", number)
    events, said = await _shared(
        "kirimi foto hasil penertibannya ke pelapor", number, "survey_saran", "share_media"
    )
    assert said == []
    assert _slots(events) == {
        "survey_saran": "kirimi foto hasil penertibannya ke pelapor",
        "survey_outcome": "completed",
    }
    survey = await _survey(number)
    assert survey.status is SurveyStatus.COMPLETED
    assert survey.saran == "kirimi foto hasil penertibannya ke pelapor"
