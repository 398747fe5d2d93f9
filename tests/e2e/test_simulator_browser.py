"""The phone simulator page in a real headless browser, for one full complaint."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .browser import chromium
from .conftest import Stack
from .test_complaint_over_http import fetch
from .test_whatsapp_sandbox import PHOTO, desa_point

TIMEOUT_MS = 60_000


def bot_says(page: Page, text: str) -> None:
    """Waits until a bot bubble containing ``text`` is on screen."""
    expect(page.locator(".bubble.out", has_text=text).last).to_be_visible(timeout=TIMEOUT_MS)


def type_message(page: Page, text: str) -> None:
    """Types a message and sends it."""
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_full_complaint_in_the_simulator(stack: Stack) -> None:
    """Buttons, a list row, a typed-coordinates pin and a photo, as a citizen would."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 412, "height": 880})
        page.goto(f"{stack.sandbox_url}/")
        page.fill("#phone-custom", "6281234500301")
        page.click("#phone-use")

        type_message(page, "halo min")
        bot_says(page, "La-Lisa")
        page.locator(".actions button", has_text="Lapor pelanggaran").last.click()

        bot_says(page, "Apa jenis pelanggaran")
        page.locator(".actions button").last.click()  # opens the list of categories
        page.locator("#list-rows .row-option", has_text="Balap liar").click()

        bot_says(page, "Ceritakan apa yang terjadi")
        type_message(page, "anak muda balapan motor knalpot brong di jalan depan sekolah")

        bot_says(page, "Di mana lokasinya?")
        latitude, longitude = desa_point("Batu Piring")
        page.click("#btn-location")
        page.fill("#lat", str(latitude))
        page.fill("#lon", str(longitude))
        page.click("#btn-send-location")

        bot_says(page, "Lokasi tercatat: Batu Piring, Kecamatan Paringin Selatan")
        bot_says(page, "Kapan kejadiannya?")
        type_message(page, "kemarin malam")

        bot_says(page, "kirim foto atau video")
        page.set_input_files(
            "#file", files=[{"name": "bukti.jpg", "mimeType": "image/jpeg", "buffer": PHOTO}]
        )
        bot_says(page, "Foto/video diterima (1 file)")
        bot_says(page, "Identitas Anda dirahasiakan")
        type_message(page, "Siti")

        bot_says(page, "Apakah laporan ini sudah benar")
        page.locator(".actions button", has_text="Kirim laporan").last.click()
        bot_says(page, "nomor tiket")
        confirmation = page.locator(".bubble.out", has_text="nomor tiket").last.inner_text()

    number = re.search(r"LLS-\d{4}-\d{6}", confirmation)
    assert number, confirmation
    rows = fetch(stack.database_url, "SELECT * FROM tickets WHERE number = :n", n=number[0])
    assert rows and rows[0]["category"] == "balap_liar"
    assert rows[0]["desa"] == "Batu Piring"
