"""The WhatsApp side of the simulated citizen: which bot messages a turn shows."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conversations.channels import WhatsAppChannel
from tests.conversations.citizen import Action

PHONE = "6281100000001"


class FakeSandbox:
    """The simulator API of the sandbox: the citizen's sends and the phone's events."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._seq = itertools.count(1)
        self.answers: list[str] = []

    def add(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"seq": next(self._seq), "kind": kind, "phone": PHONE, **fields}
        self.events.append(event)
        return event

    def out(self, body: str) -> None:
        self.add("out", message={"type": "text", "text": {"body": body}})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sim/api/send":
            wamid = f"wamid.IN-{len(self.events)}"
            event = self.add("in", wamid=wamid, message=json.loads(request.content))
            self.out(self.answers.pop(0))  # the worker answers this turn at once
            return httpx.Response(200, json=event)
        after = int(request.url.params["after"])
        return httpx.Response(200, json={"events": [e for e in self.events if e["seq"] > after]})


async def test_a_reply_that_came_after_its_turn_was_given_up_is_shown_next(
    tmp_path: Path,
) -> None:
    # A ticket number that reached the phone after the runner stopped waiting for its turn
    # was skipped for good (the runner jumped past it to the citizen's next message), and the
    # simulated citizen, never seeing its ticket, filed a second one.
    sandbox = FakeSandbox()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'inbound.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE whatsapp_inbound_messages (wamid TEXT, status TEXT)"))
        for n in (0, 3):  # both turns are handled by the time the runner looks
            await conn.execute(
                text("INSERT INTO whatsapp_inbound_messages VALUES (:w, 'processed')"),
                {"w": f"wamid.IN-{n}"},
            )
    transport = httpx.MockTransport(sandbox.handle)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
            phone = WhatsAppChannel(client, "http://sandbox", engine, PHONE, "p1")
            sandbox.answers = ["Baik, laporan dikirim.", "Ada lagi yang bisa dibantu?"]
            first = await phone.perform(Action(kind="text", text="kirim"))
            sandbox.out("Nomor tiket Anda LL-20261206-0001")  # late, after the turn ended
            second = await phone.perform(Action(kind="text", text="sudah?"))
    finally:
        await engine.dispose()
    assert [m.text for m in first] == ["Baik, laporan dikirim."]
    assert [m.text for m in second] == [
        "Nomor tiket Anda LL-20261206-0001",
        "Ada lagi yang bisa dibantu?",
    ]
