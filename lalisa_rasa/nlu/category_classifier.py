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
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

logger = logging.getLogger(__name__)

NO_CATEGORY = "__none__"
ENTITY_NAME = "category"
COMPLAINT_INTENT = "report_complaint"
MODEL_FILE = "category_classifier.pkl"


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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CategoryClassifier(GraphComponent, EntityExtractorMixin):
    """Predicts the complaint category of a whole message."""

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
            # Regularisation of the logistic regression (higher = less).
            "C": 8.0,
            "char_ngram_range": [2, 5],
            "word_ngram_range": [1, 2],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: dict[str, Any] | None = None,
    ) -> None:
        """Creates the component, optionally with an already trained model."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CategoryClassifier:
        """Creates an untrained component."""
        return cls(config, model_storage, resource)

    def _vectorizers(self) -> list[TfidfVectorizer]:
        char_range = tuple(self._config["char_ngram_range"])
        word_range = tuple(self._config["word_ngram_range"])
        return [
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=char_range,
                lowercase=True,
                sublinear_tf=True,
                min_df=1,
            ),
            TfidfVectorizer(
                analyzer="word",
                ngram_range=word_range,
                lowercase=True,
                sublinear_tf=True,
                token_pattern=r"(?u)\b\w+\b",
            ),
        ]

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
            logger.warning(
                "CategoryClassifier found fewer than two annotated categories; "
                "it will not emit any category."
            )
            self._model = None
        else:
            vectorizers = self._vectorizers()
            features = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
            classifier = LogisticRegression(
                C=self._config["C"],
                max_iter=3000,
                class_weight="balanced",
            )
            classifier.fit(features, labels)
            self._model = {"vectorizers": vectorizers, "classifier": classifier}

        with self._model_storage.write_to(self._resource) as directory:
            with open(directory / MODEL_FILE, "wb") as handle:
                pickle.dump(self._model, handle)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CategoryClassifier:
        """Loads the model written by :meth:`train`."""
        model = None
        try:
            with model_storage.read_from(resource) as directory:
                # The pickle was written by this component during `rasa train`
                # into the model archive; it is never read from user input.
                with open(directory / MODEL_FILE, "rb") as handle:
                    model = pickle.load(handle)
        except (ValueError, FileNotFoundError):
            logger.warning("CategoryClassifier has no trained model; skipping.")
        return cls(config, model_storage, resource, model)

    def predict(self, text: str, is_complaint: bool = False) -> tuple[str, float] | None:
        """Returns the category to emit and its probability, or None.

        Args:
            text: The message text.
            is_complaint: Whether the intent classifier called it a complaint.
        """
        if not self._model or not text.strip():
            return None
        features = hstack([v.transform([text]) for v in self._model["vectorizers"]]).tocsr()
        probabilities = self._model["classifier"].predict_proba(features)[0]
        classes = [str(label) for label in self._model["classifier"].classes_]
        if is_complaint:
            candidates = [
                (p, label)
                for p, label in zip(probabilities, classes, strict=True)
                if label != NO_CATEGORY
            ]
            probability, label = max(candidates)
            if probability >= self._config["complaint_threshold"]:
                return label, float(probability)
            return None
        best = int(np.argmax(probabilities))
        if classes[best] == NO_CATEGORY or probabilities[best] < self._config["threshold"]:
            return None
        return classes[best], float(probabilities[best])

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds a ``category`` entity to messages that name a complaint category."""
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            intent = (message.get(INTENT) or {}).get("name")
            prediction = self.predict(text, is_complaint=intent == COMPLAINT_INTENT)
            if prediction is None:
                continue
            label, probability = prediction
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != ENTITY_NAME]
            entities.append(
                {
                    "entity": ENTITY_NAME,
                    "value": label,
                    "start": 0,
                    "end": len(text),
                    "confidence": probability,
                    "extractor": self.__class__.__name__,
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves training data unchanged (the labels are read in `train`)."""
        return training_data
