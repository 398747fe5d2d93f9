"""Requests to talk to a person, and conversations the assistant cannot follow."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.needs_person import FALLBACK_INTENT, fell_back_twice
from actions.needs_person import record_needs_person as _record
from actions.tickets import office_settings, utcnow
from lalisa.office.hours import (
    describe_office_hours,
    format_when,
    is_office_open,
    next_office_opening,
)
from lalisa.takeover.models import HandoffReason

logger = logging.getLogger(__name__)

__all__ = ["FALLBACK_INTENT", "ActionNoteFallback", "ActionRequestHuman", "fell_back_twice"]


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
