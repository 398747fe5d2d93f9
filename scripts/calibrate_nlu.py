"""Cross-validates the NLU's two thresholds on the training data only.

1. The complaint-category classifier (``CategoryClassifier``): how sure must it be
   before the dialogue takes its category without asking?
2. The complaint gate (``ComplaintGate``): below which complaint probability may a
   ``report_complaint`` be turned into ``out_of_scope``? Reported here: the share of
   training complaints a cross-validated gate would keep at each threshold. The
   other side, the off-topic false-start rate, needs DIET too and is measured on
   the NusaX *validation* split with ``scripts/score_nlu.py --split valid``.

Category:

Runs in the Rasa environment (it trains ``CategoryClassifier`` itself, in memory).
The annotated ``report_complaint`` examples of ``data/nlu`` are split into folds;
each fold is classified by a model trained on everything else (the other folds,
every other intent as "no category", the explicit synonyms of
``data/nlu/synonyms.yml``, and the annotation spans of the other folds, which Rasa
also turns into synonyms). The hold-out set ``tests/nlu_holdout.yml`` is never
read: the threshold it recommends is tuned on training data only.

For each confidence threshold it prints how many complaints would be taken without
asking ("coverage") and how often those are right ("precision"), and recommends
the lowest threshold whose accepted complaints are right at least
``--target-precision`` (99.5 %) of the time. Below that threshold the dialogue
should ask the citizen to choose among the likeliest categories; a question costs
one turn, a wrong category sends the wrong team.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.common import configure_logging_and_warnings

from lalisa.tickets.categories import CATEGORY_LEAD
from lalisa_rasa.nlu.category_classifier import (
    COMPLAINT_INTENT,
    NO_CATEGORY,
    CategoryClassifier,
    complaint_label,
)
from lalisa_rasa.nlu.complaint_gate import ComplaintGate, corpus_of

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yml"
THRESHOLDS = [round(0.05 * i, 2) for i in range(2, 20)]


def component_config(name: str) -> dict[str, Any]:
    """The settings ``config.yml`` gives the pipeline component ``name`` (class name)."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for entry in config.get("pipeline", []):
        if str(entry.get("name", "")).rsplit(".", 1)[-1] == name:
            return {key: value for key, value in entry.items() if key != "name"}
    return {}


def explicit_synonyms(data_dir: Path) -> dict[str, str]:
    """Synonyms written in ``synonym:`` blocks (not those derived from annotations)."""
    synonyms: dict[str, str] = {}
    for path in sorted(data_dir.rglob("*.yml")):
        loaded = load_data(str(path))
        if loaded.training_examples:
            continue  # an examples file: its synonyms come from annotations
        synonyms.update(loaded.entity_synonyms)
    return synonyms


def annotation_synonyms(examples: list[Message]) -> dict[str, str]:
    """Span text to category value, the way Rasa derives synonyms from annotations."""
    synonyms = {}
    for message in examples:
        text = message.get("text") or ""
        for entity in message.get("entities") or []:
            if entity.get("entity") != "category":
                continue
            span = text[entity["start"] : entity["end"]]
            if span and span != entity["value"]:
                synonyms[span] = str(entity["value"])
    return synonyms


def folds_of(labelled: list[Message], folds: int, seed: int) -> list[list[Message]]:
    """Stratified folds: each category spread evenly over the folds."""
    by_label: dict[str, list[Message]] = {}
    for message in labelled:
        by_label.setdefault(str(complaint_label(message)), []).append(message)
    result: list[list[Message]] = [[] for _ in range(folds)]
    rng = random.Random(seed)
    offset = 0
    for label in sorted(by_label):
        group = by_label[label]
        rng.shuffle(group)
        for index, message in enumerate(group):
            result[(index + offset) % folds].append(message)
        offset += len(group)
    return result


def cross_validate(data_dir: Path, folds: int, seed: int) -> list[dict[str, Any]]:
    """Classifies every annotated complaint with a model that never saw it."""
    data = load_data(str(data_dir))
    # The pipeline's CorpusFilter keeps corpus examples away from the classifier.
    examples = [m for m in data.training_examples if m.get("text") and corpus_of(m) is None]
    labelled = [
        m
        for m in examples
        if m.get("intent") == COMPLAINT_INTENT and complaint_label(m) != NO_CATEGORY
    ]
    others = [m for m in examples if m not in labelled]
    synonyms = explicit_synonyms(data_dir)
    context = ExecutionContext(GraphSchema({}), "calibration")
    rows = []
    for index, held_out in enumerate(folds_of(labelled, folds, seed)):
        held = {id(m) for m in held_out}
        train_labelled = [m for m in labelled if id(m) not in held]
        fold_synonyms = {**annotation_synonyms(train_labelled), **synonyms}
        with tempfile.TemporaryDirectory() as workdir:
            storage = LocalModelStorage(Path(workdir))
            resource = Resource(f"category_fold{index}")
            classifier = CategoryClassifier.create(
                component_config("CategoryClassifier"), storage, resource, context
            )
            classifier.train(TrainingData(train_labelled + others, entity_synonyms=fold_synonyms))
        for message in held_out:
            prediction = classifier.rank(message.get("text"))
            assert prediction is not None
            label, confidence = prediction.best
            rows.append(
                {
                    "text": message.get("text"),
                    "gold": complaint_label(message),
                    "predicted": label,
                    "confidence": round(confidence, 4),
                    "second": prediction.ranking[1][0],
                    "second_confidence": round(prediction.ranking[1][1], 4),
                    "in_top3": complaint_label(message) in [c for c, _ in prediction.ranking[:3]],
                }
            )
    return rows


def gate_curve(data_dir: Path, folds: int, seed: int) -> list[dict[str, float]]:
    """Share of training complaints a cross-validated gate keeps, per threshold."""
    data = load_data(str(data_dir))
    examples = [m for m in data.training_examples if m.get("text") and m.get("intent")]
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    context = ExecutionContext(GraphSchema({}), "calibration")
    complaint_scores: list[float] = []
    for fold in range(folds):
        held = {i for position, i in enumerate(order) if position % folds == fold}
        train = [m for i, m in enumerate(examples) if i not in held]
        with tempfile.TemporaryDirectory() as workdir:
            gate = ComplaintGate.create(
                component_config("ComplaintGate"),
                LocalModelStorage(Path(workdir)),
                Resource(f"gate_fold{fold}"),
                context,
            )
            gate.train(TrainingData(train))
        for i in held:
            message = examples[i]
            if message.get("intent") == COMPLAINT_INTENT:
                score = gate.probability(message.get("text"))
                complaint_scores.append(1.0 if score is None else score)
    return [
        {
            "threshold": threshold,
            "complaints_kept": round(
                sum(s >= threshold for s in complaint_scores) / len(complaint_scores), 4
            ),
        }
        for threshold in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
    ]


def taken(row: dict[str, Any], threshold: float) -> bool:
    """Whether the dialogue takes the row's category without asking (its lead rule included)."""
    return (
        row["confidence"] >= threshold
        and row["confidence"] >= CATEGORY_LEAD * row["second_confidence"]
    )


def curve(rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Coverage and precision of the accepted guesses at each threshold.

    A guess is accepted the way the dialogue takes it: at or above the threshold and
    ``CATEGORY_LEAD`` times ahead of the runner-up (``lalisa/tickets/categories.py``).
    """
    points = []
    for threshold in THRESHOLDS:
        accepted = [r for r in rows if taken(r, threshold)]
        right = sum(r["predicted"] == r["gold"] for r in accepted)
        asked = [r for r in rows if not taken(r, threshold)]
        points.append(
            {
                "threshold": threshold,
                "coverage": round(len(accepted) / len(rows), 4),
                "precision": round(right / len(accepted), 4) if accepted else 1.0,
                "asked_gold_in_top3": round(sum(r["in_top3"] for r in asked) / len(asked), 4)
                if asked
                else 1.0,
            }
        )
    return points


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--target-precision", type=float, default=0.995)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu_calibration.json")
    args = parser.parse_args()
    configure_logging_and_warnings(logging.WARNING)
    rows = cross_validate(args.data, args.folds, args.seed)
    points = curve(rows)
    accuracy = sum(r["predicted"] == r["gold"] for r in rows) / len(rows)
    top3 = sum(r["in_top3"] for r in rows) / len(rows)
    print(f"{args.folds}-fold cross-validation on {len(rows)} annotated training complaints")
    print(f"top-1 accuracy {accuracy:.4f}, gold in top 3 {top3:.4f}")
    print("threshold  coverage  precision  (asked: gold in top 3)")
    for point in points:
        print(
            f"  {point['threshold']:.2f}     {point['coverage']:.3f}     {point['precision']:.3f}"
            f"      {point['asked_gold_in_top3']:.3f}"
        )
    good = [p for p in points if p["precision"] >= args.target_precision]
    recommended = good[0]["threshold"] if good else None
    print(f"recommended threshold (precision >= {args.target_precision}): {recommended}")
    confusions = Counter(
        f"{r['gold']} -> {r['predicted']}" for r in rows if r["gold"] != r["predicted"]
    )
    for confusion, count in confusions.most_common(10):
        print(f"  confusion {confusion}: {count}")
    gate_points = gate_curve(args.data, args.folds, args.seed)
    print("complaint gate: training complaints kept (cross-validated)")
    for point in gate_points:
        print(f"  threshold {point['threshold']:.2f}: {point['complaints_kept']:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "examples": len(rows),
                "accuracy": round(accuracy, 4),
                "top3": round(top3, 4),
                "curve": points,
                "recommended_threshold": recommended,
                "gate": gate_points,
                "errors": [r for r in rows if r["gold"] != r["predicted"]],
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
