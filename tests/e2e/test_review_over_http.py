"""Conversation review end to end with the real Rasa model (REST channel).

Scripted chats show up in "Tinjau percakapan" with the intents and confidences the model
predicted (read independently from Rasa's tracker store).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from typing import Any

import pytest

from backoffice.app import create_app
from backoffice.auth.roles import Role
from backoffice.conversations import dispose_tracker_engines
from lalisa.core.crypto import blind_index
from lalisa.core.db import dispose_engine
from lalisa.core.settings import BackofficeSettings, reset_settings_cache
from lalisa.review.indexer import SETTLE_SECONDS, pseudonym
from lalisa_common.at_rest import TRACKER_EVENTS, at_rest_cipher
from tests.backoffice.helpers import add_user, sign_in_directly
from tests.e2e.conftest import Stack
from tests.e2e.test_complaint_over_http import fetch

SCRIPT = ("halo", "jam berapa kantor buka")
EXPECTED_INTENTS = ("greet", "ask_service_hours")


async def _user_events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """The stored user events, decrypted with the stack's identity key (Rasa encrypts them)."""
    rows = await asyncio.to_thread(
        fetch,
        stack.env["TRACKER_DATABASE_URL"],
        "SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id",
        sender=sender,
    )
    cipher = at_rest_cipher(stack.env["LALISA_IDENTITY_KEY"], TRACKER_EVENTS)
    assert all(not row["data"].startswith("{") for row in rows), "events stored in clear"
    return [json.loads(cipher.decrypt(row["data"])) for row in rows]


async def test_scripted_chat_appears_in_review_with_model_predictions(
    stack: Stack, lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "TRACKER_DATABASE_URL", "LALISA_IDENTITY_KEY"):
        monkeypatch.setenv(name, stack.env[name])
    reset_settings_cache()
    sender = f"62813{random.randint(10_000_000, 99_999_999)}"
    for message in SCRIPT:
        assert await asyncio.to_thread(stack.say, sender, message)

    # Rasa's tracker knows the citizen by key only.
    assert await _user_events(stack, sender) == []
    events = await _user_events(stack, stack.citizen_key(sender))
    predictions = [
        (
            event["text"],
            event["parse_data"]["intent"]["name"],
            event["parse_data"]["intent"]["confidence"],
        )
        for event in events
    ]
    assert [intent for _text, intent, _c in predictions] == list(EXPECTED_INTENTS)

    time.sleep(SETTLE_SECONDS + 0.5)  # the index leaves events younger than this for later
    try:
        user = await add_user("peninjau.e2e", Role.ADMIN)
        settings = BackofficeSettings(secure_cookies=True)
        app = create_app(settings)
        signed_in = await sign_in_directly(app, user, settings)
        async with signed_in.client as client:
            listing = await client.get("/tinjau", params={"kanal": "rest"})
            assert listing.status_code == 200
            name = pseudonym(blind_index(sender))
            match = re.search(rf'href="/tinjau/(\d+)">{name}<', listing.text)
            assert match, listing.text[-2000:]
            assert sender not in listing.text
            by_intent = await client.get("/tinjau", params={"intent": "ask_service_hours"})
            assert name in by_intent.text

            page = await client.get(f"/tinjau/{match.group(1)}")
            assert page.status_code == 200
            html = page.text
            positions = []
            for message, intent, confidence in predictions:
                position = html.index(f'<div class="pre">{message}</div>')
                block = html[position : position + 600]
                assert f'class="intent">{intent}<' in block
                assert f'class="confidence">{confidence:.2f}<' in block
                positions.append(position)
            assert positions == sorted(positions)
    finally:
        await dispose_tracker_engines()
        await dispose_engine()
