"""The "Peta Rawan" page in real headless Chromium, with every host but the back office blocked.

Only the back office runs (no Rasa, no sandbox): the database is migrated and seeded with
complaints directly, then ``python -m backoffice`` is started the way ``scripts/stack.py``
starts it (:func:`tests.e2e.helpers.backoffice_alone`). The browser may reach nothing but
that server, so the page must bring its map (Leaflet, polygons, legend, clusters) entirely
from the back office.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy.ext.asyncio import async_sessionmaker

from backoffice.auth.roles import Role
from lalisa.core.db import create_engine_for_url
from lalisa.tickets.service import ComplaintDraft, submit_complaint

from .browser import chromium
from .helpers import (
    BACKENDS,
    DESKTOP,
    Officer,
    add_officers,
    backoffice_alone,
    new_page,
    run_with_settings,
    sign_in,
)

WITA = ZoneInfo("Asia/Makassar")
PIMPINAN = Officer("pimpinan.peta", "Pimpinan Uji Peta", Role.PIMPINAN, "Sandi-Peta-Uji-5521")
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


def _seed(env: dict[str, str]) -> list[str]:
    database_url = env["DATABASE_URL"]

    async def run() -> list[str]:
        await add_officers(database_url, PIMPINAN)
        engine = create_engine_for_url(database_url, null_pool=True)
        try:
            maker = async_sessionmaker(engine, expire_on_commit=False)
            numbers = []
            async with maker() as session, session.begin():
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
    return run_with_settings(env, run)


@pytest.fixture(scope="module", params=BACKENDS)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    """The back office alone, on a seeded database of one backend."""
    work = tmp_path_factory.mktemp(f"peta-{request.param}")
    extra_env = {"HOTSPOT_TILE_URL": ""}
    with backoffice_alone(request.param, work, "peta", _seed, extra_env) as (url, numbers):
        yield Office(url=url, numbers=numbers)


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
    sign_in(page, PIMPINAN)


def _ready(page: Page) -> None:
    expect(page.locator("#peta[data-siap='1']")).to_have_count(1)


def _cluster_total(page: Page) -> int:
    labels = page.locator(".leaflet-marker-pane .cluster .cluster-isi span").all_inner_texts()
    return sum(int(label) for label in labels)


def test_the_map_works_offline_with_its_layers(office: Office) -> None:
    watch = Watch()
    with chromium() as browser:
        page = new_page(browser, office.url, viewport=DESKTOP)
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
        page.context.close()

    assert watch.blocked == []
    assert watch.failed == []
    assert watch.errors == []


def _today() -> str:
    return datetime.now(WITA).date().isoformat()


def _first_day(days: int) -> str:
    return (datetime.now(WITA).date() - timedelta(days=days - 1)).isoformat()
