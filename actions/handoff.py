"""Requests to talk to a person."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tickets import office_settings, utcnow
from lalisa.office_hours import (
    describe_office_hours,
    format_when,
    is_office_open,
    next_office_opening,
)

logger = logging.getLogger(__name__)


class ActionRequestHuman(Action):
    """Acknowledges a request for a person and says honestly when one will answer."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Tells the citizen when an admin will reply."""
        now = utcnow()
        office = await office_settings()
        logger.info("A citizen asked for a person")
        if is_office_open(now, settings=office):
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
