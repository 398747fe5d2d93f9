"""Ticket status for the citizen who reported it (and for nobody else)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.tickets import FORM_NAME, office_settings, tells_a_new_complaint
from lalisa.core.db import session_scope
from lalisa.office.hours import describe_office_hours, format_when
from lalisa.tickets.categories import category_label, read_category_entity
from lalisa.tickets.service import (
    CLOSED_STATUSES,
    REPORTER_ACTOR,
    TicketStatus,
    parse_ticket_number,
    ticket_for_reporter,
    tickets_for_reporter,
)
from lalisa.tickets.workflow import flag_for_review
from lalisa_common.follow_up import asks_about_follow_up

logger = logging.getLogger(__name__)

MAX_TICKETS_LISTED = 3
FOLLOW_UP_RESPONSE = "utter_follow_up"
"""What happens to a report once sent (the agency's SOP), said before its status."""


def _requested_number(tracker: Tracker) -> str | None:
    """The ticket number in the latest message, else the one in the slot."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "ticket_id":
            number = parse_ticket_number(str(entity.get("value")))
            if number:
                return number
    text_number = parse_ticket_number(tracker.latest_message.get("text") or "")
    if text_number:
        return text_number
    slot = tracker.get_slot("ticket_id")
    return parse_ticket_number(slot) if slot else None


def status_values(ticket: Any) -> dict[str, str]:
    """Values for `utter_ticket_status` from a ticket row."""
    return {
        "ticket_number": ticket.number,
        "category_label": category_label(ticket.category),
        "reported_at": format_when(ticket.created_at),
        "status_label": TicketStatus(ticket.status).label,
    }


class ActionCheckStatus(Action):
    """Tells the citizen the status of their ticket(s).

    A number that belongs to another reporter gets the same answer as a number
    that does not exist, so ticket numbers reveal nothing about other people.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Looks up the requested ticket, or the latest ones of this sender.

        A question about the follow-up ("kapan ditindak min?", "nanti dikabari kah?") gets
        what happens next (verification in office hours, the TRC, the outcome told here)
        before the status, and only the latest ticket's status: it asks about the report
        just sent, not about every report.
        """
        number = _requested_number(tracker)
        follow_up = asks_about_follow_up(str((tracker.latest_message or {}).get("text") or ""))
        try:
            async with session_scope() as session:
                if number:
                    ticket = await ticket_for_reporter(session, tracker.sender_id, number)
                    tickets = [ticket] if ticket is not None else []
                else:
                    tickets = list(
                        await tickets_for_reporter(
                            session, tracker.sender_id, limit=1 if follow_up else MAX_TICKETS_LISTED
                        )
                    )
                values = [status_values(ticket) for ticket in tickets]
                reported = {ticket.category for ticket in tickets}
        except (SQLAlchemyError, OSError):
            logger.exception("Status lookup failed")
            dispatcher.utter_message(response="utter_status_unavailable")
            return [SlotSet("ticket_id", None)]

        message = tracker.latest_message or {}
        if (
            not number
            and tracker.active_loop_name is None
            and tells_a_new_complaint(message, datetime.now(timezone.utc))
            and (not values or _tells_another_category(message, reported))
        ):
            # No report to check: "ada yg jual ciu di rumahnya, pls dicek" asks for the place
            # to be checked, a complaint of its own; the form starts with it. So it does right
            # after another report ("satu lagi min, ada yg jual ciu …" after a PKL ticket):
            # only a message about the kind already reported follows that report up.
            return [SlotSet("ticket_id", None), FollowupAction(FORM_NAME)]
        if follow_up and (values or not number):
            office = await office_settings()
            dispatcher.utter_message(
                response=FOLLOW_UP_RESPONSE, office_hours=describe_office_hours(settings=office)
            )
        if number and not values:
            dispatcher.utter_message(response="utter_ticket_not_found", ticket_number=number)
        elif not values:
            dispatcher.utter_message(response="utter_no_tickets")
        for value in values:
            dispatcher.utter_message(response="utter_ticket_status", **value)
        return [SlotSet("ticket_id", None)]


def _tells_another_category(message: Mapping[str, Any], reported: set[str]) -> bool:
    """Whether the message names a complaint category none of the listed tickets has."""
    told = read_category_entity(message.get("entities") or [])
    return told is not None and told.value not in reported


class ActionReportUnresolved(Action):
    """Flags the citizen's closed ticket for review when they say it is "belum selesai"."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_report_unresolved"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Flags the named ticket, else the sender's most recently closed one."""
        number = _requested_number(tracker)
        text = (tracker.latest_message.get("text") or "").strip()[:500]
        try:
            async with session_scope() as session:
                if number:
                    found = await ticket_for_reporter(session, tracker.sender_id, number)
                    candidates = [found] if found is not None else []
                else:
                    candidates = list(
                        await tickets_for_reporter(session, tracker.sender_id, limit=10)
                    )
                closed = [t for t in candidates if TicketStatus(t.status) in CLOSED_STATUSES]
                if closed:
                    ticket = max(closed, key=lambda t: t.closed_at or t.updated_at)
                    await flag_for_review(session, ticket, REPORTER_ACTOR, text or None)
                    flagged = ticket.number
                else:
                    flagged = None
        except (SQLAlchemyError, OSError):
            logger.exception("Flagging an unresolved ticket failed")
            dispatcher.utter_message(response="utter_status_unavailable")
            return [SlotSet("ticket_id", None)]
        if (
            flagged is None
            and not number
            and not candidates
            and tells_a_new_complaint(tracker.latest_message or {}, datetime.now(timezone.utc))
        ):
            # No report to be unresolved: "SUDAH JAM 2 MALAM MASIH ADA ORGEN TUNGGAL…" is a
            # complaint of its own; the form starts with it as the opening, story kept.
            return [SlotSet("ticket_id", None), FollowupAction(FORM_NAME)]
        if flagged is None:
            dispatcher.utter_message(response="utter_unresolved_no_closed_ticket")
        else:
            dispatcher.utter_message(response="utter_unresolved_flagged", ticket_number=flagged)
        return [SlotSet("ticket_id", None)]
