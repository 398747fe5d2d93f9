"""The indexed rule look-up finds Rasa's rules, on every prefix of every story and rule of data/."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import rasa.shared.core.trackers as trackers_module
from rasa.core.policies.rule_policy import (
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    SHOULD_NOT_BE_SET,
    RulePolicy,
)
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates, TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph

from lalisa_common.rasa_domain import domain_path
from lalisa_rasa import quiet_debug, rule_index, turn_states

ROOT = Path(__file__).resolve().parents[2]

# Rasa's own scan (the hook keeps it as ``__wrapped__`` when installed first).
RASA_GET_POSSIBLE_KEYS = getattr(
    RulePolicy._get_possible_keys, "__wrapped__", RulePolicy._get_possible_keys
)
POLICY_CONFIG = {
    "core_fallback_threshold": 0.3,
    "core_fallback_action_name": "action_default_fallback",
    "enable_fallback_prediction": True,
}


@functools.lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(domain_path()))


@functools.lru_cache(maxsize=1)
def training_trackers() -> list[TrackerWithCachedStates]:
    steps = []
    for folder in ("stories", "rules"):
        for path in sorted((ROOT / "data" / folder).glob("*.yml")):
            steps.extend(YAMLStoryReader(domain(), source_name=str(path)).read_from_file(path))
    generator = TrainingDataGenerator(StoryGraph(steps), domain(), augmentation_factor=0)
    return generator.generate()


def trained_policy(tmp: Path) -> RulePolicy:
    """A RulePolicy trained on data/ with config.yml's settings (Rasa's scan in training)."""
    storage = LocalModelStorage(tmp)
    config = {**RulePolicy.get_default_config(), **POLICY_CONFIG}
    policy = RulePolicy.create(
        config, storage, Resource("rule_policy"), ExecutionContext(GraphSchema({}), "test")
    )
    policy.train(training_trackers(), domain())
    return policy


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> RulePolicy:
    # Trained with Rasa's own scan, so that the hook cannot shape the lookup it is tested on.
    original = RulePolicy._get_possible_keys
    RulePolicy._get_possible_keys = RASA_GET_POSSIBLE_KEYS  # type: ignore[method-assign]
    try:
        return trained_policy(tmp_path_factory.mktemp("rules"))
    finally:
        RulePolicy._get_possible_keys = original  # type: ignore[method-assign]


def prefixes(tracker: DialogueStateTracker) -> list[DialogueStateTracker]:
    """The plain tracker after each of its events, built event by event as the processor does."""
    result = []
    growing = DialogueStateTracker(
        tracker.sender_id, domain().slots, is_rule_tracker=tracker.is_rule_tracker
    )
    for event in tracker.events:
        growing.update(event)
        result.append(growing.copy())
    return result


def all_states(policy: RulePolicy) -> list[list[State]]:
    """The states the RulePolicy matches, for every prefix, with and without the last text."""
    turn_states.install()
    found = []
    for story in training_trackers():
        for tracker in prefixes(story):
            for use_text in (False, True):
                found.append(
                    policy._prediction_states(
                        tracker, domain(), use_text, rule_only_data=policy._get_rule_only_data()
                    )
                )
    return found


def test_every_prefix_finds_rasas_rules(policy: RulePolicy) -> None:
    rule_index.install()
    assert len(policy.lookup[RULES]) >= 100
    compared = matched = in_loop = 0
    for states in all_states(policy):
        for name in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
            lookup = policy.lookup[name]
            expected = RASA_GET_POSSIBLE_KEYS(policy, lookup, states)
            assert policy._get_possible_keys(lookup, states) == expected
            assert rule_index.possible_keys(policy, lookup, states) == expected
            compared += 1
            matched += bool(expected)
            in_loop += bool(expected) and name == RULES_FOR_LOOP_UNHAPPY_PATH
            # Rasa picks the longest key with max() over a set: with two of the same length
            # predicting different things, its choice would depend on the hash seed.
            if expected and name == RULES:
                longest = max(len(key) for key in expected)
                assert len({lookup[key] for key in expected if len(key) == longest}) == 1
    assert compared > 2000
    assert matched > 500
    assert in_loop > 0


def test_predictions_equal_rasas(policy: RulePolicy) -> None:
    """The whole policy predicts the same with the index as with Rasa's scan."""
    rule_index.install()
    hooked = RulePolicy._get_possible_keys
    stories = training_trackers()
    compared = 0
    for story in stories:
        for tracker in prefixes(story):
            RulePolicy._get_possible_keys = RASA_GET_POSSIBLE_KEYS  # type: ignore[method-assign]
            try:
                expected = policy.predict_action_probabilities(copy.deepcopy(tracker), domain())
            finally:
                RulePolicy._get_possible_keys = hooked  # type: ignore[method-assign]
            got = policy.predict_action_probabilities(copy.deepcopy(tracker), domain())
            assert got.probabilities == expected.probabilities
            assert got.events == expected.events
            assert got.action_metadata == expected.action_metadata
            compared += 1
    assert compared > 600


def key(*states: State) -> str:
    return json.dumps(list(states), sort_keys=True)


LISTEN_GREET = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
LOOKUP = {
    key(): "anything",
    key({}): "starter",
    key({"slots": {"x": (1.0,)}}): "starter with a slot",
    key({}, LISTEN_GREET): "greet at the start",
    key(LISTEN_GREET): "greet",
    key({"prev_action": {"action_name": "action_listen"}, "user": {"intent": SHOULD_NOT_BE_SET}}):
        "no intent",
    key({"prev_action": {"action_text": "hi"}}): "after a text",
    key({"prev_action": {"action_name": "utter_x"}, "active_loop": {"name": "form"}}): "in form",
    key({"prev_action": {"action_name": "utter_x"}, "active_loop": {"name": SHOULD_NOT_BE_SET}}):
        "no form",
    key({"prev_action": {"action_name": "utter_x"}, "user": {"entities": ["a", "b"]}}):
        "entities",
}  # fmt: skip
STATES: list[list[State]] = [
    [],
    [{}],
    [{"slots": {"x": (1.0,)}}],
    [{}, LISTEN_GREET],
    [LISTEN_GREET],
    [{"prev_action": {"action_name": "action_listen"}}],
    [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": 3}}],  # type: ignore[dict-item]
    [{"prev_action": {"action_text": "hi"}}],
    [{"prev_action": {"action_name": "utter_x"}, "active_loop": {"name": "form"}}],
    [{"prev_action": {"action_name": "utter_x"}, "active_loop": {"name": "other"}}],
    [{"prev_action": {"action_name": "utter_x"}, "user": {"entities": ("a", "b")}}],
    [{"prev_action": {"action_name": "utter_x"}, "user": {"entities": ("a",)}}],
    [{}, {"prev_action": {"action_name": "utter_x"}}],
]


@pytest.mark.parametrize("states", STATES)
def test_edge_cases_equal_rasa(states: list[State]) -> None:
    policy = RulePolicy.__new__(RulePolicy)  # the look-up reads no attribute of the policy
    expected = RASA_GET_POSSIBLE_KEYS(policy, LOOKUP, states)
    assert rule_index.possible_keys(policy, LOOKUP, states) == expected


def test_index_follows_the_lookups_keys() -> None:
    policy = RulePolicy.__new__(RulePolicy)
    lookup: dict[str, Any] = dict(LOOKUP)
    states: list[State] = [LISTEN_GREET]
    assert key(LISTEN_GREET) in rule_index.possible_keys(policy, lookup, states)
    del lookup[key(LISTEN_GREET)]
    assert key(LISTEN_GREET) not in rule_index.possible_keys(policy, lookup, states)
    assert rule_index.possible_keys(policy, lookup, states) == RASA_GET_POSSIBLE_KEYS(
        policy, lookup, states
    )
    lookup[key({"prev_action": {"action_name": "action_listen"}})] = "after listening"
    assert rule_index.possible_keys(policy, lookup, states) == RASA_GET_POSSIBLE_KEYS(
        policy, lookup, states
    )


def test_installed_with_the_turn_states() -> None:
    """Every process that installs the kept states (tracker store, ``python -m lalisa_rasa``)."""
    turn_states.install()
    assert getattr(RulePolicy._get_possible_keys, "_lalisa_rule_index", False)
    assert getattr(trackers_module.copy, "_lalisa_slot_copies", False)
    assert quiet_debug.installed_modules()
