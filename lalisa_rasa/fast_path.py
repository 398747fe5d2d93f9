"""Button and list replies skip the NLU pipeline.

A WhatsApp button or list reply, a shared location or a medium reaches Rasa as an
``/intent{"entity": ...}`` payload that the channel built from structured message data (the
id of a button we sent, coordinates, a media id). Rasa's NLU graph runs every component on
such a text (tokenizer, featurizers, DIET, the category classifier) and then its
``RegexMessageHandler`` throws all of that away and keeps only the payload's intent and
entities. :func:`install` makes the processor build exactly that result directly, without
the graph, when the message metadata says the payload came from structured data.

Typed text never takes this path: the channel strips a leading ``/`` from typed text, and
the path checks the WhatsApp message type, not the text, so a citizen cannot force an
intent by typing one. Messages from other channels (REST, shell, tests) keep the full
pipeline.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

# WhatsApp message types whose text the channel builds from structured data, never from what
# the citizen typed (``wa_type`` comes from lalisa_common.whatsapp.payload.parse_message).
STRUCTURED_TYPES = frozenset(
    {"interactive", "button", "location", "image", "audio", "video", "document"}
)
# A numbered-menu answer ("2") the channel resolved to the payload of the menu's option.
MENU_CHOICE_KEY = "menu_choice"
# The parse of the words sent with a photo/video, kept next to the payload's parse: a caption
# that tells the story is read as a typed opening (actions.tickets.ActionKeepMedia).
CAPTION_PARSE_KEY = "caption_parse"
# WhatsApp types whose caption is the citizen's own words.
CAPTIONED_TYPES = frozenset({"image", "video", "document"})
# The name Rasa's own handler puts on the entities it unpacks; kept so that the parse data
# is identical to the pipeline's.
EXTRACTOR_NAME = "RegexMessageHandler"

_INSTALLED_MARK = "_lalisa_fast_path"


def is_structured(text: str | None, metadata: Mapping[str, Any] | None) -> bool:
    """Whether a message is an ``/intent`` payload built by the channel from structured data.

    Args:
        text: The message text.
        metadata: The message metadata set by the WhatsApp channel.

    Returns:
        True for a payload of a button/list reply, location, medium or numbered-menu answer.
    """
    if not text or not text.startswith(INTENT_MESSAGE_PREFIX) or not metadata:
        return False
    return metadata.get("wa_type") in STRUCTURED_TYPES or bool(metadata.get(MENU_CHOICE_KEY))


def structured_parse_data(
    text: str, metadata: Mapping[str, Any] | None, message_id: str | None, domain: Any
) -> dict[str, Any] | None:
    """The parse data of an ``/intent{...}`` payload, as the NLU graph would return it.

    Args:
        text: The payload text.
        metadata: The message metadata.
        message_id: The message id.
        domain: The assistant's domain (unknown intents are refused).

    Returns:
        The parse data, or None when the payload does not name a known intent (the caller
        then runs the pipeline, which treats the text as words).
    """
    message = Message(data={TEXT: text, "message_id": message_id, "metadata": metadata})
    unpacked = YAMLStoryReader.unpack_regex_message(
        message, domain, entity_extractor_name=EXTRACTOR_NAME
    )
    if unpacked is message:
        return None
    parse_data: dict[str, Any] = {
        TEXT: "",
        INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0},
        ENTITIES: [],
    }
    parse_data.update(unpacked.as_dict(only_output_properties=True))
    return parse_data


def caption_of(metadata: Mapping[str, Any] | None) -> str:
    """The words the citizen sent with a photo/video/document ("" when none or a payload)."""
    if not metadata or metadata.get("wa_type") not in CAPTIONED_TYPES:
        return ""
    caption = str(metadata.get("caption") or "").strip()
    return "" if caption.startswith(INTENT_MESSAGE_PREFIX) else caption


def _parse_caption(
    processor: MessageProcessor, original: Any, message: Any, tracker: Any, caption: str
) -> dict[str, Any] | None:
    """The NLU graph's parse of a caption, as if the citizen had typed it (None on failure).

    The photo stays the message (its payload's intent and entities); the caption's parse only
    rides along, so a caption that cannot be parsed costs nothing but itself.
    """
    typed = UserMessage(caption, sender_id=message.sender_id, message_id=message.message_id)
    try:
        parsed: dict[str, Any] = original(processor, typed, tracker, True)
    except Exception:
        logger.exception("The caption of %s could not be parsed", message.message_id)
        return None
    return parsed


def install() -> None:
    """Makes :class:`MessageProcessor` parse structured payloads without the NLU graph.

    Idempotent. Called where every Rasa process that serves conversations loads La-Lisa's
    code (the tracker store, :mod:`lalisa_rasa.stores`).
    """
    original = MessageProcessor._parse_message_with_graph
    if getattr(original, _INSTALLED_MARK, False):
        return

    @functools.wraps(original)
    def parse(
        self: MessageProcessor,
        message: Any,
        tracker: Any,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        # Only the processor's own parse asks for output properties; the ``/model/parse`` debug
        # view that wants every property keeps the pipeline.
        if only_output_properties and is_structured(message.text, message.metadata):
            parsed = structured_parse_data(
                message.text, message.metadata, message.message_id, self.domain
            )
            if parsed is not None:
                caption = caption_of(message.metadata)
                if caption:
                    caption_parse = _parse_caption(self, original, message, tracker, caption)
                    if caption_parse is not None:
                        parsed[CAPTION_PARSE_KEY] = caption_parse
                return parsed
        parsed_by_graph: dict[str, Any] = original(self, message, tracker, only_output_properties)
        return parsed_by_graph

    setattr(parse, _INSTALLED_MARK, True)
    MessageProcessor._parse_message_with_graph = parse
