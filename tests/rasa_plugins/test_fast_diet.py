"""FastDIETClassifier: numpy inference gives TensorFlow's intent ranking.

Two levels: a toy DIET trained here in seconds (every run), and the project's
trained model on every training text of data/nlu and the dev personas' texts
(when the model for the current inputs is built: `make train`).
"""

from __future__ import annotations

import copy
import itertools
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.featurizers.sparse_featurizer.lexical_syntactic_featurizer import (
    LexicalSyntacticFeaturizer,
)
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lalisa_rasa.nlu import fast_diet
from lalisa_rasa.nlu.fast_diet import FastDIETClassifier

ROOT = Path(__file__).resolve().parents[2]

# Measured: the largest confidence difference between the two paths is ~1e-7 (float32
# rounding in a different order of additions); 1e-5 leaves room for other BLAS builds.
TOLERANCE = 1e-5

EDGE_CASES = [
    "",  # no token
    "   ",
    "qqqzx vvwxk jjjpt",  # only unknown words
    "😡😡😡 🙏",  # emoji only
    "ada pkl jualan di trotoar 👍🏻 tolong ditertibkan ya min!!!",
    " ".join(["sampah menumpuk di pinggir jalan dekat pasar"] * 40),  # 280 tokens
    "A" * 2000,  # one very long token
    "ASSALAMUALAIKUM MIN, MAU LAPOR",
    "halo\nsaya mau\tlapor",
]

TOY_EXAMPLES = {
    "greet": ["halo", "selamat pagi min", "assalamualaikum", "hai kak", "pagi"],
    "report_complaint": [
        "ada pkl jualan di trotoar",
        "sapi lepas di jalan raya",
        "warung jual tuak tiap malam",
        "orang mabuk bikin ribut",
        "bangunan liar di bantaran sungai",
    ],
    "ask_hours": ["jam berapa kantor buka", "kantor buka hari sabtu?", "jam kerja satpol pp"],
    "thank": ["makasih min", "terima kasih banyak", "trims"],
}


def tensorflow_process(component: DIETClassifier, messages: list[Message]) -> list[Message]:
    """Rasa's own DIETClassifier.process on the same component."""
    result: list[Message] = DIETClassifier.process(component, messages)
    return result


def assert_same_ranking(fast: Message, reference: Message) -> float:
    """Same intent and ranking order, confidences within TOLERANCE; the largest difference.

    Two intents whose confidences tie within TOLERANCE (two intents at 1e-6 in the tail of a
    ranking) may come in either order: float32 sums in another order decide such ties, and
    so they may decide which of them the ranking's cut-off keeps.
    """
    text = reference.get("text")
    ranking, expected = fast.get("intent_ranking"), reference.get("intent_ranking")
    got = {r["name"]: r["confidence"] for r in ranking}
    want = {r["name"]: r["confidence"] for r in expected}
    assert len(got) == len(want), text
    assert all(isinstance(value, float) for value in got.values()), text
    floor = min(want.values(), default=0.0)
    for name in got.keys() - want.keys():
        # Kept by one cut-off only: tied with the last intent the other kept.
        assert abs(got[name] - floor) <= TOLERANCE, text
    shared = [name for name in got if name in want]
    np.testing.assert_allclose(
        [got[name] for name in shared], [want[name] for name in shared], rtol=0,
        atol=TOLERANCE, err_msg=text,
    )  # fmt: skip
    # The order of the fast ranking agrees with the reference confidences, ties aside.
    for earlier, later in itertools.pairwise(shared):
        assert want[earlier] >= want[later] - TOLERANCE, text
    intent, expected_intent = fast.get("intent"), reference.get("intent")
    if intent["name"] != expected_intent["name"]:
        assert abs(want[intent["name"]] - expected_intent["confidence"]) <= TOLERANCE, text
    np.testing.assert_allclose(
        intent["confidence"], expected_intent["confidence"], rtol=0, atol=TOLERANCE, err_msg=text
    )
    differences = [abs(got[name] - want[name]) for name in shared]
    differences.append(abs(intent["confidence"] - expected_intent["confidence"]))
    return float(max(differences))


def compare(component: FastDIETClassifier, messages: list[Message]) -> float:
    """Runs both paths on copies of ``messages``; the largest confidence difference."""
    worst = 0.0
    for message in messages:
        (fast,) = component.process([copy.deepcopy(message)])
        (reference,) = tensorflow_process(component, [copy.deepcopy(message)])
        worst = max(worst, assert_same_ranking(fast, reference))
    return worst


# -- a toy DIET, trained here ---------------------------------------------------------


@pytest.fixture(scope="module")
def toy() -> Iterator[tuple[FastDIETClassifier, list[Any], dict[str, Any]]]:
    with tempfile.TemporaryDirectory() as directory:
        storage = LocalModelStorage(Path(directory))
        context = ExecutionContext(GraphSchema({}), "toy")
        messages = [
            Message(data={"text": text, "intent": intent})
            for intent, texts in TOY_EXAMPLES.items()
            for text in texts
        ]
        data = TrainingData(messages)
        tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
        tokenizer.process_training_data(data)
        featurizers: list[Any] = [
            RegexFeaturizer.create(
                {**RegexFeaturizer.get_default_config(), "case_sensitive": False},
                storage,
                Resource("regex"),
                context,
            ),
            LexicalSyntacticFeaturizer.create(
                LexicalSyntacticFeaturizer.get_default_config(), storage, Resource("lex"), context
            ),
            CountVectorsFeaturizer.create(
                {**CountVectorsFeaturizer.get_default_config(), "max_ngram": 2},
                storage,
                Resource("words"),
                context,
            ),
            CountVectorsFeaturizer.create(
                {
                    **CountVectorsFeaturizer.get_default_config(),
                    "analyzer": "char_wb",
                    "min_ngram": 2,
                    "max_ngram": 5,
                },
                storage,
                Resource("chars"),
                context,
            ),
        ]
        data.regex_features = [{"name": "angka", "pattern": "[0-9]+"}]
        for featurizer in featurizers:
            featurizer.train(data)
            featurizer.process_training_data(data)
        config = {
            **FastDIETClassifier.get_default_config(),
            "epochs": 3,
            "number_of_transformer_layers": 1,
            "transformer_size": 128,
            "entity_recognition": False,
            "constrain_similarities": True,
            "model_confidence": "softmax",
            "random_seed": 42,
        }
        trainer = FastDIETClassifier.create(config, storage, Resource("diet"), context)
        trainer.train(data)
        component = FastDIETClassifier.load(config, storage, Resource("diet"), context)
        yield component, [tokenizer, *featurizers], config


def featurize(pipeline: list[Any], texts: list[str]) -> list[Message]:
    messages = [Message(data={"text": text}) for text in texts]
    for step in pipeline:
        messages = step.process(messages)
    return messages


def test_toy_model_ranks_as_tensorflow(
    toy: tuple[FastDIETClassifier, list[Any], dict[str, Any]],
) -> None:
    component, pipeline, _ = toy
    assert component._numpy_model is not None
    texts = (
        [text for texts in TOY_EXAMPLES.values() for text in texts] + EDGE_CASES + ["ada 3 sapi"]
    )
    worst = compare(component, featurize(pipeline, texts))
    assert worst < TOLERANCE


def test_output_is_diets_format(toy: tuple[FastDIETClassifier, list[Any], dict[str, Any]]) -> None:
    component, pipeline, _ = toy
    (message,) = component.process(featurize(pipeline, ["ada pkl jualan di trotoar"]))
    assert set(message.as_dict_nlu()) >= {"intent", "intent_ranking"}
    ranking = message.get("intent_ranking")
    assert len(ranking) == len(TOY_EXAMPLES)  # fewer labels than ranking_length (10)
    assert message.get("intent") == ranking[0]
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0, abs=1e-5)


def test_message_without_features_has_no_intent(
    toy: tuple[FastDIETClassifier, list[Any], dict[str, Any]],
) -> None:
    """As DIET: no text features, no prediction."""
    component, _, _ = toy
    (message,) = component.process([Message(data={"text": "halo"})])
    (reference,) = tensorflow_process(component, [Message(data={"text": "halo"})])
    assert message.get("intent") == reference.get("intent") == {"name": None, "confidence": 0.0}
    assert message.get("intent_ranking") == reference.get("intent_ranking") == []


def test_missing_featurizer_output_is_read_as_tensorflow_reads_it(
    toy: tuple[FastDIETClassifier, list[Any], dict[str, Any]],
) -> None:
    """A featurizer that gave nothing (regex on an empty text) shifts the later columns."""
    component, pipeline, _ = toy
    messages = featurize(pipeline[:3], ["ada 3 pkl jualan di trotoar", "halo"])  # no count vectors
    assert component._numpy_model is not None
    assert all(component._numpy_model.scores(m) is not None for m in messages)
    assert compare(component, messages) < TOLERANCE


def test_features_wider_than_the_model_are_not_read(
    toy: tuple[FastDIETClassifier, list[Any], dict[str, Any]],
) -> None:
    component, pipeline, _ = toy
    (message,) = featurize(pipeline, ["ada pkl jualan di trotoar"])
    message.features.extend(list(message.features))  # every matrix twice
    assert component._numpy_model is not None
    assert component._numpy_model.scores(message) is None


def test_unsupported_configuration_is_named(caplog: pytest.LogCaptureFixture) -> None:
    config = {
        **FastDIETClassifier.get_default_config(),
        "entity_recognition": True,
        "use_key_relative_attention": True,
        "number_of_transformer_layers": 0,
        "similarity_type": "cosine",
    }
    reasons = fast_diet.unsupported(config)
    assert any("entity_recognition" in r for r in reasons)
    assert any("relative attention" in r for r in reasons)
    assert any("number_of_transformer_layers" in r for r in reasons)
    assert any("cosine" in r for r in reasons)
    defaults = {**FastDIETClassifier.get_default_config(), "entity_recognition": False}
    defaults["similarity_type"] = "inner"  # what update_similarity_type makes of "auto"
    assert fast_diet.unsupported(defaults) == []


def test_unsupported_model_falls_back_loudly(
    toy: tuple[FastDIETClassifier, list[Any], dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    component, pipeline, _ = toy
    fallback = copy.copy(component)
    fallback.component_config = {**component.component_config, "entity_recognition": True}
    with caplog.at_level(logging.WARNING, logger=fast_diet.__name__):
        assert fallback._build_numpy_model() is None
    assert "entity_recognition is on" in caplog.text
    fallback._numpy_model = None
    fallback.component_config = component.component_config
    (slow,) = fallback.process(featurize(pipeline, ["sapi lepas"]))
    (fast,) = component.process(featurize(pipeline, ["sapi lepas"]))
    assert_same_ranking(fast, slow)


# -- the project's trained model -------------------------------------------------------


def model_archive() -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("model_script", ROOT / "scripts" / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path: Path = module.model_path()
    return path


def training_texts() -> list[str]:
    data = load_data(str(ROOT / "data" / "nlu"))
    return sorted({m.get("text") for m in data.training_examples if m.get("text")})


def persona_texts() -> list[str]:
    """Every string in the dev personas (openings, stories, answers), never hold-out."""
    texts: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str) and value.strip():
            texts.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in sorted((ROOT / "tests" / "conversations" / "personas").glob("dev*/*.yml")):
        assert "holdout" not in path.parts
        walk(yaml.safe_load(path.read_text()))
    return sorted(texts)


@pytest.fixture(scope="module")
def trained() -> Iterator[tuple[DaskGraphRunner, str, FastDIETClassifier]]:
    archive = model_archive()
    if not archive.exists():
        pytest.skip(f"no trained model for the current inputs ({archive.name}); run `make train`")
    with tempfile.TemporaryDirectory() as directory:
        _, runner = load_predict_graph_runner(
            Path(directory), archive, LocalModelStorage, DaskGraphRunner
        )
        assert isinstance(runner, DaskGraphRunner)
        nodes = runner._instantiated_nodes
        (name,) = [
            n for n, node in nodes.items() if isinstance(node._component, FastDIETClassifier)
        ]
        component = nodes[name]._component
        upstream = nodes[name]._inputs["messages"]
        yield runner, upstream, component


def test_trained_model_ranks_every_text_as_tensorflow(
    trained: tuple[DaskGraphRunner, str, FastDIETClassifier],
) -> None:
    runner, upstream, component = trained
    assert component._numpy_model is not None, "the project's DIET must run in numpy"
    texts = training_texts() + persona_texts() + EDGE_CASES
    assert len(texts) > 2000
    user_messages = [UserMessage(text) for text in texts]
    featurized = runner.run(inputs={"__message__": user_messages}, targets=[upstream])[upstream]
    worst = compare(component, featurized)
    assert worst < TOLERANCE
