"""A second opinion on ``report_complaint``, trained on real off-topic text.

DIET calls about a third of real Indonesian and Banjar reviews, news and tweets a
complaint, often at confidence 1.00: it has seen a few hundred hand-written
complaints and questions, and a long message full of "kotor", "bau", "parkir",
"pelayanan" looks more like a complaint than like "jam berapa buka". Teaching DIET
a thousand long reviews as ``out_of_scope`` fixes that but costs minutes of
training on 2 cores and starts to swallow real complaints that mention a warung,
a hotel or a kafe.

So the off-topic corpus (``data/nlu/out_of_scope_nusax.yml``, marked with the
intent metadata ``corpus: nusax``) is read by three small components instead:

* :class:`ComplaintGate`, placed right after the tokenizer, learns "complaint or
  not" with TF-IDF character/word n-grams and logistic regression from every
  training example (``report_complaint`` against everything else, the corpus
  included) and stores each message's complaint probability;
* :class:`CorpusFilter`, placed after it, removes the corpus examples from the
  training data, so the featurizers and DIET train exactly as before; it also
  removes the story and domain messages ``rasa train`` adds (intent and action
  names without text), so ``rasa train`` and ``rasa train nlu`` give DIET the same
  features and the same model;
* :class:`ComplaintGateDecision`, placed after DIET, turns a ``report_complaint``
  whose complaint probability is below ``threshold`` into ``out_of_scope``.

Every parsed message carries ``complaint_gate: {"confidence": p, "demoted": bool}``
(docs/CONTRACTS.md), so the dialogue can ask "Apakah Anda ingin melaporkan
pelanggaran?" when the signal is weak instead of starting the form.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lalisa_rasa.nlu import linear_text
from lalisa_rasa.nlu.fingerprint import source_fingerprint
from lalisa_rasa.nlu.linear_text import LinearTextComponent

logger = logging.getLogger(__name__)

COMPLAINT_INTENT = "report_complaint"
OFF_TOPIC_INTENT = "out_of_scope"
GATE_KEY = "complaint_gate"
CORPUS_KEY = "corpus"
MODEL_FILE = "complaint_gate.pkl"


def corpus_of(message: Message) -> str | None:
    """The corpus an example comes from (intent metadata ``corpus``), if any."""
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    if isinstance(intent_metadata, dict) and intent_metadata.get(CORPUS_KEY):
        return str(intent_metadata[CORPUS_KEY])
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ComplaintGate(LinearTextComponent):
    """Estimates, for every message, the probability that it is a complaint."""

    MODEL_FILE = MODEL_FILE

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config."""
        # Rarer character n-grams are noise here (typos, names in reviews).
        return {**linear_text.DEFAULTS, "C": 4.0, "char_min_df": 2}

    def train(self, training_data: TrainingData) -> Resource:
        """Fits complaint-versus-everything-else on all examples, the corpus included."""
        texts: list[str] = []
        labels: list[int] = []
        for message in training_data.training_examples:
            text = message.get(TEXT)
            if text and message.get(INTENT):
                texts.append(text)
                labels.append(int(message.get(INTENT) == COMPLAINT_INTENT))
        return self._fit_and_save(texts, labels)

    def probability(self, text: str) -> float | None:
        """The probability that ``text`` is a complaint, or None without a model."""
        if not self._model or not text.strip():
            return None
        return self._model.probabilities(text)[1]

    def process(self, messages: list[Message]) -> list[Message]:
        """Stores each message's complaint probability for :class:`ComplaintGateDecision`."""
        for message in messages:
            probability = self.probability(message.get(TEXT) or "")
            if probability is not None:
                message.set(
                    GATE_KEY,
                    {"confidence": round(probability, 4), "demoted": False},
                    add_to_output=True,
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data unchanged."""
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class CorpusFilter(GraphComponent):
    """Keeps corpus examples and story/domain messages away from later components.

    Corpus examples (intent metadata ``corpus``) are for the gate only. Story and
    domain messages (``Message.is_core_or_domain_message``: action names, intents
    without text) are what ``rasa train`` adds to the NLU data and ``rasa train nlu``
    does not; the count-vector featurizers build their intent vocabulary from them
    too, so DIET's label features had another size and DIET another initialisation
    and another result (hold-out macro-F1 0.953 against 0.968 from the same data,
    docs/nlu.md). No policy here featurizes them (no TED, no end-to-end stories).

    Registered as a featurizer only so that Rasa chains its
    ``process_training_data`` into the training data of every later component.
    """

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The package source: a code change invalidates Rasa's training cache."""
        return source_fingerprint()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CorpusFilter:
        """Creates the component."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Returns the training data without corpus examples and story/domain messages."""
        kept = [
            m
            for m in training_data.training_examples
            if corpus_of(m) is None and not m.is_core_or_domain_message()
        ]
        dropped = len(training_data.training_examples) - len(kept)
        if dropped:
            logger.debug(f"CorpusFilter: {dropped} corpus/story/domain examples kept from DIET.")
        return TrainingData(
            training_examples=kept,
            entity_synonyms=training_data.entity_synonyms,
            regex_features=training_data.regex_features,
            lookup_tables=training_data.lookup_tables,
            responses=training_data.responses,
        )

    def process(self, messages: list[Message]) -> list[Message]:
        """Leaves messages unchanged (the filter only concerns training)."""
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ComplaintGateDecision(GraphComponent):
    """Turns an improbable ``report_complaint`` into ``out_of_scope``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config."""
        return {
            # Below this complaint probability DIET's report_complaint is not
            # trusted. Chosen on the NusaX validation split and training-data
            # cross-validation (docs/nlu.md, "Off-topic messages").
            "threshold": 0.25,
        }

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The package source: a code change invalidates Rasa's training cache."""
        return source_fingerprint()

    def __init__(self, config: dict[str, Any]) -> None:
        """Creates the component."""
        self._threshold = float({**self.get_default_config(), **config}["threshold"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ComplaintGateDecision:
        """Creates the component."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Demotes a complaint the gate finds improbable; the ranking keeps both."""
        for message in messages:
            intent = message.get(INTENT) or {}
            gate = message.get(GATE_KEY)
            if intent.get("name") != COMPLAINT_INTENT or not isinstance(gate, dict):
                continue
            probability = float(gate["confidence"])
            if probability >= self._threshold:
                continue
            off_topic = {"name": OFF_TOPIC_INTENT, "confidence": round(1.0 - probability, 4)}
            complaint = {"name": COMPLAINT_INTENT, "confidence": round(probability, 4)}
            others = [
                entry
                for entry in message.get(INTENT_RANKING_KEY) or []
                if entry.get("name") not in (OFF_TOPIC_INTENT, COMPLAINT_INTENT)
            ]
            message.set(INTENT, off_topic, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [off_topic, complaint, *others], add_to_output=True)
            message.set(GATE_KEY, {**gate, "demoted": True}, add_to_output=True)
        return messages
