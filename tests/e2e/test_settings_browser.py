"""Settings edited on /pengaturan in headless Chromium reach the citizen, without a restart.

The shared ``stack`` (real Rasa + action server + WhatsApp sandbox) gets a back office and an
outbox worker of its own here, on the same database.

- The superadmin changes the office hours; the citizen's ``ask_service_hours`` answer over the
  REST channel changes within the settings cache time of the action server. The default is then
  restored through "Kembalikan ke bawaan" and the test waits for the answer to go back, so the
  other end-to-end tests see the configured hours.
- The superadmin rewords the verification message; a citizen files a complaint on the sandbox
  phone, the superadmin verifies it, and the phone receives the new wording.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import async_sessionmaker

from backoffice.auth.roles import Role
from backoffice.auth.service import create_user
from lalisa.db import create_engine_for_url
from lalisa.runtime_settings import DEFAULT_CACHE_SECONDS
from scripts.stack import OUTBOX_POLL_SECONDS, ROOT, WORKER_STARTED, free_port, wait_http, wait_log

from .browser import chromium
from .conftest import Stack
from .phone import Phone
from .test_backoffice_browser import file_complaint

TIMEOUT_MS = 30_000
USERNAME = "super.pengaturan"
PASSWORD = "Sandi-Pengaturan-Uji-5150"
NEW_HOURS = "sen-sab 07:00-14:00"
NEW_HOURS_SAID = "Senin–Sabtu 07.00–14.00 WITA"
QUESTION = "kantor satpol pp buka jam berapa"
# The action server keeps the settings for DEFAULT_CACHE_SECONDS; allow for slow replies.
PROPAGATION_S = DEFAULT_CACHE_SECONDS + 30
CITIZEN_NUMBER = "6281234509501"
EDITED_VERIFIED = (
    "Terima kasih! Laporan *{number}* sudah dicek petugas La-Lisa dan dinyatakan valid. "
    "Kami kabari lagi setelah ditindaklanjuti."
)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def backoffice_url(stack: Stack) -> Iterator[str]:
    """A back office and an outbox worker on the stack's database; the back office URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **stack.env,
        "BACKOFFICE_HOST": "127.0.0.1",
        "BACKOFFICE_PORT": str(port),
        "BACKOFFICE_INSECURE_COOKIES": "1",
        "BACKOFFICE_PUBLIC_URL": url,
        "OUTBOX_POLL_SECONDS": OUTBOX_POLL_SECONDS,
    }
    python = str(ROOT / ".venv/bin/python")
    logs = {
        name: stack.log_dir / f"{name}-settings-{port}.log" for name in ("backoffice", "worker")
    }
    with logs["backoffice"].open("wb") as bo_log, logs["worker"].open("wb") as worker_log:
        backoffice = subprocess.Popen(
            [python, "-m", "backoffice"], cwd=ROOT, env=env, stdout=bo_log, stderr=subprocess.STDOUT
        )
        worker = subprocess.Popen(
            [python, "-m", "lalisa.notifications.worker"],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"{url}/health", backoffice, logs["backoffice"])
            wait_log(WORKER_STARTED, worker, logs["worker"])
            create_superadmin(stack.database_url)
            yield url
        finally:
            _stop(backoffice)
            _stop(worker)


def create_superadmin(database_url: str) -> None:
    """Creates the superadmin with the service function the users page uses."""

    async def run() -> None:
        engine = create_engine_for_url(database_url, null_pool=True)
        try:
            maker = async_sessionmaker(engine, expire_on_commit=False)
            async with maker() as session, session.begin():
                await create_user(
                    session,
                    username=USERNAME,
                    full_name="Super Admin Pengaturan",
                    role=Role.SUPERADMIN,
                    password=PASSWORD,
                    must_change_password=False,
                    actor=None,
                    via="e2e",
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


def sign_in(browser: Browser, base_url: str) -> Page:
    """Logs the superadmin in from a fresh browser context and opens /pengaturan."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", USERNAME)
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
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
    deadline = time.monotonic() + PROPAGATION_S
    attempt = first_attempt
    while True:
        answer = hours_answer(stack, attempt)
        if (predicate in answer) is present or time.monotonic() > deadline:
            return answer
        attempt += 1
        time.sleep(2)


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
