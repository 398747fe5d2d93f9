"""CategoryClassifier: training labels, prediction and persistence."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lalisa_rasa.nlu.category_classifier import NO_CATEGORY, CategoryClassifier, complaint_label


def example(text: str, intent: str, category: str | None = None) -> Message:
    """A training message, optionally with a category annotation."""
    entities = [{"entity": "category", "value": category, "start": 0, "end": 3}] if category else []
    return Message(data={"text": text, "intent": intent, "entities": entities})


TRAINING = [
    example("ada pkl jualan di trotoar", "report_complaint", "pkl"),
    example("pedagang kaki lima buka lapak di bahu jalan", "report_complaint", "pkl"),
    example("lapak pedagang menutup trotoar pasar", "report_complaint", "pkl"),
    example("warung jual tuak tiap malam", "report_complaint", "miras"),
    example("urang mabuk minum arak di pos ronda", "report_complaint", "miras"),
    example("ada yang jualan miras oplosan", "report_complaint", "miras"),
    example("sapi lepas di jalan raya", "report_complaint", "ternak_lepas"),
    example("kambing warga berkeliaran di taman", "report_complaint", "ternak_lepas"),
    example("hadangan lepas masuk kebun", "report_complaint", "ternak_lepas"),
    example("mau lapor pak", "report_complaint"),
    example("ulun handak bapadah", "report_complaint"),
    example("apa tugas satpol pp", "ask_duties"),
    example("jam berapa kantor buka", "ask_service_hours"),
    example("halo selamat pagi", "greet"),
]


@pytest.fixture
def component(tmp_path: Path) -> CategoryClassifier:
    """A trained classifier in a temporary model storage."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("category_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    classifier = CategoryClassifier.create({}, storage, resource, context)
    data = TrainingData(TRAINING, entity_synonyms={"pedagang asongan": "pkl", "tuak": "miras"})
    classifier.train(data)
    return CategoryClassifier.load({}, storage, resource, context)


def test_labels_come_from_annotations_and_intents() -> None:
    """Annotated complaints teach their category; everything else teaches "none"."""
    assert complaint_label(example("ada pkl", "report_complaint", "pkl")) == "pkl"
    assert complaint_label(example("mau lapor", "report_complaint")) == NO_CATEGORY
    assert complaint_label(example("halo", "greet")) == NO_CATEGORY
    assert complaint_label(Message(data={"intent": "greet"})) is None


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("ada pedagang jualan di trotoar dekat pasar", "pkl"),
        ("banyak yang mabuk tuak di lapangan", "miras"),
        ("sapi warga lepas lagi", "ternak_lepas"),
    ],
)
def test_predicts_category_after_loading(
    component: CategoryClassifier, text: str, category: str
) -> None:
    """The persisted model emits one canonical category entity."""
    message = Message(data={"text": text})
    component.process([message])
    entities = [e for e in message.get("entities", []) if e["entity"] == "category"]
    assert len(entities) == 1
    assert entities[0]["value"] == category
    assert entities[0]["extractor"] == "CategoryClassifier"


def test_no_category_for_questions(component: CategoryClassifier) -> None:
    """A question about the agency gets no category."""
    message = Message(data={"text": "apa tugas satpol pp"})
    component.process([message])
    assert not [e for e in message.get("entities", []) if e["entity"] == "category"]


def test_untrained_component_is_harmless(tmp_path: Path) -> None:
    """Without categories in the data the component emits nothing."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("empty")
    context = ExecutionContext(GraphSchema({}), "test")
    classifier = CategoryClassifier.create({}, storage, resource, context)
    classifier.train(TrainingData([example("halo", "greet")]))
    loaded = CategoryClassifier.load({}, storage, resource, context)
    message = Message(data={"text": "ada pkl"})
    loaded.process([message])
    assert message.get("entities", []) == []


def test_entity_carries_confidence_and_top_three_ranking(component: CategoryClassifier) -> None:
    """The emitted entity says how sure it is and which categories came next."""
    message = Message(
        data={"text": "ada pedagang jualan di trotoar", "intent": {"name": "report_complaint"}}
    )
    component.process([message])
    (entity,) = [e for e in message.get("entities") if e["entity"] == "category"]
    ranking = entity["additional_info"]["ranking"]
    assert ranking[0]["value"] == entity["value"] == "pkl"
    assert len(ranking) == 3
    assert {r["value"] for r in ranking} <= {"pkl", "miras", "ternak_lepas"}
    assert ranking[0]["confidence"] == entity["confidence"]
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert abs(sum(confidences) - 1.0) < 0.01  # three categories in this model


def test_every_message_gets_a_ranking_in_its_parse_data(component: CategoryClassifier) -> None:
    """A question gets no entity but still a ranking the form can consult."""
    message = Message(data={"text": "apa tugas satpol pp", "intent": {"name": "ask_duties"}})
    component.process([message])
    assert not [e for e in message.get("entities", []) if e["entity"] == "category"]
    ranking = message.as_dict(only_output_properties=True)["category_ranking"]
    assert len(ranking["ranking"]) == 3
    assert ranking["none_confidence"] > 0.5


def test_ranking_survives_the_tracker(component: CategoryClassifier) -> None:
    """Entity extras and the ranking reach a custom action through the tracker.

    The action server reads ``tracker.latest_message``, which Rasa builds from the
    stored UserUttered event; this checks the event's dict round trip and the
    tracker state the action server receives.
    """
    from rasa.shared.core.events import Event, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

    message = Message(data={"text": "sapi lepas di jalan", "intent": {"name": "report_complaint"}})
    component.process([message])
    parse_data = {
        "text": message.get("text"),
        "intent": {"name": "report_complaint", "confidence": 0.9},
        "entities": message.get("entities"),
        **message.as_dict(only_output_properties=True),
    }
    event = UserUttered(
        parse_data["text"], parse_data["intent"], parse_data["entities"], parse_data
    )
    restored = Event.from_parameters(event.as_dict())
    tracker = DialogueStateTracker.from_events("citizen", [restored])
    state = tracker.current_state(EventVerbosity.AFTER_RESTART)
    latest = state["latest_message"]
    (entity,) = [e for e in latest["entities"] if e["entity"] == "category"]
    assert entity["value"] == "ternak_lepas"
    assert entity["additional_info"]["ranking"][0]["value"] == "ternak_lepas"
    assert latest["category_ranking"]["ranking"][0]["value"] == "ternak_lepas"


def test_confident_gate_lets_a_misfiled_complaint_keep_its_category(tmp_path: Path) -> None:
    """A complaint DIET filed under another intent still gets its category if the gate agrees.

    With an unreachable threshold for non-complaints, only the gate's confidence can make
    the classifier read the message as a complaint.
    """
    storage = LocalModelStorage(tmp_path)
    resource = Resource("category_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    CategoryClassifier.create({}, storage, resource, context).train(TrainingData(TRAINING))
    strict = CategoryClassifier.load({"threshold": 1.01}, storage, resource, context)

    def category(gate_confidence: float) -> list[str]:
        message = Message(
            data={"text": "sapi lepas di jalan", "intent": {"name": "report_unresolved"}}
        )
        message.set("complaint_gate", {"confidence": gate_confidence, "demoted": False})
        strict.process([message])
        return [e["value"] for e in message.get("entities", []) if e["entity"] == "category"]

    assert category(0.9) == ["ternak_lepas"]
    assert category(0.1) == []
