"""Fixtures of the outbox tests: WhatsApp settings and an empty database (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.notifications.helpers import BASE_URL, PNID, TOKEN, FakeGraph, clear_channel_tables


@pytest.fixture
def wa_env(lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """WhatsApp sending configured against a fake host; outbox settings at their defaults."""
    from lalisa.core.settings import reset_settings_cache

    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", PNID)
    monkeypatch.setenv("WHATSAPP_API_BASE_URL", BASE_URL)
    for name in (
        "WHATSAPP_API_VERSION",
        "WHATSAPP_TEMPLATE_CITIZEN_UPDATE",
        "WHATSAPP_TEMPLATE_TRC_DISPATCH",
        "WHATSAPP_TEMPLATE_LANGUAGE",
        "OUTBOX_POLL_SECONDS",
        "OUTBOX_MAX_ATTEMPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    reset_settings_cache()
    yield
    reset_settings_cache()


@pytest.fixture
async def outbox_db(db: str, wa_env: None) -> AsyncIterator[str]:
    """Empty migrated database, the channel's tables emptied too (they are not on Base)."""
    from lalisa.notifications.graph import close_graph_client

    await clear_channel_tables()
    try:
        yield db
    finally:
        await clear_channel_tables()
        await close_graph_client()


@pytest.fixture
def graph() -> FakeGraph:
    return FakeGraph()
