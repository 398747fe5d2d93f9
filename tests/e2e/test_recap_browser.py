"""The recap page in real headless Chromium: charts drawn by the vendored Chart.js, drill-down.

The recap needs no assistant, so this module starts the back office alone (no Rasa, no
sandbox) on a fresh database holding the seeded month of ``tests/backoffice/recap_dataset``.
It checks that the four charts are drawn with Chart.js served from ``/static`` (no other
origin is contacted), that the page logs no console error (the CSP forbids inline code), and
that clicking a figure and a chart bar lands on the list of exactly the tickets behind them.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import ConsoleMessage, Page, expect

from backoffice.auth.roles import Role
from scripts.stack import STOP_TIMEOUT_S, free_port, wait_http

from .browser import chromium
from .conftest import _admin_sql, _postgres_databases

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 30_000
SEPTEMBER = "/rekap?periode=bulan&tahun=2026&bulan=9"
PIMPINAN = "pimpinan.uji"


@dataclass
class Office:
    url: str
    numbers: dict[str, str]


def _seed(env: dict[str, str]) -> dict[str, str]:
    """Seeds the month and a pimpinan account in this process, pointed at the test database."""
    from lalisa.db import dispose_engine
    from lalisa.settings import reset_settings_cache
    from lalisa.workflow import reset_workflow_settings_cache
    from tests.backoffice.helpers import add_user
    from tests.backoffice.recap_dataset import seed_recap_dataset

    async def run() -> dict[str, str]:
        # An earlier test in this process may have left the global engine on its own database.
        await dispose_engine()
        try:
            seeded = await seed_recap_dataset()
            await add_user(PIMPINAN, Role.PIMPINAN, full_name="Pimpinan Uji")
            return seeded.numbers
        finally:
            await dispose_engine()

    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        reset_settings_cache()
        reset_workflow_settings_cache()
        try:
            return asyncio.run(run())
        finally:
            reset_settings_cache()
            reset_workflow_settings_cache()


def _start(work: Path, database_url: str) -> Iterator[Office]:
    port = free_port()
    env = {
        "DATABASE_URL": database_url,
        "LALISA_ENV_FILE": "",
        "LALISA_VAR_DIR": str(work / "var"),
        "LALISA_IDENTITY_KEY": Fernet.generate_key().decode(),
        "LALISA_TIMEZONE": "Asia/Makassar",
        "REDIS_URL": "",
        "BACKOFFICE_HOST": "127.0.0.1",
        "BACKOFFICE_PORT": str(port),
        "BACKOFFICE_INSECURE_COOKIES": "1",
    }
    full_env = {**os.environ, **env}
    python = str(ROOT / ".venv/bin/python")
    subprocess.run([python, "-m", "lalisa.migrate"], cwd=ROOT, env=full_env, check=True)
    numbers = _seed(env)
    log_path = work / "backoffice.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [python, "-m", "backoffice"], cwd=ROOT, env=full_env, stdout=log, stderr=log
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/health", process, log_path)
            yield Office(url=url, numbers=numbers)
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(
    scope="module", params=["sqlite", *(["postgresql"] if _postgres_databases() else [])]
)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    """The back office alone on a fresh database with the seeded month."""
    work = tmp_path_factory.mktemp(f"recap-{request.param}")
    if request.param == "sqlite":
        yield from _start(work, f"sqlite:///{work / 'lalisa.db'}")
        return
    base = _postgres_databases()[0].replace("postgres://", "postgresql://", 1)
    name = f"lalisa_e2e_recap_{uuid.uuid4().hex[:10]}"
    _admin_sql(base, f'CREATE DATABASE "{name}"')
    try:
        yield from _start(work, base.rsplit("/", 1)[0] + f"/{name}")
    finally:
        _admin_sql(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
        context = browser.new_context(base_url=office.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()

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

        page.goto("/login")
        page.fill("#username", PIMPINAN)
        page.fill("#password", TEST_PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
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
        context.close()
    # Chromium asks for /favicon.ico by itself; the back office has none (404 is harmless).
    failed = [line for line in failed if not line.endswith("/favicon.ico")]
    assert failed == []
    assert [line for line in problems if "404" not in line] == []
