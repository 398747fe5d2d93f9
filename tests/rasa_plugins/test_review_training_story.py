"""A training story exported from a reviewed conversation is valid Rasa training data.

Reads the export of :func:`lalisa.review.export.build_training_stories` with Rasa's own story
reader against the project's domain: every intent, action, form and slot it names exists and
the steps become the events the dialogue policies train on.
"""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from lalisa.review.export import (
    ActionStep,
    Example,
    LoopStep,
    SlotStep,
    UserStep,
    build_training_stories,
)
from lalisa_common.rasa_domain import domain_path

ROOT = Path(__file__).resolve().parents[2]


def test_exported_training_story_reads_as_rasa_stories(tmp_path: Path) -> None:
    domain = Domain.load(str(domain_path(ROOT)))
    featurized = [slot.name for slot in domain.slots if slot.influence_conversation]
    steps = [
        UserStep(Example("ada pkl di trotoar", "report_complaint")),
        ActionStep("action_check_complaint_signal"),
        SlotStep("complaint_signal", "strong"),
        ActionStep("complaint_form"),
        LoopStep("complaint_form"),
        SlotStep("category", "pkl"),
        UserStep(Example("ya", "affirm")),
        ActionStep("complaint_form"),
        SlotStep("complaint_outcome", "submit"),
        LoopStep(None),
        ActionStep("action_submit_complaint"),
    ]
    export = build_training_stories([("tinjau 1 Warga-A", steps)], featurized)
    path = tmp_path / "reviewed.yml"
    path.write_text(export.yaml_text, encoding="utf-8")

    (story,) = YAMLStoryReader(domain).read_from_file(path)
    events = story.events
    intents = [e.intent_name for e in events if isinstance(e, UserUttered)]
    actions = [e.action_name for e in events if isinstance(e, ActionExecuted)]
    assert intents == ["report_complaint", "affirm"]
    assert actions == [
        "action_check_complaint_signal",
        "complaint_form",
        "complaint_form",
        "action_submit_complaint",
    ]
    assert SlotSet("complaint_signal", "strong") in events
    assert ActiveLoop("complaint_form") in events and ActiveLoop(None) in events
    assert all(isinstance(e, SlotSet) is False or e.key != "category" for e in events)
    assert set(intents) <= set(domain.intents)
    assert set(actions) <= set(domain.action_names_or_texts)
