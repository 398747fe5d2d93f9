"""Typed text never reaches Rasa as ``/intent``: every leading slash and blank is dropped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lalisa_common.typed_text import neutralize_typed_text, safe_reply_payload

PREFIX_CHARS = "/ \t\n\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff\u200e\uff0f\u2044\u2215"


@pytest.mark.parametrize(
    "typed",
    [
        "/restart",
        "/ /restart",
        "\t/restart",
        "\uff0frestart",
        "//restart",
        " / / / restart",
        "\u00a0/restart",
        "\u200b/restart",
        "\ufeff\u2044restart",
        "\u3000\uff0f \u2215restart ",
    ],
)
def test_leading_slashes_and_blanks_are_dropped(typed: str) -> None:
    assert neutralize_typed_text(typed) == "restart"


def test_text_inside_the_message_is_kept() -> None:
    assert neutralize_typed_text("  jalan 1/2 rusak  ") == "jalan 1/2 rusak"
    assert neutralize_typed_text("ada PKL / pedagang") == "ada PKL / pedagang"
    assert neutralize_typed_text("/ \t ") == ""


@given(st.text(alphabet=PREFIX_CHARS, max_size=12), st.text(max_size=30))
def test_the_result_never_starts_with_a_slash_even_after_rasa_strips_it(
    prefix: str, rest: str
) -> None:
    cleaned = neutralize_typed_text(prefix + rest)
    # Rasa's UserMessage strips whitespace before it looks for the intent prefix.
    assert not cleaned.strip().startswith("/")
    assert not cleaned.startswith("\uff0f")


def test_structured_payloads_keep_their_intent_except_control_intents() -> None:
    payload = '/report_complaint{"category":"pkl"}'
    assert safe_reply_payload(payload) == payload
    assert safe_reply_payload("/affirm") == "/affirm"
    assert safe_reply_payload("/restart") == "restart"
    assert safe_reply_payload("/session_start") == "session_start"
    assert safe_reply_payload("/ restart") == "restart"
    assert safe_reply_payload("/back{}") == "back{}"
    assert safe_reply_payload("Ya") == "Ya"
