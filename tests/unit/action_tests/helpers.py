"""Tracker and domain fixtures for action tests (no Rasa server needed)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from lalisa_common.rasa_domain import load_domain

ROOT = Path(__file__).resolve().parents[3]


@lru_cache(maxsize=1)
def domain() -> dict[str, Any]:
    """The real domain as the dict the action server receives."""
    return load_domain()


def tracker(
    *,
    text: str = "",
    intent: str = "report_complaint",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    sender_id: str = "6281200000001",
    metadata: dict[str, Any] | None = None,
    message_id: str = "m-1",
    active_loop: str | None = "complaint_form",
    confidence: float = 0.99,
    after: list[dict[str, Any]] | None = None,
    before: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker whose latest message is ``text`` with the given parse.

    ``after`` are events that followed the message (e.g. a digression's answer); the form's
    own call is appended as Rasa does before it asks the validation action. ``before`` are
    events that came before the message (e.g. the question it answers).
    """
    all_slots: dict[str, Any] = {name: None for name in domain()["slots"]}
    all_slots.update(slots or {})
    all_slots["requested_slot"] = requested_slot
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "message_id": message_id,
        "metadata": metadata or {},
    }
    events = [
        *(before or []),
        {
            "event": "user",
            "text": text,
            "parse_data": latest,
            "input_channel": "rest",
            "timestamp": 1.0,
        },
        *(after or []),
        {"event": "slot", "name": "requested_slot", "value": requested_slot},
        {"event": "action", "name": active_loop or "action_listen"},
    ]
    return Tracker(
        sender_id,
        all_slots,
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """The response keys the action uttered, in order."""
    return [message.get("response") for message in dispatcher.messages]
