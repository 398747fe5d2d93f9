"""The "Tinjau percakapan" pages over a synthetic tracker store.

List, filters, saved filters, conversation view (masked identity), reviewer actions (audited),
exports, statistics.
"""

from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy import select

from backoffice.auth.roles import Role
from lalisa import audit
from lalisa.crypto import blind_index
from lalisa.db import session_scope
from lalisa.review_models import (
    ReviewAnnotation,
    ReviewConversation,
    ReviewNote,
    ReviewSavedFilter,
    ReviewTag,
    ReviewTurn,
)
from lalisa.settings import reset_settings_cache
from tests.backoffice.helpers import SignedIn, audit_entries
from tests.backoffice.workflow_helpers import REPORTER_NAME, REPORTER_PHONE, make_ticket
from tests.review_helpers import Tracker, tracker

__all__ = ["tracker"]

OTHER = "6281311112222"
XSS = '<script>alert("tinjau")</script>'
ODD = "warung remang2 buka smp subuh di tebing tinggi"


async def _chat(tracker: Tracker) -> None:
    await tracker.session_start(REPORTER_PHONE)
    await tracker.user(REPORTER_PHONE, f"saya {REPORTER_NAME}, no wa 0812-9876-5432", "greet", 0.62)
    await tracker.bot(REPORTER_PHONE, f"Halo {REPORTER_NAME}!")
    await tracker.user(REPORTER_PHONE, ODD, "ask_service_hours", 0.41)
    await tracker.action(REPORTER_PHONE, "utter_service_hours")
    await tracker.slot(REPORTER_PHONE, "reporter_name", REPORTER_NAME)
    await tracker.session_start(OTHER)
    await tracker.user(OTHER, XSS, "nlu_fallback", 0.2, channel="rest")
    await tracker.action(OTHER, "action_default_fallback")


async def _conversation(sender: str) -> ReviewConversation:
    async with session_scope() as session:
        query = select(ReviewConversation).where(
            ReviewConversation.sender_index == blind_index(sender)
        )
        return (await session.execute(query)).scalar_one()


async def _turn(text: str) -> ReviewTurn:
    async with session_scope() as session:
        return (
            await session.execute(select(ReviewTurn).where(ReviewTurn.text == text))
        ).scalar_one()


@pytest.fixture
async def admin(as_role: dict[Role, SignedIn]) -> SignedIn:
    return as_role[Role.ADMIN]


async def test_list_refreshes_the_index_and_shows_pseudonyms_only(
    tracker: Tracker, admin: SignedIn
) -> None:
    await make_ticket()
    await _chat(tracker)
    page = await admin.client.get("/tinjau")
    assert page.status_code == 200
    reporter = await _conversation(REPORTER_PHONE)
    other = await _conversation(OTHER)
    assert reporter.pseudonym in page.text and other.pseudonym in page.text
    assert REPORTER_PHONE not in page.text and OTHER not in page.text
    assert REPORTER_NAME not in page.text
    assert 'href="/tinjau"' in page.text  # menu entry

    only_fallback = await admin.client.get("/tinjau", params={"fallback": "ya"})
    assert other.pseudonym in only_fallback.text
    assert reporter.pseudonym not in only_fallback.text
    low = await admin.client.get("/tinjau", params={"conf_max": "0.5", "kanal": "whatsapp"})
    assert reporter.pseudonym in low.text and other.pseudonym not in low.text
    bad = await admin.client.get("/tinjau", params={"conf_min": "banyak"})
    assert "Keyakinan harus angka" in bad.text


async def test_saved_filters_are_per_user_and_audited(
    tracker: Tracker, as_role: dict[Role, SignedIn]
) -> None:
    await _chat(tracker)
    admin, superadmin = as_role[Role.ADMIN], as_role[Role.SUPERADMIN]
    saved = await admin.client.post(
        "/tinjau/filter",
        data={"csrf_token": admin.csrf, "nama": "Fallback WA", "kueri": "fallback=ya&kanal=rest"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/tinjau?kanal=rest&fallback=ya"
    page = await admin.client.get("/tinjau")
    assert "Fallback WA" in page.text and "/tinjau?kanal=rest&amp;fallback=ya" in page.text
    assert "Fallback WA" not in (await superadmin.client.get("/tinjau")).text
    async with session_scope() as session:
        row = (await session.execute(select(ReviewSavedFilter))).scalar_one()
    # Another user cannot delete it.
    refused = await superadmin.client.post(
        f"/tinjau/filter/{row.id}/hapus", data={"csrf_token": superadmin.csrf}
    )
    assert refused.status_code == 404
    deleted = await admin.client.post(
        f"/tinjau/filter/{row.id}/hapus", data={"csrf_token": admin.csrf}
    )
    assert deleted.status_code == 303
    assert [e.action for e in await audit_entries() if e.action.startswith("review_filter")] == [
        audit.REVIEW_FILTER_SAVED,
        audit.REVIEW_FILTER_DELETED,
    ]
    empty = await admin.client.post(
        "/tinjau/filter", data={"csrf_token": admin.csrf, "nama": "x", "kueri": ""}
    )
    assert empty.status_code == 422


async def test_conversation_view_masks_identity_and_escapes(
    tracker: Tracker, admin: SignedIn
) -> None:
    await make_ticket()
    await _chat(tracker)
    await admin.client.get("/tinjau")
    reporter = await _conversation(REPORTER_PHONE)
    page = await admin.client.get(f"/tinjau/{reporter.id}")
    assert page.status_code == 200
    html = page.text
    assert REPORTER_NAME not in html
    assert "0812-9876-5432" not in html and REPORTER_PHONE not in html
    assert "[nama pelapor]" in html and "[nomor pelapor]" in html
    assert "[disamarkan]" in html  # the reporter_name slot
    assert ODD in html
    assert 'class="intent">ask_service_hours' in html
    assert "0.41" in html
    assert "utter_service_hours" in html
    other = await _conversation(OTHER)
    escaped = (await admin.client.get(f"/tinjau/{other.id}")).text
    assert XSS not in escaped
    assert "&lt;script&gt;" in escaped
    assert (await admin.client.get("/tinjau/987654")).status_code == 404


async def test_reviewer_actions_are_stored_and_audited(tracker: Tracker, admin: SignedIn) -> None:
    await _chat(tracker)
    await admin.client.get("/tinjau")
    conversation = await _conversation(REPORTER_PHONE)
    base = f"/tinjau/{conversation.id}"
    csrf = admin.csrf
    turn = await _turn(ODD)
    for path, data in (
        (f"{base}/ditinjau", {"ditinjau": "1"}),
        (f"{base}/tag", {"tag": "Salah Intent"}),
        (f"{base}/tag", {"tag": "salah  intent"}),  # same tag: no second row
        (f"{base}/catatan", {"catatan": "Kalimat tidak biasa, perlu contoh baru."}),
        (f"{base}/pesan/{turn.id}/tandai", {"tandai": "1"}),
        (
            f"{base}/pesan/{turn.id}/anotasi",
            {"intent": "report_complaint", "entitas_1": "desa", "bagian_1": "tebing tinggi"},
        ),
    ):
        response = await admin.client.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 303, (path, response.text)
    async with session_scope() as session:
        stored = await session.get(ReviewConversation, conversation.id)
        assert stored is not None and stored.reviewed_by == "admin"
        tags = list((await session.execute(select(ReviewTag.tag))).scalars())
        notes = list((await session.execute(select(ReviewNote.body))).scalars())
        flagged = await session.get(ReviewTurn, turn.id)
        annotation = (await session.execute(select(ReviewAnnotation))).scalar_one()
    assert tags == ["salah intent"]
    assert notes == ["Kalimat tidak biasa, perlu contoh baru."]
    assert flagged is not None and flagged.flagged_by == "admin"
    assert annotation.intent == "report_complaint"
    assert annotation.original_intent == "ask_service_hours"
    assert annotation.text == ODD
    start = ODD.index("tebing tinggi")
    assert yaml.safe_load(annotation.entities) == [
        {
            "start": start,
            "end": start + len("tebing tinggi"),
            "entity": "desa",
            "value": "tebing tinggi",
        }
    ]
    actions = [e.action for e in await audit_entries() if e.action.startswith("review_")]
    assert actions == [
        audit.REVIEW_MARKED,
        audit.REVIEW_TAG_ADDED,
        audit.REVIEW_NOTE_ADDED,
        audit.REVIEW_MESSAGE_FLAGGED,
        audit.REVIEW_ANNOTATED,
    ]
    page = (await admin.client.get(base)).text
    assert 'class="annotated-intent">report_complaint' in page
    assert "salah intent" in page and "Kalimat tidak biasa" in page
    assert (
        await admin.client.get("/tinjau", params={"tag": "salah intent", "ditinjau": "ya"})
    ).text.count(conversation.pseudonym) == 1

    refused = [
        {"intent": "tidak_ada"},
        {"intent": "greet", "entitas_1": "desa", "bagian_1": "tidak ada di pesan"},
        {"intent": "greet", "entitas_1": "hewan", "bagian_1": "warung"},
    ]
    for data in refused:
        response = await admin.client.post(
            f"{base}/pesan/{turn.id}/anotasi", data={"csrf_token": csrf, **data}
        )
        assert response.status_code == 422

    for path, data in (
        (f"{base}/ditinjau", {"ditinjau": "0"}),
        (f"{base}/tag/hapus", {"tag": "salah intent"}),
        (f"{base}/pesan/{turn.id}/tandai", {"tandai": "0"}),
        (f"{base}/pesan/{turn.id}/anotasi", {"hapus": "1"}),
    ):
        assert (await admin.client.post(path, data={"csrf_token": csrf, **data})).status_code == 303
    async with session_scope() as session:
        stored = await session.get(ReviewConversation, conversation.id)
        assert stored is not None and stored.reviewed_at is None
        assert list((await session.execute(select(ReviewTag))).scalars()) == []
        assert list((await session.execute(select(ReviewAnnotation))).scalars()) == []


async def test_annotation_of_a_masked_message_exports_the_masked_text(
    tracker: Tracker, admin: SignedIn
) -> None:
    await make_ticket()
    await _chat(tracker)
    await admin.client.get("/tinjau")
    conversation = await _conversation(REPORTER_PHONE)
    turn = await _turn(f"saya {REPORTER_NAME}, no wa 0812-9876-5432")
    response = await admin.client.post(
        f"/tinjau/{conversation.id}/pesan/{turn.id}/anotasi",
        data={"csrf_token": admin.csrf, "intent": "greet"},
    )
    assert response.status_code == 303
    async with session_scope() as session:
        annotation = (await session.execute(select(ReviewAnnotation))).scalar_one()
    assert REPORTER_NAME not in annotation.text
    assert "[nama pelapor]" in annotation.text


async def test_nlu_export_download_and_summary(tracker: Tracker, admin: SignedIn) -> None:
    await _chat(tracker)
    await admin.client.get("/tinjau")
    conversation = await _conversation(REPORTER_PHONE)
    turn = await _turn(ODD)
    await admin.client.post(
        f"/tinjau/{conversation.id}/pesan/{turn.id}/anotasi",
        data={
            "csrf_token": admin.csrf,
            "intent": "report_complaint",
            "entitas_1": "desa",
            "bagian_1": "tebing tinggi",
            "nilai_1": "Tebing Tinggi",
        },
    )
    other = await _conversation(OTHER)
    other_turn = await _turn(XSS)
    await admin.client.post(
        f"/tinjau/{other.id}/pesan/{other_turn.id}/anotasi",
        data={"csrf_token": admin.csrf, "intent": "out_of_scope"},
    )
    summary = await admin.client.get("/tinjau/ekspor")
    assert summary.status_code == 200
    assert re.search(r'id="jumlah-diekspor">2<', summary.text)
    download = await admin.client.get("/tinjau/ekspor/reviewed.yml")
    assert download.status_code == 200
    assert 'filename="reviewed.yml"' in download.headers["content-disposition"]
    document = yaml.safe_load(download.text)
    assert document["version"] == "3.1"
    blocks = {block["intent"]: block["examples"] for block in document["nlu"]}
    assert blocks["report_complaint"] == (
        "- warung remang2 buka smp subuh di "
        '[tebing tinggi]{"entity": "desa", "value": "Tebing Tinggi"}\n'
    )
    assert blocks["out_of_scope"] == f"- {XSS}\n"
    (entry,) = await audit_entries(audit.REVIEW_NLU_EXPORTED)
    assert entry.actor == "admin"


async def test_story_export(tracker: Tracker, admin: SignedIn) -> None:
    await make_ticket()
    await _chat(tracker)
    await admin.client.get("/tinjau")
    conversation = await _conversation(REPORTER_PHONE)
    turn = await _turn(ODD)
    await admin.client.post(
        f"/tinjau/{conversation.id}/pesan/{turn.id}/anotasi",
        data={"csrf_token": admin.csrf, "intent": "report_complaint"},
    )
    response = await admin.client.get(f"/tinjau/{conversation.id}/story.yml")
    assert response.status_code == 200
    assert REPORTER_NAME not in response.text
    steps = yaml.safe_load(response.text)["stories"][0]["steps"]
    assert steps == [
        {"user": "saya [nama pelapor], no wa [nomor pelapor]", "intent": "greet"},
        {"user": ODD, "intent": "report_complaint"},
        {"action": "utter_service_hours"},
    ]
    assert await audit_entries(audit.REVIEW_STORY_EXPORTED)


async def test_stats_page(tracker: Tracker, admin: SignedIn) -> None:
    await _chat(tracker)
    page = await admin.client.get("/tinjau/statistik")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "Pesan dengan keyakinan terendah" in page.text


async def test_unreadable_tracker_keeps_the_pages_working(
    db: str, admin: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", "sqlite:////nonexistent/dir/tracker.db")
    reset_settings_cache()
    page = await admin.client.get("/tinjau")
    assert page.status_code == 200
    assert 'id="indeks-usang"' in page.text


async def _complaint_chat(tracker: Tracker, sender: str) -> None:
    """A complaint sent through the form, with the slot events Rasa stores."""
    await tracker.session_start(sender)
    await tracker.user(sender, "ada pkl di trotoar pasar", "report_complaint", 0.98)
    await tracker.action(sender, "action_check_complaint_signal")
    await tracker.slot(sender, "complaint_signal", "strong")
    await tracker.action(sender, "complaint_form")
    await tracker.raw(sender, "active_loop", {"name": "complaint_form"})
    await tracker.slot(sender, "category", "pkl")
    await tracker.user(sender, f"nama saya {REPORTER_NAME}", "greet", 0.4)
    await tracker.action(sender, "complaint_form")
    await tracker.slot(sender, "reporter_name", REPORTER_NAME)
    await tracker.user(sender, "ya", "affirm", 0.99)
    await tracker.action(sender, "complaint_form")
    await tracker.slot(sender, "complaint_outcome", "submit")
    await tracker.raw(sender, "active_loop", {"name": None})
    await tracker.action(sender, "action_submit_complaint")
    await tracker.slot(sender, "complaint_outcome", None)


async def test_training_story_export(tracker: Tracker, admin: SignedIn) -> None:
    await _complaint_chat(tracker, REPORTER_PHONE)
    # A fallback nobody corrected: not a training story.
    await tracker.session_start(OTHER)
    await tracker.user(OTHER, XSS, "nlu_fallback", 0.2, channel="rest")
    await tracker.action(OTHER, "action_default_fallback")
    await tracker.user(OTHER, "halo", "nlu_fallback", 0.3, channel="rest")
    await tracker.action(OTHER, "utter_default")
    await admin.client.get("/tinjau")
    conversation = await _conversation(REPORTER_PHONE)
    other = await _conversation(OTHER)
    turn = (await _turns(conversation))[1]
    await admin.client.post(
        f"/tinjau/{conversation.id}/pesan/{turn.id}/anotasi",
        data={"csrf_token": admin.csrf, "intent": "report_complaint"},
    )
    for reviewed in (conversation, other):
        marked = await admin.client.post(
            f"/tinjau/{reviewed.id}/ditinjau", data={"csrf_token": admin.csrf, "ditinjau": "1"}
        )
        assert marked.status_code == 303

    page = await admin.client.get("/tinjau/ekspor")
    assert 'id="unduh-stories"' in page.text and "data/stories/reviewed.yml" in page.text

    download = await admin.client.get("/tinjau/ekspor/stories.yml")
    assert download.status_code == 200
    assert 'filename="reviewed.yml"' in download.headers["content-disposition"]
    assert REPORTER_NAME not in download.text and "trotoar" not in download.text
    document = yaml.safe_load(download.text)
    (story,) = document["stories"]
    assert story["story"] == f"tinjau {conversation.id} {conversation.pseudonym}"
    assert story["steps"] == [
        {"intent": "report_complaint"},
        {"action": "action_check_complaint_signal"},
        {"slot_was_set": [{"complaint_signal": "strong"}]},
        {"action": "complaint_form"},
        {"active_loop": "complaint_form"},
        {"intent": "report_complaint"},
        {"action": "complaint_form"},
        {"intent": "affirm"},
        {"action": "complaint_form"},
        {"slot_was_set": [{"complaint_outcome": "submit"}]},
        {"active_loop": None},
        {"action": "action_submit_complaint"},
        {"slot_was_set": [{"complaint_outcome": None}]},
    ]
    (entry,) = await audit_entries(audit.REVIEW_TRAINING_STORIES_EXPORTED)
    assert entry.detail is not None and '"skipped": 1' in entry.detail

    single = await admin.client.get(f"/tinjau/{conversation.id}/training-story.yml")
    assert single.status_code == 200
    assert yaml.safe_load(single.text)["stories"] == [story]
    refused = await admin.client.get(f"/tinjau/{other.id}/training-story.yml")
    assert refused.status_code == 422
    assert "nlu_fallback" in refused.text
    view = await admin.client.get(f"/tinjau/{conversation.id}")
    assert 'id="ekspor-training-story"' in view.text


async def _turns(conversation: ReviewConversation) -> list[ReviewTurn]:
    async with session_scope() as session:
        query = (
            select(ReviewTurn)
            .where(ReviewTurn.conversation_id == conversation.id)
            .order_by(ReviewTurn.event_id)
        )
        return list((await session.execute(query)).scalars())
