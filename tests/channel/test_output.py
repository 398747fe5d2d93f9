"""Output channel tests against the sandbox's fake Graph API on a local port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from lalisa.tickets.categories import CATEGORY_LABELS, MORE_CATEGORIES, category_list_buttons
from lalisa_common.identity import SenderKeys
from lalisa_common.whatsapp.queue import BUSY_NOTICE_INDEX
from lalisa_rasa.channels.graph import NETWORK_ERROR
from lalisa_rasa.channels.render import render_choices, split_text, text_length
from lalisa_rasa.channels.store import WhatsAppStore
from lalisa_rasa.channels.whatsapp import (
    MenuMemory,
    ReplyNotDelivered,
    WhatsAppOutput,
    recipient_fields,
    reply_key,
)
from tests.channel.conftest import (
    IDENTITY_KEY,
    FakeGraphServer,
    fast_graph_client,
    key_of,
    settings_for,
)
from tests.common.payloads import CITIZEN


@pytest_asyncio.fixture
async def output(graph: FakeGraphServer, db_url: str, tmp_path: Path) -> Any:
    settings = settings_for(graph.url, db_url, tmp_path / "media")
    client = fast_graph_client(settings)
    store = WhatsAppStore(db_url)
    channel = WhatsAppOutput(client, store, MenuMemory(store))
    yield channel
    await client.close()
    await store.close()


def bodies(graph: FakeGraphServer) -> list:
    return [r["json"] for r in graph.sent()]


def buttons(count: int, title: str = "Pilihan {n}", payload: str = '/choose{{"n": {n}}}') -> list:
    return [
        {"title": title.format(n=n), "payload": payload.format(n=n)} for n in range(1, count + 1)
    ]


# ------------------------------------------------------------------- rendering


def test_split_text_keeps_every_word_and_respects_the_limit() -> None:
    paragraph = (
        "Laporan Anda sudah kami terima dan akan segera ditindaklanjuti oleh petugas. " * 30
    ).strip()
    text = "\n\n".join([paragraph] * 4) + " 👍" * 50
    parts = split_text(text)
    assert len(parts) > 1
    assert all(text_length(p) <= 4096 for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    assert split_text("pendek") == ["pendek"]
    no_spaces = "x" * 9000
    assert [len(p) for p in split_text(no_spaces)] == [4096, 4096, 808]


def test_render_picks_buttons_list_or_numbered_menu() -> None:
    assert render_choices("Lanjut?", buttons(3)).kind == "buttons"
    assert render_choices("Pilih", buttons(4)).kind == "list"
    assert render_choices("Pilih", buttons(10)).kind == "list"
    assert render_choices("Pilih", buttons(11)).kind == "menu"
    assert render_choices("Pilih", buttons(2, title="Kategori pilihan nomor {n}")).kind == "list"
    assert (
        render_choices("Pilih", buttons(2, title="Judul yang sangat panjang sekali {n}")).kind
        == "menu"
    )
    long_payload = '/x{{"d": "' + "a" * 250 + '{n}"}}'
    assert render_choices("Pilih", buttons(2, payload=long_payload)).kind == "menu"
    assert render_choices("", []).kind == "text"
    menu = render_choices("Pilih kategori:", buttons(12))
    body = menu.bodies[0]["text"]["body"]
    assert body.startswith("Pilih kategori:") and "\n12. Pilihan 12" in body
    assert menu.menu[11] == '/choose{"n": 12}'


@pytest.mark.parametrize("page", [None, "more"])
def test_each_page_of_the_category_list_is_one_whatsapp_list(page: str | None) -> None:
    """Every category can be tapped: each page fits one list message, with the labels."""
    buttons = category_list_buttons(page)
    rendered = render_choices("Apa jenis pelanggaran yang ingin Anda laporkan?", buttons)
    assert rendered.kind == "list"
    (body,) = rendered.bodies
    (section,) = body["interactive"]["action"]["sections"]
    rows = section["rows"]
    assert [row["id"] for row in rows] == [b["payload"] for b in buttons]
    assert [row["title"] for row in rows] == [b["title"] for b in buttons]
    assert all(row["description"] for row in rows)


def test_both_category_pages_together_offer_every_category() -> None:
    rows = [
        row["id"]
        for page in (None, "more")
        for body in render_choices("Pilih jenis", category_list_buttons(page)).bodies
        for row in body["interactive"]["action"]["sections"][0]["rows"]
    ]
    offered = {json.loads(row.removeprefix("/report_complaint"))["category"] for row in rows}
    assert offered == set(CATEGORY_LABELS) | {MORE_CATEGORIES}


def test_recipient_fields() -> None:
    assert recipient_fields("6281234567890") == {"to": "+6281234567890"}
    assert recipient_fields("081234567890") == {"to": "+6281234567890"}
    assert recipient_fields("ID.13491208655302741918") == {"recipient": "ID.13491208655302741918"}


# -------------------------------------------------------------------- sending


async def test_long_text_is_split_and_accepted(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    text = ("Satpol PP Kabupaten Balangan menerima laporan Anda. " * 100).strip()
    await output.send_text_message(CITIZEN, text)
    sent = bodies(graph)
    assert len(sent) == 2
    assert all(b["type"] == "text" and len(b["text"]["body"]) <= 4096 for b in sent)
    assert sent[0]["to"] == "+" + CITIZEN and sent[0]["messaging_product"] == "whatsapp"


async def test_buttons_become_reply_buttons(output: WhatsAppOutput, graph: FakeGraphServer) -> None:
    await output.send_response(
        CITIZEN,
        {
            "text": "Apakah data sudah benar?",
            "buttons": [
                {"title": "Ya", "payload": "/affirm"},
                {"title": "Ubah", "payload": "/deny"},
            ],
        },
    )
    [body] = bodies(graph)
    assert body["type"] == "interactive"
    assert body["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]] == [
        "/affirm",
        "/deny",
    ]


async def test_many_buttons_become_a_list(output: WhatsAppOutput, graph: FakeGraphServer) -> None:
    await output.send_text_with_buttons(CITIZEN, "Jenis pengaduan:", buttons(7))
    [body] = bodies(graph)
    assert body["interactive"]["type"] == "list"
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 7 and rows[0]["id"] == '/choose{"n": 1}'


async def test_over_limit_degrades_to_numbered_text_and_number_maps_back(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await output.send_text_with_buttons(CITIZEN, "Pilih kategori:", buttons(15))
    [body] = bodies(graph)
    assert body["type"] == "text" and "15. Pilihan 15" in body["text"]["body"]
    assert await output.menus.resolve(CITIZEN, "3") == '/choose{"n": 3}'
    assert await output.menus.resolve(CITIZEN, "3") is None  # consumed


async def test_location_request_and_custom_payloads(
    output: WhatsAppOutput, graph: FakeGraphServer, tmp_path: Path
) -> None:
    await output.send_custom_json(
        CITIZEN, {"type": "location_request", "text": "Kirim lokasi kejadian"}
    )
    await output.send_custom_json(
        CITIZEN,
        {"type": "template", "template": {"name": "pengaduan_selesai", "language": {"code": "id"}}},
    )
    photo = tmp_path / "bukti.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"1" * 100)
    await output.send_custom_json(
        CITIZEN, {"type": "image", "path": str(photo), "caption": "Hasil penanganan"}
    )
    await output.send_image_url(CITIZEN, "https://example.org/foto.jpg")
    sent = bodies(graph)
    assert sent[0]["interactive"]["type"] == "location_request_message"
    assert sent[0]["interactive"]["action"] == {"name": "send_location"}
    assert sent[1]["type"] == "template"
    assert sent[2]["type"] == "image" and sent[2]["image"]["caption"] == "Hasil penanganan"
    assert sent[2]["image"]["id"] in graph.state.media
    assert sent[3]["image"] == {"link": "https://example.org/foto.jpg"}
    assert len(graph.sent("upload")) == 1


async def test_retry_on_throughput_limit_then_success(
    output: WhatsAppOutput, graph: FakeGraphServer, db_url: str
) -> None:
    await graph.fail(status=400, code=130429, count=2)
    await output.send_text_message(CITIZEN, "Halo")
    assert len(graph.sent()) == 3
    [row] = await output.store.outbound_rows()
    assert row["status"] == "accepted" and row["attempts"] == 3 and row["wamid"]


async def test_retry_on_pair_rate_limit_and_5xx(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await graph.fail(status=400, code=131056, count=1)
    await graph.fail(status=503, count=1)
    await graph.fail(status=500, code=131000, count=1)
    await output.send_text_message(CITIZEN, "Halo")
    assert len(graph.sent()) == 4
    [row] = await output.store.outbound_rows()
    assert row["status"] == "accepted" and row["attempts"] == 4


async def test_an_unkeyed_send_whose_answer_timed_out_is_not_repeated(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    # The fake (like Meta) took the message and answered late: the client gave up after 1 s.
    # Without a reply key (the apology after a crash) nothing can tell whether it arrived.
    await graph.fail(delay=1.5, status=200, count=1)
    await output.send_text_message(CITIZEN, "Halo")
    assert len(graph.sent()) == 1
    [row] = await output.store.outbound_rows()
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["error_code"] == NETWORK_ERROR


async def test_a_read_receipt_whose_answer_timed_out_is_not_retried_either(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await graph.fail(delay=1.5, status=200, count=1)
    result = await output.graph.mark_read("wamid.IN-1")
    assert not result.ok and result.maybe_delivered and result.attempts == 1


async def test_a_refused_connection_is_retried(
    graph: FakeGraphServer, db_url: str, tmp_path: Path
) -> None:
    # Nothing listens on the first address: the request never left, so trying again is safe.
    settings = settings_for("http://127.0.0.1:9", db_url, tmp_path / "media")
    client = fast_graph_client(settings)
    try:
        result = await client.send_message({"to": CITIZEN, "type": "text", "text": {"body": "x"}})
    finally:
        await client.close()
    assert not result.ok and not result.maybe_delivered
    assert result.attempts == client.max_attempts > 1


async def test_an_idempotent_call_is_retried_after_a_timeout(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await graph.fail(delay=1.5, status=200, count=1)
    result = await output.graph.call(
        "POST", output.graph.messages_url, json_body={"messaging_product": "whatsapp"}
    )
    assert result.attempts == 2


async def test_a_citizen_key_is_resolved_to_the_number_only_for_the_graph_call(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    keys = SenderKeys(IDENTITY_KEY)
    key = await output.store.remember_contact(keys, CITIZEN)
    assert key == key_of(CITIZEN)
    await output.send_text_message(key, "Halo")
    await output.send_text_with_buttons(key, "Pilih kategori:", buttons(15))
    assert [body["to"] for body in bodies(graph)] == ["+" + CITIZEN] * 2
    # Records and the menu memory know the citizen by key only.
    rows = await output.store.outbound_rows()
    assert {row["recipient"] for row in rows} == {key}
    assert await output.menus.resolve(key, "3") == '/choose{"n": 3}'


async def test_one_turn_reads_the_citizen_number_once(
    output: WhatsAppOutput, graph: FakeGraphServer, monkeypatch: Any
) -> None:
    """A turn's second and later replies use the number its first reply read."""
    keys = SenderKeys(IDENTITY_KEY)
    key = await output.store.remember_contact(keys, CITIZEN)
    reads: list[str] = []
    read = output.store.address_of

    async def counted(keys: SenderKeys, key: str) -> str | None:
        reads.append(key)
        return await read(keys, key)

    monkeypatch.setattr(output.store, "address_of", counted)
    await output.send_text_message(key, "Halo")
    await output.send_text_message(key, "Ada yang bisa dibantu?")
    await output.send_text_message(key_of("6289900000000"), "Halo")  # unknown: not remembered
    await output.send_text_message(key_of("6289900000000"), "Halo")
    assert reads == [key, key_of("6289900000000"), key_of("6289900000000")]
    assert [body["to"] for body in bodies(graph)] == ["+" + CITIZEN] * 2


async def test_an_unknown_key_sends_nothing_and_records_the_failure(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await output.send_text_message(key_of("6289900000000"), "Halo")
    assert graph.sent() == []
    [row] = await output.store.outbound_rows()
    assert (row["recipient"], row["status"]) == (key_of("6289900000000"), "failed")


async def test_no_retry_on_a_permanent_error_and_failure_recorded(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await graph.fail(status=400, code=131047, count=5)
    await output.send_text_message(CITIZEN, "Halo")
    assert len(graph.sent()) == 1
    [row] = await output.store.outbound_rows()
    assert row["status"] == "failed"
    assert row["error_code"] == 131047
    assert row["attempts"] == 1
    assert "Re-engagement" in row["error_title"]


async def test_retries_give_up_and_record_the_failure(
    output: WhatsAppOutput, graph: FakeGraphServer
) -> None:
    await graph.fail(status=400, code=130429, count=10)
    await output.send_text_message(CITIZEN, "Halo")
    assert len(graph.sent()) == 4
    [row] = await output.store.outbound_rows()
    assert row["status"] == "failed" and row["error_code"] == 130429 and row["attempts"] == 4


async def test_invalid_payload_is_rejected_by_the_fake_like_meta(graph: FakeGraphServer) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "+62811",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "x"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": str(n), "title": f"B{n}"}} for n in range(4)
                ]
            },
        },
    }
    async with aiohttp.ClientSession(
        headers={"Authorization": "Bearer test-access-token"}
    ) as session:
        async with session.post(f"{graph.url}/v23.0/106540352242922/messages", json=body) as resp:
            data = await resp.json()
    assert resp.status == 400
    assert data["error"]["code"] == 131009
    assert data["error"]["error_data"]["messaging_product"] == "whatsapp"


# ------------------------------------------------- replies of a turn: at least once


IN = "wamid.IN-1"


def accepted(graph: FakeGraphServer) -> list[str]:
    """Texts the fake accepted (what the citizen's phone shows), in order."""
    return [
        e["message"]["text"]["body"]
        for e in graph.state.events
        if e["kind"] == "out" and e["message"].get("type") == "text"
    ]


@pytest_asyncio.fixture
async def keyed(
    graph: FakeGraphServer, any_db_url: str, tmp_path: Path
) -> AsyncIterator[Callable[..., WhatsAppOutput]]:
    """Outputs keyed to the inbound message ``IN`` (one per run of its turn), on each backend."""
    settings = settings_for(graph.url, any_db_url, tmp_path / "media")
    client = fast_graph_client(settings, timeout=aiohttp.ClientTimeout(total=2, sock_read=0.5))
    store = WhatsAppStore(any_db_url)

    def make(trace_wait_seconds: float = 1.0, first_run: bool = False) -> WhatsAppOutput:
        return WhatsAppOutput(
            client,
            store,
            MenuMemory(store),
            reply_to=IN,
            trace_wait_seconds=trace_wait_seconds,
            first_run=first_run,
        )

    yield make
    await client.close()
    await store.close()


def status_webhooks_to(graph: FakeGraphServer, store: WhatsAppStore) -> None:
    """Meta's status webhooks, applied to the outbound log the way the receiver does."""

    async def hook(_phone: str, wamid: str, _final: str, callback: str | None) -> None:
        await store.apply_status(wamid, "sent", callback_data=callback)

    graph.connect("http://127.0.0.1:9/none", status_webhooks=True)
    graph.state.status_hook = hook


async def test_a_reply_whose_answer_timed_out_but_arrived_is_recorded_not_repeated(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    output = keyed()
    status_webhooks_to(graph, output.store)  # type: ignore[arg-type]
    await graph.fail(mode="late", delay=1.5)
    await output.send_text_message(CITIZEN, "Nomor tiket Anda LL-1")
    assert accepted(graph) == ["Nomor tiket Anda LL-1"]
    assert len(graph.sent()) == 1
    [row] = await output.store.outbound_rows()  # type: ignore[union-attr]
    out = next(e for e in graph.state.events if e["kind"] == "out")
    assert (row["status"], row["wamid"], row["reply_to"], row["reply_index"]) == (
        "sent",
        out["wamid"],
        IN,
        0,
    )
    assert row["callback_data"] == reply_key(IN, 0)
    assert graph.sent()[0]["json"]["biz_opaque_callback_data"] == reply_key(IN, 0)


async def test_a_reply_lost_in_a_timeout_is_sent_again(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    # The last session's lost ticket number: the answer timed out, nothing had arrived, and
    # the send was not repeated. Now no status webhook within the wait means "send again".
    output = keyed(trace_wait_seconds=0.3)
    status_webhooks_to(graph, output.store)  # type: ignore[arg-type]
    await graph.fail(mode="lost", delay=1.0)
    await output.send_text_message(CITIZEN, "Nomor tiket Anda LL-2")
    assert accepted(graph) == ["Nomor tiket Anda LL-2"]
    assert len(graph.sent()) == 2
    [row] = await output.store.outbound_rows()  # type: ignore[union-attr]
    assert row["status"] in ("accepted", "sent") and row["attempts"] == 2
    assert (row["reply_to"], row["reply_index"]) == (IN, 0)


async def test_without_any_trace_a_reply_is_sent_again_rather_than_lost(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    # Accepted, but its status webhook never came: at least once means a second copy.
    output = keyed(trace_wait_seconds=0.2)
    await graph.fail(mode="late", delay=1.0)
    await output.send_text_message(CITIZEN, "Nomor tiket Anda LL-3")
    assert accepted(graph) == ["Nomor tiket Anda LL-3"] * 2


async def test_a_reply_whatsapp_cannot_take_ends_the_turn_and_is_sent_when_it_runs_again(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    first = keyed()
    await first.send_text_message(CITIZEN, "Terima kasih")
    await graph.fail(status=503, count=first.graph.max_attempts)
    with pytest.raises(ReplyNotDelivered):
        await first.send_text_message(CITIZEN, "Nomor tiket Anda LL-4")
    assert not await first.store.reply_sent(IN, 1)  # type: ignore[union-attr]
    # The turn runs again (its tracker was not saved): reply 0 is skipped, reply 1 goes out.
    again = keyed()
    await again.send_text_message(CITIZEN, "Terima kasih")
    await again.send_text_message(CITIZEN, "Nomor tiket Anda LL-4")
    assert accepted(graph) == ["Terima kasih", "Nomor tiket Anda LL-4"]
    rows = await again.store.outbound_rows()  # type: ignore[union-attr]
    assert [(r["reply_index"], r["status"]) for r in rows] == [(0, "accepted"), (1, "accepted")]


async def test_a_permanent_refusal_of_a_reply_does_not_repeat_the_turn(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    output = keyed()
    await graph.fail(status=400, code=131026)
    await output.send_text_message(CITIZEN, "Halo")  # no ReplyNotDelivered: it would not help
    [row] = await output.store.outbound_rows()  # type: ignore[union-attr]
    assert (row["status"], row["error_code"]) == ("failed", 131026)


async def test_a_reply_whose_only_trace_is_its_status_webhook_is_not_sent_again(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    # The worker died between Meta's 2xx and its own record; the status webhook came.
    output = keyed()
    await output.store.apply_status(  # type: ignore[union-attr]
        "wamid.OUT-9", "sent", callback_data=reply_key(IN, 0)
    )
    await output.send_text_message(CITIZEN, "Nomor tiket Anda LL-5")
    assert graph.sent() == []


async def test_rasa_lets_an_undelivered_reply_end_the_turn_unsaved(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer
) -> None:
    # Rasa 3.6 sends a turn's replies outside the try/except around an action's run and saves
    # the tracker only after the last one; so ReplyNotDelivered leaves the turn unsaved and
    # reaches the worker, which re-queues the message. Should Rasa ever swallow it, this fails.
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import BotUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = object.__new__(MessageProcessor)  # its model is not needed to send replies
    tracker = DialogueStateTracker(CITIZEN, slots=[])
    await graph.fail(status=503, count=keyed().graph.max_attempts)
    with pytest.raises(ReplyNotDelivered):
        await processor.execute_side_effects(
            [BotUttered("Nomor tiket Anda LL-6")], tracker, keyed()
        )
    assert accepted(graph) == []


async def test_a_turn_s_first_run_does_not_look_its_replies_up_and_a_later_run_does(
    keyed: Callable[..., WhatsAppOutput], graph: FakeGraphServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing of a turn can have been sent before its message's first claim; the look-up is a
    # query per reply. Every later run (re-claim, release) looks each reply up and skips it.
    store = keyed().store
    assert store is not None
    looked_up: list[int] = []
    real = store.reply_sent

    async def counting(reply_to: str, reply_index: int, key: str | None = None) -> bool:
        looked_up.append(reply_index)
        return await real(reply_to, reply_index, key)

    monkeypatch.setattr(store, "reply_sent", counting)
    first = keyed(first_run=True)
    await first.send_text_message(CITIZEN, "Terima kasih")
    await first.send_text_message(CITIZEN, "Nomor tiket Anda LL-5")
    assert looked_up == []
    again = keyed()
    await again.send_text_message(CITIZEN, "Terima kasih")
    await again.send_text_message(CITIZEN, "Nomor tiket Anda LL-5")
    assert looked_up == [0, 1]
    assert accepted(graph) == ["Terima kasih", "Nomor tiket Anda LL-5"]
    # The busy notice goes out before the turn and may be tried again: always looked up.
    notice = keyed(first_run=True)
    notice._reply_index = BUSY_NOTICE_INDEX
    await notice.send_text_message(CITIZEN, "ramai")
    assert looked_up == [0, 1, BUSY_NOTICE_INDEX]
