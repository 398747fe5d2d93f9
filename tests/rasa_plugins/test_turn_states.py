"""The kept dialogue states are Rasa's own, on every prefix of every story and rule of data/."""

from __future__ import annotations

import copy
import functools
import pickle
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph

from lalisa_common.rasa_domain import domain_path
from lalisa_rasa import turn_states

ROOT = Path(__file__).resolve().parents[2]

# Rasa's own method (the hook keeps it as ``__wrapped__`` when another test installed it first).
RASA_PAST_STATES = getattr(
    DialogueStateTracker.past_states, "__wrapped__", DialogueStateTracker.past_states
)


@pytest.fixture(autouse=True)
def installed() -> None:
    turn_states.install()


@functools.lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(domain_path()))


@functools.lru_cache(maxsize=1)
def trackers() -> list[DialogueStateTracker]:
    """The story and rule trackers of data/ as Rasa's training builds them, as plain trackers.

    (Training's own ``TrackerWithCachedStates`` has its own ``past_states``.)
    """
    steps = []
    for folder in ("stories", "rules"):
        for path in sorted((ROOT / "data" / folder).glob("*.yml")):
            steps.extend(YAMLStoryReader(domain(), source_name=str(path)).read_from_file(path))
    generator = TrainingDataGenerator(
        StoryGraph(steps), domain(), remove_duplicates=False, augmentation_factor=0
    )
    plain = []
    for generated in generator.generate():
        tracker = DialogueStateTracker(
            generated.sender_id, domain().slots, is_rule_tracker=generated.is_rule_tracker
        )
        for event in generated.events:
            tracker.update(event)
        plain.append(tracker)
    return plain


def prefixes(tracker: DialogueStateTracker) -> list[DialogueStateTracker]:
    """The tracker after each of its events, built event by event as the processor does."""
    result = []
    growing = tracker.init_copy()
    for event in tracker.events:
        growing.update(event)
        result.append(growing.copy())
    return result


def rule_only_data() -> dict[str, Any]:
    """Slots and loops as the RulePolicy records them: some of the domain's, so some are cut."""
    return {
        "slots": [slot.name for slot in domain().slots][:3],
        "active_loops": list(domain().form_names)[:1],
    }


def sharing(states: list[State]) -> list[list[int]]:
    """Which sub-state dicts are the same object, as positions of first appearance."""
    first: dict[int, int] = {}
    return [[first.setdefault(id(sub), len(first)) for sub in state.values()] for state in states]


ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"omit_unset_slots": True},
    {"ignore_rule_only_turns": True, "rule_only_data": None},
    {"ignore_rule_only_turns": True, "rule_only_data": "rules"},
    {"ignore_rule_only_turns": False, "rule_only_data": "rules"},
]


def test_data_has_stories_and_rules() -> None:
    assert len(trackers()) >= 50


@pytest.mark.parametrize("arguments", ARGUMENTS)
def test_every_prefix_equals_rasa(arguments: dict[str, Any]) -> None:
    data = rule_only_data()
    kwargs = {
        **arguments,
        **({"rule_only_data": data} if arguments.get("rule_only_data") == "rules" else {}),
    }
    compared = 0
    for story in trackers():
        for tracker in prefixes(story):
            expected = RASA_PAST_STATES(tracker, domain(), **kwargs)
            first = tracker.past_states(domain(), **kwargs)
            kept = tracker.past_states(domain(), **kwargs)
            assert first == expected
            assert kept == expected
            assert sharing(kept) == sharing(expected)
            compared += 1
    assert compared > 500


@pytest.mark.parametrize("memoization_first", [True, False])
def test_both_policies_on_one_tracker_equal_rasa(memoization_first: bool) -> None:
    """Each prediction: the MemoizationPolicy's call and the RulePolicy's, in either order."""
    data = rule_only_data()
    calls: list[dict[str, Any]] = [
        {"ignore_rule_only_turns": True, "rule_only_data": data},
        {"rule_only_data": dict(data)},
        {"rule_only_data": dict(data)},
    ]
    if not memoization_first:
        calls.reverse()
    for story in trackers():
        for tracker in prefixes(story):
            for kwargs in calls:
                expected = RASA_PAST_STATES(tracker, domain(), **kwargs)
                states = tracker.past_states(domain(), **kwargs)
                assert states == expected
                assert sharing(states) == sharing(expected)


def test_callers_edit_their_own_copy() -> None:
    tracker = max(trackers(), key=lambda t: len(t.events))
    expected = RASA_PAST_STATES(tracker, domain())
    for _ in range(2):
        states = tracker.past_states(domain())
        for state in states:
            for sub_state in state.values():
                sub_state.clear()
            state.clear()
    assert tracker.past_states(domain()) == expected


def test_an_appended_event_recomputes() -> None:
    tracker = trackers()[0].copy()
    before = tracker.past_states(domain())
    tracker.update(ActionExecuted("action_listen"))
    after = tracker.past_states(domain())
    assert after == RASA_PAST_STATES(tracker, domain())
    assert len(after) == len(before) + 1
    slot = domain().slots[0]
    tracker.update(SlotSet(slot.name, "x"))
    assert tracker.past_states(domain()) == RASA_PAST_STATES(tracker, domain())


def test_another_domain_or_rule_data_object_is_not_served_the_kept_states() -> None:
    tracker = trackers()[0].copy()
    tracker.past_states(domain(), ignore_rule_only_turns=True, rule_only_data=rule_only_data())
    other = Domain.from_dict(domain().as_dict())
    assert tracker.past_states(other) == RASA_PAST_STATES(tracker, other)
    data = {"slots": [], "active_loops": []}
    assert tracker.past_states(
        domain(), ignore_rule_only_turns=True, rule_only_data=data
    ) == RASA_PAST_STATES(tracker, domain(), ignore_rule_only_turns=True, rule_only_data=data)


@pytest.mark.parametrize("duplicate", [copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))])
def test_a_copied_tracker_starts_without_kept_states(duplicate: Any) -> None:
    tracker = trackers()[0].copy()
    tracker.past_states(domain())
    duplicated = duplicate(tracker)
    kept = duplicated.__dict__.get("_lalisa_past_states")
    assert kept is None or not kept.entries
    assert duplicated.past_states(domain()) == RASA_PAST_STATES(tracker, domain())


def test_a_shallow_copy_shares_the_events_and_so_the_kept_states() -> None:
    tracker = trackers()[0].copy()
    tracker.past_states(domain())
    shallow = copy.copy(tracker)
    assert shallow.events is tracker.events
    shallow.update(ActionExecuted("action_listen"))
    assert tracker.past_states(domain()) == RASA_PAST_STATES(tracker, domain())
    assert shallow.past_states(domain()) == RASA_PAST_STATES(shallow, domain())


def test_policies_of_one_prediction_replay_the_tracker_once_per_argument_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    original = DialogueStateTracker.generate_all_prior_trackers

    def counted(self: DialogueStateTracker) -> Any:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(DialogueStateTracker, "generate_all_prior_trackers", counted)
    tracker = trackers()[0].copy()
    for _ in range(3):  # the RulePolicy's calls: a new, equal rule_only_data dict each time
        tracker.past_states(domain(), rule_only_data=rule_only_data())
    # The MemoizationPolicy's call is served by the same replay.
    tracker.past_states(domain(), ignore_rule_only_turns=True, rule_only_data=rule_only_data())
    assert len(calls) == 1
    tracker.past_states(domain(), ignore_rule_only_turns=True, rule_only_data={"slots": []})
    assert len(calls) == 2
