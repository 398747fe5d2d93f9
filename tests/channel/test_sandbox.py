"""The sandbox end to end with the channel, without a trained model.

Simulator -> signed webhook -> channel -> (a stand-in for Rasa that answers) -> fake Graph API
-> status webhooks -> channel.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lalisa_common.env import SettingsError
from sandbox.config import SandboxSettings
from tests.channel.conftest import ChannelServer, FakeGraphServer, key_of

PHONE = "6285245678901"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20


async def scripted_reply(message: Any) -> None:
    """Answers like a tiny assistant would, through the real WhatsApp output channel."""
    out = message.output_channel
    if message.text.startswith("/share_location"):
        await out.send_response(message.sender_id, {"text": "Lokasi diterima. Kirim foto bukti?"})
    elif message.text.startswith("/share_media"):
        await out.send_response(message.sender_id, {"text": "Foto diterima, terima kasih."})
    elif message.text == "/affirm":
        await out.send_response(
            message.sender_id,
            {"custom": {"type": "location_request", "text": "Di mana lokasinya?"}},
        )
    else:
        await out.send_response(
            message.sender_id,
            {
                "text": "Halo! Ada yang bisa La-Lisa bantu?",
                "buttons": [
                    {"title": "Buat pengaduan", "payload": "/affirm"},
                    {"title": "Tidak", "payload": "/deny"},
                ],
            },
        )


async def events(session: aiohttp.ClientSession, graph: FakeGraphServer, after: int = 0) -> list:
    url = f"{graph.url}/sim/api/events?phone={PHONE}&after={after}&wait=0"
    async with session.get(url) as resp:
        return (await resp.json())["events"]


async def wait_for(session: aiohttp.ClientSession, graph: FakeGraphServer, predicate: Any) -> list:
    for _ in range(100):
        found = await events(session, graph)
        if predicate(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met; events: {json.dumps(found)[:2000]}")


async def test_simulated_citizen_conversation(
    make_channel: Any, graph: FakeGraphServer, open_store: Any, db_url: str
) -> None:
    server: ChannelServer = await make_channel()
    server.agent.reply = scripted_reply
    graph.connect(server.webhook)
    async with aiohttp.ClientSession() as session:
        send = f"{graph.url}/sim/api/send"
        async with session.post(
            send, json={"phone": PHONE, "kind": "text", "text": "halo"}
        ) as resp:
            first = await resp.json()
        assert first["webhook_status"] == 200
        found = await wait_for(session, graph, lambda e: any(x["kind"] == "out" for x in e))
        bot = next(x for x in found if x["kind"] == "out")
        assert bot["message"]["interactive"]["type"] == "button"
        assert any(x["kind"] == "read" and x["wamid"] == first["wamid"] for x in found)

        # tap the first reply button
        button = bot["message"]["interactive"]["action"]["buttons"][0]["reply"]
        tap = {
            "phone": PHONE,
            "kind": "button_reply",
            "id": button["id"],
            "title": button["title"],
            "context_id": bot["wamid"],
        }
        async with session.post(send, json=tap) as resp:
            assert (await resp.json())["webhook_status"] == 200
        found = await wait_for(session, graph, lambda e: sum(x["kind"] == "out" for x in e) >= 2)
        request = [x for x in found if x["kind"] == "out"][1]["message"]["interactive"]
        assert request["type"] == "location_request_message"

        # share a pin in Paringin
        pin = {
            "phone": PHONE,
            "kind": "location",
            "latitude": -2.3251,
            "longitude": 115.4726,
            "location_name": "Pasar Paringin",
        }
        async with session.post(send, json=pin) as resp:
            assert (await resp.json())["webhook_status"] == 200

        # attach a photo with a caption
        form = aiohttp.FormData()
        form.add_field("phone", PHONE)
        form.add_field("caption", "PKL di trotoar")
        form.add_field("file", PNG, filename="bukti.png", content_type="image/png")
        async with session.post(f"{graph.url}/sim/api/upload", data=form) as resp:
            assert (await resp.json())["webhook_status"] == 200
        found = await wait_for(session, graph, lambda e: sum(x["kind"] == "out" for x in e) >= 4)
        await server.settle()

    texts = [m.text for m in server.agent.messages]
    assert texts[0] == "halo"
    assert texts[1] == "/affirm"
    assert texts[2] == '/share_location{"latitude": -2.3251, "longitude": 115.4726}'
    assert texts[3].startswith('/share_media{"media_id": "')
    photo = server.agent.messages[3].metadata
    assert photo["caption"] == "PKL di trotoar"
    assert photo["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert Path(photo["path"]).read_bytes() == PNG
    assert server.agent.messages[2].metadata["wa_context_id"] is None
    assert server.agent.messages[1].metadata["wa_context_id"] == bot["wamid"]

    # status webhooks (sent, delivered, read) came back through the channel
    await asyncio.sleep(0.3)
    await server.settle()
    store = open_store(db_url)
    # The outbound log knows the citizen by key, never by number (sends and status webhooks).
    assert await store.outbound_rows(PHONE) == []
    rows = await store.outbound_rows(key_of(PHONE))
    assert len(rows) == 4
    assert all(row["status"] in ("delivered", "read") for row in rows), rows


async def test_simulator_page_and_geo_are_served(graph: FakeGraphServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{graph.url}/") as resp:
            page = await resp.text()
        assert resp.status == 200 and "Simulator WhatsApp" in page
        async with session.get(f"{graph.url}/static/app.js") as resp:
            assert resp.status == 200
        async with session.get(f"{graph.url}/sim/api/geo") as resp:
            geo = json.loads(await resp.read())
        assert len(geo["features"]) == 8
        async with session.get(f"{graph.url}/health") as resp:
            assert (await resp.json()) == {"status": "ok"}
        async with session.get(f"{graph.url}/sim/api/config") as resp:
            assert (await resp.json())["phones"]


async def test_webhook_to_a_dead_channel_is_reported(graph: FakeGraphServer) -> None:
    graph.connect("http://127.0.0.1:9/webhooks/whatsapp/webhook")
    async with aiohttp.ClientSession() as session:
        body = {"phone": PHONE, "kind": "text", "text": "halo"}
        async with session.post(f"{graph.url}/sim/api/send", json=body) as resp:
            event = await resp.json()
    assert event["webhook_status"] == 0 and "unreachable" in event["webhook_text"]


async def test_request_log_reads_incrementally(graph: FakeGraphServer) -> None:
    """``?since=N`` and ``X-Sandbox-Next`` let a poller (``make bench``) read each request once."""
    headers = {"Authorization": f"Bearer {graph.settings.access_token}"}
    send_url = f"{graph.url}/v23.0/{graph.settings.phone_number_id}/messages"
    log_url = f"{graph.url}/_sandbox/requests"
    async with aiohttp.ClientSession() as session:
        for text in ("satu", "dua"):
            body = {"messaging_product": "whatsapp", "to": PHONE, "type": "text"}
            async with session.post(
                send_url, json={**body, "text": {"body": text}}, headers=headers
            ) as resp:
                assert resp.status == 200
        async with session.get(log_url, params={"kind": "message", "since": "0"}) as resp:
            first = await resp.json()
            next_since = resp.headers["X-Sandbox-Next"]
        async with session.get(log_url, params={"kind": "message", "since": "1"}) as resp:
            later = await resp.json()
        async with session.get(log_url, params={"since": next_since}) as resp:
            none = await resp.json()
    assert [r["json"]["text"]["body"] for r in first] == ["satu", "dua"]
    assert [r["json"]["text"]["body"] for r in later] == ["dua"]
    assert next_since == "2"
    assert none == []


def test_fault_knobs_are_off_by_default_and_refuse_unknown_modes() -> None:
    assert SandboxSettings.from_env({}).fault_rate == 0.0
    settings = SandboxSettings.from_env(
        {
            "SANDBOX_FAULT_RATE": "0.25",
            "SANDBOX_FAULT_MODES": "late, 429",
            "SANDBOX_FAULT_DELAY": "3",
        }
    )
    assert (settings.fault_rate, settings.fault_modes, settings.fault_delay) == (
        0.25,
        ("late", "429"),
        3.0,
    )
    with pytest.raises(SettingsError, match="SANDBOX_FAULT_MODES"):
        SandboxSettings.from_env({"SANDBOX_FAULT_RATE": "0.1", "SANDBOX_FAULT_MODES": "slow"})
    with pytest.raises(SettingsError, match="SANDBOX_FAULT_RATE"):
        SandboxSettings.from_env({"SANDBOX_FAULT_RATE": "2"})


async def test_injected_faults_answer_late_lose_or_refuse_message_sends(
    graph: FakeGraphServer,
) -> None:
    graph.inject_faults(rate=1.0, delay=0.2, seed=3)
    headers = {"Authorization": f"Bearer {graph.settings.access_token}"}
    send_url = f"{graph.url}/v23.0/{graph.settings.phone_number_id}/messages"
    body = {"messaging_product": "whatsapp", "to": PHONE, "type": "text", "text": {"body": "x"}}
    statuses = []
    async with aiohttp.ClientSession() as session:
        for _ in range(12):
            async with session.post(send_url, json=body, headers=headers) as resp:
                statuses.append(resp.status)
    accepted = [e for e in graph.state.events if e["kind"] == "out"]
    # late: accepted (200, the phone shows it); lost and 500: nothing; 429: rate limit.
    assert set(statuses) == {200, 500, 429}
    assert len(accepted) == statuses.count(200)
