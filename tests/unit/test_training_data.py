"""Guards on the NLU data: the hold-out set stays unseen, names stay fixed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lalisa.tickets.categories import CATEGORY_LABELS
from lalisa_common.rasa_domain import load_domain

ROOT = Path(__file__).resolve().parents[2]
FIXED_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "ask_duties",
    "ask_authority",
    "ask_programs",
    "ask_service_hours",
    "ask_office_contact",
    "ask_how_to_report",
    "ask_confidentiality",
    "report_complaint",
    "check_status",
    "request_human",
    "emergency",
    "out_of_scope",
    "cancel",
}
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain(example: str) -> str:
    """An example without entity annotations, normalised for comparison."""
    text = ANNOTATION.sub(r"\1", example)
    return re.sub(r"\s+", " ", text.strip().lower())


def examples(path: Path) -> dict[str, set[str]]:
    """Intent name to its example texts, for every NLU file under ``path``."""
    files = [path] if path.is_file() else sorted(path.rglob("*.yml"))
    found: dict[str, set[str]] = {}
    for file in files:
        for item in yaml.safe_load(file.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in item:
                lines = [
                    line[2:] for line in item["examples"].splitlines() if line.startswith("- ")
                ]
                found.setdefault(item["intent"], set()).update(plain(line) for line in lines)
    return found


def test_holdout_never_in_training_data() -> None:
    """No hold-out message appears in data/ (else the scores would be meaningless)."""
    training = set().union(*examples(ROOT / "data" / "nlu").values())
    holdout = set().union(*examples(ROOT / "tests" / "nlu_holdout.yml").values())
    assert len(holdout) >= 150
    assert training.isdisjoint(holdout), sorted(training & holdout)[:10]


def test_dev_set_is_neither_trained_on_nor_in_the_holdout() -> None:
    """The development set (tests/nlu_dev.yml) stays out of data/ and apart from the hold-out."""
    training = set().union(*examples(ROOT / "data" / "nlu").values())
    holdout = set().union(*examples(ROOT / "tests" / "nlu_holdout.yml").values())
    dev = set().union(*examples(ROOT / "tests" / "nlu_dev.yml").values())
    assert len(dev) >= 50
    assert training.isdisjoint(dev), sorted(training & dev)[:10]
    assert holdout.isdisjoint(dev), sorted(holdout & dev)[:10]


def test_every_fixed_intent_has_twenty_examples() -> None:
    """Each fixed intent is trained on at least 20 varied examples."""
    training = examples(ROOT / "data" / "nlu")
    for intent in FIXED_INTENTS:
        assert len(training.get(intent, set())) >= 20, intent


def test_every_category_has_ten_annotated_examples() -> None:
    """Each canonical category has at least 10 annotated complaint examples."""
    text = (ROOT / "data" / "nlu" / "complaints.yml").read_text(encoding="utf-8")
    counts = {category: 0 for category in CATEGORY_LABELS}
    for value in re.findall(r"\]\(category:(\w+)\)", text):
        assert value in CATEGORY_LABELS, value
        counts[value] += 1
    assert all(count >= 10 for count in counts.values()), counts


def test_domain_lists_the_fixed_intents() -> None:
    """The fixed intent names of PRODUCT.md are all in the domain."""
    domain = load_domain()
    assert FIXED_INTENTS <= set(domain["intents"])
