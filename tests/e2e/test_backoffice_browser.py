"""The back office in real headless Chromium: one complaint from WhatsApp to its refusal.

A citizen files a complaint over WhatsApp (through the sandbox, to the real channel and
assistant). Officers then work it in the back office, each in their own browser context:
the admin verifies it, the verifikator dispatches it to a TRC officer, the officer files the
field report with a photo from a phone-sized screen, the admin reopens the closed ticket and
refuses it with a reason. Every WhatsApp message the outbox worker sends (to the citizen and
to the officer) is read back from the sandbox's fake Graph API.

This module starts its own stack with the back office and the outbox worker, so the other
end-to-end tests keep their smaller one.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import async_sessionmaker

from backoffice.auth.roles import Role
from backoffice.auth.service import create_user
from lalisa.db import create_engine_for_url
from lalisa.notifications import texts
from lalisa.notifications.messages import map_link
from scripts.stack import local_stack

from .browser import chromium
from .conftest import Stack, _admin_sql, _postgres_databases
from .phone import Phone, reply_text
from .test_whatsapp_sandbox import PHOTO, TICKET_RE, desa_point

TIMEOUT_MS = 30_000
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
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

# username, full name, role, must change the password at first login
USERS = (
    ("super.uji", "Super Admin Uji", Role.SUPERADMIN, False),
    ("admin.uji", "Admin La-Lisa Uji", Role.ADMIN, True),
    ("verif.uji", "Verifikator Uji", Role.VERIFIKATOR, False),
    ("trc.uji", "Petugas TRC Uji", Role.PETUGAS_TRC, False),
)


@pytest.fixture(
    scope="module", params=["sqlite", *(["postgresql"] if _postgres_databases() else [])]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Actions, Rasa, sandbox, back office and outbox worker on one database backend."""
    work = tmp_path_factory.mktemp(f"backoffice-{request.param}")
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
    name = f"lalisa_e2e_bo_{uuid.uuid4().hex[:10]}"
    _admin_sql(base, f'CREATE DATABASE "{name}"')
    database_url = base.rsplit("/", 1)[0] + f"/{name}"
    try:
        with local_stack(
            work, database_url=database_url, tracker_url=database_url, with_backoffice=True
        ) as running:
            yield running
    finally:
        _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------------------------------------------------------------- helpers


def create_users(database_url: str) -> dict[str, int]:
    """Creates the officers with the service function the users page uses; ids by username."""

    async def run() -> dict[str, int]:
        engine = create_engine_for_url(database_url, null_pool=True)
        try:
            maker = async_sessionmaker(engine, expire_on_commit=False)
            async with maker() as session, session.begin():
                ids = {}
                for username, full_name, role, must_change in USERS:
                    user, _ = await create_user(
                        session,
                        username=username,
                        full_name=full_name,
                        role=role,
                        password=FIRST_PASSWORD,
                        must_change_password=must_change,
                        actor=None,
                        via="e2e",
                    )
                    ids[username] = user.id
                return ids
        finally:
            await engine.dispose()

    return asyncio.run(run())


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
    context = browser.new_context(
        base_url=base_url, viewport=viewport, is_mobile=mobile, has_touch=mobile
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", FIRST_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
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
    full_name = next(name for user, name, _, _ in USERS if user == username)
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
        response = httpx.get(
            f"{sandbox_url}/sim/api/events",
            params={"phone": number, "after": after, "wait": 5},
            timeout=30,
        )
        response.raise_for_status()
        for event in response.json()["events"]:
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
    ids = create_users(office.database_url)
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
