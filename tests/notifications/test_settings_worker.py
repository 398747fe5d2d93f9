"""The outbox worker sends with the WhatsApp templates set on /pengaturan."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lalisa.core.db import session_scope
from lalisa.notifications.outbox import enqueue
from lalisa.notifications.worker import process_due
from lalisa.runtime_settings import service as rs
from tests.notifications.helpers import CITIZEN, CITIZEN_LOCAL, FakeGraph, add_inbound, utcnow

pytestmark = pytest.mark.usefixtures("outbox_db")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    rs.reset_runtime_settings_cache()


async def _queue(kind: str, key: str, template: str | None = "lalisa_status_laporan") -> None:
    async with session_scope() as session:
        await enqueue(
            session,
            kind=kind,
            ticket_id=None,
            recipient_phone=CITIZEN_LOCAL,
            recipient_kind="citizen",
            recipient_ref=f"ref-{key}",
            body="Laporan Anda sudah diverifikasi.",
            template_name=template,
            template_params=["LLS-2026-000001", "Diverifikasi", "Keterangan"],
            idempotency_key=key,
        )


async def _store(key: str, raw: str) -> None:
    async with session_scope() as session:
        await rs.save_setting(session, key, raw, actor="superadmin", expected_version=0)


async def test_queued_message_uses_the_template_set_after_it_was_queued(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=25))  # window closed: template
    await _queue("citizen_update", "a")
    # Meta paused the old template; the superadmin switches to the new one while it waits.
    await _store("whatsapp.template_citizen_update", "lalisa_status_v2")
    await _store("whatsapp.template_language", "en_US")
    result = await process_due(10, client=graph.client())
    assert result.sent == 1
    (request,) = graph.requests
    assert request["template"]["name"] == "lalisa_status_v2"
    assert request["template"]["language"] == {"code": "en_US"}


async def test_without_a_stored_template_the_queued_one_is_kept(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=25))
    await _queue("citizen_update", "b", template="lalisa_status_laporan")
    await _queue("admin_reply", "c", template="balasan_admin")
    await _store("whatsapp.template_trc_dispatch", "lalisa_disposisi_v2")  # other kind
    await process_due(10, client=graph.client())
    names = sorted(request["template"]["name"] for request in graph.requests)
    assert names == ["balasan_admin", "lalisa_status_laporan"]
