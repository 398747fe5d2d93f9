"""The back office's "needs a person" list, as the actions write to it.

Shared by the digression rules (``action_request_human``, ``action_note_fallback``) and the
complaint form, which falls back inside itself without those rules running.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from lalisa.core.db import session_scope
from lalisa.takeover.models import HandoffReason
from lalisa.takeover.service import record_handoff_request

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"


async def record_needs_person(sender_id: str, reason: HandoffReason, *, out_of_hours: bool) -> bool:
    """Put the conversation on the back office's "needs a person" list.

    A database failure must not cost the citizen the answer, so it is logged and the action
    goes on; the request can still be seen in the conversation history.
    """
    try:
        async with session_scope() as session:
            await record_handoff_request(
                session, sender_id=sender_id, reason=reason, out_of_hours=out_of_hours
            )
    except (SQLAlchemyError, OSError):
        logger.exception("Recording a request for a person failed (%s)", reason)
        return False
    return True


def _user_intents(events: list[dict[str, Any]]) -> list[str | None]:
    """Intent names of the user messages of a tracker, oldest first."""
    intents: list[str | None] = []
    for event in events:
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            intents.append(intent.get("name"))
    return intents


def fell_back_twice(events: list[dict[str, Any]]) -> bool:
    """True when the latest two user messages were both NLU fallbacks.

    Args:
        events: The tracker's events (as the action server receives them).

    Returns:
        Whether the assistant failed to understand twice in a row.
    """
    intents = _user_intents(events)
    return len(intents) >= 2 and intents[-1] == intents[-2] == FALLBACK_INTENT
