"""Reviewer annotations: the domain's intents/entities, entity spans, training examples."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from lalisa.review.export import EntitySpan, Example
from lalisa.review.models import (
    ReviewAnnotation,
)

# Messages for the reviewer (Bahasa Indonesia).
UNKNOWN_ENTITY: Final = "Entitas tidak dikenal: {entity}."
PART_NOT_FOUND: Final = "Bagian teks untuk entitas {entity} tidak ada di pesan."
PARTS_OVERLAP: Final = "Bagian teks dua entitas bertumpuk."

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DomainNames:
    """Intents and entities the annotation form offers (from domain.yml)."""

    intents: tuple[str, ...]
    entities: tuple[str, ...]


def domain_names(path: Path | None = None) -> DomainNames:
    """Read the intents and entities of the assistant's domain.

    Args:
        path: ``domain.yml``; defaults to the project's.

    Returns:
        The names, in the domain's order.
    """
    document = yaml.safe_load((path or PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))

    def names(key: str) -> tuple[str, ...]:
        values = []
        for item in document.get(key) or ():
            values.append(next(iter(item)) if isinstance(item, dict) else str(item))
        return tuple(values)

    return DomainNames(intents=names("intents"), entities=names("entities"))


def featurized_slots(path: Path | None = None) -> tuple[str, ...]:
    """The slots that influence the dialogue (the only ones a training story keeps).

    Args:
        path: ``domain.yml``; defaults to the project's.

    Returns:
        Slot names whose ``influence_conversation`` is on (Rasa's default, except for ``any``).
    """
    document = yaml.safe_load((path or PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    slots = document.get("slots") or {}
    return tuple(
        name
        for name, definition in slots.items()
        if isinstance(definition, dict)
        and definition.get("type") != "any"
        and definition.get("influence_conversation", True)
    )


def nlu_dir() -> Path:
    """The project's ``data/nlu`` directory (the export is deduplicated against it)."""
    return PROJECT_ROOT / "data" / "nlu"


def annotation_example(annotation: ReviewAnnotation) -> Example:
    """The training example of an annotation."""
    spans = tuple(
        EntitySpan(
            start=int(entity["start"]),
            end=int(entity["end"]),
            entity=str(entity["entity"]),
            value=str(entity["value"]),
        )
        for entity in json.loads(annotation.entities or "[]")
    )
    return Example(
        text=annotation.text,
        intent=annotation.intent,
        entities=spans,
        source=f"anotasi #{annotation.id}",
    )


def entity_spans(
    text: str, requested: Sequence[tuple[str, str, str]], known_entities: Iterable[str]
) -> list[EntitySpan]:
    """Entity spans from the annotation form: (entity, part of the text, optional value).

    Args:
        text: The (masked) message.
        requested: Rows of the form; empty rows are ignored.
        known_entities: Entities of the domain.

    Returns:
        The spans, in text order.

    Raises:
        ValueError: Unknown entity, the part is not in the text, or two parts overlap
            (message in Bahasa Indonesia).
    """
    known = set(known_entities)
    spans: list[EntitySpan] = []
    for entity, part, value in requested:
        entity, part, value = entity.strip(), part.strip(), value.strip()
        if not entity and not part:
            continue
        if entity not in known:
            raise ValueError(UNKNOWN_ENTITY.format(entity=entity or "(kosong)"))
        start = text.find(part) if part else -1
        if start < 0:
            raise ValueError(PART_NOT_FOUND.format(entity=entity))
        spans.append(EntitySpan(start, start + len(part), entity, value or part))
    spans.sort(key=lambda span: span.start)
    for before, after in itertools.pairwise(spans):
        if after.start < before.end:
            raise ValueError(PARTS_OVERLAP)
    return spans
