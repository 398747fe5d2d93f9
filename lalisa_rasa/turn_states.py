"""The dialogue states of a tracker computed once per tracker state, not once per policy call.

Rasa 3.6 turns the whole tracker into its list of dialogue states
(``DialogueStateTracker.past_states`` -> ``Domain.states_for_tracker_history``: a fresh
tracker, every event replayed, one state built per action) every time a policy asks. In one
prediction the MemoizationPolicy asks once and the RulePolicy twice
(``_find_action_from_rules`` with and without the text of the last message), on the same,
unchanged tracker, with the same arguments for the RulePolicy's two calls. That replay was the
largest single cost of a button reply (``scripts/profile_message.py --cprofile``,
``docs/benchmarks.md``).

:func:`install` keeps, on the tracker object itself, the states of its current events per
argument set, and hands each caller its own copy (the featurizer edits the last state in
place). The kept states are used only while the tracker still has the same number of events
and the same last event object, for the same domain object and equal ``rule_only_data``: any
appended event (every change of a tracker is an appended event, reverts included) makes the
next call compute them again. A deep copy or a pickle of the tracker does not take the kept
states along; a shallow copy shares them with the events deque they describe.

Not incremental on purpose: the states of the earlier turns cannot be kept from one
prediction to the next, because applying ``DefinePrevUserUtteredFeaturization`` (which the
policy ensemble adds after the first prediction of a turn) edits the shared ``UserUttered``
event object in place, and a fresh replay then reads the edited flag in every earlier state.
Within one prediction no event is applied, so the kept states are exactly a fresh replay's.

Version-guarded: on any Rasa but the one it was checked against it installs nothing.
``tests/rasa_plugins/test_turn_states.py`` compares the result with Rasa's own on every
prefix of every story and rule tracker of ``data/``.
"""

from __future__ import annotations

import copy
import functools
import logging
from typing import Any

import rasa
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# The Rasa whose past_states/states_for_tracker_history this module was checked against.
RASA_VERSION = "3.6.21"
_INSTALLED_MARK = "_lalisa_turn_states"
_CACHE_ATTR = "_lalisa_past_states"


class _Kept:
    """The states of one tracker state; a copied tracker starts with none."""

    __slots__ = ("entries", "last", "length")

    def __init__(self) -> None:
        self.length = -1
        self.last: Any = None
        # (omit_unset_slots, ignore_rule_only_turns, id(domain), repr(rule_only_data)) ->
        # (domain, a copy of rule_only_data, states); the domain is kept so its id stays its.
        self.entries: dict[tuple[bool, bool, int, str], tuple[Any, Any, list[State]]] = {}

    def __copy__(self) -> _Kept:
        return _Kept()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Kept:
        return _Kept()

    def __reduce__(self) -> tuple[type[_Kept], tuple[()]]:
        return (_Kept, ())


def copy_states(states: list[State]) -> list[State]:
    """A copy callers may edit: new state dicts and new sub-state dicts, shared alike.

    Rasa's states share some sub-state dicts (the RulePolicy-free history puts the same
    ``prev_action``/``user`` dict into consecutive states), and the featurizer's in-place
    edit of the last state then shows in the one before: the copy shares exactly where the
    original shares. The values inside a sub-state are strings and tuples
    (``Domain.get_active_state``), which nobody can edit in place.
    """
    copies: dict[int, Any] = {}
    result: list[State] = []
    for state in states:
        new: State = {}
        for key, sub_state in state.items():
            copied = copies.get(id(sub_state))
            if copied is None:
                copied = copies[id(sub_state)] = dict(sub_state)
            new[key] = copied
        result.append(new)
    return result


def install() -> None:
    """Makes ``DialogueStateTracker.past_states`` compute once per tracker state. Idempotent."""
    original = DialogueStateTracker.past_states
    if getattr(original, _INSTALLED_MARK, False):
        return
    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is not %s: the per-turn cache of dialogue states is not installed",
            rasa.__version__,
            RASA_VERSION,
        )
        return

    @functools.wraps(original)
    def past_states(
        self: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        events = self.events
        length = len(events)
        last = events[-1] if length else None
        kept: _Kept | None = self.__dict__.get(_CACHE_ATTR)
        if kept is None:
            kept = _Kept()
            self.__dict__[_CACHE_ATTR] = kept
        if kept.length != length or kept.last is not last:
            kept.length, kept.last = length, last
            kept.entries.clear()
        # By content: the RulePolicy builds a new rule_only_data dict for each of its calls.
        key = (
            bool(omit_unset_slots),
            bool(ignore_rule_only_turns),
            id(domain),
            repr(rule_only_data),
        )
        entry = kept.entries.get(key)
        if entry is None or entry[0] is not domain or entry[1] != rule_only_data:
            states: list[State] = original(
                self,
                domain,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
            kept.entries[key] = (domain, copy.deepcopy(rule_only_data), copy_states(states))
            return states
        return copy_states(entry[2])

    setattr(past_states, _INSTALLED_MARK, True)
    DialogueStateTracker.past_states = past_states


__all__ = ["RASA_VERSION", "copy_states", "install"]
