"""TF-IDF character and word n-grams with logistic regression, for whole messages.

Shared by the NLU's small linear components (``CategoryClassifier``,
``ComplaintGate``): they read the whole message, train in seconds on 2 cores and
say how sure they are. Character n-grams carry typos, slang and Banjar affixes
("bajualan", "balapas"); word n-grams carry the phrases.
"""

from __future__ import annotations

import logging
import math
import pickle
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from scipy.sparse import csr_matrix, hstack
from scipy.special import expit, softmax
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
        """The features sklearn computes for ``text``, the reference of the tests."""
        return hstack([v.transform([text]) for v in self.vectorizers]).tocsr()

    def _sparse_features(self, text: str) -> tuple[list[int], npt.NDArray[np.float64]]:
        """The non-zero columns and values of ``_features(text)``, without sklearn's calls.

        The same TF-IDF as ``TfidfVectorizer.transform`` with the settings :meth:`fit` uses
        (sublinear tf, idf, l2 norm per vectorizer). For one short message sklearn's input
        checks and sparse-matrix plumbing cost ~1 ms per vectorizer, the arithmetic far less.
        """
        columns: list[int] = []
        values: list[float] = []
        offset = 0
        for vocabulary, analyzer, idf in self._lookups():
            counts = Counter(
                index for index in map(vocabulary.get, analyzer(text)) if index is not None
            )
            weights = [(1.0 + math.log(count)) * idf[index] for index, count in counts.items()]
            norm = math.sqrt(sum(w * w for w in weights))
            if norm > 0.0:
                columns.extend(offset + index for index in counts)
                values.extend(w / norm for w in weights)
            offset += len(vocabulary)
        return columns, np.asarray(values, dtype=np.float64)

    def _lookups(self) -> list[tuple[dict[str, int], Callable[[str], list[str]], list[float]]]:
        """Per vectorizer: vocabulary, analyzer and idf as a list, built once per process.

        ``TfidfVectorizer.idf_`` is a property that sums a sparse matrix on every read.
        """
        lookups = self.__dict__.get("_lookup_cache")
        if lookups is None:
            lookups = [
                (v.vocabulary_, v.build_analyzer(), [float(x) for x in v.idf_])
                for v in self.vectorizers
            ]
            self.__dict__["_lookup_cache"] = lookups
        return lookups

    def __getstate__(self) -> dict[str, Any]:
        """Pickles the fitted parts only (the lookups are rebuilt after loading)."""
        return {k: v for k, v in self.__dict__.items() if k != "_lookup_cache"}

    def probabilities(self, text: str) -> dict[Any, float]:
        """Each label's probability for ``text`` (as ``classifier.predict_proba``)."""
        columns, values = self._sparse_features(text)
        classifier = self.classifier
        decision = classifier.coef_[:, columns] @ values + classifier.intercept_
        if len(classifier.classes_) == 2:  # binary: one-vs-rest logistic, as sklearn
            positive = float(expit(decision[0]))
            row = [1.0 - positive, positive]
        else:  # multinomial (lbfgs): softmax of the decision function
            row = softmax(decision).tolist()
        return {label: float(p) for label, p in zip(classifier.classes_, row, strict=True)}


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
