"""The dialogue states of a tracker computed once per tracker state, not once per policy call.

Rasa 3.6 turns the whole tracker into its list of dialogue states
(``DialogueStateTracker.past_states`` -> ``Domain.states_for_tracker_history``: a fresh
tracker, every event replayed, one state built per action) every time a policy asks. In one
prediction the MemoizationPolicy asks once and the RulePolicy twice
(``_find_action_from_rules`` with and without the text of the last message), on the same,
unchanged tracker, with the same arguments for the RulePolicy's two calls. That replay was the
largest single cost of a button reply (``scripts/profile_message.py --cprofile``,
``docs/benchmarks.md``).

:func:`install` makes one replay per tracker state serve all of them: on the first call it
runs Rasa's loop once for both values of ``ignore_rule_only_turns``
(:func:`states_both_ways`; the RulePolicy asks without, the MemoizationPolicy with), keeps
both lists on the tracker object and hands each caller its own copy (the featurizer edits the
last state in place). The kept states are used only while the tracker still has the same
number of events and the same last event object, for the same domain object and equal
``rule_only_data``: any appended event (every change of a tracker is an appended event,
reverts included) makes the next call replay again. A deep copy or a pickle of the tracker
does not take the kept states along; a shallow copy shares them with the events deque they
describe.

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
from typing import Any, cast

import rasa
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.trackers import DialogueStateTracker

from lalisa_rasa import quiet_debug, rule_index, slot_copies, slot_states

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


def states_both_ways(
    tracker: DialogueStateTracker,
    domain: Domain,
    omit_unset_slots: bool,
    rule_only_data: dict[str, Any] | None,
) -> tuple[list[State], list[State]]:
    """Rasa 3.6.21's ``states_for_tracker_history`` both ways, from one replay of the tracker.

    Both values of ``ignore_rule_only_turns``. The loop is Rasa's, statement for statement,
    run once for each value on the same prior tracker (each value builds its own state
    objects from it, as two separate calls would).

    Returns:
        The states with every turn (``ignore_rule_only_turns=False``, for the RulePolicy) and
        without rule-only turns and features (``True``, for the MemoizationPolicy).
    """
    every_turn: list[State] = []
    ml_turns: list[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    for tr, hide_rule_turn in tracker.generate_all_prior_trackers():
        every_turn.append(
            domain._clean_state(domain.get_active_state(tr, omit_unset_slots=omit_unset_slots))
        )

        # remember previous ml action based on the last non hidden turn
        if not turn_was_hidden:
            last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        # followup action or happy path loop prediction
        # don't change the fact whether dialogue turn should be hidden
        if not tr.followup_action and not tr.latest_action_name == tr.active_loop_name:
            turn_was_hidden = hide_rule_turn
        if turn_was_hidden:
            continue
        state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
        domain._remove_rule_only_features(state, rule_only_data)
        if ml_turns:
            domain._substitute_rule_only_user_input(state, ml_turns[-1])
        if last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = cast(SubState, last_ml_action_sub_state)
        ml_turns.append(domain._clean_state(state))
    return every_turn, ml_turns


def install() -> None:
    """Makes ``DialogueStateTracker.past_states`` compute once per tracker state. Idempotent.

    Also installs the other exact hooks of Rasa's per-turn machinery (the RulePolicy's rule
    index, :mod:`lalisa_rasa.rule_index`; the trackers' slot copies,
    :mod:`lalisa_rasa.slot_copies`; slots' sub-states without the slots that do not influence
    the dialogue, :mod:`lalisa_rasa.slot_states`; debug arguments not copied while debug
    logging is off, :mod:`lalisa_rasa.quiet_debug`): every caller of this function (the
    tracker store, ``python -m lalisa_rasa``) runs its turns with all of them.
    """
    rule_index.install()
    slot_copies.install()
    slot_states.install()
    quiet_debug.install()
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
        omit = bool(omit_unset_slots)
        # By content: the RulePolicy builds a new rule_only_data dict for each of its calls.
        # Without ignore_rule_only_turns, Rasa does not read rule_only_data at all.
        rules = repr(rule_only_data)
        key_rules = rules if ignore_rule_only_turns else ""
        entry = kept.entries.get((omit, bool(ignore_rule_only_turns), id(domain), key_rules))
        if (
            entry is None
            or entry[0] is not domain
            or (ignore_rule_only_turns and entry[1] != rule_only_data)
        ):
            # One replay gives the states both policies ask for (with and without rule-only
            # turns), so the other one's call in this prediction finds them here.
            every_turn, ml_turns = states_both_ways(self, domain, omit, rule_only_data)
            frozen = copy.deepcopy(rule_only_data)
            kept.entries[(omit, False, id(domain), "")] = (domain, None, every_turn)
            kept.entries[(omit, True, id(domain), rules)] = (domain, frozen, ml_turns)
            states = ml_turns if ignore_rule_only_turns else every_turn
        else:
            states = entry[2]
        return copy_states(states)

    setattr(past_states, _INSTALLED_MARK, True)
    DialogueStateTracker.past_states = past_states


__all__ = ["RASA_VERSION", "copy_states", "install", "states_both_ways"]
