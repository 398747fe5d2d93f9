"""The loop guard's strategies: what the form does instead of asking a question a third time.

A list of choices, accepting what it has, or handing the citizen to a person
(:data:`STRATEGIES`, keyed by :func:`lalisa.intake.form.turn.question_key`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from lalisa.intake.answers import SKIPPED
from lalisa.intake.form.place_time import _complete_location
from lalisa.intake.form.turn import _Turn
from lalisa.tickets.categories import FALLBACK_CATEGORY


def _accept_category(turn: _Turn) -> None:
    turn.set(category=FALLBACK_CATEGORY, category_candidates=None, category_page=None)
    told = turn.get("form_last_answer")
    if told:
        turn.set(category_told=told, category_rounds=int(turn.get("category_rounds") or 0) + 1)
    turn.say("utter_category_defaulted")


def _accept_description(turn: _Turn) -> None:
    turn.set(description=turn.get("form_last_answer") or SKIPPED)


def _offer_place_lists(turn: _Turn) -> None:
    turn.set(location_mode="pick", kecamatan_choice=None, desa_choice=None)


def _accept_unresolved_place(turn: _Turn) -> None:
    _complete_location(turn, kecamatan=None, desa=None)


def _accept_kecamatan_only(turn: _Turn) -> None:
    _complete_location(turn, kecamatan=turn.get("location_kecamatan"), desa=None)


def _skip(slot: str) -> Callable[[_Turn], None]:
    def skip(turn: _Turn) -> None:
        turn.set(**{slot: SKIPPED})
        turn.say(_SKIPPED_RESPONSES[slot])

    return skip


_SKIPPED_RESPONSES: Final[dict[str, str]] = {
    "incident_time": "utter_incident_time_skipped",
    "evidence": "utter_evidence_skipped",
    "reporter_name": "utter_reporter_name_skipped",
}


def _back_to_summary(turn: _Turn) -> None:
    turn.set(correction_requested=None)


def _keep_report(turn: _Turn) -> None:
    turn.set(cancel_requested=None)
    turn.say("utter_cancel_aborted")


def _offer_choices(turn: _Turn) -> None:
    turn.set(confirmation_mode="choice")


def _hand_to_person(turn: _Turn) -> None:
    turn.set(complaint_outcome="handoff")
    turn.say("utter_confirmation_needs_person")


STRATEGIES: Final[dict[str, Callable[[_Turn], None]]] = {
    "category": _accept_category,
    "description": _accept_description,
    "location": _offer_place_lists,
    "kecamatan_choice": _accept_unresolved_place,
    "desa_choice": _accept_kecamatan_only,
    "incident_time": _skip("incident_time"),
    "evidence": _skip("evidence"),
    "reporter_name": _skip("reporter_name"),
    "correction_field": _back_to_summary,
    "cancel_confirmation": _keep_report,
    "complaint_confirmation": _offer_choices,
    "complaint_confirmation:choice": _hand_to_person,
}
"""What the form does instead of asking a question a third time, per question."""
