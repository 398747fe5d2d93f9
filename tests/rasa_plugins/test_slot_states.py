"""The slots' sub-states are Rasa's own, on every prefix of every story and rule of data/."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.core.training_data.structures import StoryGraph

from lalisa_common.rasa_domain import domain_path
from lalisa_rasa import slot_states, turn_states

ROOT = Path(__file__).resolve().parents[2]
RASA_SUB_STATE = getattr(Domain._get_slots_sub_state, "__wrapped__", Domain._get_slots_sub_state)


@pytest.fixture(autouse=True)
def installed() -> None:
    slot_states.install()


@functools.lru_cache(maxsize=1)
def domain() -> Domain:
    return Domain.load(str(domain_path()))


@functools.lru_cache(maxsize=1)
def prefixes() -> list[DialogueStateTracker]:
    steps = []
    for folder in ("stories", "rules"):
        for path in sorted((ROOT / "data" / folder).glob("*.yml")):
            steps.extend(YAMLStoryReader(domain(), source_name=str(path)).read_from_file(path))
    generator = TrainingDataGenerator(StoryGraph(steps), domain(), augmentation_factor=0)
    result = []
    for story in generator.generate():
        growing = DialogueStateTracker(story.sender_id, domain().slots)
        for event in story.events:
            growing.update(event)
            result.append(growing.copy())
    return result


def test_every_prefix_equals_rasa() -> None:
    assert Domain._get_slots_sub_state is not RASA_SUB_STATE
    compared = with_slots = 0
    for tracker in prefixes():
        for omit in (False, True):
            expected = RASA_SUB_STATE(tracker, omit)
            assert Domain._get_slots_sub_state(tracker, omit) == expected
            assert list(slot_states.slots_sub_state(tracker, omit)) == list(expected)
            compared += 1
            with_slots += bool(expected)
    assert compared > 1000
    assert with_slots > 100


@pytest.mark.parametrize("value", [None, "x", True, False, "should_not_be_set", 0.5, ["a"]])
def test_every_slot_set_to_anything_equals_rasa(value: Any) -> None:
    for slot in domain().slots:
        tracker = DialogueStateTracker("a", domain().slots)
        tracker.update(SlotSet(slot.name, value))
        for omit in (False, True):
            assert slot_states.slots_sub_state(tracker, omit) == RASA_SUB_STATE(tracker, omit)


class LoudSlot(TextSlot):
    """A slot type whose features do not depend on influence_conversation."""

    def as_feature(self) -> list[float]:
        return [1.0]


def test_a_slot_type_with_its_own_features_is_asked() -> None:
    slot = LoudSlot("loud", mappings=[], influence_conversation=False)
    tracker = DialogueStateTracker("a", [slot])
    assert slot_states.slots_sub_state(tracker) == RASA_SUB_STATE(tracker) == {"loud": (1.0,)}


def test_installed_with_the_turn_states() -> None:
    turn_states.install()
    assert getattr(Domain._get_slots_sub_state, "_lalisa_slot_states", False)
