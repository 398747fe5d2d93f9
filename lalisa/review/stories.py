"""What the review exports are built from: annotations as NLU data, conversations as stories."""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.review.annotation import (
    annotation_example,
    featurized_slots,
    nlu_dir,
)
from lalisa.review.export import (
    EXPORT_FILE_NAME,
    STORIES_FILE_NAME,
    ActionStep,
    EntitySpan,
    Example,
    LoopStep,
    NluExport,
    SlotStep,
    StoriesExport,
    StoryStep,
    UserStep,
    build_nlu_export,
    build_training_stories,
    existing_examples,
)
from lalisa.review.indexer import (
    IDENTITY_SLOTS,
    IGNORED_ACTIONS,
    ChatEntry,
    conversation_entries,
)
from lalisa.review.models import (
    ReviewAnnotation,
    ReviewConversation,
)

MAX_EXPORTED_STORIES: Final = 500
"""The training-story export reads at most this many reviewed conversations (newest first)."""


async def nlu_export(db: AsyncSession) -> NluExport:
    """Every annotation as NLU training data, deduplicated against ``data/nlu``."""
    annotations = (
        await db.execute(select(ReviewAnnotation).order_by(ReviewAnnotation.id))
    ).scalars()
    return build_nlu_export(
        [annotation_example(annotation) for annotation in annotations],
        existing_examples(nlu_dir()),
        header=(
            "Contoh NLU hasil tinjauan percakapan La-Lisa (back office, Tinjau percakapan).",
            f"Simpan sebagai data/nlu/{EXPORT_FILE_NAME}, lalu: rasa data validate; make train.",
        ),
    )


def story_name(conversation: ReviewConversation) -> str:
    """The name of the conversation's story in an export."""
    return f"tinjau {conversation.id} {conversation.pseudonym}"


def story_steps(entries: list[ChatEntry], *, training: bool = False) -> list[StoryStep]:
    """The conversation as story steps; a training story stops where a person took over."""
    steps: list[StoryStep] = []
    for entry in entries:
        if training and entry.kind == "pause":
            break
        if entry.kind == "user":
            if entry.annotation is not None:
                steps.append(UserStep(annotation_example(entry.annotation)))
                continue
            text = " ".join(entry.text.split())
            spans: list[EntitySpan] = []
            for entity in entry.entities:
                value = str(entity.get("value") or "")
                start = text.find(value) if value else -1
                if start >= 0 and not any(
                    s.start < start + len(value) and start < s.end for s in spans
                ):
                    spans.append(
                        EntitySpan(start, start + len(value), str(entity["entity"]), value)
                    )
            steps.append(
                UserStep(
                    Example(text=text, intent=entry.intent or "nlu_fallback", entities=tuple(spans))
                )
            )
        elif entry.kind == "action" and entry.name not in IGNORED_ACTIONS:
            steps.append(ActionStep(entry.name))
        elif entry.kind == "slot" and entry.name not in IDENTITY_SLOTS:
            steps.append(SlotStep(entry.name, entry.value))
        elif entry.kind == "loop":
            steps.append(LoopStep(entry.name or None))
    return steps


async def reviewed_training_stories(
    session: AsyncSession, *, limit: int = MAX_EXPORTED_STORIES
) -> tuple[StoriesExport, int]:
    """The reviewed conversations (the newest ``limit``) as training stories.

    Returns:
        The export, and how many conversations were skipped because the tracker store could
        not be read.
    """
    conversations = (
        await session.execute(
            select(ReviewConversation)
            .where(ReviewConversation.reviewed_at.is_not(None))
            .order_by(ReviewConversation.reviewed_at.desc(), ReviewConversation.id.desc())
            .limit(limit)
        )
    ).scalars()
    stories: list[tuple[str, list[StoryStep]]] = []
    unreadable = 0
    for conversation in sorted(conversations, key=lambda c: c.id):
        entries, complete, _redact = await conversation_entries(session, conversation)
        if not complete:
            unreadable += 1
            continue
        stories.append((story_name(conversation), story_steps(entries, training=True)))
    export = build_training_stories(
        stories,
        featurized_slots(),
        header=(
            "Training story dari percakapan yang sudah ditinjau (back office, Tinjau percakapan).",
            f"Simpan sebagai data/stories/{STORIES_FILE_NAME}, periksa langkah bot-nya, lalu:",
            "rasa data validate; make train (pelatihan gagal bila story bertentangan dengan rule).",
        ),
    )
    return export, unreadable
