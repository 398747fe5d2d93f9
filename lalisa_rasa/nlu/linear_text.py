"""TF-IDF character and word n-grams with logistic regression, for whole messages.

Shared by the NLU's small linear components (``CategoryClassifier``,
``ComplaintGate``): they read the whole message, train in seconds on 2 cores and
say how sure they are. Character n-grams carry typos, slang and Banjar affixes
("bajualan", "balapas"); word n-grams carry the phrases.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from lalisa_rasa.nlu.fingerprint import source_fingerprint

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # Regularisation of the logistic regression (higher = less).
    "C": 8.0,
    "char_ngram_range": [2, 5],
    "word_ngram_range": [1, 2],
    # Character n-grams seen in fewer examples than this are ignored.
    "char_min_df": 1,
}


@dataclass
class LinearTextModel:
    """Fitted vectorizers and classifier."""

    vectorizers: list[TfidfVectorizer]
    classifier: LogisticRegression

    @classmethod
    def fit(cls, texts: list[str], labels: list[Any], config: dict[str, Any]) -> LinearTextModel:
        """Fits the model; ``config`` holds the keys of :data:`DEFAULTS`."""
        vectorizers = [
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(config["char_ngram_range"]),
                lowercase=True,
                sublinear_tf=True,
                min_df=config["char_min_df"],
            ),
            TfidfVectorizer(
                analyzer="word",
                ngram_range=tuple(config["word_ngram_range"]),
                lowercase=True,
                sublinear_tf=True,
                token_pattern=r"(?u)\b\w+\b",
            ),
        ]
        features = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
        classifier = LogisticRegression(C=config["C"], max_iter=3000, class_weight="balanced")
        classifier.fit(features, labels)
        return cls(vectorizers, classifier)

    def _features(self, text: str) -> csr_matrix:
        return hstack([v.transform([text]) for v in self.vectorizers]).tocsr()

    def probabilities(self, text: str) -> dict[Any, float]:
        """Each label's probability for ``text``."""
        row = self.classifier.predict_proba(self._features(text))[0]
        return {label: float(p) for label, p in zip(self.classifier.classes_, row, strict=True)}


def save(
    model_storage: ModelStorage, resource: Resource, filename: str, model: LinearTextModel | None
) -> None:
    """Writes ``model`` (or None: nothing to learn from) into the model archive."""
    with model_storage.write_to(resource) as directory:
        with open(directory / filename, "wb") as handle:
            pickle.dump(model, handle)


def load(model_storage: ModelStorage, resource: Resource, filename: str) -> LinearTextModel | None:
    """Reads what :func:`save` wrote; None when the archive has no such model."""
    try:
        with model_storage.read_from(resource) as directory:
            # Written by save() during `rasa train` into the model archive; never user input.
            with open(directory / filename, "rb") as handle:
                model = pickle.load(handle)
    except (ValueError, FileNotFoundError):
        return None
    return model if isinstance(model, LinearTextModel) else None


Component = TypeVar("Component", bound="LinearTextComponent")


class LinearTextComponent(GraphComponent):
    """A graph component whose whole state is one :class:`LinearTextModel`."""

    MODEL_FILE: ClassVar[str]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: LinearTextModel | None = None,
    ) -> None:
        """Creates the component, optionally with an already trained model."""
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The package source: a code change invalidates Rasa's training cache."""
        return source_fingerprint()

    @classmethod
    def create(
        cls: type[Component],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Component:
        """Creates an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[Component],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> Component:
        """Loads the model written during training (none: the component stays idle)."""
        model = load(model_storage, resource, cls.MODEL_FILE)
        if model is None:
            logger.warning(f"{cls.__name__} has no trained model; it will not change messages.")
        return cls(config, model_storage, resource, model)

    def _fit_and_save(self, texts: list[str], labels: list[Any]) -> Resource:
        """Fits on ``texts``/``labels`` (none if fewer than two labels) and persists."""
        if len(set(labels)) < 2:
            logger.warning(f"{type(self).__name__} needs two kinds of examples; it stays idle.")
            self._model = None
        else:
            self._model = LinearTextModel.fit(texts, labels, self._config)
        save(self._model_storage, self._resource, self.MODEL_FILE, self._model)
        return self._resource
