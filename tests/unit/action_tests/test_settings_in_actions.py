"""The assistant answers with the settings edited on /pengaturan (no restart)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.handoff as handoff
import actions.tickets as ticket_actions
from actions.handoff import ActionRequestHuman
from actions.info import ActionTellOfficeContact, ActionTellServiceHours
from actions.tickets import ActionSubmitComplaint
from lalisa.core.db import session_scope
from lalisa.runtime_settings import service as rs
from lalisa.tickets.models import Ticket

from .helpers import domain, responses, tracker
from .test_submit_and_status import confirmed_tracker

# Monday 30 November 2026, 10:00 WITA: open by the default hours (mon-thu 08:00-16:00).
MONDAY_10 = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _fresh_cache(db: str) -> None:
    rs.reset_runtime_settings_cache()


async def _store(key: str, raw: str) -> None:
    async with session_scope() as session:
        await rs.save_setting(session, key, raw, actor="superadmin", expected_version=0)


async def test_service_hours_answer_follows_the_stored_hours() -> None:
    dispatcher = CollectingDispatcher()
    await ActionTellServiceHours().run(dispatcher, tracker(intent="ask_service_hours"), domain())
    assert dispatcher.messages[0]["office_hours"] == (
        "Senin–Kamis 08.00–16.00 WITA, Jumat 08.00–16.30 WITA"
    )
    await _store("office.hours", "sen-jum 07:30-15:30")
    dispatcher = CollectingDispatcher()
    await ActionTellServiceHours().run(dispatcher, tracker(intent="ask_service_hours"), domain())
    assert dispatcher.messages[0]["office_hours"] == "Senin–Jumat 07.30–15.30 WITA"


async def test_contact_answer_uses_the_stored_address_and_phone() -> None:
    await _store("office.address", "Kantor Satpol PP Kabupaten Balangan, Paringin Selatan")
    await _store("office.phone", "0526-2020000")
    dispatcher = CollectingDispatcher()
    await ActionTellOfficeContact().run(dispatcher, tracker(intent="ask_office_contact"), domain())
    message = dispatcher.messages[0]
    assert message["office_address"] == "Kantor Satpol PP Kabupaten Balangan, Paringin Selatan"
    assert "0526-2020000" in message["office_phone_line"]


async def test_a_stored_local_holiday_closes_the_office(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff, "utcnow", lambda: MONDAY_10)
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, tracker(intent="request_human"), domain())
    assert responses(dispatcher) == ["utter_human_requested_in_hours"]

    await _store("office.extra_holidays", "2026-11-30")
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, tracker(intent="request_human"), domain())
    assert responses(dispatcher) == ["utter_human_requested_out_of_hours"]
    assert "Selasa, 1 Desember 2026 pukul 08.00" in dispatcher.messages[0]["next_opening"]


async def test_complaint_outside_the_stored_hours_is_marked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _store("office.hours", "sen-kam 07:00-09:00")
    monkeypatch.setattr(ticket_actions, "utcnow", lambda: MONDAY_10)
    dispatcher = CollectingDispatcher()
    await ActionSubmitComplaint().run(dispatcher, confirmed_tracker(message_id="s-1"), domain())
    assert responses(dispatcher) == ["utter_complaint_submitted", "utter_complaint_out_of_hours"]
    assert dispatcher.messages[1]["office_hours"] == "Senin–Kamis 07.00–09.00 WITA"
    assert "Selasa, 1 Desember 2026 pukul 07.00" in dispatcher.messages[1]["next_opening"]
    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
    assert ticket.received_out_of_hours is True
