"""The back office in real headless Chromium: one complaint from WhatsApp to its refusal.

A citizen files a complaint over WhatsApp (through the sandbox, to the real channel and
assistant). Officers then work it in the back office, each in their own browser context:
the admin verifies it, the verifikator dispatches it to a TRC officer, the officer files the
field report with a photo from a phone-sized screen, the admin reopens the closed ticket and
refuses it with a reason. Every WhatsApp message the outbox worker sends (to the citizen and
to the officer) is read back from the sandbox's fake Graph API.

This module starts its own stack with the back office and the outbox worker (the ``office``
fixture of the conftest), so the other end-to-end tests keep their smaller one.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from playwright.sync_api import Browser, FilePayload, Page, ViewportSize, expect

from backoffice.auth.roles import Role
from lalisa.notifications import texts
from lalisa.notifications.messages import map_link

from .browser import chromium
from .conftest import Stack
from .helpers import DESKTOP, Officer, create_officers, log_in, new_page
from .phone import Phone, reply_text, sandbox_events
from .test_whatsapp_sandbox import PHOTO, TICKET_RE, desa_point

PHONE_SCREEN: ViewportSize = {"width": 390, "height": 844}
FIELD_PHOTO: FilePayload = {"name": "lapangan.jpg", "mimeType": "image/jpeg", "buffer": PHOTO}

CITIZEN_NUMBER = "6281234500401"
CITIZEN_NAME = "Rahmat Hidayat"
DESCRIPTION = "ada pkl jualan di trotoar depan pasar paringin bikin macet <b>tebal</b>"
DESA = "Paringin Kota"
PLACE_NAME = "Depan Pasar Paringin"

OFFICER_TYPED_NUMBER = "0812-9990-0411"
OFFICER_NUMBER = "6281299900411"

FIRST_PASSWORD = "Sandi-Awal-Uji-4821"
ADMIN_NEW_PASSWORD = "Sandi-Baru-Admin-9377"

# The admin must change the password at first login.
USERS = (
    Officer("super.uji", "Super Admin Uji", Role.SUPERADMIN, FIRST_PASSWORD),
    Officer("admin.uji", "Admin La-Lisa Uji", Role.ADMIN, FIRST_PASSWORD, True),
    Officer("verif.uji", "Verifikator Uji", Role.VERIFIKATOR, FIRST_PASSWORD),
    Officer("trc.uji", "Petugas TRC Uji", Role.PETUGAS_TRC, FIRST_PASSWORD),
)


# ----------------------------------------------------------------------------------- helpers


def sign_in(
    browser: Browser,
    base_url: str,
    username: str,
    *,
    viewport: ViewportSize = DESKTOP,
    mobile: bool = False,
    new_password: str | None = None,
) -> Page:
    """Logs in from a fresh browser context (own cookies); changes the password when forced."""
    page = new_page(browser, base_url, viewport=viewport, mobile=mobile)
    log_in(page, username, FIRST_PASSWORD)
    if new_password is not None:
        expect(page).to_have_url(f"{base_url}/account/password")
        expect(page.locator(".notice", has_text="Buat kata sandi Anda sendiri")).to_be_visible()
        page.fill("#current_password", FIRST_PASSWORD)
        page.fill("#new_password", new_password)
        page.fill("#confirm_password", new_password)
        page.click("form[action='/account/password'] button[type=submit]")
        expect(page.locator("main .notice[role=status]")).to_have_text(
            "Kata sandi berhasil diganti."
        )
    expect(page).to_have_url(re.compile(re.escape(base_url) + r"/(\?.*)?$"))
    full_name = next(user.full_name for user in USERS if user.username == username)
    expect(page.locator(".who-name")).to_have_text(full_name)
    return page


def expect_status(page: Page, status: str) -> None:
    """The ticket badge shows ``status`` and no action was refused."""
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", status)
    expect(page.locator("#action-error")).to_have_count(0)


def expect_description_escaped(page: Page) -> None:
    """The citizen's ``<b>`` is shown as text, not rendered as markup."""
    description = page.locator("#ticket-description")
    expect(description).to_have_text(DESCRIPTION)
    expect(description.locator("b")).to_have_count(0)


def rendered(message: dict[str, Any]) -> str:
    """What the recipient reads: a text, or the template body with its parameters filled in."""
    if message.get("type") != "template":
        return reply_text(message)
    template = message["template"]
    body = (
        texts.TRC_DISPATCH_TEMPLATE_BODY
        if "disposisi" in template["name"]
        else texts.CITIZEN_UPDATE_TEMPLATE_BODY
    )
    params = [
        parameter["text"]
        for component in template.get("components", [])
        if component.get("type") == "body"
        for parameter in component.get("parameters", [])
    ]
    for index, value in enumerate(params, start=1):
        body = body.replace("{{" + str(index) + "}}", value)
    return body


def wait_rendered(sandbox_url: str, number: str, expected: str) -> list[dict[str, Any]]:
    """Waits for messages to ``number`` until one reads ``expected``; returns them all (raw)."""
    deadline = time.monotonic() + 60
    collected: list[dict[str, Any]] = []
    after = 0
    while time.monotonic() < deadline:
        for event in sandbox_events(sandbox_url, number, after):
            after = max(after, int(event["seq"]))
            if event.get("kind") == "out":
                collected.append(event["message"])
        if any(expected in rendered(message) for message in collected):
            return collected
    raise AssertionError(
        f"no message to {number} containing {expected!r}; got:\n"
        + "\n---\n".join(rendered(m) for m in collected)
    )


def file_complaint(phone: Phone) -> str:
    """Text, pin, time and photo skipped, name, "Kirim laporan": returns the ticket number.

    The reporter gives their name (rather than skipping it) so that the checks that the TRC
    never sees it test something.
    """
    phone.text(DESCRIPTION)
    phone.wait_for("Di mana lokasinya?")
    phone.location(*desa_point(DESA), place=PLACE_NAME)
    located = phone.wait_for("Kapan kejadiannya?")
    assert "Lokasi tercatat:" in located and DESA in located
    phone.text("lewati")
    phone.wait_for("kirim foto atau video")
    phone.text("lewati")
    phone.wait_for("Identitas Anda dirahasiakan")
    phone.text(CITIZEN_NAME)
    summary = phone.wait_for("Apakah laporan ini sudah benar")
    assert f"Nama pelapor: {CITIZEN_NAME}" in summary
    phone.tap("Kirim laporan")
    confirmation = phone.wait_for("nomor tiket")
    number = TICKET_RE.search(confirmation)
    assert number, confirmation
    return number[0]


def expect_notifications_sent(page: Page, at_least: int) -> None:
    """The ticket's WhatsApp table lists the messages, all accepted by WhatsApp."""
    rows = page.locator("#notifications-table tr[data-status]")
    deadline = time.monotonic() + 20
    while True:
        statuses = [rows.nth(i).get_attribute("data-status") for i in range(rows.count())]
        done = all(status in ("sent", "delivered", "read") for status in statuses)
        if (len(statuses) >= at_least and done) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
        page.reload()
    assert len(statuses) >= at_least and done, statuses


# -------------------------------------------------------------------------------------- test


def test_complaint_worked_in_the_backoffice(office: Stack) -> None:
    """Inbox, verify, dispatch, TRC field report with photo, close, reopen, refuse."""
    assert office.backoffice_url is not None
    base_url = office.backoffice_url
    ids = create_officers(office.database_url, *USERS)
    officer_id = ids["trc.uji"]
    citizen = Phone(office.sandbox_url, CITIZEN_NUMBER, name=CITIZEN_NAME)

    # 1. The citizen files a complaint over WhatsApp.
    number = file_complaint(citizen)

    with chromium() as browser:
        # The superadmin records the TRC officer's WhatsApp number.
        superadmin = sign_in(browser, base_url, "super.uji")
        superadmin.goto("/petugas-trc")
        superadmin.fill(f"#phone-{officer_id}", OFFICER_TYPED_NUMBER)
        superadmin.click(f"#btn-nomor-{officer_id}")
        expect(superadmin.locator(f"#officer-phone-{officer_id}")).to_have_text(
            f"{OFFICER_NUMBER[:4]}*****{OFFICER_NUMBER[-4:]}"
        )

        # 2. The admin (forced to choose a password) finds the ticket in the inbox, verifies it.
        admin = sign_in(browser, base_url, "admin.uji", new_password=ADMIN_NEW_PASSWORD)
        admin.goto("/aduan")
        row = admin.locator(f"tr.ticket-row[data-number='{number}']")
        expect(row).to_contain_text("Pedagang kaki lima")
        expect(row).to_contain_text(DESA)
        row.get_by_role("link", name=number).click()
        expect(admin).to_have_url(f"{base_url}/aduan/{number}")
        expect_status(admin, "baru")
        expect_description_escaped(admin)
        # The admin sees the identity only through the logged "show identity" action.
        expect(admin.locator("#data-aduan")).to_contain_text("Identitas dirahasiakan")
        page_text = admin.content()
        assert CITIZEN_NUMBER not in page_text and CITIZEN_NAME not in page_text
        admin.click("#btn-verifikasi")
        expect_status(admin, "diverifikasi")
        citizen.wait_for(texts.VERIFIED_TEXT.format(number=number))

        # 3. The verifikator dispatches it to the TRC officer.
        verifikator = sign_in(browser, base_url, "verif.uji")
        verifikator.goto(f"/aduan/{number}")
        expect_status(verifikator, "diverifikasi")
        checkbox = verifikator.locator(f"#officer-{officer_id}")
        choice = verifikator.locator("label.check", has=checkbox)
        expect(choice).to_contain_text("Petugas TRC Uji")
        expect(choice).not_to_contain_text("belum ada nomor WhatsApp")
        checkbox.check()
        verifikator.select_option("#disposisi-priority", "tinggi")
        verifikator.fill("#disposisi-instructions", "Tertibkan lapak, ajak pedagang pindah.")
        verifikator.click("#btn-disposisi")
        expect_status(verifikator, "didisposisikan")
        expect(verifikator.locator("#disposisi")).to_contain_text("Petugas TRC Uji")

        latitude, longitude = desa_point(DESA)
        pin = map_link(latitude, longitude)
        assert pin is not None
        to_officer = wait_rendered(office.sandbox_url, OFFICER_NUMBER, pin)
        dispatch_message = "\n".join(rendered(message) for message in to_officer)
        assert f"Nomor laporan: {number}" in dispatch_message
        assert "Prioritas: Tinggi" in dispatch_message
        assert "Instruksi: Tertibkan lapak, ajak pedagang pindah." in dispatch_message
        assert f"Halaman disposisi: {base_url}/trc/" in dispatch_message
        assert f"Lokasi: {PLACE_NAME}, {DESA}" in dispatch_message
        raw = json.dumps(to_officer)
        for identity in (CITIZEN_NUMBER, CITIZEN_NUMBER[2:], CITIZEN_NAME):
            assert identity not in raw, f"reporter identity {identity!r} sent to the TRC"
        dispatch_url = next(
            line.split(": ", 1)[1]
            for line in dispatch_message.splitlines()
            if line.startswith("Halaman disposisi: ")
        )
        citizen.wait_for(texts.DISPATCHED_TEXT.format(number=number))

        # 4. The TRC officer, on a phone, goes, arrives and files the report with a photo.
        trc = sign_in(browser, base_url, "trc.uji", viewport=PHONE_SCREEN, mobile=True)
        trc.goto("/trc")
        trc.locator("#trc-dispatches a", has_text=number).click()
        expect(trc).to_have_url(dispatch_url)
        expect_status(trc, "didisposisikan")
        expect_description_escaped(trc)
        expect(trc.locator("#map-link")).to_be_visible()
        page_text = trc.content()
        for identity in (CITIZEN_NUMBER, CITIZEN_NUMBER[2:], CITIZEN_NAME):
            assert identity not in page_text, f"reporter identity {identity!r} shown to the TRC"
        trc.click("#btn-berangkat")
        expect(trc.locator("#dispatch-status")).to_have_attribute("data-status", "berangkat")
        expect_status(trc, "didisposisikan")
        trc.click("#btn-tiba")
        expect(trc.locator("#dispatch-status")).to_have_attribute("data-status", "tiba")
        expect_status(trc, "didisposisikan")
        trc.fill("#laporan-findings", "Dua lapak PKL di trotoar depan pasar.")
        trc.fill("#laporan-actions", "Pedagang dibina dan memindahkan lapaknya ke los pasar.")
        trc.check("#outcome-selesai")
        result = "Lapak sudah dipindahkan, trotoar kembali bisa dilewati."
        trc.fill("#laporan-citizen", result)
        trc.set_input_files("#laporan-photos", files=[FIELD_PHOTO])
        trc.click("#btn-laporan")
        expect_status(trc, "selesai")
        expect(trc.locator("#dispatch-closed")).to_be_visible()
        photo = trc.locator("#laporan-sebelumnya img")
        expect(photo).to_have_count(1)
        source = photo.get_attribute("src")
        assert source is not None
        served = trc.request.get(source)
        assert served.status == 200 and served.body() == PHOTO
        done = texts.DONE_TEXT.format(
            number=number, result_line=texts.DONE_RESULT_LINE.format(result=result)
        )
        citizen.wait_for(done)

        # 5. The admin reopens the closed ticket, then refuses it with a reason.
        admin.reload()
        expect_status(admin, "selesai")
        expect(admin.locator("#disposisi .report")).to_contain_text("Dua lapak PKL")
        admin.fill("#buka-reason", "Pelapor mengirim foto baru, lapak kembali ke trotoar.")
        admin.fill("#buka-citizen-reason", "Laporan Anda akan diperiksa ulang.")
        admin.click("#btn-buka-kembali")
        expect_status(admin, "baru")
        citizen.wait_for(
            texts.REOPENED_TEXT.format(
                number=number,
                reason_line=texts.REOPENED_REASON_LINE.format(
                    reason="Laporan Anda akan diperiksa ulang."
                ),
            )
        )

        explanation = "Lapak berada di lahan milik pasar swasta, bukan fasilitas umum."
        contact = "Pengelola Pasar Paringin"
        admin.select_option("#tolak-reason", "bukan_kewenangan")
        admin.fill("#tolak-explanation", explanation)
        admin.fill("#tolak-contact", contact)
        admin.click("#btn-tolak")
        expect_status(admin, "tidak_dapat_ditindaklanjuti")
        expect(admin.locator("#closing-reason")).to_have_text("Bukan kewenangan Satpol PP")
        expect(admin.locator("#closing-explanation")).to_have_text(explanation)
        expect_description_escaped(admin)
        refusal = citizen.wait_for(
            texts.NOT_ACTIONABLE_TEXT.format(
                number=number,
                reason=explanation,
                contact_line=texts.NOT_ACTIONABLE_CONTACT_LINE.format(contact=contact),
            )
        )
        assert f"Alasan: {explanation}" in refusal

        # Verified, dispatched, TRC dispatch, selesai, reopened, refused: all sent.
        expect_notifications_sent(admin, at_least=6)
