"""Cross-validates the whole NLU pipeline (DIET, gate, category) on the training data.

Runs in the Rasa environment. The hand-written examples of ``data/nlu`` are split into
stratified folds (per intent); each fold is parsed by an NLU model trained, with
``config.yml`` (or ``--config``), on the other folds plus everything that is not a
hand-written example: the off-topic corpus (intent metadata ``corpus:``, only ever
trained on, never scored, as in the pipeline), the synonyms and the lookup tables.
It prints intent macro-F1, complaint-category accuracy, complaint recall and the
commonest confusions, the same figures ``scripts/score_nlu.py`` gives for a held-out
file, so data and pipeline variants can be chosen without the hold-out.

Each fold trains a full NLU model (about a minute on 2 cores), so ``--folds 5`` takes
five or more minutes. DIET varies with its random initialisation: differences below
about 0.005 macro-F1 between two variants are noise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

# Reproducible training, as under make: the hash seed is read at interpreter start, so the
# script starts itself again with it. Without these two trainings of the same data differ.
REPRODUCIBLE = {"TF_DETERMINISTIC_OPS": "1", "PYTHONHASHSEED": "0"}
if __name__ == "__main__" and any(os.environ.get(k) != v for k, v in REPRODUCIBLE.items()):
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **REPRODUCIBLE})

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sanic.app  # noqa: E402, F401 (turns deprecations back on at import: lalisa_common.quiet)

from lalisa_common.quiet import ignore_known_third_party_warnings  # noqa: E402

ignore_known_third_party_warnings()

from rasa.core.agent import Agent  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from rasa.utils.common import configure_logging_and_warnings  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

from lalisa_rasa.nlu.complaint_gate import corpus_of  # noqa: E402
from lalisa_rasa.nlu.text_rules import TEXT_RULE_KEY  # noqa: E402
from scripts.score_nlu import COMPLAINT, gold_category  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FALLBACK = "nlu_fallback"


def split_files(data_dir: Path) -> tuple[list[Path], list[Message], TrainingData]:
    """Files always trained on, the examples to fold, and the rules written beside them.

    Always trained on: files without hand-written examples (corpus, synonyms, lookups)
    and the regexes and lookup tables written beside examples.
    """
    fixed: list[Path] = []
    examples: list[Message] = []
    extras = TrainingData()
    for path in sorted(data_dir.rglob("*.yml")):
        loaded = load_data(str(path))
        hand_written = [m for m in loaded.training_examples if corpus_of(m) is None]
        if not hand_written:
            fixed.append(path)
        elif len(hand_written) < len(loaded.training_examples):
            sys.exit(f"{path} mixes corpus and hand-written examples; keep them in separate files")
        else:
            examples.extend(hand_written)
            # Synonyms beside examples come from their annotations: they follow the folds.
            extras = extras.merge(
                TrainingData(
                    regex_features=loaded.regex_features, lookup_tables=loaded.lookup_tables
                )
            )
    return fixed, examples, extras


def folds_of(examples: list[Message], folds: int, seed: int) -> list[list[Message]]:
    """Stratified folds: each intent spread evenly over the folds."""
    by_intent: dict[str, list[Message]] = {}
    for message in examples:
        by_intent.setdefault(str(message.get("intent")), []).append(message)
    result: list[list[Message]] = [[] for _ in range(folds)]
    rng = random.Random(seed)
    offset = 0
    for intent in sorted(by_intent):
        group = by_intent[intent]
        rng.shuffle(group)
        for index, message in enumerate(group):
            result[(index + offset) % folds].append(message)
        offset += len(group)
    return result


async def parse_all(model: str, held_out: list[Message]) -> list[dict[str, Any]]:
    """Parses the held-out fold with the fold's model."""
    agent = Agent.load(model)
    rows = []
    for example in held_out:
        parsed = await agent.parse_message(example.get("text"))
        rule = parsed.get(TEXT_RULE_KEY)
        rows.append(
            {
                "text": example.get("text"),
                "intent": example.get("intent"),
                "predicted_intent": parsed["intent"]["name"],
                "confidence": round(float(parsed["intent"].get("confidence") or 0.0), 3),
                "category": gold_category(example.get("entities") or []),
                "predicted_category": gold_category(parsed.get("entities") or []),
                # The intent before TextIntentRules changed it (None: it left it alone).
                "text_rule_from": rule.get("nlu_intent") if isinstance(rule, dict) else None,
                # The classifiers' likeliest intents (nlu_fallback excluded), so another
                # fallback threshold can be tried on the same predictions.
                "ranking": [
                    [entry["name"], round(float(entry.get("confidence") or 0.0), 3)]
                    for entry in parsed.get("intent_ranking") or []
                    if entry.get("name") != FALLBACK
                ][:3],
            }
        )
    return rows


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Intent macro-F1, category accuracy, complaint recall, per-intent F1, confusions."""
    gold = [r["intent"] for r in rows]
    predicted = [r["predicted_intent"] for r in rows]
    labels = sorted(set(gold))
    with_category = [r for r in rows if r["category"]]
    complaints = [r for r in rows if r["intent"] == COMPLAINT]
    return {
        "examples": len(rows),
        "intent_macro_f1": round(
            float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)), 4
        ),
        "category_accuracy": round(
            sum(r["predicted_category"] == r["category"] for r in with_category)
            / max(1, len(with_category)),
            4,
        ),
        "category_examples": len(with_category),
        "complaint_recall": round(
            sum(r["predicted_intent"] == COMPLAINT for r in complaints) / max(1, len(complaints)),
            4,
        ),
        "intent_f1_per_label": {
            label: round(
                float(f1_score(gold, predicted, labels=[label], average="macro", zero_division=0)),
                3,
            )
            for label in labels
        },
        "intent_confusions": Counter(
            f"{r['intent']} -> {r['predicted_intent']}"
            for r in rows
            if r["intent"] != r["predicted_intent"]
        ).most_common(),
    }


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "nlu_cv.json")
    args = parser.parse_args()
    configure_logging_and_warnings(logging.WARNING)
    ignore_known_third_party_warnings()
    configure_structlog(logging.WARNING)
    fixed, examples, extras = split_files(args.data)
    rows: list[dict[str, Any]] = []
    for index, held_out in enumerate(folds_of(examples, args.folds, args.seed)):
        held = {id(m) for m in held_out}
        train = [m for m in examples if id(m) not in held]
        with tempfile.TemporaryDirectory() as workdir:
            data = Path(workdir) / "data"
            data.mkdir()
            for number, path in enumerate(fixed):
                shutil.copy(path, data / f"fixed_{number}_{path.name}")
            RasaYAMLWriter().dump(data / "fold.yml", extras.merge(TrainingData(train)))
            model = train_nlu(str(args.config), str(data), str(Path(workdir) / "models"))
            if model is None:
                sys.exit(f"fold {index}: training failed")
            fold_rows = asyncio.run(parse_all(model, held_out))
        rows.extend(fold_rows)
        fold = figures(fold_rows)
        print(
            f"fold {index}: macro-F1 {fold['intent_macro_f1']:.4f}, "
            f"category {fold['category_accuracy']:.4f}",
            flush=True,
        )
    report = figures(rows)
    print(f"{args.folds}-fold cross-validation on {report['examples']} hand-written examples")
    print(f"intent macro-F1 {report['intent_macro_f1']:.4f}")
    print(
        f"category accuracy {report['category_accuracy']:.4f} on "
        f"{report['category_examples']} annotated complaints"
    )
    print(f"complaint recall {report['complaint_recall']:.4f}")
    weakest = sorted(report["intent_f1_per_label"].items(), key=lambda kv: kv[1])[:8]
    print("weakest intents: " + ", ".join(f"{k} {v:.3f}" for k, v in weakest))
    for confusion, count in report["intent_confusions"][:15]:
        print(f"  confusion {confusion}: {count}")
    ruled = [r for r in rows if r["text_rule_from"]]
    print(
        f"text rules changed {len(ruled)} intents, "
        f"{sum(r['predicted_intent'] == r['intent'] for r in ruled)} to the gold intent, "
        f"{sum(r['text_rule_from'] == r['intent'] for r in ruled)} away from it"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report["errors"] = [r for r in rows if r["intent"] != r["predicted_intent"]]
    report["category_errors"] = [
        r for r in rows if r["category"] and r["category"] != r["predicted_category"]
    ]
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
