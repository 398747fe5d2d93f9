"""Human takeover end to end: WhatsApp sandbox, real Rasa, back office in headless Chromium.

A citizen asks for a person over WhatsApp; the request appears on the "Perlu petugas" list; an
admin takes the conversation over in the browser. The citizen's next message shows up on the
takeover page and the assistant stays silent; the admin's reply reaches the citizen's phone
through the outbox worker. Rasa is restarted and the conversation is still paused (the pause is
in the tracker). The admin hands it back and the assistant answers again.

This module starts its own stack with the back office and the outbox worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import async_sessionmaker

from backoffice.auth.roles import Role
from backoffice.auth.service import create_user
from lalisa.db import create_engine_for_url
from scripts.stack import local_stack

from .browser import chromium
from .conftest import Stack, _admin_sql, _postgres_databases
from .phone import Phone

TIMEOUT_MS = 30_000
PASSWORD = "Sandi-Uji-Ambil-Alih-5521"
ADMIN = ("admin.alih", "Admin Ambil Alih")
GREETING = "selamat datang di *La-Lisa*"
HUMAN_REQUESTED = "Permintaan Anda untuk dibalas petugas sudah kami catat"


@pytest.fixture(
    scope="module", params=["sqlite", *(["postgresql"] if _postgres_databases() else [])]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Actions, Rasa (HTTP API with a token), sandbox, back office and outbox worker."""
    work = tmp_path_factory.mktemp(f"takeover-{request.param}")
    if request.param == "sqlite":
        with local_stack(
            work,
            database_url=f"sqlite:///{work / 'lalisa.db'}",
            tracker_url=f"sqlite:///{work / 'tracker.db'}",
            extra_env={"REDIS_URL": ""},
            with_backoffice=True,
        ) as running:
            yield running
        return
    base = _postgres_databases()[0].replace("postgres://", "postgresql://", 1)
    name = f"lalisa_e2e_to_{uuid.uuid4().hex[:10]}"
    _admin_sql(base, f'CREATE DATABASE "{name}"')
    database_url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        with local_stack(
            work, database_url=database_url, tracker_url=database_url, with_backoffice=True
        ) as running:
            yield running
    finally:
        _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_admin(database_url: str) -> None:
    async def run() -> None:
        engine = create_engine_for_url(database_url, null_pool=True)
        try:
            maker = async_sessionmaker(engine, expire_on_commit=False)
            async with maker() as session, session.begin():
                await create_user(
                    session,
                    username=ADMIN[0],
                    full_name=ADMIN[1],
                    role=Role.ADMIN,
                    password=PASSWORD,
                    must_change_password=False,
                    actor=None,
                    via="e2e",
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


def assert_silent(phone: Phone, seconds: float) -> None:
    """No message reaches the phone for ``seconds`` (the assistant is paused)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = httpx.get(
            f"{phone.sandbox_url}/sim/api/events",
            params={"phone": phone.number, "after": phone.seen, "wait": 2},
            timeout=30,
        )
        response.raise_for_status()
        out = [event for event in response.json()["events"] if event.get("kind") == "out"]
        assert out == [], f"the assistant answered during the takeover: {out}"


def rasa_paused(stack: Stack, sender: str) -> bool:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.env["RASA_API_TOKEN"], "include_events": "NONE"},
        timeout=30,
    )
    response.raise_for_status()
    return bool(response.json()["paused"])


def sign_in(page: Page) -> None:
    page.goto("/login")
    page.fill("#username", ADMIN[0])
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".who-name")).to_have_text(ADMIN[1])


def test_admin_takes_over_answers_and_hands_back(office: Stack) -> None:
    assert office.backoffice_url is not None
    create_admin(office.database_url)
    # Unique per run: Redis keeps dedupe keys and the tracker keeps conversations.
    number = "62812" + str(uuid.uuid4().int)[:8]
    phone = Phone(office.sandbox_url, number)

    # The API refuses calls without the stack's token.
    anonymous = httpx.get(f"{office.rasa_url}/conversations/{number}/tracker", timeout=30)
    assert anonymous.status_code == 401

    phone.text("halo")
    phone.wait_for(GREETING)
    phone.text("mau bicara dengan petugas")
    phone.wait_for(HUMAN_REQUESTED)

    with chromium() as browser:
        context = browser.new_context(base_url=office.backoffice_url)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        sign_in(page)
        page.click("nav.menu a[href='/perlu-petugas']")
        row = page.locator("tr.needs-person-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Warga meminta berbicara dengan petugas")
        expect(row).not_to_contain_text(number)
        row.locator("button.take-button").click()
        expect(page.locator("main > .notice[role=status]")).to_contain_text("diambil alih")
        expect(page.locator("#takeover-status")).to_have_text(f"Diambil alih oleh {ADMIN[0]}")
        expect(page.locator("#chat")).to_contain_text("mau bicara dengan petugas")
        assert rasa_paused(office, number)

        # The citizen writes: the message reaches the page (polling), the assistant is silent.
        phone.text("pak ada pkl jualan lagi di depan pasar")
        expect(page.locator("#chat")).to_contain_text(
            "pak ada pkl jualan lagi di depan pasar", timeout=TIMEOUT_MS
        )
        expect(page.locator("#chat-new")).to_be_visible()
        assert_silent(phone, 4)

        reply = "Baik, petugas kami segera ke lokasi. Mohon kirim foto bila ada."
        page.fill("#pesan", reply)
        page.click("#btn-kirim")
        expect(page.locator("main > .notice[role=status]")).to_contain_text("antrean pengiriman")
        phone.wait_for(reply)
        expect(page.locator(".reply-status").first).not_to_have_text(
            "Menunggu dikirim", timeout=TIMEOUT_MS
        )
        expect(page.locator("#chat li.conversation-admin")).to_contain_text(reply)

        # Rasa restarts: the pause is in the tracker, so the assistant stays silent.
        office.restart("rasa")
        assert rasa_paused(office, number)
        phone.text("masih di sana pak?")
        expect(page.locator("#chat")).to_contain_text("masih di sana pak?", timeout=TIMEOUT_MS)
        assert_silent(phone, 4)

        page.click("#btn-kembalikan")
        expect(page.locator("main > .notice[role=status]")).to_contain_text("dikembalikan")
        expect(page.locator("#takeover-status")).to_have_text("Dijawab asisten")
        assert not rasa_paused(office, number)
        context.close()

    phone.text("halo")
    phone.wait_for(GREETING)
