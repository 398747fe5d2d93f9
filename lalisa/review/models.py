"""Tables of conversation review (the Rasa X replacement).

An index of Rasa's tracker store plus the reviewers' work (reviewed mark, tags, notes, flags,
annotations, saved filters).

Rasa's ``events`` table is never written; these tables are La-Lisa's own and are rebuilt
incrementally from it by :func:`lalisa.review.indexer.refresh_index` (watermark in
:class:`ReviewIndexState`). A conversation is one Rasa session of one sender; the sender id (a
phone number) is kept only encrypted, next to its blind index (the same HMAC as
``reporters.phone_blind_index``), from which the pseudonym shown to reviewers is derived.

Migration: ``lalisa/migrations/versions/0008_review.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lalisa.core.models import Base, utcnow

ITEM_KINDS = ("intent", "action", "slot")
"""Kinds of names remembered per conversation (for the intent/action/slot filters)."""

_ITEM_KINDS_SQL = ", ".join(f"'{kind}'" for kind in ITEM_KINDS)


class ReviewIndexState(Base):
    """The single row holding the id of the last tracker event already indexed."""

    __tablename__ = "review_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_event_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class ReviewConversation(Base):
    """One Rasa session of one sender, summarised for filtering."""

    __tablename__ = "review_conversations"
    __table_args__ = (UniqueConstraint("sender_index", "first_event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender_index: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    sender_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    pseudonym: Mapped[str] = mapped_column(String(32), nullable=False)
    first_event_id: Mapped[int] = mapped_column(Integer, nullable=False)
    last_event_id: Mapped[int] = mapped_column(Integer, nullable=False)
    first_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    last_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    channel: Mapped[str | None] = mapped_column(String(64), index=True)
    turn_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    had_fallback: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ended_in_ticket: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    min_confidence: Mapped[float | None] = mapped_column(Float)
    max_confidence: Mapped[float | None] = mapped_column(Float)
    reviewed_at: Mapped[datetime | None] = mapped_column(index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))


class ReviewItem(Base):
    """An intent, action or slot name seen in a conversation."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", "name"),
        CheckConstraint(f"kind IN ({_ITEM_KINDS_SQL})", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False, index=True)


class ReviewTurn(Base):
    """One user message with the model's prediction; flagged by a reviewer or not."""

    __tablename__ = "review_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    event_id: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    intent: Mapped[str | None] = mapped_column(String(128))
    confidence: Mapped[float | None] = mapped_column(Float, index=True)
    entities: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    flagged_at: Mapped[datetime | None] = mapped_column()
    flagged_by: Mapped[str | None] = mapped_column(String(128))


class ReviewTag(Base):
    """A free tag a reviewer put on a conversation."""

    __tablename__ = "review_tags"
    __table_args__ = (UniqueConstraint("conversation_id", "tag"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False
    )
    tag: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), nullable=False)


class ReviewNote(Base):
    """A reviewer's note on a conversation."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("review_conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class ReviewAnnotation(Base):
    """The correct intent and entities of one user message (the training example).

    ``text`` is the message as the reviewer saw it (identity masked); entity offsets refer to it.
    """

    __tablename__ = "review_annotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int] = mapped_column(
        ForeignKey("review_turns.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    text: Mapped[str] = mapped_column(Text, nullable=False)
    original_intent: Mapped[str | None] = mapped_column(String(128))
    intent: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    entities: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    author: Mapped[str] = mapped_column(String(128), nullable=False)
    at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class ReviewSavedFilter(Base):
    """A named filter of the review list, private to one user."""

    __tablename__ = "review_saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    query: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
