"""The webhook receiver: handshake, signature, filter, dedupe, statuses, body cap, 503."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from lalisa.core.contacts import citizen_contacts
from lalisa.core.crypto import get_identity_cipher, sender_key
from lalisa.ingress.app import create_app
from lalisa.ingress.queue import InboundQueue
from lalisa.ingress.settings import ReceiverNotConfigured, ReceiverSettings
from lalisa.notifications.channel_tables import inbound_messages, outbound_messages
from lalisa_common.env import SettingsError
from lalisa_common.identity import contact_address
from lalisa_common.whatsapp.signature import sign
from tests.common.payloads import OTHER_PNID, PNID, envelope, message, status, to_bytes, value

SECRET, PREVIOUS, VERIFY = "receiver-secret", "receiver-old-secret", "receiver-verify"
PATH = "/webhooks/whatsapp/webhook"


def settings_for(url: str, **overrides: Any) -> ReceiverSettings:
    values: dict[str, Any] = dict(
        verify_token=VERIFY,
        app_secrets=(SECRET, PREVIOUS),
        phone_number_id=PNID,
        database_url=url,
        max_body_bytes=64 * 1024,
    )
    values.update(overrides)
    return ReceiverSettings(**values)


@pytest.fixture
async def client(db: str) -> AsyncIterator[tuple[httpx.AsyncClient, InboundQueue]]:
    queue = InboundQueue(db)
    app = create_app(settings_for(db), queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
        yield http, queue
    await queue.close()


async def post(http: httpx.AsyncClient, payload: Any, secret: str = SECRET) -> httpx.Response:
    body = to_bytes(payload)
    headers = {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}
    return await http.post(PATH, content=body, headers=headers)


async def stored(queue: InboundQueue) -> list[tuple[str, str]]:
    async with queue.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(inbound_messages.c.wamid, inbound_messages.c.status).order_by(
                inbound_messages.c.order_key
            )
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_handshake(client: Any) -> None:
    http, _ = client
    ok = await http.get(
        PATH, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "42"}
    )
    assert (ok.status_code, ok.text) == (200, "42")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {"hub.verify_token": VERIFY, "hub.challenge": "1"},
    ):
        assert (await http.get(PATH, params=params)).status_code == 403


async def test_signed_messages_are_stored_before_the_answer(client: Any) -> None:
    http, queue = client
    first = message("text", msg_id="wamid.rcv1")
    second = message("text_id", msg_id="wamid.rcv2")
    response = await post(http, envelope(value([first, second])))
    assert response.status_code == 200
    assert await stored(queue) == [("wamid.rcv1", "received"), ("wamid.rcv2", "received")]
    # The previous secret is accepted during a rotation; a redelivery is acknowledged only.
    again = await post(http, envelope(value([first])), secret=PREVIOUS)
    assert again.status_code == 200
    assert len(await stored(queue)) == 2


async def test_only_the_key_and_the_encrypted_number_are_stored(client: Any) -> None:
    http, queue = client
    number = "6281377700011"
    first = message("text", sender=number, msg_id="wamid.pk1")
    again = message("text", sender=number, msg_id="wamid.pk2")
    await post(http, envelope(value([first])))
    await post(http, envelope(value([again], [status("wamid.out9", "sent", recipient=number)])))
    key = sender_key(number)
    async with queue.engine.connect() as conn:
        queued = (await conn.execute(sa.select(inbound_messages))).mappings().all()
        sent = (await conn.execute(sa.select(outbound_messages))).mappings().all()
        contacts = (await conn.execute(sa.select(citizen_contacts))).mappings().all()
        address = await citizen_address_of(conn, key)
    assert {row["sender_id"] for row in queued} == {key}
    assert [row["recipient"] for row in sent] == ["unknown"]  # status webhooks keep none
    # No column of the queue or the outbound log holds the number in any form.
    for row in [*queued, *sent]:
        assert not any(number[2:] in str(cell) for cell in row.values())
    assert [row["sender_key"] for row in contacts] == [key]  # one contact, upserted twice
    assert number not in contacts[0]["phone_encrypted"]
    assert address == number


async def citizen_address_of(conn: Any, key: str) -> str | None:
    return await contact_address(conn, citizen_contacts, get_identity_cipher(), key)


async def test_bad_signatures_are_refused_and_nothing_is_stored(client: Any) -> None:
    http, queue = client
    body = to_bytes(envelope(value([message("text")])))
    missing = await http.post(PATH, content=body)
    wrong = await http.post(PATH, content=body, headers={"X-Hub-Signature-256": sign(body, "x")})
    tampered = await http.post(
        PATH, content=body + b" ", headers={"X-Hub-Signature-256": sign(body, SECRET)}
    )
    assert [r.status_code for r in (missing, wrong, tampered)] == [403, 403, 403]
    assert await stored(queue) == []


async def test_other_numbers_and_non_json_are_acknowledged_and_ignored(client: Any) -> None:
    http, queue = client
    other = await post(http, envelope(value([message("text")], pnid=OTHER_PNID)))
    body = b"not json"
    garbage = await http.post(
        PATH, content=body, headers={"X-Hub-Signature-256": sign(body, SECRET)}
    )
    assert (other.status_code, garbage.status_code) == (200, 200)
    assert await stored(queue) == []


async def test_statuses_update_the_outbound_log(client: Any) -> None:
    http, queue = client
    assert (
        await post(http, envelope(value(None, [status("wamid.o1", "sent")])))
    ).status_code == 200
    assert (
        await post(http, envelope(value(None, [status("wamid.o1", "read")])))
    ).status_code == 200
    # A late "delivered" never downgrades "read".
    late = await post(http, envelope(value(None, [status("wamid.o1", "delivered")])))
    assert late.status_code == 200
    async with queue.engine.connect() as conn:
        result = await conn.execute(
            sa.select(outbound_messages.c.status).where(outbound_messages.c.wamid == "wamid.o1")
        )
        assert result.scalar_one() == "read"


async def test_a_body_above_the_cap_is_refused_unread(client: Any) -> None:
    http, queue = client
    body = b"{" + b" " * (70 * 1024) + b"}"
    response = await http.post(
        PATH, content=body, headers={"X-Hub-Signature-256": sign(body, SECRET)}
    )
    assert response.status_code == 413
    assert await stored(queue) == []


async def test_database_down_answers_503(tmp_path: Path, lalisa_env: dict[str, str]) -> None:
    # A database without the queue table: every write fails, as when the server is gone.
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    queue = InboundQueue(url)
    app = create_app(settings_for(url), queue)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            response = await post(http, envelope(value([message("text")])))
            health = await http.get("/health")
        assert response.status_code == 503
        assert health.status_code == 503
    finally:
        await queue.close()


def test_settings_need_the_secrets_and_whole_numbers() -> None:
    with pytest.raises(ReceiverNotConfigured, match="WHATSAPP_APP_SECRET"):
        ReceiverSettings.from_env({"WHATSAPP_VERIFY_TOKEN": "v", "WHATSAPP_PHONE_NUMBER_ID": "1"})
    base = {
        "WHATSAPP_VERIFY_TOKEN": "v",
        "WHATSAPP_APP_SECRET": "s",
        "WHATSAPP_APP_SECRET_PREVIOUS": "p",
        "WHATSAPP_PHONE_NUMBER_ID": "1",
    }
    settings = ReceiverSettings.from_env({**base, "LALISA_RECEIVER_PORT": "6004"})
    assert (settings.port, settings.app_secrets) == (6004, ("s", "p"))
    with pytest.raises(SettingsError, match="whole number"):
        ReceiverSettings.from_env({**base, "LALISA_RECEIVER_PORT": "x"})
