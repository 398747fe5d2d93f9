"""Reply buttons on outbox messages (revision 0009_survey): interactive text, template payloads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lalisa.core.db import session_scope
from lalisa.notifications.models import OutboxStatus
from lalisa.notifications.outbox import enqueue
from lalisa.notifications.worker import process_due
from tests.notifications.helpers import (
    CITIZEN,
    CITIZEN_LOCAL,
    FakeGraph,
    add_inbound,
    outbox_row,
    utcnow,
)

pytestmark = pytest.mark.usefixtures("outbox_db")

BUTTONS = [
    {"id": '/survey_start{"ticket_id":"LLS-2026-000001"}', "title": "Isi survei"},
    {"id": '/survey_decline{"ticket_id":"LLS-2026-000001"}', "title": "Tidak mau"},
]


async def _queue(buttons: list[dict[str, str]] | None = BUTTONS, key: str = "survey-1") -> int:
    async with session_scope() as session:
        message = await enqueue(
            session,
            kind="survey_invitation",
            ticket_id=None,
            recipient_phone=CITIZEN_LOCAL,
            recipient_kind="citizen",
            recipient_ref="ref-survey",
            body="Mohon isi survei kepuasan.",
            template_name="lalisa_undangan_survei",
            template_params=["LLS-2026-000001"],
            idempotency_key=key,
            buttons=buttons,
        )
        return message.id


async def test_inside_the_window_the_buttons_come_as_an_interactive_message(
    graph: FakeGraph,
) -> None:
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=1))
    outbox_id = await _queue()
    await process_due(10, client=graph.client())
    request = graph.requests[0]
    assert request["type"] == "interactive"
    assert "text" not in request
    assert request["interactive"] == {
        "type": "button",
        "body": {"text": "Mohon isi survei kepuasan."},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": b["id"], "title": b["title"]}} for b in BUTTONS
            ]
        },
    }
    assert request["biz_opaque_callback_data"] == f"outbox:{outbox_id}"
    row = await outbox_row(outbox_id)
    assert (row.status, row.sent_as) == (OutboxStatus.SENT, "text")


async def test_outside_the_window_the_template_carries_the_payloads(graph: FakeGraph) -> None:
    await _queue()
    await process_due(10, client=graph.client())
    template = graph.requests[0]["template"]
    assert template["name"] == "lalisa_undangan_survei"
    body, first, second = template["components"]
    assert body == {"type": "body", "parameters": [{"type": "text", "text": "LLS-2026-000001"}]}
    assert first == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": BUTTONS[0]["id"]}],
    }
    assert second["index"] == "1" and second["parameters"][0]["payload"] == BUTTONS[1]["id"]


async def test_messages_without_buttons_are_unchanged(graph: FakeGraph) -> None:
    await add_inbound(CITIZEN, utcnow() - timedelta(hours=1))
    outbox_id = await _queue(buttons=None)
    await process_due(10, client=graph.client())
    assert graph.requests[0]["type"] == "text"
    assert (await outbox_row(outbox_id)).buttons is None


@pytest.mark.parametrize(
    "buttons",
    [
        [{"id": f"/x{index}", "title": f"Pilihan {index}"} for index in range(4)],
        [{"id": "/a", "title": "Judul tombol yang terlalu panjang"}],
        [{"id": "", "title": "Kosong"}],
        [{"id": "/a", "title": "Satu"}, {"id": "/a", "title": "Dua"}],
    ],
)
async def test_buttons_outside_whatsapp_limits_are_refused(buttons: list[dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        await _queue(buttons=buttons, key="bad")
