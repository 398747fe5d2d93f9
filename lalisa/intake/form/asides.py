"""Asides inside the form: small talk, "wait, I am driving", questions of secrecy and remit.

Each gets its reply in kind and the question again; nothing of the report is lost.
"""

from __future__ import annotations

from typing import Final

from lalisa.intake.dialect import is_banjar
from lalisa.intake.form.turn import Answer, _Turn
from lalisa.intake.readers.hold_on import asks_to_wait
from lalisa.tickets.categories import read_category_entity
from lalisa_common.remit import asks_about_remit
from lalisa_common.small_talk import (
    SmallTalk,
    asks_confidentiality,
    names_part_of_day_only,
    read_small_talk,
)

CONFIDENTIALITY_RESPONSE: Final = "utter_confidentiality"
REMIT_RESPONSE: Final = "utter_remit_answer"
"""The reply to "ini urusan satpol pp kan? bukan dishub?": Satpol PP takes it and verifies."""
HOLD_ON_RESPONSE: Final = "utter_hold_on"
"""The reply to "bentar, lg nyetir, nanti sy lanjut": the answers so far are kept."""
SMALL_TALK_RESPONSES: Final[dict[SmallTalk, str]] = {
    "salam": "utter_small_talk_salam",
    "greeting": "utter_small_talk_greeting",
    "how_are_you": "utter_small_talk_how_are_you",
    "thanks": "utter_small_talk_thanks",
    "attention": "utter_small_talk_attention",
}
"""The brief reply in kind to small talk inside the form (then the question again)."""
BANJAR_SMALL_TALK_RESPONSES: Final[dict[SmallTalk, str]] = {
    "how_are_you": "utter_small_talk_how_are_you_banjar",
}


def _answer_aside(turn: _Turn, answer: Answer, asked: str) -> bool | None:
    """Answers small talk or the confidentiality question said between two answers.

    "ini rahasia kan?" or "nama saya dirahasiakan kan min?" is no cancel and no refusal of
    the name, whatever the NLU says; "makasih ya", "apa kabar min" are no name and no story.
    Each gets its reply and the question again; nothing of the report is lost. Their words
    decide (:mod:`lalisa_common.small_talk`, the readers the NLU's text rules use too), read
    before the question's own reader: "nama saya dirahasiakan kan?" must not be read as
    "anonim" at the name question. A thanks after a photo at the evidence question means
    "that's all" and is left to the evidence reader; a message naming a complaint category
    ("ada miras lagi, rahasia kan?") tells the story and is read as usual.

    Returns:
        True when the message was answered aside (the turn then asks its question again);
        None for a confidentiality question the NLU read as one: the form is interrupted and
        the domain's rule answers it, as any clear digression; False otherwise.
    """
    text = answer.typed
    if asks_confidentiality(text) and read_category_entity(answer.entities) is None:
        if answer.clear_intent("ask_confidentiality"):
            return None
        turn.say(CONFIDENTIALITY_RESPONSE)
        turn.helped = turn.aside = True
        return True
    if asks_about_remit(text) and not (
        asked == "category" and read_category_entity(answer.entities) is not None
    ):
        # "ini masuk urusan satpol pp kan? bukan dishub?" is no place and no time, whatever
        # the NLU guessed: the citizen wants to know they are at the right agency before
        # going on. At the category question a category it names is its answer.
        turn.say(REMIT_RESPONSE)
        turn.helped = turn.aside = True
        return True
    if asks_to_wait(text):
        # "eh bentar sy lg nyetir, nanti sy lanjut" is no story, place or time.
        turn.say(HOLD_ON_RESPONSE)
        turn.helped = True
        return True
    small_talk = read_small_talk(text)
    if small_talk is None:
        return False
    if small_talk == "thanks" and asked == "evidence" and turn.get("evidence_media"):
        return False
    if small_talk == "greeting" and asked == "incident_time" and names_part_of_day_only(text):
        # "pagi min" greets at the first message, but answers "kapan?" here.
        return False
    responses = BANJAR_SMALL_TALK_RESPONSES if is_banjar(text) else {}
    turn.say(responses.get(small_talk, SMALL_TALK_RESPONSES[small_talk]))
    turn.helped = turn.aside = True
    return True
