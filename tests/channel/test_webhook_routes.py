"""Route tests: signed webhooks over real HTTP to the receiver, processed by a queue worker."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import logging
import time
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings

from lalisa_common.whatsapp.signature import sign
from lalisa_rasa.channels.config import ConfigurationError
from lalisa_rasa.channels.whatsapp import WhatsAppProcessor
from tests.channel.conftest import PREVIOUS_SECRET, SECRET, VERIFY, ChannelServer, key_of
from tests.common.payloads import (
    CITIZEN,
    OTHER_PNID,
    envelope,
    message,
    status,
    to_bytes,
    value,
)
from tests.common.test_whatsapp_payload import mutated_payloads

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 8


async def seed_media(graph: Any, content: bytes, mime: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{graph.url}/_sandbox/media",
            json={"content_b64": base64.b64encode(content).decode(), "mime_type": mime},
        ) as resp:
            return (await resp.json())["id"]


def texts_sent(graph: Any) -> list:
    return [r["json"]["text"]["body"] for r in graph.sent() if r["json"].get("type") == "text"]


# ------------------------------------------------------------------ handshake


async def test_handshake_echoes_challenge(make_channel: Any) -> None:
    server: ChannelServer = await make_channel()
    url = f"{server.webhook}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"
    async with server.session.get(url) as resp:
        assert resp.status == 200
        assert await resp.text() == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        f"hub.mode=unsubscribe&hub.verify_token={VERIFY}&hub.challenge=1",
        f"hub.verify_token={VERIFY}&hub.challenge=1",
        "hub.mode=subscribe&hub.challenge=1",
    ],
)
async def test_handshake_refuses_bad_token_or_mode(make_channel: Any, query: str) -> None:
    server = await make_channel()
    async with server.session.get(f"{server.webhook}?{query}") as resp:
        assert resp.status == 403


async def test_health_route(make_channel: Any) -> None:
    server = await make_channel()
    for path in ("/webhooks/whatsapp/", "/health"):
        async with server.session.get(f"{server.url}{path}") as resp:
            assert resp.status == 200


# ------------------------------------------------------------------ signature


@pytest.mark.parametrize("case", ["missing", "wrong", "wrong_secret", "altered", "sha1"])
async def test_bad_signatures_are_rejected_with_a_log_line(make_channel: Any, case: str) -> None:
    server = await make_channel()
    body = to_bytes(envelope(value([message("text")])))
    signature = {
        "missing": None,
        "wrong": "sha256=" + "0" * 64,
        "wrong_secret": sign(body, "not-the-secret"),
        "altered": sign(body, SECRET),
        "sha1": "sha1=" + "0" * 40,
    }[case]
    posted = body.replace(b"Does it", b"Did it") if case == "altered" else body
    resp = await server.post(None, body=posted, signature=signature, secret=None)
    assert resp.status == 403
    assert "webhook rejected" in server.receiver_log()
    await server.settle()
    assert server.agent.messages == []


async def test_previous_secret_is_accepted_during_rotation(make_channel: Any) -> None:
    server = await make_channel()
    resp = await server.post(envelope(value([message("text")])), secret=PREVIOUS_SECRET)
    assert resp.status == 200
    await server.settle()
    assert len(server.agent.messages) == 1


async def test_signature_is_over_raw_bytes_with_unicode(make_channel: Any) -> None:
    server = await make_channel()
    body = to_bytes(envelope(value([message("text_id")])))
    assert b"\\ud83d" in body  # escaped like Meta sends it
    resp = await server.post(None, body=body)
    assert resp.status == 200
    await server.settle()
    assert server.agent.messages[0].text.endswith("😡")


# ------------------------------------------------------------ inbound types


async def test_text_reaches_rasa_with_channel_fields(make_channel: Any, graph: Any) -> None:
    server = await make_channel()
    item = message("text")
    resp = await server.post(envelope(value([item])))
    assert resp.status == 200
    await server.settle()
    [user_message] = server.agent.messages
    assert user_message.text == "Does it come in another color?"
    # Rasa knows the citizen by key; the number stays in citizen_contacts, encrypted.
    assert user_message.sender_id == key_of(CITIZEN)
    assert user_message.input_channel == "whatsapp"
    assert user_message.message_id == item["id"]
    assert user_message.output_channel.name() == "whatsapp"
    reads = graph.sent("read")
    assert [r["json"]["message_id"] for r in reads] == [item["id"]]
    assert reads[0]["json"]["typing_indicator"] == {"type": "text"}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("button", "/affirm"),
        ("button_reply", '/report_complaint{"category":"pkl"}'),
        ("list_reply", "priority_express"),
        ("location", '/share_location{"latitude": -2.3251, "longitude": 115.4726}'),
    ],
)
async def test_interactive_and_location_messages(
    make_channel: Any, kind: str, expected: str
) -> None:
    server = await make_channel()
    await server.post(envelope(value([message(kind)])))
    await server.settle()
    [user_message] = server.agent.messages
    assert user_message.text == expected
    if kind == "location":
        assert user_message.metadata["name"] == "Pasar Paringin"
        assert user_message.metadata["address"] == "Jl. Jend. A. Yani, Paringin"


@pytest.mark.parametrize(
    ("kind", "mime"),
    [
        ("image", "image/jpeg"),
        ("video", "video/mp4"),
        ("document", "application/pdf"),
        ("audio", "audio/ogg; codecs=opus"),
    ],
)
async def test_media_is_downloaded_then_shared(
    make_channel: Any, graph: Any, kind: str, mime: str
) -> None:
    server = await make_channel()
    content = JPEG if kind == "image" else kind.encode() * 1000
    media_id = await seed_media(graph, content, mime)
    item = message(kind)
    item[kind]["id"] = media_id
    item[kind]["mime_type"] = mime
    await server.post(envelope(value([item])))
    await server.settle()
    [user_message] = server.agent.messages
    assert user_message.text == json_intent("share_media", media_id=media_id, media_type=kind)
    meta = user_message.metadata
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256(content).hexdigest()
    assert meta["sha256"] == digest
    assert meta["size_bytes"] == len(content)
    assert Path(meta["path"]).read_bytes() == content
    assert Path(meta["path"]).name.startswith(digest)
    assert meta["mime_type"] == mime.split(";")[0]
    assert meta["caption"] == item[kind].get("caption")
    assert meta["filename"] == item[kind].get("filename")
    downloads = graph.sent("download")
    assert downloads and downloads[0]["authorization"] == "Bearer test-access-token"


def json_intent(intent: str, **entities: Any) -> str:
    return f"/{intent}{json.dumps(entities)}"


async def test_large_video_gets_a_polite_refusal(
    make_channel: Any, graph: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = await make_channel()
    media_id = await seed_media(graph, b"\x00" * (20 * 1024 * 1024), "video/mp4")
    item = message("video")
    item["video"]["id"] = media_id
    with caplog.at_level(logging.WARNING):
        resp = await server.post(envelope(value([item])))
        assert resp.status == 200
        await server.settle()
    assert server.agent.messages == []
    assert any("terlalu besar" in text and "16 MB" in text for text in texts_sent(graph))
    assert any("refused" in r.getMessage() for r in caplog.records)
    assert graph.sent("download") == []  # refused on the announced size, not downloaded


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("sticker", "stiker"),
        ("reaction", "tanggapan"),
        ("unsupported", "belum bisa"),
        ("contacts", "belum bisa"),
    ],
)
async def test_unusable_types_get_a_polite_reply_and_never_reach_nlu(
    make_channel: Any, graph: Any, kind: str, words: str
) -> None:
    server = await make_channel()
    await server.post(envelope(value([message(kind)])))
    await server.settle()
    assert server.agent.messages == []
    [reply] = texts_sent(graph)
    assert words in reply
    assert graph.sent()[0]["json"]["to"] == "+" + CITIZEN


async def test_system_message_is_recorded_only(
    make_channel: Any, graph: Any, db_url: str, open_store: Any
) -> None:
    server = await make_channel()
    item = message("system")
    await server.post(envelope(value([item])))
    await server.settle()
    assert server.agent.messages == [] and graph.sent() == []
    store = open_store(db_url)
    assert await store.inbound_status(item["id"]) == "ignored"


async def test_wrong_phone_number_id_is_ignored_with_200(make_channel: Any, graph: Any) -> None:
    server = await make_channel()
    resp = await server.post(envelope(value([message("text")], pnid=OTHER_PNID)))
    assert resp.status == 200
    await server.settle()
    assert server.agent.messages == [] and graph.sent("read") == []


async def test_batch_of_entries_changes_and_messages(make_channel: Any) -> None:
    server = await make_channel()
    first, second, third, fourth = (
        message("text", sender=s) for s in ("6281111", "6282222", "6281111", "6283333")
    )
    third["text"]["body"] = "kedua"
    payload = envelope(
        value([first, second]),
        value([third]),
        value([fourth], pnid=OTHER_PNID),
        value(statuses=[status("wamid.unknown", "delivered")]),
        entries=2,
    )
    await server.post(payload)
    await server.settle()
    received = sorted((m.sender_id, m.text) for m in server.agent.messages)
    assert received == sorted(
        [
            (key_of("6281111"), "Does it come in another color?"),
            (key_of("6281111"), "kedua"),
            (key_of("6282222"), "Does it come in another color?"),
        ]
    )


async def test_messages_of_one_sender_keep_their_order(make_channel: Any, graph: Any) -> None:
    server = await make_channel()
    media_id = await seed_media(graph, JPEG, "image/jpeg")
    photo = message("image")
    photo["image"]["id"] = media_id
    after = message("text")
    after["text"]["body"] = "itu fotonya"
    await server.post(envelope(value([photo, after])))
    await server.settle()
    assert [m.text.split("{")[0] for m in server.agent.messages] == ["/share_media", "itu fotonya"]


# ------------------------------------------------------------------- dedupe


async def test_redelivery_three_times_gives_one_message(make_channel: Any) -> None:
    server = await make_channel()
    payload = envelope(value([message("text")]))
    responses = await asyncio.gather(*(server.post(payload) for _ in range(3)))
    assert [r.status for r in responses] == [200, 200, 200]
    await server.settle()
    assert len(server.agent.messages) == 1


async def test_redelivery_after_restart_is_recognised(make_channel: Any, db_url: str) -> None:
    payload = envelope(value([message("text")]))
    first = await make_channel()
    await first.post(payload)
    await first.settle()
    await first.stop()
    second = await make_channel()  # new channel instance, same database
    resp = await second.post(payload)
    assert resp.status == 200
    await second.settle()
    assert len(first.agent.messages) == 1
    assert second.agent.messages == []


async def test_store_outage_answers_503_so_meta_redelivers(
    make_channel: Any, tmp_path: Any
) -> None:
    server = await make_channel(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db")
    resp = await server.post(envelope(value([message("text")])))
    assert resp.status == 503
    await server.settle()
    assert server.agent.messages == []


async def test_stale_message_gets_no_conversational_reply(
    make_channel: Any, graph: Any, db_url: str, open_store: Any
) -> None:
    server = await make_channel()
    old = message("text", ts=str(int(time.time()) - 7 * 3600))
    very_old = message("text", ts=str(int(time.time()) - 3 * 24 * 3600))
    await server.post(envelope(value([old, very_old])))
    await server.settle()
    assert server.agent.messages == []
    [apology] = texts_sent(graph)  # only the one still inside the 24 h window
    assert "kirim ulang" in apology
    store = open_store(db_url)
    assert await store.inbound_status(old["id"]) == "stale"
    assert await store.inbound_status(very_old["id"]) == "stale"


async def test_a_message_whose_worker_died_is_taken_again(
    make_channel: Any, db_url: str, open_store: Any
) -> None:
    from datetime import timedelta

    from lalisa_rasa.channels.store import utcnow
    from lalisa_rasa.channels.tables import inbound_messages

    store = open_store(db_url)
    item = message("text")
    assert await store.log_inbound(
        item["id"],
        CITIZEN,
        "text",
        int(item["timestamp"]),
        {"message": item, "phone_number_id": "106540352242922"},
    )
    async with store.engine.begin() as conn:  # leased by a worker that was killed
        await conn.execute(
            inbound_messages.update().values(
                status="processing",
                lease_owner="dead:1",
                lease_until=utcnow() - timedelta(seconds=1),
                attempts=1,
            )
        )
    server = await make_channel()
    await server.settle()
    assert [m.text for m in server.agent.messages] == ["Does it come in another color?"]
    assert await store.inbound_status(item["id"]) == "processed"


async def test_a_saved_turn_is_not_run_again_after_a_crash(
    make_channel: Any, db_url: str, open_store: Any
) -> None:
    from datetime import timedelta

    from lalisa_rasa.channels.store import utcnow
    from lalisa_rasa.channels.tables import inbound_messages

    store = open_store(db_url)
    item = message("text")
    await store.log_inbound(
        item["id"],
        CITIZEN,
        "text",
        int(item["timestamp"]),
        {"message": item, "phone_number_id": "106540352242922"},
    )
    async with store.engine.begin() as conn:  # the worker died after the tracker was saved
        await conn.execute(
            inbound_messages.update().values(
                status="processing", lease_until=utcnow() - timedelta(seconds=1), attempts=1
            )
        )
    asked: list[tuple[str, str]] = []

    async def turn_recorded(sender_id: str, wamid: str) -> bool:
        asked.append((sender_id, wamid))
        return True

    server = await make_channel(turn_recorded=turn_recorded)
    await server.settle()
    assert server.agent.messages == []
    assert asked == [(CITIZEN, item["id"])]
    assert await store.inbound_status(item["id"]) == "processed"


async def test_a_turn_run_again_never_repeats_a_reply(
    make_channel: Any, graph: Any, db_url: str, open_store: Any
) -> None:
    server = await make_channel()
    crashed = {"done": False}

    async def reply_then_crash(user_message: Any) -> None:
        out = user_message.output_channel
        await out.send_text_message(user_message.sender_id, "Balasan pertama")
        if not crashed["done"]:
            crashed["done"] = True
            raise ConnectionRefusedError  # stands in for the process dying here
        await out.send_text_message(user_message.sender_id, "Balasan kedua")

    server.agent.reply = reply_then_crash
    item = message("text")
    await server.post(envelope(value([item])))
    await server.settle()
    # The crash left the "failed" outcome and the apology; run the very same turn again.
    store = open_store(db_url)
    from lalisa_common.whatsapp.queue import ClaimedMessage

    claimed = ClaimedMessage(
        item["id"],
        CITIZEN,
        {"message": item, "phone_number_id": "106540352242922"},
        None,
        2,
        "again",
    )
    await server.worker._handle(claimed)
    texts = texts_sent(graph)
    assert texts.count("Balasan pertama") == 1
    assert texts.count("Balasan kedua") == 1
    rows = [r for r in await store.outbound_rows() if r["reply_to"] == item["id"]]
    assert sorted(r["reply_index"] for r in rows) == [0, 1]


# ------------------------------------------------------------------ statuses


async def test_status_only_payloads_update_records_and_never_reach_rasa(
    make_channel: Any, db_url: str, open_store: Any
) -> None:
    server = await make_channel()
    output = server.processor.output_for()
    await output.send_text_message(CITIZEN, "Halo")
    store = open_store(db_url)
    [row] = await store.outbound_rows()
    assert row["status"] == "accepted"
    wamid = row["wamid"]
    for state in ("delivered", "sent", "read", "delivered"):  # out of order, with a repeat
        await server.post(envelope(value(statuses=[status(wamid, state)])))
    await server.settle()
    [row] = await store.outbound_rows()
    assert row["status"] == "read"
    await server.post(
        envelope(value(statuses=[status("wamid.other", "failed", error_code=131047)]))
    )
    await server.settle()
    rows = {r["wamid"]: r for r in await store.outbound_rows()}
    assert rows["wamid.other"]["status"] == "failed"
    assert rows["wamid.other"]["error_code"] == 131047
    assert server.agent.messages == []


# ------------------------------------------------------------------- fuzzing


async def test_route_fuzz_never_500(make_channel: Any) -> None:
    server = await make_channel()
    samples: list = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutated_payloads())
    def collect(payload: Any) -> None:
        samples.append(copy.deepcopy(payload))

    collect()
    garbage = [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'{"object": "whatsapp_business_account", "entry": 5}',
        b"[" * 200_000,
        b"\xff\xfe not utf-8",
    ]
    bodies = [json.dumps(p).encode() for p in samples] + garbage
    statuses = set()
    for start in range(0, len(bodies), 25):
        chunk = bodies[start : start + 25]
        responses = await asyncio.gather(*(server.post(None, body=b) for b in chunk))
        statuses.update(r.status for r in responses)
    await server.settle()
    assert statuses == {200}


async def test_processor_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name, val in {
        "WHATSAPP_VERIFY_TOKEN": "v",
        "WHATSAPP_APP_SECRET": "s",
        "WHATSAPP_APP_SECRET_PREVIOUS": "p",
        "WHATSAPP_ACCESS_TOKEN": "t",
        "WHATSAPP_PHONE_NUMBER_ID": "1",
        "WHATSAPP_API_BASE_URL": "http://127.0.0.1:5006/",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "LALISA_MEDIA_DIR": str(tmp_path / "m"),
        "LALISA_STALE_MESSAGE_MINUTES": "90",
    }.items():
        monkeypatch.setenv(name, val)
    monkeypatch.delenv("REDIS_URL", raising=False)
    processor = WhatsAppProcessor.from_env()
    assert processor.settings.app_secrets == ("s", "p")
    assert processor.settings.api_base_url == "http://127.0.0.1:5006"
    assert processor.settings.stale_after_seconds == 90 * 60
    assert processor.graph.messages_url == "http://127.0.0.1:5006/v23.0/1/messages"
    assert str(processor.settings.media_dir) == str(tmp_path / "m")
    await processor.close()
    monkeypatch.delenv("WHATSAPP_APP_SECRET")
    with pytest.raises(ConfigurationError, match="WHATSAPP_APP_SECRET"):
        WhatsAppProcessor.from_env()
