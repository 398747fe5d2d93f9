"""The Graph client: Meta's request and response shapes, and error classification."""

from __future__ import annotations

import httpx
import pytest

from lalisa.core.settings import get_settings, reset_settings_cache
from lalisa.notifications import graph as graph_module
from lalisa.notifications.graph import (
    NETWORK_UNREACHABLE,
    OUTCOME_UNKNOWN,
    GraphClient,
    GraphNotConfigured,
    get_graph_client,
)
from lalisa_common.phone import recipient_fields
from lalisa_common.whatsapp.errors import is_account_problem, is_retryable
from tests.notifications.helpers import (
    PNID,
    TOKEN,
    FakeGraph,
    graph_error,
    raise_error,
)

pytestmark = pytest.mark.usefixtures("wa_env")


async def test_send_text_request_and_response() -> None:
    fake = FakeGraph()
    result = await fake.client().send_text(
        "0812-3456-7890", "Halo *warga*", callback_data="outbox:9"
    )
    assert result.ok and result.wamid == "wamid.fake.1" and result.http_status == 200
    assert fake.urls == [f"http://graph.test/v23.0/{PNID}/messages"]
    assert fake.headers[0]["authorization"] == f"Bearer {TOKEN}"
    assert fake.headers[0]["content-type"] == "application/json"
    assert fake.requests[0] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+6281234567890",
        "type": "text",
        "text": {"preview_url": False, "body": "Halo *warga*"},
        "biz_opaque_callback_data": "outbox:9",
    }


async def test_send_template_request() -> None:
    fake = FakeGraph()
    result = await fake.client().send_template(
        "6281234567890",
        "lalisa_status_laporan",
        "id",
        ["LLS-2026-000001", "Selesai", "-"],
        callback_data="outbox:3",
    )
    assert result.ok
    assert fake.requests[0] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "+6281234567890",
        "type": "template",
        "template": {
            "name": "lalisa_status_laporan",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "LLS-2026-000001"},
                        {"type": "text", "text": "Selesai"},
                        {"type": "text", "text": "-"},
                    ],
                }
            ],
        },
        "biz_opaque_callback_data": "outbox:3",
    }
    await fake.client().send_template("6281234567890", "hello", "id", [])
    assert "components" not in fake.requests[1]["template"]


def test_recipient_fields() -> None:
    assert recipient_fields("+62 812-3456-7890") == {"to": "+6281234567890"}
    assert recipient_fields("081234567890") == {"to": "+6281234567890"}
    assert recipient_fields("6281234567890") == {"to": "+6281234567890"}
    assert recipient_fields("ID.1234abcd") == {"recipient": "ID.1234abcd"}
    with pytest.raises(ValueError):
        recipient_fields(" ")


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [
        (400, 130429, True),
        (400, 131056, True),
        (500, 131000, True),
        (503, 131016, True),
        (400, 131057, True),
        (502, None, True),
        (429, None, True),
        (400, 131047, False),
        (400, 131026, False),
        (400, 100, False),
        (401, 190, False),
        (404, 132001, False),
    ],
)
async def test_error_classification(status: int, code: int | None, retryable: bool) -> None:
    assert is_retryable(status, code) is retryable
    fake = FakeGraph().then(graph_error(status, code, "Something"))
    result = await fake.client().send_text("6281234567890", "x")
    assert not result.ok and result.wamid is None
    assert (result.http_status, result.error_code, result.retryable) == (status, code, retryable)
    assert not result.unreachable and not result.ambiguous
    assert result.error_title is not None and "Something" in result.error_title
    assert result.reengagement_required is (code == 131047)
    assert result.account_problem is (code == 190)


async def test_network_errors_are_classified() -> None:
    fake = FakeGraph().then(
        raise_error(httpx.ConnectError),
        raise_error(httpx.ConnectTimeout),
        raise_error(httpx.ReadTimeout),
        raise_error(httpx.RemoteProtocolError),
    )
    client = fake.client()
    refused = await client.send_text("6281234567890", "x")
    connect_timeout = await client.send_text("6281234567890", "x")
    read_timeout = await client.send_text("6281234567890", "x")
    dropped = await client.send_text("6281234567890", "x")
    for result in (refused, connect_timeout):
        assert result.unreachable and result.retryable and not result.ambiguous
        assert result.error_code == NETWORK_UNREACHABLE
    for result in (read_timeout, dropped):
        assert result.ambiguous and result.retryable and not result.unreachable
        assert result.error_code == OUTCOME_UNKNOWN


async def test_non_json_answers() -> None:
    fake = FakeGraph().then(
        lambda request: httpx.Response(502, text="<html>Bad gateway</html>"),
        lambda request: httpx.Response(200, text="ok"),
    )
    client = fake.client()
    bad_gateway = await client.send_text("6281234567890", "x")
    assert bad_gateway.retryable and bad_gateway.error_title == "HTTP 502"
    odd_success = await client.send_text("6281234567890", "x")
    assert odd_success.ok and odd_success.wamid is None


async def test_text_length_is_checked_before_sending() -> None:
    fake = FakeGraph()
    with pytest.raises(ValueError):
        await fake.client().send_text("6281234567890", "x" * 4097)
    with pytest.raises(ValueError):
        await fake.client().send_template("6281234567890", "", "id", [])
    assert fake.requests == []


async def test_shared_client_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_graph_client()
    assert first is get_graph_client()
    assert first.messages_url == f"http://graph.test/v23.0/{PNID}/messages"
    monkeypatch.setenv("WHATSAPP_API_VERSION", "v25.0")
    reset_settings_cache()
    second = get_graph_client()
    assert second is not first and second.messages_url.startswith("http://graph.test/v25.0/")
    await graph_module.close_graph_client()
    monkeypatch.delenv("WHATSAPP_ACCESS_TOKEN")
    reset_settings_cache()
    with pytest.raises(GraphNotConfigured):
        get_graph_client()
    with pytest.raises(GraphNotConfigured):
        GraphClient.from_settings(get_settings())


async def test_module_level_send_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGraph()
    monkeypatch.setattr(graph_module, "get_graph_client", lambda settings=None: fake.client())
    text = await graph_module.send_text("6281234567890", "Halo")
    template = await graph_module.send_template("6281234567890", "t", "id", ["a"])
    assert text.ok and template.ok
    assert [r["type"] for r in fake.requests] == ["text", "template"]


def test_account_problems() -> None:
    for status, code in ((401, 190), (400, 0), (403, 10), (403, 200), (400, 131042), (401, None)):
        assert is_account_problem(status, code), (status, code)
    for status, code in ((400, 100), (400, 131026), (500, None), (400, 130429)):
        assert not is_account_problem(status, code), (status, code)
