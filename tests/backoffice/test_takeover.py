"""Human takeover: take over, hand back, two-admin race, 24-hour window, idle return, pages.

Every test runs on SQLite, and on PostgreSQL when ``DATABASE_URL`` points at one.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from backoffice.auth.roles import Role
from backoffice.conversations import dispose_tracker_engines
from backoffice.takeover.views import rasa_client
from lalisa.core import audit
from lalisa.core.contacts import remember_contact
from lalisa.core.crypto import blind_index, sender_key
from lalisa.core.db import session_scope
from lalisa.core.settings import (
    SettingsError,
    TakeoverSettings,
    get_settings,
    reset_settings_cache,
)
from lalisa.notifications.models import OutboxMessage, OutboxStatus
from lalisa.takeover.errors import (
    OutsideServiceWindow,
    RasaApiError,
    TakeoverConflict,
    TakeoverError,
)
from lalisa.takeover.models import HandoffReason
from lalisa.takeover.rasa_api import ADMIN_METADATA_KEY
from lalisa.takeover.service import (
    MSG_WINDOW_CLOSED,
    hand_back,
    pseudonym,
    record_handoff_request,
    return_idle_takeovers,
    send_admin_reply,
    take_over,
)
from lalisa.tickets.models import TicketStatus
from lalisa.tickets.workflow import flag_for_review
from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher
from lalisa_common.env import read_env
from tests.backoffice.helpers import SignedIn
from tests.backoffice.takeover_helpers import (
    FakeRasa,
    audit_actions,
    handoff_requests,
    takeover_messages,
    takeovers,
)
from tests.backoffice.workflow_helpers import load_ticket_in, make_ticket
from tests.notifications.helpers import add_inbound, clear_channel_tables

CITIZEN = "6281234500901"
OTHER_CITIZEN = "6281234500902"
EVENTS_DDL = """
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)
"""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def rasa(app: FastAPI) -> AsyncIterator[FakeRasa]:
    """A fake Rasa API behind the back office's Rasa client."""
    fake = FakeRasa()
    app.dependency_overrides[rasa_client] = lambda: fake.client
    yield fake
    await fake.client.aclose()


@pytest.fixture
async def channel(db: str) -> AsyncIterator[None]:
    """The WhatsApp channel's tables (not on Base.metadata) emptied around the test."""
    await clear_channel_tables()
    yield
    await clear_channel_tables()


@pytest.fixture
async def tracker_db(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Path]:
    """A SQLite tracker store (Rasa's ``events`` table) named by TRACKER_DATABASE_URL."""
    path = tmp_path / "rasa-tracker.db"
    with sqlite3.connect(path) as connection:
        connection.execute(EVENTS_DDL)
    connection.close()
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{path}")
    reset_settings_cache()
    yield path
    await dispose_tracker_engines()


def add_events(path: Path, sender: str, events: list[dict[str, object]]) -> None:
    """Write tracker events as Rasa's SQL tracker store does (citizen by key, data encrypted)."""
    cipher = at_rest_cipher(get_settings().identity.key, TRACKER_EVENTS)
    with sqlite3.connect(path) as connection:
        for event in events:
            connection.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                (sender_key(sender), event["event"], event["timestamp"], cipher.dumps(event)),
            )
    connection.close()


async def ask_for_person(sender: str = CITIZEN, *, at: datetime | None = None) -> str:
    """Record a request for a person like action_request_human; return the sender ref.

    The receiver recorded the number behind the key; Rasa and the action know only the key.
    """
    async with session_scope() as session:
        key = await remember_contact(session, sender)
        request = await record_handoff_request(
            session, sender_id=key, reason=HandoffReason.REQUEST_HUMAN, now=at
        )
        return request.sender_ref


async def post(signed_in: SignedIn, path: str, data: dict[str, str] | None = None):
    return await signed_in.client.post(path, data={"csrf_token": signed_in.csrf, **(data or {})})


# ------------------------------------------------------------------------------- settings


def test_settings_defaults_and_environment() -> None:
    defaults = TakeoverSettings.from_env(read_env({}, env_file=None))
    assert defaults.rasa_url == "http://localhost:5005"
    assert defaults.rasa_api_token is None
    assert defaults.idle_minutes == 30
    custom = TakeoverSettings.from_env(
        read_env(
            {
                "RASA_URL": "http://rasa:5005/",
                "RASA_API_TOKEN": "rahasia",
                "TAKEOVER_IDLE_MINUTES": "5",
            },
            env_file=None,
        )
    )
    assert (custom.rasa_url, custom.rasa_api_token, custom.idle_minutes) == (
        "http://rasa:5005",
        "rahasia",
        5,
    )
    assert "rahasia" not in repr(custom)
    for bad in ("0", "setengah jam"):
        with pytest.raises(SettingsError):
            TakeoverSettings.from_env(read_env({"TAKEOVER_IDLE_MINUTES": bad}, env_file=None))


# ---------------------------------------------------------------------- take and hand back


async def test_take_over_pauses_rasa_and_hand_back_resumes(
    as_role: dict[Role, SignedIn], rasa: FakeRasa
) -> None:
    ref = await ask_for_person()
    admin = as_role[Role.ADMIN]

    response = await post(admin, f"/ambil-alih/{ref}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/ambil-alih/{ref}?notice=takeover_started"
    assert rasa.paused[sender_key(CITIZEN)] is True
    [takeover] = await takeovers()
    assert (takeover.taken_by, takeover.active) == ("admin", True)
    [request] = await handoff_requests()
    assert (request.resolved_by, request.takeover_id) == ("admin", takeover.id)

    page = await admin.client.get(f"/ambil-alih/{ref}")
    assert page.status_code == 200
    assert "Diambil alih oleh admin" in page.text
    assert 'id="form-balas"' in page.text and 'id="btn-kembalikan"' in page.text
    assert CITIZEN not in page.text

    response = await post(admin, f"/ambil-alih/{ref}/kembalikan")
    assert response.status_code == 303
    assert rasa.paused[sender_key(CITIZEN)] is False
    assert rasa.kinds(CITIZEN) == ["pause", "resume"]
    [takeover] = await takeovers()
    assert (takeover.active, takeover.end_reason, takeover.ended_by) == (
        False,
        "handed_back",
        "admin",
    )
    actions = await audit_actions()
    assert ("admin", audit.TAKEOVER_STARTED) in actions
    assert ("admin", audit.TAKEOVER_HANDED_BACK) in actions

    # Handing back twice is refused with a message, nothing changes.
    again = await post(admin, f"/ambil-alih/{ref}/kembalikan")
    assert again.status_code == 409
    assert "tidak sedang diambil alih" in again.text
    assert rasa.kinds(CITIZEN) == ["pause", "resume"]


async def test_second_admin_is_told_who_holds_the_conversation(
    as_role: dict[Role, SignedIn], rasa: FakeRasa
) -> None:
    ref = await ask_for_person()
    assert (await post(as_role[Role.ADMIN], f"/ambil-alih/{ref}")).status_code == 303

    second = await post(as_role[Role.SUPERADMIN], f"/ambil-alih/{ref}")
    assert second.status_code == 409
    assert "sudah diambil alih oleh admin" in second.text
    assert len(await takeovers()) == 1
    assert rasa.kinds(CITIZEN) == ["pause"]

    # Another admin may neither reply nor hand it back; superadmin may end it.
    assert (
        await post(as_role[Role.SUPERADMIN], f"/ambil-alih/{ref}/balas", {"pesan": "x"})
    ).status_code == 409
    page = await as_role[Role.SUPERADMIN].client.get(f"/ambil-alih/{ref}")
    assert 'id="form-balas"' not in page.text
    ended = await post(as_role[Role.SUPERADMIN], f"/ambil-alih/{ref}/kembalikan")
    assert ended.status_code == 303
    assert rasa.paused[sender_key(CITIZEN)] is False


async def test_two_admins_racing_one_wins(db: str) -> None:
    """Both press "Ambil alih" at the same instant: exactly one takeover, one clear refusal."""
    ref = await ask_for_person()
    fake = FakeRasa()
    fake.pause_delay = 0.3  # the first holds its transaction while Rasa answers

    async def attempt(actor: str) -> str:
        try:
            async with session_scope() as session:
                await take_over(session, fake.client, sender_ref=ref, actor=actor)
        except TakeoverConflict as exc:
            return exc.message
        return "ok"

    try:
        results = await asyncio.gather(attempt("admin.satu"), attempt("admin.dua"))
    finally:
        await fake.client.aclose()
    assert sorted(results)[-1] == "ok"
    refusal = sorted(results)[0]
    assert refusal.startswith("Percakapan ini sudah diambil alih oleh admin.")
    [takeover] = await takeovers()
    assert takeover.taken_by in refusal


async def test_rasa_unreachable_changes_nothing(
    as_role: dict[Role, SignedIn], rasa: FakeRasa
) -> None:
    ref = await ask_for_person()
    rasa.failures = [0, 502, 503]  # refused, then two 5xx: all three attempts fail
    response = await post(as_role[Role.ADMIN], f"/ambil-alih/{ref}")
    assert response.status_code == 503
    assert "Server asisten (Rasa) tidak dapat dihubungi" in response.text
    assert rasa.calls == 3
    assert await takeovers() == []
    assert (await handoff_requests())[0].resolved_at is None
    assert audit.TAKEOVER_STARTED not in [action for _, action in await audit_actions()]


async def test_rasa_retries_a_passing_outage_and_refuses_a_wrong_token(db: str) -> None:
    ref = await ask_for_person()
    fake = FakeRasa()
    try:
        fake.failures = [503]
        async with session_scope() as session:
            await take_over(session, fake.client, sender_ref=ref, actor="admin")
        assert fake.paused[sender_key(CITIZEN)] is True and fake.calls == 2
        fake.failures = [401]
        with pytest.raises(RasaApiError, match="menolak"):
            async with session_scope() as session:
                await hand_back(session, fake.client, sender_ref=ref, actor="admin")
        assert fake.calls == 3  # no retry on 4xx
        assert (await takeovers())[0].active
    finally:
        await fake.client.aclose()


# ------------------------------------------------------------------------------- replies


async def test_reply_inside_the_window_is_queued_and_logged_in_the_tracker(
    as_role: dict[Role, SignedIn], rasa: FakeRasa, channel: None
) -> None:
    ref = await ask_for_person()
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=2))
    admin = as_role[Role.ADMIN]
    await post(admin, f"/ambil-alih/{ref}")
    before = (await takeovers())[0].last_activity_at

    text = "Selamat siang, kami dari Satpol PP. <b>Mohon</b> kirim lokasinya."
    response = await post(admin, f"/ambil-alih/{ref}/balas", {"pesan": text, "kunci": "k1"})
    assert response.status_code == 303
    # The same form submitted again sends nothing more.
    await post(admin, f"/ambil-alih/{ref}/balas", {"pesan": text, "kunci": "k1"})

    async with session_scope() as session:
        outbox = list((await session.execute(select(OutboxMessage))).scalars())
    assert len(outbox) == 1
    assert (outbox[0].kind, outbox[0].body, outbox[0].template_name) == ("admin_reply", text, None)
    assert outbox[0].recipient_ref == ref and outbox[0].status is OutboxStatus.PENDING
    [reply] = await takeover_messages()
    assert (reply.author, reply.outbox_id) == ("admin", outbox[0].id)
    bot_events = [e for e in rasa.events[sender_key(CITIZEN)] if e["event"] == "bot"]
    assert len(bot_events) == 1
    assert bot_events[0]["text"] == text
    assert bot_events[0]["metadata"] == {ADMIN_METADATA_KEY: "admin"}
    assert (await takeovers())[0].last_activity_at > before
    assert ("admin", audit.TAKEOVER_MESSAGE_SENT) in await audit_actions()

    page = await admin.client.get(f"/ambil-alih/{ref}")
    assert "&lt;b&gt;Mohon&lt;/b&gt;" in page.text
    assert f'id="reply-status-{reply.id}">Menunggu dikirim<' in page.text


async def test_reply_outside_the_window_is_refused_and_nothing_is_sent(
    as_role: dict[Role, SignedIn], rasa: FakeRasa, channel: None
) -> None:
    ref = await ask_for_person()
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=25))
    admin = as_role[Role.ADMIN]
    await post(admin, f"/ambil-alih/{ref}")

    response = await post(admin, f"/ambil-alih/{ref}/balas", {"pesan": "Halo, masih di sana?"})
    assert response.status_code == 409
    assert "templat pesan" in response.text
    assert "Halo, masih di sana?" in response.text  # the draft is kept
    async with session_scope() as session:
        assert (await session.execute(select(OutboxMessage))).first() is None
    assert await takeover_messages() == []
    assert "bot" not in rasa.kinds(CITIZEN)


async def test_reply_domain_checks(db: str, channel: None) -> None:
    ref = await ask_for_person()
    fake = FakeRasa()
    try:
        async with session_scope() as session:
            await take_over(session, fake.client, sender_ref=ref, actor="admin")
        with pytest.raises(OutsideServiceWindow) as refused:
            async with session_scope() as session:
                await send_admin_reply(
                    session, fake.client, sender_ref=ref, actor="admin", text="x"
                )
        assert refused.value.message == MSG_WINDOW_CLOSED
        await add_inbound(CITIZEN, utcnow())
        for actor, text in (("admin", "   "), ("admin", "x" * 4097), ("lain", "halo")):
            with pytest.raises(TakeoverError):
                async with session_scope() as session:
                    await send_admin_reply(
                        session, fake.client, sender_ref=ref, actor=actor, text=text
                    )
        fake.failures = [500, 500, 500]
        with pytest.raises(RasaApiError):
            async with session_scope() as session:
                await send_admin_reply(
                    session, fake.client, sender_ref=ref, actor="admin", text="ok"
                )
        # The tracker could not record it, so nothing was queued either.
        async with session_scope() as session:
            assert (await session.execute(select(OutboxMessage))).first() is None
    finally:
        await fake.client.aclose()


# ----------------------------------------------------------------------------- idle return


async def test_idle_takeover_returns_to_the_assistant(db: str, channel: None) -> None:
    start = utcnow() - timedelta(hours=1)
    ref = await ask_for_person(at=start)
    other_ref = await ask_for_person(OTHER_CITIZEN, at=start)
    fake = FakeRasa()
    settings = TakeoverSettings(idle_minutes=30)
    try:
        async with session_scope() as session:
            await take_over(session, fake.client, sender_ref=ref, actor="admin", now=start)
            await take_over(session, fake.client, sender_ref=other_ref, actor="admin", now=start)
        # The admin answered the other citizen 20 minutes later: that one stays taken.
        await add_inbound(OTHER_CITIZEN, start)
        async with session_scope() as session:
            await send_admin_reply(
                session,
                fake.client,
                sender_ref=other_ref,
                actor="admin",
                text="Sebentar ya",
                now=start + timedelta(minutes=20),
            )
        at_29 = start + timedelta(minutes=29)
        assert await return_idle_takeovers(fake.client, settings=settings, now=at_29) == 0
        fake.failures = [0, 0, 0]  # Rasa down: postponed, not closed
        at_31 = start + timedelta(minutes=31)
        assert await return_idle_takeovers(fake.client, settings=settings, now=at_31) == 0
        assert all(t.active for t in await takeovers())
        assert await return_idle_takeovers(fake.client, settings=settings, now=at_31) == 1
    finally:
        await fake.client.aclose()
    first, second = await takeovers()
    assert (first.active, first.end_reason, first.ended_by) == (False, "idle", audit.SYSTEM_ACTOR)
    assert second.active
    assert (
        fake.paused[sender_key(CITIZEN)] is False and fake.paused[sender_key(OTHER_CITIZEN)] is True
    )
    assert (audit.SYSTEM_ACTOR, audit.TAKEOVER_AUTO_RETURNED) in await audit_actions()


# ------------------------------------------------------------------- the needs-person list


async def test_needs_person_list_shows_reasons_tickets_and_pseudonyms_only(
    as_role: dict[Role, SignedIn], rasa: FakeRasa
) -> None:
    number = await make_ticket(sender=CITIZEN, name="Budi Rahasia")
    ref = await ask_for_person()
    await ask_for_person()  # asked twice: still one entry, one request
    async with session_scope() as session:
        await record_handoff_request(
            session, sender_id=CITIZEN, reason=HandoffReason.FALLBACK_TWICE, out_of_hours=True
        )
    closed = await make_ticket(sender=OTHER_CITIZEN, status=TicketStatus.SELESAI)
    async with session_scope() as session:
        ticket = await load_ticket_in(session, closed)
        await flag_for_review(session, ticket, "warga", "belum selesai pak")

    page = await as_role[Role.ADMIN].client.get("/perlu-petugas")
    assert page.status_code == 200
    assert len(await handoff_requests()) == 2
    rows = re.findall(r'<tr class="needs-person-row" data-ref="([0-9a-f]{64})"', page.text)
    assert sorted(rows) == sorted([ref, blind_index(OTHER_CITIZEN)])
    assert pseudonym(ref) in page.text and pseudonym(blind_index(OTHER_CITIZEN)) in page.text
    assert "Warga meminta berbicara dengan petugas" in page.text
    assert "Asisten dua kali berturut-turut tidak memahami warga" in page.text
    assert "Aduan ditandai perlu ditinjau" in page.text and closed in page.text
    assert number in page.text and "di luar jam kerja" in page.text
    for secret in (CITIZEN, OTHER_CITIZEN, "Budi Rahasia"):
        assert secret not in page.text

    summary = (await as_role[Role.ADMIN].client.get("/perlu-petugas/ringkasan")).json()
    assert summary["waiting"] == 2
    await post(as_role[Role.ADMIN], f"/ambil-alih/{ref}")
    after = (await as_role[Role.ADMIN].client.get("/perlu-petugas/ringkasan")).json()
    assert after["waiting"] == 1 and after["key"] != summary["key"]
    page = await as_role[Role.ADMIN].client.get("/perlu-petugas")
    assert 'id="taken-list"' in page.text and "oleh <strong>admin</strong>" in page.text


async def test_every_page_of_an_admin_carries_the_waiting_badge(
    as_role: dict[Role, SignedIn],
) -> None:
    badge = 'data-badge-url="/perlu-petugas/ringkasan"'
    for path in ("/", "/aduan"):
        page = await as_role[Role.ADMIN].client.get(path)
        assert badge in page.text and '<span class="nav-badge" hidden></span>' in page.text
        assert '<script src="/static/nav-badge.js" defer></script>' in page.text
    # Roles that may not open the list get neither the link nor its badge.
    page = await as_role[Role.VERIFIKATOR].client.get("/")
    assert badge not in page.text


async def test_unknown_or_malformed_conversation_is_not_found(
    as_role: dict[Role, SignedIn], rasa: FakeRasa
) -> None:
    admin = as_role[Role.ADMIN]
    assert (await admin.client.get("/ambil-alih/0123")).status_code == 404
    assert (await admin.client.get("/ambil-alih/" + "a" * 64)).status_code == 404
    assert (await post(admin, "/ambil-alih/" + "a" * 64)).status_code == 404
    assert rasa.calls == 0


# ----------------------------------------------------------------------- the chat on the page


async def test_page_shows_the_whole_chat_and_polls_new_messages(
    as_role: dict[Role, SignedIn], rasa: FakeRasa, tracker_db: Path
) -> None:
    ref = await ask_for_person()
    t0 = utcnow() - timedelta(minutes=10)
    add_events(
        tracker_db,
        CITIZEN,
        [
            {"event": "user", "timestamp": t0.timestamp(), "text": "mau bicara dengan petugas"},
            {"event": "action", "timestamp": t0.timestamp() + 1, "name": "action_request_human"},
            {
                "event": "bot",
                "timestamp": t0.timestamp() + 2,
                "text": "Baik, admin segera membalas.",
            },
        ],
    )
    add_events(
        tracker_db, OTHER_CITIZEN, [{"event": "user", "timestamp": t0.timestamp(), "text": "lain"}]
    )
    admin = as_role[Role.ADMIN]
    page = await admin.client.get(f"/ambil-alih/{ref}")
    assert "mau bicara dengan petugas" in page.text and "Baik, admin segera membalas." in page.text
    assert ">lain<" not in page.text
    last_id = int(re.search(r'data-last-id="(\d+)"', page.text).group(1))  # type: ignore[union-attr]

    add_events(
        tracker_db,
        CITIZEN,
        [
            {
                "event": "user",
                "timestamp": t0.timestamp() + 60,
                "text": f"nomor saya {CITIZEN} <i>",
            },
            {
                "event": "bot",
                "timestamp": t0.timestamp() + 70,
                "text": "Kami cek dulu.",
                "metadata": {ADMIN_METADATA_KEY: "admin"},
            },
        ],
    )
    data = (await admin.client.get(f"/ambil-alih/{ref}/pesan", params={"setelah": last_id})).json()
    assert [(m["kind"], m["speaker"]) for m in data["messages"]] == [
        ("citizen", "Warga"),
        ("admin", "Petugas admin"),
    ]
    assert data["messages"][0]["text"] == "nomor saya [nomor pelapor] <i>"
    assert data["available"] is True and data["taken_by"] is None


def test_env_example_documents_the_takeover_settings() -> None:
    text = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name in ("RASA_URL", "RASA_API_TOKEN", "TAKEOVER_IDLE_MINUTES"):
        assert f"\n{name}=" in text, name


def test_make_run_gives_rasa_api_a_token_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` starts Rasa's API with a token, generated when none is configured.

    The token reaches Rasa through the environment only: the command line (``ps``) never holds
    it (``lalisa_rasa.launch`` adds it to Rasa's arguments in memory).
    """
    from scripts import guard, run

    names = ("RASA_API_TOKEN", "RASA_URL", "LALISA_ACTION_SECRET", "LALISA_ENV", "LALISA_SANDBOX")
    for name in names + guard.WHATSAPP_VARIABLES + ("WHATSAPP_API_BASE_URL",):
        # set first so that monkeypatch restores (removes) what prepare_environment() writes
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("RASA_PORT", "5105")
    assert guard.prepare_environment()
    rasa = next(service for service in run.services() if service.name == "rasa")
    token = os.environ["RASA_API_TOKEN"]
    assert len(token) >= 32
    assert "--enable-api" in rasa.command
    assert not any(token in argument for argument in rasa.command)
    assert not any(argument.startswith("--auth-token") for argument in rasa.command)
    assert os.environ["RASA_URL"] == "http://127.0.0.1:5105"
