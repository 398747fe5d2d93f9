"""Scores the trained model on the held-out NLU set and enforces the quality gate.

Runs in the Rasa environment. Prints intent macro-F1 and complaint-category
accuracy, writes every miss to a JSON report for trainers, and exits 1 when a
figure is below its gate (issue gates: macro-F1 0.90, category accuracy 0.85;
the product targets are 0.95 and 0.90 and are printed alongside).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sklearn.metrics import f1_score

# The model names its custom component by module path (lalisa_rasa.nlu...).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sanic.app  # noqa: F401 (turns deprecations back on at import: lalisa_common.quiet)

from lalisa_common.quiet import ignore_known_third_party_warnings

ignore_known_third_party_warnings()

from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.utils.common import configure_logging_and_warnings  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

GATE_INTENT_F1 = 0.90
GATE_CATEGORY_ACCURACY = 0.85
TARGET_INTENT_F1 = 0.95
TARGET_CATEGORY_ACCURACY = 0.90


def gold_category(entities: list[dict[str, Any]]) -> str | None:
    """The annotated category of an example, if any."""
    for entity in entities:
        if entity.get("entity") == "category":
            return str(entity.get("value"))
    return None


async def score(model: Path, data: Path) -> dict[str, Any]:
    """Parses every held-out message and computes the figures."""
    agent = Agent.load(str(model))
    examples = load_data(str(data)).training_examples
    rows = []
    for example in examples:
        text = example.get("text")
        parsed = await agent.parse_message(text)
        rows.append(
            {
                "text": text,
                "intent": example.get("intent"),
                "predicted_intent": parsed["intent"]["name"],
                "confidence": round(float(parsed["intent"].get("confidence") or 0.0), 3),
                "category": gold_category(example.get("entities") or []),
                "predicted_category": gold_category(parsed.get("entities") or []),
            }
        )
    gold = [row["intent"] for row in rows]
    predicted = [row["predicted_intent"] for row in rows]
    labels = sorted(set(gold))
    intent_f1 = float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))
    with_category = [row for row in rows if row["category"]]
    category_hits = sum(row["predicted_category"] == row["category"] for row in with_category)
    category_accuracy = category_hits / len(with_category) if with_category else 0.0
    per_intent = {
        label: float(f1_score(gold, predicted, labels=[label], average="macro", zero_division=0))
        for label in labels
    }
    return {
        "examples": len(rows),
        "intent_macro_f1": round(intent_f1, 4),
        "category_examples": len(with_category),
        "category_accuracy": round(category_accuracy, 4),
        "intent_f1_per_label": {k: round(v, 3) for k, v in per_intent.items()},
        "intent_confusions": Counter(
            f"{row['intent']} -> {row['predicted_intent']}"
            for row in rows
            if row["intent"] != row["predicted_intent"]
        ).most_common(),
        "intent_errors": [row for row in rows if row["intent"] != row["predicted_intent"]],
        "category_errors": [
            row for row in with_category if row["predicted_category"] != row["category"]
        ],
    }


def main() -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    configure_logging_and_warnings(logging.WARNING)
    ignore_known_third_party_warnings()  # Rasa's set-up let every UserWarning through again
    configure_structlog(logging.WARNING)
    report = asyncio.run(score(args.model, args.data))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")

    print(f"held-out examples: {report['examples']}")
    print(
        f"intent macro-F1: {report['intent_macro_f1']:.4f} "
        f"(gate {GATE_INTENT_F1}, product target {TARGET_INTENT_F1})"
    )
    print(
        f"category accuracy: {report['category_accuracy']:.4f} on "
        f"{report['category_examples']} complaints "
        f"(gate {GATE_CATEGORY_ACCURACY}, product target {TARGET_CATEGORY_ACCURACY})"
    )
    weakest = sorted(report["intent_f1_per_label"].items(), key=lambda kv: kv[1])[:5]
    print("weakest intents: " + ", ".join(f"{k} {v:.2f}" for k, v in weakest))
    for confusion, count in report["intent_confusions"][:8]:
        print(f"  confusion {confusion}: {count}")

    failed = []
    if report["intent_macro_f1"] < GATE_INTENT_F1:
        failed.append("intent macro-F1")
    if report["category_accuracy"] < GATE_CATEGORY_ACCURACY:
        failed.append("category accuracy")
    if failed:
        print("FAILED: below the gate: " + ", ".join(failed))
        return 1
    print("NLU hold-out gate passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
