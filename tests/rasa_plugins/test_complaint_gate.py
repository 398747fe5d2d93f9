"""ComplaintGate, CorpusFilter and ComplaintGateDecision: off-topic text stays off."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lalisa_common.rasa_domain import domain_path
from lalisa_rasa.nlu.category_classifier import CategoryClassifier
from lalisa_rasa.nlu.complaint_gate import (
    ComplaintGate,
    ComplaintGateDecision,
    CorpusFilter,
    corpus_of,
)
from lalisa_rasa.nlu.fingerprint import PACKAGE, directory_fingerprint, source_fingerprint

CONTEXT = ExecutionContext(GraphSchema({}), "test")


def example(text: str, intent: str, corpus: str | None = None) -> Message:
    """A training message, optionally marked as coming from a corpus."""
    return Message.build(text, intent, intent_metadata={"corpus": corpus} if corpus else None)


COMPLAINTS = [
    "ada pkl jualan di trotoar pasar",
    "pedagang kaki lima menutup trotoar",
    "urang mabuk tuak di pos ronda tiap malam",
    "warung jual miras dekat sekolah",
    "sapi lepas di jalan raya",
    "hadangan urang balapas di jalan",
    "balap liar tiap malam minggu di jalan lingkar",
    "sampah dibuang di pinggir jalan sampai numpuk",
    "saya mau lapor pelanggaran",
    "ulun handak bapadah",
]
OTHERS = [
    "jam berapa kantor buka",
    "apa tugas satpol pp",
    "halo selamat pagi",
    "terima kasih",
    "status laporan saya",
]
CORPUS = [
    "makanannya enak dan harganya murah, pelayanannya ramah",
    "restoran ini pemandangannya indah, cocok untuk keluarga",
    "sinyal provider ini jelek sekali, kecewa",
    "hotel ini kamarnya bersih dan sarapannya enak",
    "rasanya biasa saja tapi tempatnya nyaman untuk nongkrong",
    "wadah makan ngini nyaman banar, haraganya murah",
    "kafe ini ramai tiap malam minggu, kopinya enak",
    "paket saya belum sampai sudah seminggu",
]


def training_data() -> TrainingData:
    """Complaints, other intents, and corpus examples marked ``corpus: nusax``."""
    return TrainingData(
        [example(t, "report_complaint") for t in COMPLAINTS]
        + [example(t, "out_of_scope" if "kantor" in t else "greet") for t in OTHERS]
        + [example(t, "out_of_scope", corpus="nusax") for t in CORPUS]
    )


@pytest.fixture
def gate(tmp_path: Path) -> ComplaintGate:
    """A trained gate, reloaded from its model storage."""
    storage = LocalModelStorage(tmp_path)
    resource = Resource("complaint_gate")
    component = ComplaintGate.create({}, storage, resource, CONTEXT)
    component.train(training_data())
    return ComplaintGate.load({}, storage, resource, CONTEXT)


def parsed(text: str, intent: str, confidence: float = 0.99) -> Message:
    """A message as DIET leaves it: intent and a ranking."""
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set(
        "intent_ranking",
        [
            {"name": intent, "confidence": confidence},
            {"name": "ask_duties", "confidence": round(1 - confidence, 4)},
        ],
        add_to_output=True,
    )
    return message


def test_corpus_examples_are_recognised_by_their_metadata() -> None:
    """Only examples whose intent metadata names a corpus count as corpus examples."""
    assert corpus_of(example("enak", "out_of_scope", corpus="nusax")) == "nusax"
    assert corpus_of(example("jam berapa buka", "out_of_scope")) is None


def test_filter_keeps_the_corpus_away_from_later_components() -> None:
    """DIET and the featurizers see the project's examples only."""
    component = CorpusFilter.create({}, None, None, CONTEXT)  # type: ignore[arg-type]
    filtered = component.process_training_data(training_data())
    texts = {m.get("text") for m in filtered.training_examples}
    assert texts == set(COMPLAINTS) | set(OTHERS)


def test_gate_separates_complaints_from_reviews(gate: ComplaintGate) -> None:
    """A complaint scores high, a review low, after a save and load."""
    complaint = gate.probability("ada pedagang jualan di trotoar dekat pasar")
    review = gate.probability("makanannya enak sekali dan tempatnya nyaman")
    assert complaint is not None and review is not None
    assert complaint > 0.5 > review


def test_decision_demotes_an_improbable_complaint(gate: ComplaintGate) -> None:
    """A review DIET took for a complaint becomes out_of_scope; the ranking keeps both."""
    message = parsed("makanannya enak sekali dan tempatnya nyaman", "report_complaint")
    gate.process([message])
    ComplaintGateDecision.create({"threshold": 0.5}, None, None, CONTEXT).process(  # type: ignore[arg-type]
        [message]
    )
    assert message.get("intent")["name"] == "out_of_scope"
    ranking = [entry["name"] for entry in message.get("intent_ranking")]
    assert ranking[:2] == ["out_of_scope", "report_complaint"]
    assert "ask_duties" in ranking
    output = message.as_dict(only_output_properties=True)
    assert output["complaint_gate"]["demoted"] is True
    assert output["complaint_gate"]["confidence"] < 0.5


def test_decision_keeps_a_real_complaint(gate: ComplaintGate) -> None:
    """A complaint stays a complaint and says how sure the gate was."""
    message = parsed("urang mabuk tuak di pos ronda", "report_complaint")
    gate.process([message])
    ComplaintGateDecision.create({"threshold": 0.5}, None, None, CONTEXT).process(  # type: ignore[arg-type]
        [message]
    )
    assert message.get("intent")["name"] == "report_complaint"
    assert message.get("complaint_gate")["demoted"] is False
    assert message.get("complaint_gate")["confidence"] >= 0.5


def test_decision_ignores_other_intents(gate: ComplaintGate) -> None:
    """Only report_complaint is second-guessed."""
    message = parsed("makanannya enak sekali", "greet")
    gate.process([message])
    ComplaintGateDecision.create({"threshold": 0.9}, None, None, CONTEXT).process(  # type: ignore[arg-type]
        [message]
    )
    assert message.get("intent")["name"] == "greet"


def test_filter_drops_story_and_domain_messages_in_order() -> None:
    """Intent and action names without text (added by `rasa train`) never reach DIET."""
    data = training_data()
    extra = [Message(data={"intent": "greet"}), Message(data={"action_name": "action_listen"})]
    mixed = TrainingData(extra[:1] + data.training_examples + extra[1:])
    component = CorpusFilter.create({}, None, None, CONTEXT)  # type: ignore[arg-type]
    kept = [m.get("text") for m in component.process_training_data(mixed).training_examples]
    assert kept == [m.get("text") for m in data.training_examples if corpus_of(m) is None]


def test_full_and_nlu_training_give_later_components_the_same_examples() -> None:
    """`rasa train` and `rasa train nlu` train the featurizers and DIET on the same data."""
    root = Path(__file__).resolve().parents[2]
    config, data = str(root / "config.yml"), str(root / "data")
    domain = str(domain_path(root))
    full = TrainingDataImporter.load_from_config(config, domain, [data]).get_nlu_data()
    nlu_only = TrainingDataImporter.load_nlu_importer_from_config(
        config, training_data_paths=[data]
    ).get_nlu_data()
    assert len(full.training_examples) > len(nlu_only.training_examples)  # stories, domain
    component = CorpusFilter.create({}, None, None, CONTEXT)  # type: ignore[arg-type]

    def seen(training: TrainingData) -> list[tuple[Any, ...]]:
        return [
            (m.get("text"), m.get("intent"), m.get("action_name"))
            for m in component.process_training_data(training).training_examples
        ]

    assert seen(full) == seen(nlu_only)


def test_components_fingerprint_their_source(tmp_path: Path) -> None:
    """A code change in lalisa_rasa/nlu changes every custom component's fingerprint."""
    for component in (ComplaintGate, CorpusFilter, ComplaintGateDecision, CategoryClassifier):
        assert component.fingerprint_addon({}) == source_fingerprint()
    copy = tmp_path / "nlu"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert directory_fingerprint(copy) == source_fingerprint()
    module = copy / "linear_text.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert directory_fingerprint(copy) != source_fingerprint()
