"""The review index over a synthetic Rasa tracker store.

Incremental, idempotent and race-safe indexing; every filter; the chat view; trainer statistics.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from lalisa.core.crypto import blind_index, get_identity_cipher, sender_key
from lalisa.core.db import session_scope
from lalisa.review.filters import ReviewFilters, filtered_query
from lalisa.review.indexer import chat_entries, pseudonym, read_conversation_events, refresh_index
from lalisa.review.models import (
    ReviewAnnotation,
    ReviewConversation,
    ReviewIndexState,
    ReviewItem,
    ReviewTag,
    ReviewTurn,
)
from lalisa.review.stats import trainer_stats
from lalisa.review.tracker import tracker_engine
from tests.review_helpers import EVENTS, START, Tracker, tracker

__all__ = ["tracker"]

NOW = START + timedelta(days=1)
ANI = "6281200000001"
BUDI = "6281200000002"
CICI = "6281200000003"


async def _refresh(*, limit: int = 2000) -> int:
    async with session_scope() as session:
        result = await refresh_index(session, tracker_engine(), limit=limit, now=NOW)
    return result.events


async def _conversations() -> list[ReviewConversation]:
    async with session_scope() as session:
        rows = await session.execute(select(ReviewConversation).order_by(ReviewConversation.id))
        return list(rows.scalars())


async def _turn_count() -> int:
    async with session_scope() as session:
        return int((await session.execute(select(func.count(ReviewTurn.id)))).scalar_one())


async def _chat(tracker: Tracker) -> None:
    """Three citizens, four sessions.

    Ani: a complaint ending in a ticket; Budi: a fallback over the web chat, then a new session
    the next day; Cici: a low-confidence question.
    """
    await tracker.session_start(ANI)
    await tracker.user(
        ANI,
        "mau lapor pkl di trotoar",
        "report_complaint",
        0.93,
        entities=[{"entity": "category", "start": 10, "end": 13, "value": "pkl"}],
    )
    await tracker.action(ANI, "complaint_form")
    await tracker.raw(ANI, "active_loop", {"name": "complaint_form"})
    await tracker.slot(ANI, "requested_slot", "description")
    await tracker.bot(ANI, "Silakan ceritakan kejadiannya.")
    await tracker.user(ANI, "pedagang di trotoar pasar paringin", "report_complaint", 0.71)
    await tracker.slot(ANI, "reporter_name", "Ani Lestari")
    await tracker.action(ANI, "action_submit_complaint")
    await tracker.slot(ANI, "last_ticket_number", "LLS-2026-000001")
    await tracker.session_start(BUDI)
    await tracker.user(BUDI, "asdf qwer", "nlu_fallback", 0.31, channel="rest")
    await tracker.action(BUDI, "action_default_fallback")
    await tracker.bot(BUDI, "Maaf, saya belum paham.")
    await tracker.session_start(CICI)
    await tracker.user(CICI, "kantornya buka jam brp", "ask_service_hours", 0.55)
    await tracker.action(CICI, "utter_service_hours")
    tracker.tick(3600 * 20)
    await tracker.session_start(BUDI)
    await tracker.user(BUDI, "halo", "greet", 0.99, channel="rest")
    await tracker.action(BUDI, "utter_greet")


async def test_index_summarises_each_session(tracker: Tracker) -> None:
    await _chat(tracker)
    assert await _refresh() > 0
    conversations = await _conversations()
    assert len(conversations) == 4
    ani, budi_1, cici, budi_2 = conversations
    assert ani.turn_count == 2
    assert ani.channel == "whatsapp"
    assert ani.ended_in_ticket and not ani.had_fallback
    assert ani.min_confidence == pytest.approx(0.71)
    assert ani.max_confidence == pytest.approx(0.93)
    assert budi_1.had_fallback and not budi_1.ended_in_ticket
    assert budi_1.channel == "rest"
    assert not cici.had_fallback
    assert budi_2.turn_count == 1 and not budi_2.had_fallback
    # Same sender, same pseudonym; the number itself is nowhere in clear.
    assert budi_1.pseudonym == budi_2.pseudonym == pseudonym(blind_index(BUDI))
    assert re.fullmatch(r"Warga-[0-9A-F]{8}", ani.pseudonym)
    assert ani.pseudonym != budi_1.pseudonym
    for conversation in conversations:
        assert ANI not in conversation.sender_encrypted
        assert BUDI not in conversation.sender_encrypted
    # The index keeps Rasa's sender id: the citizen's key, not the number.
    assert get_identity_cipher().decrypt(ani.sender_encrypted) == sender_key(ANI)
    async with session_scope() as session:
        items = await session.execute(
            select(ReviewItem.kind, ReviewItem.name).where(ReviewItem.conversation_id == ani.id)
        )
        seen = set(items.all())
    assert ("intent", "report_complaint") in seen
    assert ("action", "action_submit_complaint") in seen
    assert ("slot", "last_ticket_number") in seen
    assert ("action", "action_listen") not in seen
    assert ("action", "action_session_start") not in seen


async def test_rows_stored_before_encryption_are_indexed_alike(tracker: Tracker) -> None:
    """A tracker with old plain rows and new encrypted ones reads as one conversation."""
    tracker.plain = True
    await tracker.session_start(ANI)
    await tracker.user(ANI, "ada pkl di trotoar", "report_complaint", 0.9)
    tracker.plain = False
    await tracker.bot(ANI, "Di mana lokasinya?")
    await tracker.user(ANI, "depan pasar", "inform", 0.8)
    async with tracker.engine.connect() as connection:
        stored = (await connection.execute(select(EVENTS.c.data))).scalars().all()
    plain = [value.startswith("{") for value in stored]
    assert plain[:-2] == [True] * (len(plain) - 2) and plain[-2:] == [False, False]
    assert await _refresh() > 0
    [conversation] = await _conversations()
    assert conversation.turn_count == 2
    async with session_scope() as session:
        texts = (await session.execute(select(ReviewTurn.text).order_by(ReviewTurn.id))).all()
    assert [text for (text,) in texts] == ["ada pkl di trotoar", "depan pasar"]


async def test_refresh_is_incremental_and_idempotent(tracker: Tracker) -> None:
    await tracker.session_start(ANI)
    await tracker.user(ANI, "halo", "greet", 0.98)
    assert await _refresh() == 4
    assert await _refresh() == 0  # nothing new: nothing read again
    await tracker.action(ANI, "utter_greet")
    await tracker.user(ANI, "mau lapor", "report_complaint", 0.4)
    assert await _refresh() == 2
    conversations = await _conversations()
    assert len(conversations) == 1
    assert conversations[0].turn_count == 2
    assert conversations[0].min_confidence == pytest.approx(0.4)
    assert await _turn_count() == 2
    async with session_scope() as session:
        state = await session.get(ReviewIndexState, 1)
        assert state is not None
        assert state.last_event_id == conversations[0].last_event_id


async def test_refresh_in_small_batches_gives_the_same_index(tracker: Tracker) -> None:
    await _chat(tracker)
    while await _refresh(limit=3):
        pass
    conversations = await _conversations()
    assert [c.turn_count for c in conversations] == [2, 1, 1, 1]
    assert [c.had_fallback for c in conversations] == [False, True, False, False]
    assert await _turn_count() == 5


async def test_racing_refreshes_index_every_event_once(tracker: Tracker) -> None:
    await _chat(tracker)

    async def one() -> int:
        async with session_scope() as session:
            return (await refresh_index(session, tracker_engine(), now=NOW)).events

    counts = await asyncio.gather(one(), one(), one())
    assert sorted(counts)[:2] == [0, 0]
    assert await _turn_count() == 5
    assert len(await _conversations()) == 4


async def test_young_events_wait_for_the_next_refresh(tracker: Tracker) -> None:
    await tracker.user(ANI, "halo", "greet", 0.9)
    async with session_scope() as session:
        result = await refresh_index(
            session, tracker_engine(), now=tracker.clock + timedelta(seconds=1)
        )
    assert result.events == 0
    assert await _refresh() == 1


async def _ids(**filters: str) -> set[int]:
    async with session_scope() as session:
        query, problems = filtered_query(ReviewFilters(**filters))
        assert problems == []
        rows = (await session.execute(query)).scalars()
        return {conversation.id for conversation in rows}


async def test_every_filter_returns_the_right_set(tracker: Tracker) -> None:
    await _chat(tracker)
    await _refresh()
    ani, budi_1, cici, budi_2 = await _conversations()
    key = {c.id: c.id for c in (ani, budi_1, cici, budi_2)}
    everyone = set(key.values())
    async with session_scope() as session:
        session.add(ReviewTag(conversation_id=cici.id, tag="jam layanan", created_by="admin"))
        reviewed = await session.get(ReviewConversation, ani.id)
        assert reviewed is not None
        reviewed.reviewed_at, reviewed.reviewed_by = NOW, "admin"

    assert await _ids() == everyone
    assert await _ids(kanal="rest") == {key[budi_1.id], key[budi_2.id]}
    assert await _ids(kanal="whatsapp") == {key[ani.id], key[cici.id]}
    assert await _ids(intent="report_complaint") == {key[ani.id]}
    assert await _ids(intent="greet") == {key[budi_2.id]}
    assert await _ids(aksi="action_default_fallback") == {key[budi_1.id]}
    assert await _ids(slot="requested_slot") == {key[ani.id]}
    assert await _ids(conf_max="0.6") == {key[budi_1.id], key[cici.id]}
    assert await _ids(conf_min="0.9") == {key[ani.id], key[budi_2.id]}
    assert await _ids(conf_min="0.5", conf_max="0.6") == {key[cici.id]}
    assert await _ids(fallback="ya") == {key[budi_1.id]}
    assert await _ids(fallback="tidak") == everyone - {key[budi_1.id]}
    assert await _ids(tiket="ya") == {key[ani.id]}
    assert await _ids(ditinjau="ya") == {key[ani.id]}
    assert await _ids(ditinjau="tidak") == everyone - {key[ani.id]}
    assert await _ids(tag="Jam  Layanan") == {key[cici.id]}
    # Dates are WITA days: START is 20 Nov 09.00 WITA; Budi's second session is on 21 Nov.
    assert await _ids(dari="2026-11-21") == {key[budi_2.id]}
    assert await _ids(sampai="2026-11-20") == everyone - {key[budi_2.id]}
    assert await _ids(dari="2026-11-20", sampai="2026-11-20", kanal="rest") == {key[budi_1.id]}


def test_bad_filter_values_are_reported() -> None:
    _query, problems = filtered_query(ReviewFilters(dari="kemarin", conf_min="tinggi"))
    assert len(problems) == 2


async def test_conversation_events_become_a_readable_chat(tracker: Tracker) -> None:
    await _chat(tracker)
    await _refresh()
    # A takeover after a pause shorter than a session: the same conversation goes on.
    tracker.clock = START + timedelta(minutes=30)
    await tracker.raw(ANI, "pause")
    await tracker.bot(ANI, "Halo, saya petugas.", metadata={"officer": "admin"})
    await tracker.raw(ANI, "resume")
    await _refresh()
    ani = (await _conversations())[0]
    async with session_scope() as session:
        turns = {
            turn.event_id: turn
            for turn in (
                await session.execute(
                    select(ReviewTurn).where(ReviewTurn.conversation_id == ani.id)
                )
            ).scalars()
        }
    rows = await read_conversation_events(tracker_engine(), sender_key(ANI), ani)
    entries = chat_entries(rows, turns, {}, lambda text: text.replace("Ani Lestari", "[x]"))
    kinds = [entry.kind for entry in entries]
    assert kinds[:3] == ["session", "user", "action"]
    assert "loop" in kinds
    assert kinds[-3:] == ["pause", "officer", "resume"]
    user = entries[1]
    assert user.intent == "report_complaint"
    assert user.confidence == pytest.approx(0.93)
    assert user.entities[0]["entity"] == "category"
    assert user.turn is not None
    name_slot = next(e for e in entries if e.kind == "slot" and e.name == "reporter_name")
    assert name_slot.text == "[disamarkan]"
    assert all("Ani Lestari" not in entry.text for entry in entries)


async def test_trainer_stats(tracker: Tracker) -> None:
    await _chat(tracker)
    await _refresh()
    async with session_scope() as session:
        turns = list((await session.execute(select(ReviewTurn).order_by(ReviewTurn.id))).scalars())
        by_text = {turn.text: turn for turn in turns}
        for text, intent in (
            ("asdf qwer", "out_of_scope"),
            ("kantornya buka jam brp", "ask_service_hours"),
            ("pedagang di trotoar pasar paringin", "report_complaint"),
        ):
            turn = by_text[text]
            session.add(
                ReviewAnnotation(
                    turn_id=turn.id,
                    text=text,
                    original_intent=turn.intent,
                    intent=intent,
                    entities="[]",
                    author="admin",
                )
            )
    async with session_scope() as session:
        stats = await trainer_stats(session, now=NOW, days=3)
    by_day = {day.day.isoformat(): day for day in stats.days}
    assert by_day["2026-11-20"].conversations == 3
    assert by_day["2026-11-20"].with_fallback == 1
    assert by_day["2026-11-20"].fallback_rate == pytest.approx(1 / 3)
    assert by_day["2026-11-21"].conversations == 1
    assert by_day["2026-11-19"].conversations == 0
    assert stats.max_conversations == 3
    # Only real corrections count (the two confirmations do not).
    assert stats.corrected == [("nlu_fallback", "out_of_scope", 1)]
    confidences = [turn.confidence for turn, _c in stats.lowest]
    assert confidences == sorted(confidences)
    assert confidences[0] == pytest.approx(0.31)
    assert len(confidences) == 5


async def test_turn_entities_are_stored_as_json(tracker: Tracker) -> None:
    await _chat(tracker)
    await _refresh()
    async with session_scope() as session:
        turn = (
            await session.execute(select(ReviewTurn).order_by(ReviewTurn.id).limit(1))
        ).scalar_one()
    assert json.loads(turn.entities) == [
        {"entity": "category", "start": 10, "end": 13, "value": "pkl"}
    ]
    assert turn.at == datetime.fromtimestamp(turn.at.timestamp(), tz=timezone.utc)


async def test_catch_up_job_indexes_everything_in_batches(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backoffice.conversations import refresh

    await _chat(tracker)
    monkeypatch.setattr(refresh, "refresh_index", _small_batches)
    assert await refresh.catch_up() == 28  # every event of _chat(), in batches of 4
    assert await refresh.catch_up() == 0
    assert await _turn_count() == 5


async def _small_batches(session: Any, engine: Any) -> Any:
    return await refresh_index(session, engine, limit=4, now=NOW)


def test_entity_spans_from_the_annotation_form() -> None:
    from lalisa.review.annotation import entity_spans

    text = "pkl di pasar paringin"
    spans = entity_spans(
        text,
        [("kecamatan", "paringin", ""), ("", "", ""), ("category", "pkl", "pedagang")],
        ["category", "kecamatan"],
    )
    assert [(s.entity, text[s.start : s.end], s.value) for s in spans] == [
        ("category", "pkl", "pedagang"),
        ("kecamatan", "paringin", "paringin"),
    ]
    for rows in (
        [("hewan", "pkl", "")],
        [("category", "sapi", "")],
        [("category", "pasar paringin", ""), ("kecamatan", "paringin", "")],
    ):
        with pytest.raises(ValueError):
            entity_spans(text, rows, ["category", "kecamatan"])
