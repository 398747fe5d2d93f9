"""Button and list replies skip the NLU pipeline; typed text never does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.message import Message

from lalisa_rasa import fast_path

ROOT = Path(__file__).resolve().parents[2]

DOMAIN = Domain.from_yaml(
    """
version: '3.1'
intents: [affirm, ask_duties, share_location, share_media, greet]
entities: [latitude, longitude, media_id, media_type]
"""
)


class RecordingGraph:
    """Stands in for the NLU graph and records that it ran."""

    def __init__(self) -> None:
        self.calls = 0

    def run(self, inputs: dict[str, Any], targets: list[str]) -> dict[str, Any]:
        self.calls += 1
        (message,) = inputs["__message__"]
        parsed = Message(
            data={"text": message.text, "intent": {"name": "greet", "confidence": 0.9}}
        )
        return {targets[0]: [parsed]}


class FakeProcessor:
    """The attributes of :class:`MessageProcessor` that the parse step reads."""

    def __init__(self) -> None:
        self.domain = DOMAIN
        self.graph_runner = RecordingGraph()

        class Metadata:
            nlu_target = "run_RegexMessageHandler"

        self.model_metadata = Metadata()


@pytest.fixture(autouse=True)
def installed() -> None:
    fast_path.install()


def parse(text: str, metadata: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    processor = FakeProcessor()
    message = UserMessage(text, sender_id="6281", message_id="wamid.X", metadata=metadata)
    tracker = DialogueStateTracker.from_events("6281", [])
    parsed = MessageProcessor._parse_message_with_graph(processor, message, tracker)  # type: ignore[arg-type]
    return parsed, processor.graph_runner.calls


def test_button_reply_skips_the_pipeline() -> None:
    parsed, graph_runs = parse("/ask_duties", {"wa_type": "interactive", "reply_title": "Tugas"})
    assert graph_runs == 0
    assert parsed["intent"] == {"name": "ask_duties", "confidence": 1.0}
    assert parsed["entities"] == []


def test_location_payload_keeps_its_entities() -> None:
    text = '/share_location{"latitude": -2.33, "longitude": 115.47}'
    parsed, graph_runs = parse(text, {"wa_type": "location"})
    assert graph_runs == 0
    assert {(e["entity"], e["value"]) for e in parsed["entities"]} == {
        ("latitude", -2.33),
        ("longitude", 115.47),
    }


def test_numbered_menu_answer_skips_the_pipeline() -> None:
    parsed, graph_runs = parse("/affirm", {"wa_type": "text", "menu_choice": "1"})
    assert graph_runs == 0
    assert parsed["intent"]["name"] == "affirm"


def test_typed_text_always_runs_the_pipeline() -> None:
    """Only the message type decides: a typed "/affirm" is words for NLU to read."""
    _, graph_runs = parse("/affirm", {"wa_type": "text"})
    assert graph_runs == 1
    _, graph_runs = parse("/affirm", None)
    assert graph_runs == 1


def test_unknown_intent_falls_back_to_the_pipeline() -> None:
    _, graph_runs = parse("/no_such_intent", {"wa_type": "interactive"})
    assert graph_runs == 1


def test_button_title_without_payload_runs_the_pipeline() -> None:
    _, graph_runs = parse("Laporkan", {"wa_type": "interactive"})
    assert graph_runs == 1


@pytest.mark.parametrize(
    "text",
    [
        "/affirm",
        "/ask_duties",
        '/share_location{"latitude": -2.33, "longitude": 115.47}',
        '/share_media{"media_id": "123", "media_type": "image"}',
        "/greet@0.5",
    ],
)
def test_same_result_as_rasas_regex_message_handler(text: str) -> None:
    """The fast path returns what the pipeline's last step would have returned."""
    message = Message(data={"text": text, "message_id": "wamid.X", "metadata": {}})
    (expected,) = RegexMessageHandler().process([message], DOMAIN)
    parsed = fast_path.structured_parse_data(text, {}, "wamid.X", DOMAIN)
    assert parsed is not None
    assert parsed == {
        "text": "",
        "intent": {"name": None, "confidence": 0.0},
        "entities": [],
        **expected.as_dict(only_output_properties=True),
    }


def test_a_photo_caption_is_parsed_as_typed_words_next_to_the_payload() -> None:
    """The photo stays the message; its caption gets the pipeline's reading alongside."""
    payload = '/share_media{"media_id": "123", "media_type": "image"}'
    metadata = {"wa_type": "image", "caption": "balap liar di desa Halong tadi malam"}
    parsed, graph_runs = parse(payload, metadata)
    assert graph_runs == 1
    assert parsed["intent"] == {"name": "share_media", "confidence": 1.0}
    caption = parsed[fast_path.CAPTION_PARSE_KEY]
    assert caption["text"] == "balap liar di desa Halong tadi malam"


@pytest.mark.parametrize("caption", ["", "   ", "/report_complaint"])
def test_no_caption_no_second_parse(caption: str) -> None:
    payload = '/share_media{"media_id": "123", "media_type": "image"}'
    parsed, graph_runs = parse(payload, {"wa_type": "image", "caption": caption})
    assert graph_runs == 0
    assert fast_path.CAPTION_PARSE_KEY not in parsed


def test_install_is_idempotent() -> None:
    first = MessageProcessor._parse_message_with_graph
    fast_path.install()
    assert MessageProcessor._parse_message_with_graph is first
