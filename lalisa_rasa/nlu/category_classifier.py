"""Whole-message classifier that emits the complaint ``category`` entity.

Citizens rarely name a category with a fixed phrase ("ada yang jual tuak", "urang
mabuk", "miras"), so span tagging plus exact synonym lookup misses most unseen
wordings. This component reads the whole message with character and word n-grams
and predicts one canonical category value, which the complaint form consumes
through an ordinary ``from_entity`` slot mapping.

Training labels come from two places trainers already edit:

* ``report_complaint`` examples: the value of their annotated ``category`` entity
  (examples without one teach the "no category" class);
* ``synonym:`` blocks whose value is a known category: each synonym is a short
  example of that category.

Examples of every other intent teach the "no category" class too, so an ordinary
question does not come back with a category attached.

Uncertainty is part of the output (docs/CONTRACTS.md, "Category ranking"):

* the ``category`` entity carries ``confidence`` (the probability of its value
  among the real categories) and ``additional_info.ranking``, the three likeliest
  categories with their probabilities, so the dialogue can ask instead of
  guessing when the top one is not clearly ahead;
* every message with text also gets ``category_ranking`` in its parse data (the
  same three entries plus ``none_confidence``), whatever its intent, so a free-text
  answer to "Apa jenis pelanggarannya?" can be read even when no entity is emitted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from lalisa_rasa.nlu import linear_text
from lalisa_rasa.nlu.linear_text import LinearTextComponent

logger = logging.getLogger(__name__)

NO_CATEGORY = "__none__"
ENTITY_NAME = "category"
COMPLAINT_INTENT = "report_complaint"
MODEL_FILE = "category_classifier.pkl"
RANKING_KEY = "category_ranking"
GATE_KEY = "complaint_gate"  # set by lalisa_rasa.nlu.complaint_gate.ComplaintGate
RANKING_SIZE = 3


def complaint_label(message: Message) -> str | None:
    """Returns the category a training example teaches, or None to skip it.

    Args:
        message: A training example.

    Returns:
        The canonical category value, ``NO_CATEGORY``, or None when the
        example has no text (e.g. a story's intent-only turn).
    """
    text = message.get(TEXT)
    if not text:
        return None
    if message.get(INTENT) != COMPLAINT_INTENT:
        return NO_CATEGORY
    for entity in message.get(ENTITIES) or []:
        if entity.get("entity") == ENTITY_NAME and entity.get("value"):
            return str(entity["value"])
    return NO_CATEGORY


@dataclass(frozen=True)
class CategoryPrediction:
    """What the classifier makes of one message.

    Attributes:
        ranking: Real categories, likeliest first, each with its probability
            among the real categories (they sum to 1 over all categories).
        none_probability: Probability that the message names no category.
    """

    ranking: list[tuple[str, float]]
    none_probability: float

    @property
    def best(self) -> tuple[str, float]:
        """The likeliest real category and its probability among categories."""
        return self.ranking[0]

    def top(self, size: int = RANKING_SIZE) -> list[dict[str, Any]]:
        """The ``size`` likeliest categories as JSON-ready dicts."""
        return [
            {"value": label, "confidence": round(probability, 4)}
            for label, probability in self.ranking[:size]
        ]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CategoryClassifier(LinearTextComponent, EntityExtractorMixin):
    """Predicts the complaint category of a whole message."""

    MODEL_FILE = MODEL_FILE

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the component's default config."""
        return {
            # For a message DIET classified as a complaint: the most probable
            # real category is emitted when it reaches this probability (the
            # intent already says a category is likely; "no category" wins
            # only when every category is improbable).
            "complaint_threshold": 0.15,
            # For any other message (e.g. "miras" typed as an answer to the
            # form's question): emitted only when it is the most probable
            # label overall and reaches this probability.
            "threshold": 0.5,
            **linear_text.DEFAULTS,
            # A message the complaint gate scores at least this high is read as a
            # complaint for its category even when DIET chose another intent.
            "gate_confidence": 0.5,
        }

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier on complaint examples and category synonyms."""
        texts: list[str] = []
        labels: list[str] = []
        for message in training_data.training_examples:
            label = complaint_label(message)
            if label is not None:
                texts.append(message.get(TEXT))
                labels.append(label)
        categories = {label for label in labels if label != NO_CATEGORY}
        for synonym, value in training_data.entity_synonyms.items():
            if value in categories:
                texts.append(synonym)
                labels.append(value)

        if len(categories) < 2:
            # Nothing to tell apart: the component stays idle rather than guess.
            texts, labels = [], []
        return self._fit_and_save(texts, labels)

    def rank(self, text: str) -> CategoryPrediction | None:
        """Ranks the real categories for ``text``; None without a model or text."""
        if not self._model or not text.strip():
            return None
        none_probability = 0.0
        ranking: list[tuple[str, float]] = []
        for label, probability in self._model.probabilities(text).items():
            if label == NO_CATEGORY:
                none_probability = probability
            else:
                ranking.append((str(label), probability))
        # Probabilities among the real categories: "which category, if any" is
        # what the dialogue asks about; "whether any" is none_probability.
        mass = sum(probability for _, probability in ranking) or 1.0
        ranking = sorted(((label, p / mass) for label, p in ranking), key=lambda x: -x[1])
        return CategoryPrediction(ranking, none_probability)

    def predict(self, text: str, is_complaint: bool = False) -> tuple[str, float] | None:
        """Returns the category to emit and its confidence, or None.

        Args:
            text: The message text.
            is_complaint: Whether the intent classifier called it a complaint.
        """
        prediction = self.rank(text)
        return self.choose(prediction, is_complaint) if prediction else None

    def choose(
        self, prediction: CategoryPrediction, is_complaint: bool
    ) -> tuple[str, float] | None:
        """Applies the emission thresholds to a ranking.

        For a complaint, the best real category is emitted unless every category
        is improbable (its raw probability, ``1 - none`` share included, is below
        ``complaint_threshold``). For any other message (e.g. "miras" typed as the
        answer to the form's question) a category is emitted only when it beats
        "no category" outright and reaches ``threshold``.
        """
        label, confidence = prediction.best
        raw = confidence * (1.0 - prediction.none_probability)
        if is_complaint:
            return (label, confidence) if raw >= self._config["complaint_threshold"] else None
        if raw < prediction.none_probability or raw < self._config["threshold"]:
            return None
        return label, confidence

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the category ranking and, when one is likely, a ``category`` entity."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            prediction = self.rank(text)
            if prediction is None:
                continue
            message.set(
                RANKING_KEY,
                {
                    "ranking": prediction.top(),
                    "none_confidence": round(prediction.none_probability, 4),
                },
                add_to_output=True,
            )
            chosen = self.choose(prediction, is_complaint=self._reads_as_complaint(message))
            if chosen is None:
                continue
            label, confidence = chosen
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != ENTITY_NAME]
            entities.append(
                {
                    "entity": ENTITY_NAME,
                    "value": label,
                    "start": 0,
                    "end": len(text),
                    "confidence": round(confidence, 4),
                    "extractor": self.__class__.__name__,
                    "additional_info": {"ranking": prediction.top()},
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def _reads_as_complaint(self, message: Message) -> bool:
        """Whether the message is read as a complaint for choosing its category.

        DIET's intent decides, unless the complaint gate (which runs earlier and
        reads the whole message on its own) is confident it is a complaint: a
        complaint DIET files under another intent ("masih ada urang bajualan"
        as report_unresolved) still gets its category read.
        """
        intent = (message.get(INTENT) or {}).get("name")
        if intent == COMPLAINT_INTENT:
            return True
        gate = message.get(GATE_KEY)
        return (
            isinstance(gate, dict)
            and float(gate.get("confidence", 0.0)) >= self._config["gate_confidence"]
        )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data unchanged (the labels are read in `train`)."""
        return training_data
