"""The SKM satisfaction survey over WhatsApp (issue 6).

The survey is the ``survey_form``: one slot per unsur (``survey_persyaratan`` …
``survey_sarana``) and the optional ``survey_saran``. The database is the source of truth,
so a citizen can stop and continue days later (a new Rasa session):

* :class:`ActionSurveyStart` finds the citizen's open survey (the ticket of the invitation
  button, else the latest one), prefills the slots of the unsur already answered, and lets
  the form ask the first unanswered one;
* :class:`ValidateSurveyForm` saves every answer as it comes (:mod:`lalisa.survey.service`), and
  ends the form early when the citizen declines or says "nanti saja";
* :class:`ActionSurveyFinish`, :class:`ActionSurveyPause` and :class:`ActionSurveyDecline`
  say the last word and clear the survey slots.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from lalisa.core.db import session_scope
from lalisa.survey.models import answers_of
from lalisa.survey.service import (
    decline,
    is_decline,
    is_pause,
    next_unsur,
    open_survey_for_sender,
    parse_score,
    record_answer,
    record_saran,
)
from lalisa.survey.skm import UNSUR
from lalisa.tickets.models import Ticket
from lalisa.tickets.numbers import parse_ticket_number

logger = logging.getLogger(__name__)

SURVEY_FORM = "survey_form"
SARAN_SLOT = "survey_saran"
SKIPPED_SARAN = "-"
"""Value of ``survey_saran`` when the citizen pressed "Lewati" (or said no)."""

OUTCOME_COMPLETED = "completed"
OUTCOME_DECLINED = "declined"
OUTCOME_PAUSED = "paused"
OUTCOME_CLOSED = "closed"
OUTCOME_ERROR = "error"

_DB_ERRORS = (SQLAlchemyError, OSError)


def unsur_slot(unsur: str) -> str:
    """Slot that holds the answer to an unsur."""
    return f"survey_{unsur}"


def _reset_slots() -> list[EventType]:
    """Clear every survey slot (the database keeps the answers)."""
    events: list[EventType] = [SlotSet(unsur_slot(key), None) for key in UNSUR]
    events += [
        SlotSet(SARAN_SLOT, None),
        SlotSet("survey_ticket", None),
        SlotSet("survey_outcome", None),
        SlotSet("survey_ready", False),
    ]
    return events


def _requested_ticket(tracker: Tracker) -> str | None:
    """The ticket named by the invitation button (entity), else the survey in progress."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "ticket_id":
            number = parse_ticket_number(str(entity.get("value")))
            if number:
                return number
    slot = tracker.get_slot("survey_ticket")
    return parse_ticket_number(slot) if slot else None


def _stop(outcome: str, slot: str) -> dict[str, Any]:
    """Validation result that ends the form early with an outcome for the last word."""
    return {slot: None, "requested_slot": None, "survey_outcome": outcome}


class ActionSurveyStart(Action):
    """Opens (or reopens) the citizen's survey and prefills what was answered before."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_survey_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Sets ``survey_ready`` (the rules activate the form only when it is true)."""
        number = _requested_ticket(tracker)
        try:
            async with session_scope() as session:
                survey = await open_survey_for_sender(session, tracker.sender_id, number)
                if survey is None and number:
                    # The button of an older invitation: fall back to any open survey.
                    survey = await open_survey_for_sender(session, tracker.sender_id)
                if survey is None:
                    dispatcher.utter_message(response="utter_survey_none")
                    return [*_reset_slots()]
                ticket = await session.get(Ticket, survey.ticket_id)
                ticket_number = ticket.number if ticket is not None else ""
                answers = answers_of(survey)
                upcoming = next_unsur(survey)
        except _DB_ERRORS:
            logger.exception("Opening the survey failed")
            dispatcher.utter_message(response="utter_survey_unavailable")
            return [*_reset_slots()]

        answered = sum(1 for value in answers.values() if value is not None)
        if answered == 0:
            dispatcher.utter_message(response="utter_survey_intro", ticket_number=ticket_number)
        else:
            dispatcher.utter_message(
                response="utter_survey_resume",
                ticket_number=ticket_number,
                question=f"ke-{UNSUR.index(upcoming) + 1}" if upcoming else "terakhir",
            )
        events: list[EventType] = [
            SlotSet(unsur_slot(key), None if value is None else str(value))
            for key, value in answers.items()
        ]
        events += [
            SlotSet(SARAN_SLOT, None),
            SlotSet("survey_ticket", ticket_number),
            SlotSet("survey_outcome", None),
            SlotSet("survey_ready", True),
        ]
        return events


class ValidateSurveyForm(FormValidationAction):
    """Reads each answer (button or typed) and saves it at once."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "validate_survey_form"

    async def _answer(
        self, unsur: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        slot = unsur_slot(unsur)
        text = str(value or "")
        score = parse_score(text)
        if score is None:
            if is_decline(text):
                return await self._decline(dispatcher, tracker, slot)
            if is_pause(text):
                return _stop(OUTCOME_PAUSED, slot)
            dispatcher.utter_message(response="utter_survey_invalid_answer")
            return {slot: None}
        try:
            async with session_scope() as session:
                survey = await open_survey_for_sender(
                    session, tracker.sender_id, _requested_ticket(tracker)
                )
                if survey is None:
                    return _stop(OUTCOME_CLOSED, slot)
                await record_answer(session, survey, unsur, score)
        except _DB_ERRORS:
            logger.exception("Saving a survey answer failed")
            return _stop(OUTCOME_ERROR, slot)
        return {slot: str(score)}

    async def _decline(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slot: str
    ) -> dict[str, Any]:
        try:
            async with session_scope() as session:
                survey = await open_survey_for_sender(
                    session, tracker.sender_id, _requested_ticket(tracker)
                )
                if survey is not None:
                    await decline(session, survey)
        except _DB_ERRORS:
            logger.exception("Declining the survey failed")
            return _stop(OUTCOME_ERROR, slot)
        return _stop(OUTCOME_DECLINED, slot)

    async def validate_survey_persyaratan(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 1."""
        return await self._answer("persyaratan", value, dispatcher, tracker)

    async def validate_survey_prosedur(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 2."""
        return await self._answer("prosedur", value, dispatcher, tracker)

    async def validate_survey_waktu(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 3."""
        return await self._answer("waktu", value, dispatcher, tracker)

    async def validate_survey_biaya(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 4."""
        return await self._answer("biaya", value, dispatcher, tracker)

    async def validate_survey_produk(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 5."""
        return await self._answer("produk", value, dispatcher, tracker)

    async def validate_survey_kompetensi(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 6."""
        return await self._answer("kompetensi", value, dispatcher, tracker)

    async def validate_survey_perilaku(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 7."""
        return await self._answer("perilaku", value, dispatcher, tracker)

    async def validate_survey_pengaduan(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 8."""
        return await self._answer("pengaduan", value, dispatcher, tracker)

    async def validate_survey_sarana(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Unsur 9."""
        return await self._answer("sarana", value, dispatcher, tracker)

    async def validate_survey_saran(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Saves the suggestion ("Lewati" saves none) and completes the survey."""
        text = str(value or "").strip()
        # "nanti saja" or "tidak mau" at this step means no suggestion, not a suggestion.
        skipped = text in ("", SKIPPED_SARAN) or is_pause(text) or is_decline(text)
        suggestion = None if skipped else text
        try:
            async with session_scope() as session:
                survey = await open_survey_for_sender(
                    session, tracker.sender_id, _requested_ticket(tracker)
                )
                if survey is None:
                    return _stop(OUTCOME_CLOSED, SARAN_SLOT)
                await record_saran(session, survey, suggestion)
        except _DB_ERRORS:
            logger.exception("Saving the survey suggestion failed")
            return _stop(OUTCOME_ERROR, SARAN_SLOT)
        except ValueError:
            # The stored survey lacks an answer the slots claim (changed in another
            # conversation): stop here; "lanjutkan survei" asks what is missing.
            logger.warning("Suggestion before all answers; the survey is stopped")
            return _stop(OUTCOME_CLOSED, SARAN_SLOT)
        return {SARAN_SLOT: suggestion or SKIPPED_SARAN, "survey_outcome": OUTCOME_COMPLETED}


class ActionSurveyFinish(Action):
    """Says the last word after the form ended (completed, declined, paused, or failed)."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_survey_finish"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utters the message of ``survey_outcome`` and clears the survey slots."""
        outcome = tracker.get_slot("survey_outcome") or OUTCOME_COMPLETED
        response = {
            OUTCOME_COMPLETED: "utter_survey_thanks",
            OUTCOME_DECLINED: "utter_survey_declined",
            OUTCOME_PAUSED: "utter_survey_paused",
            OUTCOME_CLOSED: "utter_survey_none",
            OUTCOME_ERROR: "utter_survey_unavailable",
        }.get(outcome, "utter_survey_thanks")
        dispatcher.utter_message(response=response)
        return _reset_slots()


class ActionSurveyShared(Action):
    """A pin or a file in the middle of the survey; typed text the NLU took for one is an answer.

    Only the channel's payloads (``/share_media{…}``, ``/share_location{…}``) carry a file or a
    pin: they are acknowledged and the form asks its question again. Typed text that the NLU
    reads as ``share_media`` or ``share_location`` (a suggestion such as "kirim foto hasilnya
    ke warga", a score with words about a photo) is the answer to the question asked: it is
    read and saved the way :class:`ValidateSurveyForm` does, and the form then asks the next
    question (after an interruption the form does not validate the message itself).
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_survey_shared"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Acknowledges a real pin or file; reads typed text as the answer asked for."""
        message = tracker.latest_message or {}
        text = str(message.get("text") or "").strip()
        intent = str((message.get("intent") or {}).get("name") or "")
        if intent in ("share_media", "share_location") and text.startswith(f"/{intent}"):
            response = (
                "utter_media_outside_form"
                if intent == "share_media"
                else "utter_location_outside_form"
            )
            dispatcher.utter_message(response=response)
            return []
        requested = tracker.get_slot("requested_slot")
        validate = getattr(ValidateSurveyForm(), f"validate_{requested}", None)
        if not text or not isinstance(requested, str) or validate is None:
            return []
        if parse_score(text) is None and (is_decline(text) or is_pause(text)):
            # Ending the survey is the decline/cancel rules' job; the form asks again.
            return []
        result: dict[str, Any] = await validate(text, dispatcher, tracker, domain)
        if result.get("requested_slot", "") is None:
            # A stop outcome (the survey was closed elsewhere, the database failed): nothing
            # was saved; the form asks again and the next answer meets the same stop.
            return []
        return [SlotSet(slot, value) for slot, value in result.items()]


class ActionSurveyPause(Action):
    """Stops the survey for now (answers stay saved); the citizen may continue later."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_survey_pause"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Deactivates the form and says how to continue."""
        dispatcher.utter_message(response="utter_survey_paused")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset_slots()]


class ActionSurveyDecline(Action):
    """Records that the citizen does not want to fill in the survey."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_survey_decline"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Declines the named (or latest open) survey; nothing to decline is said too."""
        number = _requested_ticket(tracker)
        try:
            async with session_scope() as session:
                survey = await open_survey_for_sender(session, tracker.sender_id, number)
                if survey is not None:
                    await decline(session, survey)
        except _DB_ERRORS:
            logger.exception("Declining the survey failed")
            dispatcher.utter_message(response="utter_survey_unavailable")
            return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset_slots()]
        dispatcher.utter_message(
            response="utter_survey_declined" if survey is not None else "utter_survey_none"
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None), *_reset_slots()]
