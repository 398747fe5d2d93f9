"""Greeting and information answers whose content comes from settings."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.tickets import action_before_latest_message
from lalisa.core.settings import get_settings
from lalisa.intake.dialect import is_banjar
from lalisa.intake.form.asides import (
    BANJAR_SMALL_TALK_RESPONSES,
    REMIT_RESPONSE,
    SMALL_TALK_RESPONSES,
)
from lalisa.office.hours import describe_office_hours
from lalisa.runtime_settings.service import load_effective_settings
from lalisa_common.remit import asks_about_remit
from lalisa_common.small_talk import read_small_talk


class ActionGreet(Action):
    """Greets the citizen with the service menu, in Banjar when they greeted in Banjar."""

    NAME = "action_greet"

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return self.NAME

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utters the greeting that matches the citizen's language.

        A salam or "apa kabar" is answered in kind first ("Wa'alaikumsalam …", "Kabar
        baik …"); the menu's own "Halo" answers a plain greeting.
        """
        text = tracker.latest_message.get("text") or ""
        banjar = is_banjar(text)
        small_talk = read_small_talk(text)
        if small_talk in ("salam", "how_are_you"):
            responses = BANJAR_SMALL_TALK_RESPONSES if banjar else {}
            dispatcher.utter_message(
                response=responses.get(small_talk, SMALL_TALK_RESPONSES[small_talk])
            )
        if greeted_last(tracker.events):
            # "p", then "min": the menu is on the screen already; a second copy of it
            # answers nothing. Say La-Lisa is there and invite the story.
            response = "utter_greet_again_banjar" if banjar else "utter_greet_again"
        else:
            response = "utter_greet_banjar" if banjar else "utter_greet"
        dispatcher.utter_message(response=response)
        return []


class ActionAnswerAuthority(Action):
    """Answers a question about Satpol PP's authority, or whose business a matter is."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_answer_authority"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utters the remit answer or, for the authority in general, its legal basis.

        "yang mencopot Satpol PP atau Dinas?" asks whose business this matter is: the
        citizen needs "Satpol PP takes it, the officer verifies", not the list of powers of
        PP 16/2018 that "apa wewenang satpol pp?" asks for.
        """
        text = tracker.latest_message.get("text") or ""
        response = REMIT_RESPONSE if asks_about_remit(text) else "utter_ask_authority"
        dispatcher.utter_message(response=response)
        return []


def greeted_last(events: list[dict[str, Any]]) -> bool:
    """Whether La-Lisa's last turn before the latest message was the greeting with the menu.

    Args:
        events: The tracker's events as the action server receives them.

    Returns:
        True when the last action before the latest user message (listening aside) was
        ``action_greet`` in the same session.
    """
    return action_before_latest_message(events) == ActionGreet.NAME


class ActionTellServiceHours(Action):
    """Tells the office hours (a setting: the real hours are not confirmed)."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_tell_service_hours"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utters the office hours in force (edited on the settings page, else configured)."""
        office = (await load_effective_settings()).app_settings()
        dispatcher.utter_message(
            response="utter_service_hours", office_hours=describe_office_hours(settings=office)
        )
        return []


class ActionTellOfficeContact(Action):
    """Tells the office address and, when configured, its phone number."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_tell_office_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utters address and phone; an unknown phone is said to be unknown."""
        settings = (await load_effective_settings()).app_settings()
        phone_line = _render(
            domain,
            "utter_office_phone_known" if settings.office.phone else "utter_office_phone_unknown",
            office_phone=settings.office.phone,
        )
        dispatcher.utter_message(
            response="utter_office_contact",
            office_address=settings.office.address,
            office_phone_line=phone_line,
        )
        return []


class ActionTellPrograms(Action):
    """Tells the agency's programmes: the configured list, or the generic PP 16/2018 text."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_tell_programs"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Utters the programme text."""
        programs = get_settings().office.programs
        if programs:
            dispatcher.utter_message(response="utter_programs", programs=programs)
        else:
            dispatcher.utter_message(response="utter_programs_default")
        return []


def _render(domain: DomainDict, response: str, **values: str) -> str:
    """Renders the first text variation of a domain response with ``values``.

    Used where one response is a fragment of another (the phone line inside the
    contact answer), so that both texts stay in the domain.
    """
    variations = domain.get("responses", {}).get(response) or [{"text": ""}]
    text = str(variations[0].get("text", ""))
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
