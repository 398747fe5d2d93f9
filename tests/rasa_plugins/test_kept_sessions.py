"""Endpoint requests through kept sessions: Rasa's answers and errors, on one connection.

A request is sent once more exactly when a kept connection turned out closed before any answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from lalisa_rasa import remote_actions

RASA_REQUEST = getattr(EndpointConfig.request, "__wrapped__", EndpointConfig.request)

Reply = Callable[[int, dict[str, Any]], Awaitable[bytes | tuple[bytes, str] | None]]
CLOSE = "close"


def http(status: int, body: bytes, content_type: str = "application/json") -> bytes:
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error"}[status]
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + body


class Server:
    """An HTTP/1.1 server whose answer to the n-th request of a connection is scripted.

    ``reply(index_on_connection, request_json)`` returns the raw answer, ``(answer, CLOSE)``
    to close the connection after it, or None to close it without answering. Leaving the
    context closes the listener and every open connection, as a stopped server.
    """

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[str] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        index = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                self.headers.append(head.decode())
                length = next(
                    int(line.split(":", 1)[1])
                    for line in lines
                    if line.lower().startswith("content-length:")
                )
                body = json.loads(await reader.readexactly(length)) if length else {}
                self.requests.append(body)
                answer = await self.reply(index, body)
                index += 1
                if answer is None:
                    break
                close = isinstance(answer, tuple)
                writer.write(answer[0] if isinstance(answer, tuple) else answer)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/webhook"

    async def __aexit__(self, *exc: Any) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


async def answer_ok(index: int, body: dict[str, Any]) -> bytes:
    return http(200, json.dumps({"events": [], "echo": body}).encode())


@pytest.fixture(autouse=True)
def installed() -> None:
    remote_actions.install()
    remote_actions.set_kept_sessions(True)


def endpoint(url: str) -> EndpointConfig:
    return EndpointConfig(url, headers={"X-Lalisa-Action-Secret": "s"}, params={"p": "1"})


def test_requests_share_one_connection_and_answer_as_rasa() -> None:
    async def run() -> None:
        server = Server(answer_ok)
        async with server as url:
            config = endpoint(url)
            ours = [await config.request(json={"n": n}, method="post") for n in range(3)]
            rasas = await RASA_REQUEST(config, json={"n": 3}, method="post")
            assert ours == [{"events": [], "echo": {"n": n}} for n in range(3)]
            assert rasas == {"events": [], "echo": {"n": 3}}
            assert server.connections == 2  # ours: one kept; Rasa's: one of its own
            assert "x-lalisa-action-secret: s" in server.headers[0].lower()
            assert "?p=1" in server.headers[0].split("\r\n")[0]
            assert server.headers[0].split("\r\n")[0] == server.headers[3].split("\r\n")[0]
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (400, b'{"action_name": "a", "error": "no"}', "application/json"),
        (500, b"boom", "text/plain"),
    ],
)
def test_error_answers_raise_rasas_error(status: int, body: bytes, content_type: str) -> None:
    async def reply(index: int, request: dict[str, Any]) -> bytes | None:
        return http(status, body, content_type)

    async def run() -> None:
        async with Server(reply) as url:
            config = endpoint(url)
            with pytest.raises(ClientResponseError) as ours:
                await config.request(json={})
            with pytest.raises(ClientResponseError) as rasas:
                await RASA_REQUEST(config, json={})
            assert (ours.value.status, ours.value.text) == (rasas.value.status, rasas.value.text)
            assert str(ours.value) == str(rasas.value)
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


def test_a_non_json_answer_is_none_as_with_rasa() -> None:
    async def reply(index: int, request: dict[str, Any]) -> bytes | None:
        return http(200, b"ok", "text/plain")

    async def run() -> None:
        async with Server(reply) as url:
            assert await endpoint(url).request(json={}) is None
            assert await RASA_REQUEST(endpoint(url), json={}) is None
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


def test_a_kept_connection_closed_before_answering_is_sent_once_more() -> None:
    async def reply(index: int, request: dict[str, Any]) -> bytes | None:
        # Every connection answers its first request and drops the second unanswered, as a
        # server that closed an idle connection which the client had just taken.
        return await answer_ok(index, request) if index == 0 else None

    async def run() -> None:
        server = Server(reply)
        async with server as url:
            config = endpoint(url)
            assert (await config.request(json={"n": 1}))["echo"] == {"n": 1}
            assert (await config.request(json={"n": 2}))["echo"] == {"n": 2}
            assert server.connections == 2
            assert server.requests == [{"n": 1}, {"n": 2}, {"n": 2}]
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


def test_a_new_connection_closed_before_answering_is_not_repeated() -> None:
    async def reply(index: int, request: dict[str, Any]) -> bytes | None:
        return None

    async def run() -> None:
        server = Server(reply)
        async with server as url:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await endpoint(url).request(json={"n": 1})
            assert server.requests == [{"n": 1}]
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


def test_an_answer_cut_short_is_not_repeated() -> None:
    async def reply(index: int, request: dict[str, Any]) -> bytes | None:
        if index == 0:
            return await answer_ok(index, request)
        # Headers promise 100 bytes; the connection closes after 2.
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        return head + b"{}", CLOSE

    async def run() -> None:
        server = Server(reply)
        async with server as url:
            config = endpoint(url)
            await config.request(json={"n": 1})
            with pytest.raises(aiohttp.ClientError):
                await config.request(json={"n": 2})
            assert server.requests == [{"n": 1}, {"n": 2}]
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


def test_a_restarted_server_costs_no_failed_call() -> None:
    async def run() -> None:
        first = Server(answer_ok)
        async with first as url:
            config = endpoint(url)
            await config.request(json={"n": 1})
            port = int(url.split(":")[2].split("/")[0])
        second = Server(answer_ok)
        second_server = await asyncio.start_server(second.handle, "127.0.0.1", port)
        try:
            assert (await config.request(json={"n": 2}))["echo"] == {"n": 2}
            assert second.requests == [{"n": 2}]
        finally:
            second_server.close()
            await second_server.wait_closed()
            await remote_actions.close_kept_sessions()

    asyncio.run(run())


def test_one_session_per_event_loop() -> None:
    config = EndpointConfig("http://127.0.0.1:9/webhook")

    async def session() -> Any:
        return remote_actions.kept_session(config)

    async def twice() -> tuple[Any, Any]:
        return remote_actions.kept_session(config), remote_actions.kept_session(config)

    first, again = asyncio.run(twice())
    assert first is again
    second = asyncio.run(session())
    assert second is not first
    assert first.closed  # the closed loop's session was let go, its connector closed
    asyncio.run(remote_actions.close_kept_sessions())


@pytest.mark.filterwarnings("ignore:Slot auto-fill has been removed")
def test_a_custom_action_runs_through_the_kept_session() -> None:
    domain = Domain.from_dict({"actions": ["action_x"]})
    tracker = DialogueStateTracker.from_events("citizen", [], domain.slots)

    async def reply(index: int, request: dict[str, Any]) -> bytes | None:
        return http(200, b'{"events": [{"event": "slot", "name": "s", "value": 1}]}')

    async def run() -> None:
        server = Server(reply)
        async with server as url:
            action = RemoteAction("action_x", endpoint(url))
            for _ in range(2):
                events = await action.run(None, None, tracker, domain)  # type: ignore[arg-type]
                assert [event.as_dict()["name"] for event in events] == ["s"]
            assert server.connections == 1
            await remote_actions.close_kept_sessions()
        with pytest.raises(RasaException):  # the server is gone: Rasa's error, as before
            await RemoteAction("action_x", endpoint(url)).run(None, None, tracker, domain)  # type: ignore[arg-type]
        await remote_actions.close_kept_sessions()

    asyncio.run(run())
