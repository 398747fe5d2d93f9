"""The REST channel: open in development, token-only in production, no client metadata there."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from lalisa_common.identity import SenderKeys
from lalisa_rasa.channels.rest import RestContacts, RestPolicy, TokenRestInput
from tests.channel.conftest import IDENTITY_KEY, RecordingAgent, free_socket, key_of

TOKEN = "rest-token-of-the-integration-0123456789"


@pytest_asyncio.fixture
async def rest_server(
    db_url: str,
) -> AsyncIterator[Callable[[RestPolicy], Awaitable[tuple[str, Any]]]]:
    """Factory: the REST channel under Rasa's ``configure_app`` with a recording agent."""
    from rasa.core.run import configure_app

    servers: list[Any] = []
    contacts = RestContacts({"DATABASE_URL": db_url, "LALISA_IDENTITY_KEY": IDENTITY_KEY})

    async def factory(policy: RestPolicy) -> tuple[str, RecordingAgent]:
        app = configure_app([TokenRestInput(policy, contacts)], enable_api=False)
        agent = RecordingAgent()

        async def reply(message: Any) -> None:
            await message.output_channel.send_text_message(message.sender_id, "balasan")

        agent.reply = reply
        app.ctx.agent = agent
        sock = free_socket()
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        return f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/rest/webhook", agent

    yield factory
    for server in servers:
        await server.before_stop()
        await server.close()
        await server.after_stop()
    if contacts.store is not None:
        await contacts.store.close()


async def post(url: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, headers=headers) as response:
            return response.status, await response.json()


MESSAGE = {
    "sender": "6281234567890",
    "message": "/ /restart",
    "metadata": {"path": "/etc/passwd"},
    "input_channel": "whatsapp",
}


async def test_development_keeps_the_open_channel(rest_server: Any) -> None:
    url, agent = await rest_server(RestPolicy())
    status, replies = await post(url, MESSAGE)
    assert status == 200
    # The client gets its own sender back; Rasa only ever sees the citizen's key.
    assert replies == [{"recipient_id": "6281234567890", "text": "balasan"}]
    (message,) = agent.messages
    assert message.sender_id == key_of("6281234567890")
    assert message.input_channel == "rest"


async def test_the_sender_becomes_a_key_with_the_number_recorded(
    rest_server: Any, db_url: str, open_store: Any
) -> None:
    url, agent = await rest_server(RestPolicy())
    for sender in ("+62 812-3456-7001", "081234567001", key_of("6281234567001")):
        assert (await post(url, {"sender": sender, "message": "halo"}))[0] == 200
    assert {message.sender_id for message in agent.messages} == {key_of("6281234567001")}
    store = open_store(db_url)
    keys = SenderKeys(IDENTITY_KEY)
    assert await store.address_of(keys, key_of("6281234567001")) == "6281234567001"
    assert await store.address_of(keys, key_of("6289999999999")) is None


async def test_production_without_a_token_refuses_everything(rest_server: Any) -> None:
    url, agent = await rest_server(RestPolicy(production=True))
    assert (await post(url, MESSAGE))[0] == 403
    assert (await post(url, MESSAGE, token="anything"))[0] == 403
    assert agent.messages == []


async def test_production_with_a_token_trusts_only_the_integration(rest_server: Any) -> None:
    url, agent = await rest_server(RestPolicy(token=TOKEN, production=True))
    assert (await post(url, MESSAGE))[0] == 401
    assert (await post(url, MESSAGE, token="wrong"))[0] == 401
    assert agent.messages == []
    status, _ = await post(url, MESSAGE, token=TOKEN)
    assert status == 200
    (message,) = agent.messages
    assert message.text == "restart"  # typed text never forces an intent
    assert not message.metadata  # client metadata (media paths …) is dropped
    assert message.input_channel == "rest"


async def test_a_token_set_in_development_is_required_too(rest_server: Any) -> None:
    url, agent = await rest_server(RestPolicy(token=TOKEN))
    assert (await post(url, MESSAGE))[0] == 401
    assert (await post(url, MESSAGE, token=TOKEN))[0] == 200
    assert agent.messages[0].metadata == {"path": "/etc/passwd"}


async def test_malformed_requests_are_refused(rest_server: Any) -> None:
    url, agent = await rest_server(RestPolicy())
    assert (await post(url, {"message": "halo"}))[0] == 400
    assert (await post(url, {"sender": "x", "message": 5}))[0] == 400
    assert agent.messages == []


def test_policy_from_environment() -> None:
    assert RestPolicy.from_env({}) == RestPolicy()
    production = {"LALISA_ENV": "production", "LALISA_REST_TOKEN": f" {TOKEN} "}
    assert RestPolicy.from_env(production) == RestPolicy(token=TOKEN, production=True)


@pytest.mark.parametrize("header", ["", "Bearer", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_policy_refuses_wrong_authorization(header: str) -> None:
    assert RestPolicy(token=TOKEN).refusal(header) == (401, "unauthorized")
    assert RestPolicy(token=TOKEN).refusal(f"bearer {TOKEN}") is None
