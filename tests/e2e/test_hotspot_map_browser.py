"""The "Peta Rawan" page in real headless Chromium, with every host but the back office blocked.

Only the back office runs (no Rasa, no sandbox): the database is migrated and seeded with
complaints directly, then ``python -m backoffice`` is started the way ``scripts/stack.py``
starts it. The browser may reach nothing but that server, so the page must bring its map
(Leaflet, polygons, legend, clusters) entirely from the back office.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Page, Route, expect
from sqlalchemy.ext.asyncio import async_sessionmaker

from backoffice.auth.roles import Role
from backoffice.auth.service import create_user
from lalisa.db import create_engine_for_url
from lalisa.settings import reset_settings_cache
from lalisa.tickets import ComplaintDraft, submit_complaint
from scripts.stack import free_port, wait_http

from .browser import chromium
from .conftest import _admin_sql, _postgres_databases

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 30_000
WITA = ZoneInfo("Asia/Makassar")
PASSWORD = "Sandi-Peta-Uji-5521"
# (kecamatan, desa, pin, local hour yesterday); pins are interior points of the desa.
COMPLAINTS = (
    ("Paringin", "Paringin Kota", (-2.324289, 115.460773), 22),
    ("Paringin", "Paringin Kota", (-2.324289, 115.460773), 2),
    ("Paringin", "Paringin Kota", (-2.324289, 115.460773), 10),
    ("Juai", "Galumbang", (-2.261444, 115.609398), 23),
    ("Tebing Tinggi", None, None, 12),
)
PARINGIN_KOTA = "63.11.06.1023"


@dataclass
class Office:
    url: str
    numbers: list[str] = field(default_factory=list)


def _seed(database_url: str, env: dict[str, str]) -> list[str]:
    async def run() -> list[str]:
        engine = create_engine_for_url(database_url, null_pool=True)
        try:
            maker = async_sessionmaker(engine, expire_on_commit=False)
            numbers = []
            async with maker() as session, session.begin():
                await create_user(
                    session,
                    username="pimpinan.peta",
                    full_name="Pimpinan Uji Peta",
                    role=Role.PIMPINAN,
                    password=PASSWORD,
                    must_change_password=False,
                    actor=None,
                    via="e2e",
                )
                yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).astimezone(WITA)
                for kecamatan, desa, pin, hour in COMPLAINTS:
                    ticket = await submit_complaint(
                        session,
                        ComplaintDraft(
                            category="pkl",
                            description="uji peta rawan",
                            latitude=pin[0] if pin else None,
                            longitude=pin[1] if pin else None,
                            kecamatan=kecamatan,
                            desa=desa,
                            reporter_sender_id="6281200000077",
                            reporter_channel="whatsapp",
                            submission_key=f"peta-e2e-{uuid.uuid4().hex}",
                        ),
                        now=yesterday.replace(hour=hour, minute=30),
                    )
                    numbers.append(ticket.number)
            return numbers
        finally:
            await engine.dispose()

    # submit_complaint encrypts the reporter with the key from the settings.
    with pytest.MonkeyPatch.context() as patch:
        for name in ("LALISA_ENV_FILE", "LALISA_IDENTITY_KEY", "LALISA_VAR_DIR", "DATABASE_URL"):
            patch.setenv(name, env[name])
        reset_settings_cache()
        try:
            return asyncio.run(run())
        finally:
            reset_settings_cache()


def _start(work: Path, database_url: str) -> Iterator[Office]:
    port = free_port()
    env = {
        **os.environ,
        "LALISA_ENV_FILE": "",
        "DATABASE_URL": database_url,
        "LALISA_VAR_DIR": str(work / "var"),
        "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
        "REDIS_URL": "",
        "BACKOFFICE_HOST": "127.0.0.1",
        "BACKOFFICE_PORT": str(port),
        "BACKOFFICE_INSECURE_COOKIES": "1",
        "HOTSPOT_TILE_URL": "",
    }
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "-m", "lalisa.migrate"], cwd=ROOT, env=env, check=True)
    numbers = _seed(database_url, env)
    log_path = work / "backoffice.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [python, "-m", "backoffice"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/health", process, log_path)
            yield Office(url=url, numbers=numbers)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(
    scope="module", params=["sqlite", *(["postgresql"] if _postgres_databases() else [])]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    """The back office alone, on a seeded database of one backend."""
    work = tmp_path_factory.mktemp(f"peta-{request.param}")
    if request.param == "sqlite":
        yield from _start(work, f"sqlite:///{work / 'lalisa.db'}")
        return
    base = _postgres_databases()[0].replace("postgres://", "postgresql://", 1)
    name = f"lalisa_e2e_peta_{uuid.uuid4().hex[:10]}"
    _admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        yield from _start(work, base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Watch:
    """What went wrong in the page: blocked hosts, failed requests, console errors."""

    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _open(page: Page, office: Office, watch: Watch) -> None:
    origin = urlsplit(office.url).netloc

    def only_the_back_office(route: Route) -> None:
        if urlsplit(route.request.url).netloc == origin:
            route.continue_()
        else:
            watch.blocked.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_the_back_office)
    page.on("requestfailed", lambda request: watch.failed.append(request.url))
    page.on(
        "response",
        lambda response: (
            watch.failed.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on("console", lambda msg: watch.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    page.goto("/login")
    page.fill("#username", "pimpinan.peta")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".who-name")).to_have_text("Pimpinan Uji Peta")


def _ready(page: Page) -> None:
    expect(page.locator("#peta[data-siap='1']")).to_have_count(1)


def _cluster_total(page: Page) -> int:
    labels = page.locator(".leaflet-marker-pane .cluster .cluster-isi span").all_inner_texts()
    return sum(int(label) for label in labels)


def test_the_map_works_offline_with_its_layers(office: Office) -> None:
    watch = Watch()
    with chromium() as browser:
        context = browser.new_context(base_url=office.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        _open(page, office, watch)

        page.click("nav.menu a[href='/peta-rawan']")
        _ready(page)
        kecamatan = page.locator("path.wilayah-kecamatan")
        expect(kecamatan).to_have_count(8)
        expect(page.locator("path.wilayah-kecamatan[data-nama='Paringin']")).to_have_attribute(
            "data-jumlah", "3"
        )
        expect(page.locator("path.wilayah-kecamatan.klas-0")).to_have_count(5)
        legend = page.locator("#peta-legenda")
        expect(legend).to_be_visible()
        expect(legend).to_contain_text("Aduan per kecamatan")
        expect(legend.locator(".legenda-kelas")).to_have_count(3)  # 0, 1, 2–3
        expect(legend).to_contain_text("2–3")
        clusters = page.locator(".leaflet-marker-pane .cluster")
        expect(clusters.first).to_be_visible()
        assert _cluster_total(page) == 4  # the complaint without a pin is not a point
        expect(page.locator("#peta-dikasarkan")).to_be_visible()
        expect(page.locator("#peringkat-kecamatan tbody tr").first).to_contain_text("Paringin")

        # Tooltip with name and count.
        page.locator("path.wilayah-kecamatan[data-nama='Tebing Tinggi']").hover()
        expect(page.locator(".leaflet-tooltip")).to_contain_text("Tebing Tinggi")
        expect(page.locator(".leaflet-tooltip")).to_contain_text("1 aduan")

        # Desa level: 157 polygons, Paringin Kota holds 3.
        page.click("#tingkat-desa")
        expect(page.locator("path.wilayah-desa")).to_have_count(157)
        expect(page.locator("path.wilayah-kecamatan")).to_have_count(0)
        desa = page.locator(f"path.wilayah-desa[data-kode='{PARINGIN_KOTA}']")
        expect(desa).to_have_attribute("data-jumlah", "3")
        expect(legend).to_contain_text("Aduan per desa/kelurahan")
        expect(page).to_have_url(f"{office.url}/peta-rawan?periode=12b&tingkat=desa")

        # Click → the tickets behind the count.
        desa.dispatch_event("click")
        listing = page.locator("#wilayah-list li a")
        expect(listing).to_have_count(3)
        assert set(listing.all_inner_texts()) == set(office.numbers[:3])
        expect(page.locator("#wilayah-daftar")).to_have_attribute(
            "href", "/aduan?kecamatan=Paringin&dari=" + _first_day(365) + "&sampai=" + _today()
        )

        # Night filter (18–06) via the shortcut: the page reloads at desa level.
        page.click("button[data-jam-dari='18']")
        page.click("#f-terapkan")
        _ready(page)
        query = parse_qs(urlsplit(page.url).query)
        assert (query["jam_dari"], query["jam_sampai"], query["tingkat"]) == (
            ["18"],
            ["6"],
            ["desa"],
        )
        expect(page.locator(f"path.wilayah-desa[data-kode='{PARINGIN_KOTA}']")).to_have_attribute(
            "data-jumlah", "2"
        )
        expect(page.locator("#peta-total")).to_have_text("3")
        assert _cluster_total(page) == 3

        # Zooming in asks the server for finer clusters.
        zoom = int(page.locator("#peta").get_attribute("data-cluster-zoom") or "0")
        page.locator(".leaflet-control-zoom-in").click()
        expect(page.locator("#peta")).to_have_attribute("data-cluster-zoom", str(zoom + 1))
        assert _cluster_total(page) == 3
        context.close()

    assert watch.blocked == []
    assert watch.failed == []
    assert watch.errors == []


def _today() -> str:
    return datetime.now(WITA).date().isoformat()


def _first_day(days: int) -> str:
    return (datetime.now(WITA).date() - timedelta(days=days - 1)).isoformat()
