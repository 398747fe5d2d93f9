"""Reviewer annotations: the domain's intents/entities, entity spans, storing, training examples."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core.models import utcnow
from lalisa.review.export import EntitySpan, Example
from lalisa.review.models import ReviewAnnotation, ReviewConversation, ReviewTurn
from lalisa.review.redaction import conversation_redactor
from lalisa_common.rasa_domain import load_domain

# Messages for the reviewer (Bahasa Indonesia).
UNKNOWN_ENTITY: Final = "Entitas tidak dikenal: {entity}."
PART_NOT_FOUND: Final = "Bagian teks untuk entitas {entity} tidak ada di pesan."
PARTS_OVERLAP: Final = "Bagian teks dua entitas bertumpuk."
INTENT_NOT_IN_DOMAIN: Final = "Pilih intent yang benar dari daftar intent asisten."
NOTHING_TO_ANNOTATE: Final = "Pesan ini tidak berisi teks yang dapat dianotasi."

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DomainNames:
    """Intents and entities the annotation form offers (from the Rasa domain)."""

    intents: tuple[str, ...]
    entities: tuple[str, ...]


def domain_names(path: Path | None = None) -> DomainNames:
    """Read the intents and entities of the assistant's domain.

    Args:
        path: ``domain.yml`` or a ``domain/`` directory; defaults to the project's.

    Returns:
        The names, in the domain's order.
    """
    document = load_domain(path)

    def names(key: str) -> tuple[str, ...]:
        values = []
        for item in document.get(key) or ():
            values.append(next(iter(item)) if isinstance(item, dict) else str(item))
        return tuple(values)

    return DomainNames(intents=names("intents"), entities=names("entities"))


def featurized_slots(path: Path | None = None) -> tuple[str, ...]:
    """The slots that influence the dialogue (the only ones a training story keeps).

    Args:
        path: ``domain.yml`` or a ``domain/`` directory; defaults to the project's.

    Returns:
        Slot names whose ``influence_conversation`` is on (Rasa's default, except for ``any``).
    """
    document = load_domain(path)
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


async def _annotation_of(session: AsyncSession, turn: ReviewTurn) -> ReviewAnnotation | None:
    query = select(ReviewAnnotation).where(ReviewAnnotation.turn_id == turn.id)
    return (await session.execute(query)).scalar_one_or_none()


async def annotate_turn(
    session: AsyncSession,
    conversation: ReviewConversation,
    turn: ReviewTurn,
    *,
    intent: str,
    requested: Sequence[tuple[str, str, str]],
    author: str,
) -> list[EntitySpan]:
    """Store the correct intent and entities of a user message (replacing an earlier annotation).

    The annotation keeps the identity-masked text, so an export never carries the reporter's
    number or name.

    Args:
        session: Session of the La-Lisa database (the caller commits).
        conversation: The conversation of ``turn``.
        turn: The user message.
        intent: The correct intent (one of the domain's).
        requested: Rows of the form: (entity, part of the text, optional value).
        author: Username of the reviewer.

    Returns:
        The stored entity spans.

    Raises:
        ValueError: Unknown intent, no text, or an entity problem (message in Bahasa Indonesia).
    """
    domain = domain_names()
    if intent not in domain.intents:
        raise ValueError(INTENT_NOT_IN_DOMAIN)
    _sender, redact = await conversation_redactor(session, conversation)
    text = " ".join(redact(turn.text).split())
    if not text:
        raise ValueError(NOTHING_TO_ANNOTATE)
    spans = entity_spans(text, requested, domain.entities)
    entities = json.dumps(
        [
            {"start": span.start, "end": span.end, "entity": span.entity, "value": span.value}
            for span in spans
        ],
        ensure_ascii=False,
    )
    existing = await _annotation_of(session, turn)
    if existing is None:
        session.add(
            ReviewAnnotation(
                turn_id=turn.id,
                original_intent=turn.intent,
                text=text,
                intent=intent,
                entities=entities,
                author=author,
            )
        )
    else:
        existing.text, existing.intent, existing.entities = text, intent, entities
        existing.author, existing.at = author, utcnow()
    return spans


async def remove_annotation(session: AsyncSession, turn: ReviewTurn) -> bool:
    """Delete the annotation of a user message; False when it had none."""
    existing = await _annotation_of(session, turn)
    if existing is None:
        return False
    await session.delete(existing)
    return True
