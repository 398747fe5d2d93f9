"""The "Tinjau percakapan" pages: review list, conversation view, reviewer actions, exports, stats.

For trainers and admins (roles superadmin and admin). The list refreshes the review index from
Rasa's tracker store (bounded, in a savepoint: an unreadable tracker leaves the index as it was
and the page says so). Senders appear only as pseudonyms and texts are identity-masked
(:func:`lalisa.review.redaction.conversation_redactor`). Every change and every export
is audited.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice.auth.roles import Role
from backoffice.db import DbSession
from backoffice.errors import PageError
from backoffice.permissions import require_roles
from backoffice.templating import redirect, render
from lalisa.core import audit
from lalisa.core.models import utcnow
from lalisa.core.paging import parse_page
from lalisa.review.annotation import (
    annotate_turn,
    domain_names,
    featurized_slots,
    remove_annotation,
)
from lalisa.review.export import (
    EXPORT_FILE_NAME,
    STORIES_FILE_NAME,
    build_test_story,
    build_training_stories,
)
from lalisa.review.filters import (
    ReviewFilters,
    conversation_tags,
    filter_choices,
    normalise_tag,
    review_page,
    saved_filters,
)
from lalisa.review.indexer import (
    ChatEntry,
    conversation_entries,
    refresh_index_in_savepoint,
)
from lalisa.review.models import (
    ReviewConversation,
    ReviewNote,
    ReviewSavedFilter,
    ReviewTag,
    ReviewTurn,
)
from lalisa.review.redaction import conversation_redactor
from lalisa.review.stats import reviewed_count, trainer_stats
from lalisa.review.stories import (
    nlu_export,
    reviewed_training_stories,
    story_name,
    story_steps,
)
from lalisa.users.models import User

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/tinjau", tags=["review"])

REVIEW_ROLES: Final = (Role.SUPERADMIN, Role.ADMIN)
Reviewer = Annotated[User, Depends(require_roles(*REVIEW_ROLES))]
FormText = Annotated[str, Form(max_length=5_000)]
PAGE_LOAD_BATCH: Final = 2000
ENTITY_ROWS: Final = 3
"""Entity rows of the annotation form."""
TRACKER_UNREADABLE: Final = "Riwayat percakapan tidak dapat dibaca dari penyimpanan Rasa."
NO_TRAINING_STORY: Final = (
    "Percakapan ini belum dapat dijadikan training story: tidak ada langkah bot, atau ada pesan "
    "yang tidak dipahami (nlu_fallback) dan belum dianotasi."
)


async def _conversation(db: AsyncSession, conversation_id: int) -> ReviewConversation:
    conversation = await db.get(ReviewConversation, conversation_id)
    if conversation is None:
        raise PageError(404, "Percakapan tidak ditemukan.")
    return conversation


async def _turn(db: AsyncSession, conversation: ReviewConversation, turn_id: int) -> ReviewTurn:
    turn = await db.get(ReviewTurn, turn_id)
    if turn is None or turn.conversation_id != conversation.id:
        raise PageError(404, "Pesan tidak ditemukan.")
    return turn


async def _record(
    db: AsyncSession,
    user: User,
    action: str,
    conversation: ReviewConversation,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write the audit event of a reviewer's change to one conversation."""
    await audit.record(
        db, actor=user.username, action=action, target=f"review:{conversation.id}", detail=detail
    )


# ------------------------------------------------------------------------------------ list


@router.get("", response_class=HTMLResponse)
async def review_list(request: Request, db: DbSession, user: Reviewer) -> HTMLResponse:
    """Conversations newest first, with filters, paging and the user's saved filters."""
    fresh = await refresh_index_in_savepoint(db, limit=PAGE_LOAD_BATCH)
    filters = ReviewFilters.from_mapping(request.query_params)
    found = await review_page(db, filters, parse_page(request.query_params.get("halaman", "1")))
    conversations = found.conversations
    return render(
        request,
        "review/list.html",
        {
            "conversations": conversations,
            "tags": await conversation_tags(
                db, [conversation.id for conversation in conversations]
            ),
            "filters": filters,
            "problems": found.problems,
            "choices": await filter_choices(db),
            "saved": await saved_filters(db, user.id),
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "stale": not fresh,
        },
    )


@router.post("/filter")
async def save_filter(
    db: DbSession,
    user: Reviewer,
    nama: Annotated[str, Form(max_length=80)] = "",
    kueri: FormText = "",
) -> Response:
    """Save the current filters under a name (a name used again is replaced)."""
    name = " ".join(nama.split())[:80]
    filters = ReviewFilters.from_mapping(_parse_query(kueri))
    if not name or not filters.active:
        raise PageError(422, "Beri nama filter dan pilih minimal satu filter.")
    existing = (
        await db.execute(
            select(ReviewSavedFilter).where(
                ReviewSavedFilter.user_id == user.id, ReviewSavedFilter.name == name
            )
        )
    ).scalar_one_or_none()
    if existing is None:
        db.add(ReviewSavedFilter(user_id=user.id, name=name, query=filters.query()))
    else:
        existing.query = filters.query()
    await audit.record(
        db,
        actor=user.username,
        action=audit.REVIEW_FILTER_SAVED,
        target=f"user:{user.username}",
        detail={"name": name, "query": filters.query()},
    )
    return redirect(f"/tinjau?{filters.query()}")


def _parse_query(raw: str) -> dict[str, str]:
    return dict(parse_qsl(raw.lstrip("?"), keep_blank_values=False))


@router.post("/filter/{filter_id}/hapus")
async def delete_filter(db: DbSession, user: Reviewer, filter_id: int) -> Response:
    """Delete one of the user's saved filters."""
    saved = await db.get(ReviewSavedFilter, filter_id)
    if saved is None or saved.user_id != user.id:
        raise PageError(404, "Filter tidak ditemukan.")
    await db.delete(saved)
    await audit.record(
        db,
        actor=user.username,
        action=audit.REVIEW_FILTER_DELETED,
        target=f"user:{user.username}",
        detail={"name": saved.name},
    )
    return redirect("/tinjau")


# ----------------------------------------------------------------------------------- stats


@router.get("/statistik", response_class=HTMLResponse)
async def stats_page(request: Request, db: DbSession, _user: Reviewer) -> HTMLResponse:
    """The trainer's numbers: per day, most corrected intents, lowest confidences."""
    fresh = await refresh_index_in_savepoint(db, limit=PAGE_LOAD_BATCH)
    stats = await trainer_stats(db, now=utcnow())
    lowest = []
    redactors: dict[int, Any] = {}
    for turn, conversation in stats.lowest:
        if conversation.id not in redactors:
            redactors[conversation.id] = (await conversation_redactor(db, conversation))[1]
        lowest.append((turn, conversation, redactors[conversation.id](turn.text)))
    return render(
        request,
        "review/stats.html",
        {"stats": stats, "lowest": lowest, "stale": not fresh},
    )


# ---------------------------------------------------------------------------------- export


@router.get("/ekspor", response_class=HTMLResponse)
async def export_page(request: Request, db: DbSession, _user: Reviewer) -> HTMLResponse:
    """What the NLU export contains: counts, skipped examples, conflicts."""
    return render(
        request,
        "review/export.html",
        {
            "export": await nlu_export(db),
            "file_name": EXPORT_FILE_NAME,
            "stories_file_name": STORIES_FILE_NAME,
            "reviewed": await reviewed_count(db),
        },
    )


@router.get("/ekspor/stories.yml")
async def export_training_stories(db: DbSession, user: Reviewer) -> Response:
    """Download the reviewed conversations as training stories (``data/stories/reviewed.yml``)."""
    export, unreadable = await reviewed_training_stories(db)
    await audit.record(
        db,
        actor=user.username,
        action=audit.REVIEW_TRAINING_STORIES_EXPORTED,
        target="review:stories",
        detail={
            "stories": len(export.included),
            "skipped": len(export.skipped),
            "unreadable": unreadable,
        },
    )
    return Response(
        export.yaml_text,
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{STORIES_FILE_NAME}"'},
    )


@router.get("/ekspor/reviewed.yml")
async def export_nlu(db: DbSession, user: Reviewer) -> Response:
    """Download the annotations as Rasa NLU YAML (``data/nlu/reviewed.yml``)."""
    export = await nlu_export(db)
    await audit.record(
        db,
        actor=user.username,
        action=audit.REVIEW_NLU_EXPORTED,
        target="review:nlu",
        detail={"examples": len(export.included), "conflicts": len(export.conflicts)},
    )
    return Response(
        export.yaml_text,
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{EXPORT_FILE_NAME}"'},
    )


# ---------------------------------------------------------------------------- conversation


@router.get("/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(
    request: Request, db: DbSession, _user: Reviewer, conversation_id: int
) -> HTMLResponse:
    """One conversation as a readable chat, with the reviewer's tools."""
    conversation = await _conversation(db, conversation_id)
    entries, complete, _redact = await conversation_entries(db, conversation)
    notes = list(
        (
            await db.execute(
                select(ReviewNote)
                .where(ReviewNote.conversation_id == conversation.id)
                .order_by(ReviewNote.at, ReviewNote.id)
            )
        ).scalars()
    )
    return render(
        request,
        "review/conversation.html",
        {
            "conversation": conversation,
            "entries": entries,
            "complete": complete,
            "unreadable": TRACKER_UNREADABLE,
            "tags": (await conversation_tags(db, [conversation.id]))[conversation.id],
            "notes": notes,
            "domain": domain_names(),
            "entity_rows": range(1, ENTITY_ROWS + 1),
            "annotation_entities": {
                entry.turn.id: json.loads(entry.annotation.entities)
                for entry in entries
                if entry.turn is not None and entry.annotation is not None
            },
        },
    )


def _back(conversation: ReviewConversation, anchor: str = "") -> Response:
    return redirect(f"/tinjau/{conversation.id}{anchor}")


@router.post("/{conversation_id}/ditinjau")
async def mark_reviewed(
    db: DbSession, user: Reviewer, conversation_id: int, ditinjau: FormText = "1"
) -> Response:
    """Mark the conversation reviewed (``ditinjau=1``) or not reviewed (``ditinjau=0``)."""
    conversation = await _conversation(db, conversation_id)
    if ditinjau == "1":
        conversation.reviewed_at = utcnow()
        conversation.reviewed_by = user.username
        action = audit.REVIEW_MARKED
    else:
        conversation.reviewed_at = None
        conversation.reviewed_by = None
        action = audit.REVIEW_UNMARKED
    await _record(db, user, action, conversation)
    return _back(conversation)


@router.post("/{conversation_id}/tag")
async def add_tag(
    db: DbSession, user: Reviewer, conversation_id: int, tag: FormText = ""
) -> Response:
    """Add a free tag (lower case; adding an existing tag changes nothing)."""
    conversation = await _conversation(db, conversation_id)
    value = normalise_tag(tag)
    if not value:
        raise PageError(422, "Tag tidak boleh kosong.")
    exists_already = (
        await db.execute(
            select(ReviewTag.id).where(
                ReviewTag.conversation_id == conversation.id, ReviewTag.tag == value
            )
        )
    ).first()
    if exists_already is None:
        db.add(ReviewTag(conversation_id=conversation.id, tag=value, created_by=user.username))
        await _record(db, user, audit.REVIEW_TAG_ADDED, conversation, {"tag": value})
    return _back(conversation)


@router.post("/{conversation_id}/tag/hapus")
async def remove_tag(
    db: DbSession, user: Reviewer, conversation_id: int, tag: FormText = ""
) -> Response:
    """Remove a tag from the conversation."""
    conversation = await _conversation(db, conversation_id)
    value = normalise_tag(tag)
    removed = await db.execute(
        delete(ReviewTag).where(
            ReviewTag.conversation_id == conversation.id, ReviewTag.tag == value
        )
    )
    if getattr(removed, "rowcount", 0):
        await _record(db, user, audit.REVIEW_TAG_REMOVED, conversation, {"tag": value})
    return _back(conversation)


@router.post("/{conversation_id}/catatan")
async def add_note(
    db: DbSession, user: Reviewer, conversation_id: int, catatan: FormText = ""
) -> Response:
    """Add a reviewer's note."""
    conversation = await _conversation(db, conversation_id)
    body = catatan.strip()
    if not body:
        raise PageError(422, "Catatan tidak boleh kosong.")
    db.add(ReviewNote(conversation_id=conversation.id, author=user.username, body=body))
    await _record(db, user, audit.REVIEW_NOTE_ADDED, conversation)
    return _back(conversation, "#catatan")


@router.post("/{conversation_id}/pesan/{turn_id}/tandai")
async def flag_message(
    db: DbSession, user: Reviewer, conversation_id: int, turn_id: int, tandai: FormText = "1"
) -> Response:
    """Flag a user message (``tandai=1``) or clear the flag (``tandai=0``)."""
    conversation = await _conversation(db, conversation_id)
    turn = await _turn(db, conversation, turn_id)
    if tandai == "1":
        turn.flagged_at, turn.flagged_by = utcnow(), user.username
        action = audit.REVIEW_MESSAGE_FLAGGED
    else:
        turn.flagged_at, turn.flagged_by = None, None
        action = audit.REVIEW_MESSAGE_UNFLAGGED
    await _record(db, user, action, conversation, {"turn": turn.id})
    return _back(conversation, f"#pesan-{turn.id}")


@router.post("/{conversation_id}/pesan/{turn_id}/anotasi")
async def annotate_message(
    request: Request, db: DbSession, user: Reviewer, conversation_id: int, turn_id: int
) -> Response:
    """Store the correct intent and entities of a user message (or remove them: ``hapus=1``).

    Form: ``intent``; ``entitas_N``, ``bagian_N`` (the part of the message) and optional
    ``nilai_N`` (normalised value) for N = 1..3.
    """
    conversation = await _conversation(db, conversation_id)
    turn = await _turn(db, conversation, turn_id)
    form = await request.form()
    if str(form.get("hapus", "")) == "1":
        if await remove_annotation(db, turn):
            await _record(
                db, user, audit.REVIEW_ANNOTATION_REMOVED, conversation, {"turn": turn.id}
            )
        return _back(conversation, f"#pesan-{turn.id}")
    intent = str(form.get("intent", "")).strip()
    requested = [
        (
            str(form.get(f"entitas_{n}", ""))[:64],
            str(form.get(f"bagian_{n}", ""))[:500],
            str(form.get(f"nilai_{n}", ""))[:200],
        )
        for n in range(1, ENTITY_ROWS + 1)
    ]
    try:
        spans = await annotate_turn(
            db, conversation, turn, intent=intent, requested=requested, author=user.username
        )
    except ValueError as exc:
        raise PageError(422, str(exc)) from exc
    await _record(
        db,
        user,
        audit.REVIEW_ANNOTATED,
        conversation,
        {
            "turn": turn.id,
            "predicted": turn.intent,
            "intent": intent,
            "entities": [span.entity for span in spans],
        },
    )
    return _back(conversation, f"#pesan-{turn.id}")


async def _readable(
    db: AsyncSession, conversation_id: int
) -> tuple[ReviewConversation, list[ChatEntry]]:
    """The conversation and its full history; 503 when the tracker store cannot be read."""
    conversation = await _conversation(db, conversation_id)
    entries, complete, _redact = await conversation_entries(db, conversation)
    if not complete:
        raise PageError(503, TRACKER_UNREADABLE)
    return conversation, entries


@router.get("/{conversation_id}/story.yml")
async def export_story(db: DbSession, user: Reviewer, conversation_id: int) -> Response:
    """Download the conversation as a Rasa test story (for ``tests/``)."""
    conversation, entries = await _readable(db, conversation_id)
    text = build_test_story(story_name(conversation), story_steps(entries))
    await _record(db, user, audit.REVIEW_STORY_EXPORTED, conversation)
    return Response(
        text,
        media_type="application/x-yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="test_tinjau_{conversation.id}.yml"'
        },
    )


@router.get("/{conversation_id}/training-story.yml")
async def export_training_story(db: DbSession, user: Reviewer, conversation_id: int) -> Response:
    """Download the conversation as a training story (for ``data/stories/``)."""
    conversation, entries = await _readable(db, conversation_id)
    export = build_training_stories(
        [(story_name(conversation), story_steps(entries, training=True))], featurized_slots()
    )
    if not export.included:
        raise PageError(422, NO_TRAINING_STORY)
    await _record(db, user, audit.REVIEW_TRAINING_STORIES_EXPORTED, conversation)
    return Response(
        export.yaml_text,
        media_type="application/x-yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="story_tinjau_{conversation.id}.yml"'
        },
    )
