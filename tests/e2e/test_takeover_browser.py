"""Human takeover end to end: WhatsApp sandbox, real Rasa, back office in headless Chromium.

A citizen asks for a person over WhatsApp; the request appears on the "Perlu petugas" list; an
admin takes the conversation over in the browser. The citizen's next message shows up on the
takeover page and the assistant stays silent; the admin's reply reaches the citizen's phone
through the outbox worker. Rasa is restarted and the conversation is still paused (the pause is
in the tracker). The admin hands it back and the assistant answers again.

This module starts its own stack with the back office and the outbox worker (``office``).
"""

from __future__ import annotations

import time
import uuid

import httpx
from playwright.sync_api import expect

from backoffice.auth.roles import Role

from .browser import chromium
from .conftest import Stack
from .helpers import TIMEOUT_MS, Officer, create_officers, new_page, sign_in
from .phone import Phone, sandbox_events

ADMIN = Officer("admin.alih", "Admin Ambil Alih", Role.ADMIN, "Sandi-Uji-Ambil-Alih-5521")
GREETING = "selamat datang di *La-Lisa*"
HUMAN_REQUESTED = "Permintaan Anda untuk dibalas petugas sudah kami catat"


def assert_silent(phone: Phone, seconds: float) -> None:
    """No message reaches the phone for ``seconds`` (the assistant is paused)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        events = sandbox_events(phone.sandbox_url, phone.number, phone.seen, wait=2)
        out = [event for event in events if event.get("kind") == "out"]
        assert out == [], f"the assistant answered during the takeover: {out}"


def rasa_paused(stack: Stack, sender: str) -> bool:
    response = httpx.get(
        f"{stack.rasa_url}/conversations/{sender}/tracker",
        params={"token": stack.env["RASA_API_TOKEN"], "include_events": "NONE"},
        timeout=30,
    )
    response.raise_for_status()
    return bool(response.json()["paused"])


def test_admin_takes_over_answers_and_hands_back(office: Stack) -> None:
    assert office.backoffice_url is not None
    create_officers(office.database_url, ADMIN)
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
        page = new_page(browser, office.backoffice_url)
        sign_in(page, ADMIN)
        # Every page shows how many conversations wait for a person.
        expect(page.locator("nav.menu a[href='/perlu-petugas'] .nav-badge")).to_have_text("1")
        page.click("nav.menu a[href='/perlu-petugas']")
        row = page.locator("tr.needs-person-row")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Warga meminta berbicara dengan petugas")
        expect(row).not_to_contain_text(number)
        row.locator("button.take-button").click()
        expect(page.locator("main > .notice[role=status]")).to_contain_text("diambil alih")
        expect(page.locator("#takeover-status")).to_have_text(f"Diambil alih oleh {ADMIN.username}")
        expect(page.locator("#chat")).to_contain_text("mau bicara dengan petugas")
        assert rasa_paused(office, office.citizen_key(number))

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
        assert rasa_paused(office, office.citizen_key(number))
        phone.text("masih di sana pak?")
        expect(page.locator("#chat")).to_contain_text("masih di sana pak?", timeout=TIMEOUT_MS)
        assert_silent(phone, 4)

        page.click("#btn-kembalikan")
        expect(page.locator("main > .notice[role=status]")).to_contain_text("dikembalikan")
        expect(page.locator("#takeover-status")).to_have_text("Dijawab asisten")
        assert not rasa_paused(office, office.citizen_key(number))
        page.context.close()

    phone.text("halo")
    phone.wait_for(GREETING)
