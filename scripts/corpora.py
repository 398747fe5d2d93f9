"""Reads the vendored NusaX-Senti splits and their hand-reviewed exclusions.

NusaX (IndoNLP/nusax, CC BY-SA 4.0) is real Indonesian and Banjar text: reviews,
news, tweets, customer-service chats. A few of its sentences ARE public-order
complaints ("parkiran mobil urang manutupi jalan umum"); those were reviewed by
hand and listed in ``public_order.csv`` beside the split, so they are neither
trained as off-topic nor counted as false starts.

Layout (one directory per use, never mixed):

* ``data/corpora/nusax/<language>/train.csv``: training split only, turned into
  ``out_of_scope`` examples by ``scripts/build_nusax_oos.py``;
* ``tests/corpora/nusax/<language>/{valid,test}.csv``: for measuring only.

Standard library only: used from the Rasa environment and from tests.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = ("indonesian", "banjarese")
EXCLUSIONS_FILE = "public_order.csv"


@dataclass(frozen=True)
class Sentence:
    """One corpus row."""

    id: str
    text: str
    label: str
    language: str


def excluded_ids(directory: Path, split: str) -> dict[str, str]:
    """Row id to the category it complains about, for rows left out of ``split``.

    NusaX is parallel: row ``id`` is the same sentence in every language, so one
    list serves both languages.
    """
    path = directory / EXCLUSIONS_FILE
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["id"]: row["category"] for row in csv.DictReader(handle) if row["split"] == split
        }


def read_split(directory: Path, language: str, split: str) -> list[Sentence]:
    """The rows of ``<directory>/<language>/<split>.csv`` minus the exclusions."""
    skip = excluded_ids(directory, split)
    with (directory / language / f"{split}.csv").open(encoding="utf-8", newline="") as handle:
        return [
            Sentence(row["id"], row["text"].strip(), row["label"], language)
            for row in csv.DictReader(handle)
            if row["id"] not in skip and row["text"].strip()
        ]
