"""Requests to talk to a person, and conversations the assistant cannot follow."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.tickets import office_settings, utcnow
from lalisa.core.db import session_scope
from lalisa.office.hours import (
    describe_office_hours,
    format_when,
    is_office_open,
    next_office_opening,
)
from lalisa.takeover.models import HandoffReason
from lalisa.takeover.service import record_handoff_request

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"


async def _record(sender_id: str, reason: HandoffReason, *, out_of_hours: bool) -> bool:
    """Put the conversation on the back office's "needs a person" list.

    A database failure must not cost the citizen the answer, so it is logged and the action
    goes on; the request can still be seen in the conversation history.
    """
    try:
        async with session_scope() as session:
            await record_handoff_request(
                session, sender_id=sender_id, reason=reason, out_of_hours=out_of_hours
            )
    except (SQLAlchemyError, OSError):
        logger.exception("Recording a request for a person failed (%s)", reason)
        return False
    return True


class ActionRequestHuman(Action):
    """Acknowledges a request for a person and says honestly when one will answer.

    The conversation also goes on the back office's "needs a person" list.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Records the request and tells the citizen when an admin will reply."""
        now = utcnow()
        office = await office_settings()
        logger.info("A citizen asked for a person")
        in_hours = is_office_open(now, settings=office)
        await _record(tracker.sender_id, HandoffReason.REQUEST_HUMAN, out_of_hours=not in_hours)
        if in_hours:
            dispatcher.utter_message(response="utter_human_requested_in_hours")
        else:
            dispatcher.utter_message(
                response="utter_human_requested_out_of_hours",
                office_hours=describe_office_hours(settings=office),
                next_opening=format_when(
                    next_office_opening(now, settings=office), settings=office
                ),
            )
        return []


def _user_intents(events: list[dict[str, Any]]) -> list[str | None]:
    """Intent names of the user messages of a tracker, oldest first."""
    intents: list[str | None] = []
    for event in events:
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            intents.append(intent.get("name"))
    return intents


def fell_back_twice(events: list[dict[str, Any]]) -> bool:
    """True when the latest two user messages were both NLU fallbacks.

    Args:
        events: The tracker's events (as the action server receives them).

    Returns:
        Whether the assistant failed to understand twice in a row.
    """
    intents = _user_intents(events)
    return len(intents) >= 2 and intents[-1] == intents[-2] == FALLBACK_INTENT


class ActionNoteFallback(Action):
    """Notes a second NLU fallback in a row (runs after the "please rephrase" answer).

    The conversation then goes on the "needs a person" list; the citizen is told nothing more.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_note_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Records a request when the previous user message was a fallback too."""
        if fell_back_twice(tracker.events):
            logger.info("The assistant fell back twice in a row")
            await _record(
                tracker.sender_id,
                HandoffReason.FALLBACK_TWICE,
                out_of_hours=not is_office_open(utcnow(), settings=await office_settings()),
            )
        return []
