"""The recap page in real headless Chromium: charts drawn by the vendored Chart.js, drill-down.

The recap needs no assistant, so this module starts the back office alone (no Rasa, no
sandbox) on a fresh database holding the seeded month of ``tests/backoffice/recap_dataset``.
It checks that the four charts are drawn with Chart.js served from ``/static`` (no other
origin is contacted), that the page logs no console error (the CSP forbids inline code), and
that clicking a figure and a chart bar lands on the list of exactly the tickets behind them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from backoffice.auth.roles import Role

from .browser import chromium
from .helpers import (
    BACKENDS,
    DESKTOP,
    backoffice_alone,
    log_in,
    new_page,
    run_with_settings,
)

SEPTEMBER = "/rekap?periode=bulan&tahun=2026&bulan=9"
PIMPINAN = "pimpinan.uji"


@dataclass
class Office:
    url: str
    numbers: dict[str, str]


def _seed(env: dict[str, str]) -> dict[str, str]:
    """Seeds the month and a pimpinan account in this process, pointed at the test database."""
    from tests.backoffice.helpers import add_user
    from tests.backoffice.recap_dataset import seed_recap_dataset

    async def run() -> dict[str, str]:
        seeded = await seed_recap_dataset()
        await add_user(PIMPINAN, Role.PIMPINAN, full_name="Pimpinan Uji")
        return seeded.numbers

    return run_with_settings(env, run)


@pytest.fixture(scope="module", params=BACKENDS)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    """The back office alone on a fresh database with the seeded month."""
    work = tmp_path_factory.mktemp(f"recap-{request.param}")
    extra_env = {"LALISA_TIMEZONE": "Asia/Makassar"}
    with backoffice_alone(request.param, work, "recap", _seed, extra_env) as (url, numbers):
        yield Office(url=url, numbers=numbers)


def _numbers_listed(page: Page) -> set[str]:
    return set(page.locator("#drill-table tr.ticket-row").evaluate_all(
        "rows => rows.map(row => row.dataset.number)"
    ))  # fmt: skip


def test_recap_charts_render_and_drill_down(office: Office) -> None:
    from tests.backoffice.helpers import TEST_PASSWORD

    problems: list[str] = []
    requests: list[str] = []
    failed: list[str] = []
    with chromium() as browser:
        page = new_page(browser, office.url, viewport=DESKTOP)

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                problems.append(f"{message.type}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
        page.on("request", lambda req: requests.append(req.url))
        page.on(
            "response",
            lambda response: (
                failed.append(f"{response.status} {response.url}")
                if response.status >= 400
                else None
            ),
        )

        log_in(page, PIMPINAN, TEST_PASSWORD)
        expect(page.locator(".who-name")).to_have_text("Pimpinan Uji")
        expect(page.locator("nav.menu a[href='/rekap']")).to_have_text("Rekap")

        page.goto(SEPTEMBER)
        expect(page.locator("body")).to_have_attribute("data-charts-ready", "4")
        expect(page.locator("canvas[data-chart][data-ready='1']")).to_have_count(4)
        assert page.evaluate("typeof window.Chart") == "function"
        assert page.evaluate("window.Chart.version").startswith("4.")
        assert f"{office.url}/static/vendor/chartjs/chart.umd.min.js" in requests
        assert all(url.startswith(office.url) for url in requests), requests
        # The canvases were drawn on (not blank).
        painted = page.evaluate(
            """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
                const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
                return false;
            })"""
        )
        assert painted == [True, True, True, True]
        expect(page.locator("#fig-diterima")).to_have_text("13")
        expect(page.locator("#fig-ratio")).to_have_text("66,7 %")

        # A figure: "Tidak dapat ditindaklanjuti" = 3 -> the list of C, D and K.
        page.click("#fig-ditolak")
        expect(page).to_have_url(re.compile(r"/rekap/aduan\?.*ukuran=ditolak"))
        expect(page.locator("#drill-total strong")).to_have_text("3")
        assert _numbers_listed(page) == {office.numbers[letter] for letter in "CDK"}

        # A chart bar: the widest bar of "per kategori" is PKL with 5 tickets.
        page.goto(SEPTEMBER)
        expect(page.locator("body")).to_have_attribute("data-charts-ready", "4")
        canvas = page.locator("#chart-category")
        canvas.scroll_into_view_if_needed()
        point = canvas.evaluate(
            """c => {
                const bar = c.chartInstance.getDatasetMeta(0).data[0].getCenterPoint();
                return {x: bar.x, y: bar.y};
            }"""
        )
        box = canvas.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        expect(page).to_have_url(re.compile(r"/rekap/aduan\?.*kategori=pkl"))
        expect(page.locator("#drill-total strong")).to_have_text("5")
        assert _numbers_listed(page) == {office.numbers[letter] for letter in "ABFJL"}

        # An export: the progress page follows the background job to the download link.
        page.goto(SEPTEMBER)
        page.check("input[name=jenis][value=xlsx]")
        page.click("#export-submit")
        expect(page).to_have_url(re.compile(r"/rekap/ekspor/[0-9a-f]{32}$"))
        expect(page.locator("#export-progress")).to_have_attribute("data-status", "selesai")
        expect(page.locator("#export-download")).to_be_visible()
        expect(page.locator("#export-rows")).to_have_text("13 aduan")
        with page.expect_download() as download_info:
            page.click("#export-download")
        download = download_info.value
        assert download.suggested_filename.startswith("rekap-aduan-bulan-2026-9-")
        assert download.suggested_filename.endswith(".xlsx")
        page.context.close()
    # Chromium asks for /favicon.ico by itself; the back office has none (404 is harmless).
    failed = [line for line in failed if not line.endswith("/favicon.ico")]
    assert failed == []
    assert [line for line in problems if "404" not in line] == []
