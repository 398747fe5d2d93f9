"""The worker's periodic hook (used to return idle takeovers to the assistant)."""

from __future__ import annotations

import asyncio

import pytest

from lalisa.core.settings import reset_settings_cache
from lalisa.notifications.worker import OutboxWorker


async def test_periodic_jobs_run_on_every_poll_and_survive_errors(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "0.05")
    for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"):
        monkeypatch.delenv(name, raising=False)  # nothing to send: only the hooks work
    reset_settings_cache()
    calls: list[str] = []
    stop = asyncio.Event()

    async def failing() -> None:
        calls.append("gagal")
        raise RuntimeError("Rasa sedang dimulai ulang")

    async def counting() -> None:
        calls.append("ok")
        if calls.count("ok") == 3:
            stop.set()

    worker = OutboxWorker(periodic=[failing, counting])
    await asyncio.wait_for(worker.run(stop), timeout=10)
    assert calls == ["gagal", "ok"] * 3
