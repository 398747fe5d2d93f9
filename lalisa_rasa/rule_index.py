"""The RulePolicy looks rules up by the last state's action, intent and loop, not by a scan.

Rasa 3.6's ``RulePolicy._get_possible_keys`` finds the rules that match a conversation by
testing every rule key (~160 here) against the last state, then the survivors against the
state before, and so on (``_is_rule_applicable``: the rule key parsed from JSON, reversed,
its sub-states compared field by field). It runs twice per ``_find_action_from_rules``
(the rules, and inside a form the loop's unhappy-path rules), twice per prediction, two
predictions per turn: the largest part of the RulePolicy's CPU (``docs/benchmarks.md``).

:func:`install` puts an exact index in front of that scan. Rasa's test of a rule against the
*last* state (``turn_index`` 0) rejects the rule when

- the rule's state and the conversation's disagree on being a conversation start (one has a
  ``prev_action`` sub-state and the other not): only starter rules can match a starter state,
  and every starter rule matches it at turn 0;
- or the rule's state sets a field to a value (not ``should_not_be_set``) that the
  conversation's state does not have.

The index files every non-starter rule under what its last state requires of three fields,
the previous action's name, the user's intent and the active loop's name (a required string,
or "anything" when the rule does not require one or requires something else); a look-up
reads the conversation's three values and takes the union of the at most 8 buckets that can
match. A rule outside those buckets fails Rasa's own test at turn 0, so it is not in Rasa's
result; every rule inside goes through Rasa's own ``_is_rule_applicable`` for every turn, as
the scan would. The result is the same set of keys. (When two matching rules of the same
length predict different actions, Rasa's ``max`` picks by the set's iteration order, which
depends on the process's string hash seed; the test checks that data/ has no such tie.)

A conversation value that is not a string (or missing) is looked up only in the "anything"
buckets for that field, which is exactly right: a required value is a string, and Rasa's
``!=`` rejects anything else. The index is built per lookup dict and rebuilt whenever the
dict's keys change (training edits its lookup while it checks for contradictions).

Version-guarded to Rasa 3.6.21 like :mod:`lalisa_rasa.turn_states`;
``tests/rasa_plugins/test_rule_index.py`` compares the result with Rasa's scan for every
prefix of every story and rule tracker of ``data/``.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Iterable
from typing import Any

import rasa
from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET, RulePolicy
from rasa.shared.core.constants import ACTIVE_LOOP, LOOP_NAME, PREVIOUS_ACTION, USER
from rasa.shared.core.domain import State
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"
_INSTALLED_MARK = "_lalisa_rule_index"

# The fields of the last state a rule is filed under: (sub-state, key).
FIELDS: tuple[tuple[str, str], ...] = (
    (PREVIOUS_ACTION, ACTION_NAME),
    (USER, INTENT),
    (ACTIVE_LOOP, LOOP_NAME),
)
ANYTHING = object()
"""The bucket component of a rule that does not require a string for that field."""


def _required(rule_state: State, sub_state_name: str, key: str) -> Any:
    """The string the rule state requires for one field, or :data:`ANYTHING`.

    Rasa rejects a conversation whose value differs from a rule value that is truthy and not
    ``should_not_be_set`` (a JSON list is compared as a tuple: never a string).
    """
    value = rule_state.get(sub_state_name, {}).get(key)
    if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET:
        return value
    return ANYTHING


class RuleIndex:
    """The rule keys of one lookup dict, filed by what their last state requires."""

    def __init__(self, keys: Iterable[str]) -> None:
        """Files ``keys`` (rule keys: JSON lists of rule states) by their last state."""
        self.keys = frozenset(keys)
        # Keys that match every last state at turn 0 (no rule state at all).
        self.always: list[str] = []
        # Rules whose last state has no previous action: they match exactly the starter states.
        self.starters: list[str] = []
        self.buckets: dict[tuple[Any, ...], list[str]] = {}
        for key in self.keys:
            rule_states = RulePolicy._rule_key_to_state(key)
            if not rule_states:
                self.always.append(key)
                continue
            last = rule_states[-1]
            if not last.get(PREVIOUS_ACTION):
                self.starters.append(key)
                continue
            signature = tuple(_required(last, name, field) for name, field in FIELDS)
            self.buckets.setdefault(signature, []).append(key)

    def candidates(self, state: State) -> list[str]:
        """A superset of the keys that pass Rasa's turn-0 test against ``state``."""
        if not state.get(PREVIOUS_ACTION):
            return self.always + self.starters
        options = []
        for name, field in FIELDS:
            value = state.get(name, {}).get(field)
            options.append((ANYTHING, value) if isinstance(value, str) else (ANYTHING,))
        found = list(self.always)
        for signature in itertools.product(*options):
            bucket = self.buckets.get(signature)
            if bucket:
                found.extend(bucket)
        return found


# id(lookup) -> (lookup, index); the lookup is kept so that its id is not reused.
_indexes: dict[int, tuple[dict[str, Any], RuleIndex]] = {}


def index_for(lookup: dict[str, Any]) -> RuleIndex:
    """The index of ``lookup``'s keys, rebuilt when they changed."""
    entry = _indexes.get(id(lookup))
    if entry is not None and entry[0] is lookup and lookup.keys() == entry[1].keys:
        return entry[1]
    if len(_indexes) > 32:
        _indexes.clear()
    index = RuleIndex(lookup)
    _indexes[id(lookup)] = (lookup, index)
    return index


def possible_keys(policy: RulePolicy, lookup: dict[str, Any], states: list[State]) -> set[str]:
    """Rasa's ``_get_possible_keys(lookup, states)``, with the index narrowing turn 0."""
    if not states:
        return set(lookup.keys())
    reversed_states = states[::-1]
    result = set()
    for key in index_for(lookup).candidates(reversed_states[0]):
        length = len(policy._rule_key_to_state(key))
        # Rasa's test is True for every turn further back than the rule is long.
        if all(
            policy._is_rule_applicable(key, i, state)
            for i, state in enumerate(reversed_states[:length])
        ):
            result.add(key)
    return result


def install() -> None:
    """Makes ``RulePolicy._get_possible_keys`` use the index. Idempotent."""
    original = RulePolicy._get_possible_keys
    if getattr(original, _INSTALLED_MARK, False):
        return
    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is not %s: the rule index is not installed", rasa.__version__, RASA_VERSION
        )
        return

    @functools.wraps(original)
    def _get_possible_keys(
        self: RulePolicy, lookup: dict[str, Any], states: list[State]
    ) -> set[str]:
        return possible_keys(self, lookup, states)

    setattr(_get_possible_keys, _INSTALLED_MARK, True)
    RulePolicy._get_possible_keys = _get_possible_keys


__all__ = ["RASA_VERSION", "RuleIndex", "index_for", "install", "possible_keys"]
