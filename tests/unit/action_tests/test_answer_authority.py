"""action_answer_authority: whose business a matter is, or Satpol PP's authority in general."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.info import ActionAnswerAuthority

from .helpers import domain, responses, tracker


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("yang bongkar nanti satpol pp atau dinas pupr?", "utter_remit_answer"),
        ("ini urusan satpol pp kah atau pihak desa?", "utter_remit_answer"),
        ("apa saja kewenangan satpol pp?", "utter_ask_authority"),
        ("wewenang satpol pp apa aja", "utter_ask_authority"),
    ],
)
async def test_the_question_decides_the_answer(text: str, response: str) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerAuthority().run(
        dispatcher, tracker(text=text, intent="ask_authority", active_loop=None), domain()
    )
    assert responses(dispatcher) == [response]
