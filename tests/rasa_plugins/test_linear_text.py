"""LinearTextModel: the direct TF-IDF scoring gives sklearn's probabilities."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from lalisa_rasa.nlu import linear_text
from lalisa_rasa.nlu.linear_text import LinearTextModel

TEXTS = [
    "ada pkl jualan di trotoar",
    "pedagang kaki lima buka lapak di bahu jalan",
    "warung jual tuak tiap malam",
    "urang mabuk minum arak di pos ronda",
    "sapi lepas di jalan raya",
    "hadangan balapas masuk kebun",
    "halo selamat pagi",
    "jam berapa kantor buka",
    "apa tugas satpol pp",
    "makasih min",
]
MULTICLASS = [
    "pkl",
    "pkl",
    "miras",
    "miras",
    "ternak",
    "ternak",
    "greet",
    "hours",
    "duties",
    "thank",
]
BINARY = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]

PROBES = [
    *TEXTS,
    "ada urang bajualan di trotoar pasar, jualan tuak jua",  # mixes two labels
    "PEDAGANG Kaki Lima!!",  # case and punctuation
    "sapi sapi sapi lepas lepas",  # repeated n-grams (sublinear tf)
    "zzqx",  # no known word; a few character n-grams at most
    "",  # nothing at all: the intercepts decide
    "ünïcödé tëxt ñ",
]


@pytest.mark.parametrize("labels", [MULTICLASS, BINARY], ids=["multiclass", "binary"])
def test_probabilities_equal_sklearns(labels: list[object]) -> None:
    """The same numbers as ``predict_proba`` on ``TfidfVectorizer.transform``'s features."""
    model = LinearTextModel.fit(TEXTS, labels, {**linear_text.DEFAULTS, "char_min_df": 1})
    for text in PROBES:
        expected = model.classifier.predict_proba(model._features(text))[0]
        got = model.probabilities(text)
        assert list(got) == list(model.classifier.classes_)
        np.testing.assert_allclose(list(got.values()), expected, rtol=0, atol=1e-12)


def test_pickle_leaves_out_the_lookups_and_rebuilds_them() -> None:
    """The per-process lookups are not written into the model archive."""
    model = LinearTextModel.fit(TEXTS, MULTICLASS, dict(linear_text.DEFAULTS))
    before = model.probabilities("sapi lepas")
    assert "_lookup_cache" in model.__dict__
    restored = pickle.loads(pickle.dumps(model))
    assert "_lookup_cache" not in restored.__dict__
    assert restored.probabilities("sapi lepas") == before
