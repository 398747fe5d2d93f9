"""Settings edited on /pengaturan in headless Chromium reach the citizen, without a restart.

The shared ``stack`` (real Rasa + action server + WhatsApp sandbox) gets a back office and an
outbox worker next to it (``stack_backoffice``), on the same database.

- The superadmin changes the office hours; the citizen's ``ask_service_hours`` answer over the
  REST channel changes within the settings cache time of the action server (1 s in the
  end-to-end stacks, see ``tests.e2e.helpers.STACK_ENV``). The default is then
  restored through "Kembalikan ke bawaan" and the test waits for the answer to go back, so the
  other end-to-end tests see the configured hours.
- The superadmin rewords the verification message; a citizen files a complaint on the sandbox
  phone, the superadmin verifies it, and the phone receives the new wording.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from backoffice.auth.roles import Role
from lalisa.core.settings import RuntimeSettingsConfig

from .browser import chromium
from .conftest import Stack
from .helpers import Officer, create_officers, log_in, new_page
from .phone import Phone
from .test_backoffice_browser import file_complaint

SUPERADMIN = Officer(
    "super.pengaturan", "Super Admin Pengaturan", Role.SUPERADMIN, "Sandi-Pengaturan-Uji-5150"
)
NEW_HOURS = "sen-sab 07:00-14:00"
NEW_HOURS_SAID = "Senin–Sabtu 07.00–14.00 WITA"
QUESTION = "kantor satpol pp buka jam berapa"
# On top of the action server's settings cache time: allow for slow replies.
SLOW_REPLIES_S = 30
CITIZEN_NUMBER = "6281234509501"
EDITED_VERIFIED = (
    "Terima kasih! Laporan *{number}* sudah dicek petugas La-Lisa dan dinyatakan valid. "
    "Kami kabari lagi setelah ditindaklanjuti."
)


@pytest.fixture(scope="module")
def backoffice_url(stack: Stack, stack_backoffice: str) -> str:
    """The back office next to the stack, with the superadmin; its URL."""
    create_officers(stack.database_url, SUPERADMIN)
    return stack_backoffice


def sign_in(browser: Browser, base_url: str) -> Page:
    """Logs the superadmin in from a fresh browser context and opens /pengaturan."""
    page = new_page(browser, base_url)
    log_in(page, SUPERADMIN.username, SUPERADMIN.password)
    menu = page.get_by_role("navigation", name="Menu utama")
    menu.get_by_role("link", name="Pengaturan").click()
    expect(page).to_have_url(f"{base_url}/pengaturan")
    return page


def hours_answer(stack: Stack, attempt: int) -> str:
    """The assistant's answer to an office-hours question, from a fresh conversation."""
    replies = stack.say(f"6281234509{attempt:03d}", QUESTION)
    return "\n".join(str(reply.get("text", "")) for reply in replies)


def wait_for_answer(stack: Stack, predicate: str, *, present: bool, first_attempt: int) -> str:
    """Asks until the answer does (or no longer does) contain ``predicate``."""
    deadline = (
        time.monotonic() + RuntimeSettingsConfig.from_env(stack.env).cache_seconds + SLOW_REPLIES_S
    )
    attempt = first_attempt
    while True:
        answer = hours_answer(stack, attempt)
        if (predicate in answer) is present or time.monotonic() > deadline:
            return answer
        attempt += 1
        time.sleep(1)


def test_office_hours_edited_in_the_browser_reach_the_assistant(
    stack: Stack, backoffice_url: str
) -> None:
    """Edit on /pengaturan → ask_service_hours answer changes; reset → it changes back."""
    before = hours_answer(stack, 0)
    assert "Jam layanan kantor Satpol PP Kabupaten Balangan" in before
    assert NEW_HOURS_SAID not in before

    with chromium() as browser:
        page = sign_in(browser, backoffice_url)
        expect(page.locator("#badge-office-hours")).to_have_text("bawaan")

        # A typo first: a clear Bahasa Indonesia error, nothing stored.
        page.fill("#value-office-hours", "senin-jumat 8-16")
        page.click("#btn-simpan-office-hours")
        expect(page.locator("#error-office-hours")).to_contain_text("tidak dapat dibaca")
        expect(page.locator("#badge-office-hours")).to_have_text("bawaan")

        page.fill("#value-office-hours", NEW_HOURS)
        page.click("#btn-simpan-office-hours")
        expect(page.locator("main .notice")).to_contain_text("Pengaturan disimpan")
        expect(page.locator("#current-office-hours")).to_have_text(NEW_HOURS)
        expect(page.locator("#badge-office-hours")).to_have_text("diubah")

        changed = wait_for_answer(stack, NEW_HOURS_SAID, present=True, first_attempt=1)
        assert NEW_HOURS_SAID in changed, changed

        page.click("#btn-bawaan-office-hours")
        expect(page.locator("main .notice")).to_contain_text("dikembalikan ke nilai bawaan")
        expect(page.locator("#badge-office-hours")).to_have_text("bawaan")

        page.goto("/pengaturan/office.hours/riwayat")
        rows = page.locator("#history-table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_contain_text(NEW_HOURS)
        expect(rows.nth(0)).to_contain_text("kembali ke bawaan")
        page.context.close()

    restored = wait_for_answer(stack, NEW_HOURS_SAID, present=False, first_attempt=100)
    assert NEW_HOURS_SAID not in restored, restored
    assert re.sub(r"\s+", " ", restored) == re.sub(r"\s+", " ", before)


def test_edited_verification_text_reaches_the_citizen_phone(
    stack: Stack, backoffice_url: str
) -> None:
    """Reword VERIFIED_TEXT on /pengaturan → the citizen's verification message uses it."""
    citizen = Phone(stack.sandbox_url, CITIZEN_NUMBER, name="Warga Pengaturan")
    with chromium() as browser:
        page = sign_in(browser, backoffice_url)
        field = page.locator("#value-teks-verified-text")
        # A placeholder the message cannot fill is refused with the list of expected ones.
        field.fill("Laporan {nomor} sudah diverifikasi.")
        page.click("#btn-simpan-teks-verified-text")
        expect(page.locator("#error-teks-verified-text")).to_contain_text(
            "isian yang hilang: {number}; isian yang tidak dikenal: {nomor}"
        )
        page.locator("#value-teks-verified-text").fill(EDITED_VERIFIED)
        page.click("#btn-simpan-teks-verified-text")
        expect(page.locator("main .notice")).to_contain_text("Pengaturan disimpan")
        expect(page.locator("#badge-teks-verified-text")).to_have_text("diubah")

        number = file_complaint(citizen)
        page.goto(f"/aduan/{number}")
        page.click("#btn-verifikasi")
        expect(page.locator("#ticket-status")).to_have_attribute("data-status", "diverifikasi")
        received = citizen.wait_for("dinyatakan valid")
        assert EDITED_VERIFIED.format(number=number) in received

        page.goto("/pengaturan")
        page.click("#btn-bawaan-teks-verified-text")
        expect(page.locator("#badge-teks-verified-text")).to_have_text("bawaan")
        page.context.close()
