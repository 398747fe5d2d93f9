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
