"""Submitting a complaint, checking its status, cancelling, and the spool."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

import actions.tickets as ticket_actions
from actions.handoff import ActionRequestHuman
from actions.info import ActionGreet, ActionTellOfficeContact, ActionTellServiceHours
from actions.status import ActionCheckStatus, ActionReportUnresolved
from actions.tickets import ActionCancelComplaint, ActionSubmitComplaint, ValidateComplaintForm
from lalisa.core.contacts import remember_contact
from lalisa.core.crypto import get_identity_cipher, sender_key
from lalisa.core.db import session_scope
from lalisa.core.settings import reset_settings_cache
from lalisa.tickets import spool
from lalisa.tickets.models import Reporter, Ticket

from .helpers import domain, responses, tracker

# Monday 30 November 2026, 10:00 WITA (02:00 UTC): office open.
IN_HOURS = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
# Saturday 28 November 2026, 21:00 WITA: office closed.
OUT_OF_HOURS = datetime(2026, 11, 28, 13, 0, tzinfo=timezone.utc)

CONFIRMED = {
    "category": "pkl",
    "description": "ada pkl jualan di trotoar depan pasar",
    "location": "(titik lokasi)",
    "location_lat": -2.324289,
    "location_lon": 115.460773,
    "location_kecamatan": "Paringin",
    "location_desa": "Paringin Kota",
    "incident_time": "tadi pagi",
    "reporter_name": "Budi",
    "evidence": "-",
    "complaint_confirmation": "ya",
}


def confirmed_tracker(sender: str = "6281200000001", message_id: str = "confirm-1"):
    """The tracker right after the citizen pressed "Kirim laporan"."""
    return tracker(
        text="/affirm",
        intent="affirm",
        slots=CONFIRMED,
        sender_id=sender,
        message_id=message_id,
        active_loop=None,
    )


async def submit(now: datetime, monkeypatch: pytest.MonkeyPatch, **kwargs: str):
    """Runs action_submit_complaint at ``now``."""
    monkeypatch.setattr(ticket_actions, "utcnow", lambda: now)
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint().run(dispatcher, confirmed_tracker(**kwargs), domain())
    return dispatcher, events


async def test_submit_in_hours_saves_ticket(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A confirmed complaint becomes ticket LLS-2026-000001 and the number is sent back."""
    dispatcher, events = await submit(IN_HOURS, monkeypatch)
    assert responses(dispatcher) == ["utter_complaint_submitted", "utter_complaint_in_hours"]
    assert dispatcher.messages[0]["ticket_number"] == "LLS-2026-000001"
    assert SlotSet("last_ticket_number", "LLS-2026-000001") in events
    assert SlotSet("category", None) in events
    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        assert ticket.category == "pkl"
        assert ticket.desa == "Paringin Kota"
        assert ticket.received_out_of_hours is False
        assert re.fullmatch(r"[0-9a-f]{64}", ticket.submission_key)  # keyed, not the number
        reporter = (await session.execute(select(Reporter))).scalar_one()
        assert b"6281200000001" not in str(reporter.phone_encrypted).encode()


@pytest.mark.parametrize(
    ("category", "told", "stored"),
    [
        # The typed category could not be read: the citizen's words go to the officer.
        ("lainnya", "karoke ilegal", "karoke ilegal"),
        # Corrected to a category afterwards: the old words no longer describe it.
        ("hiburan_malam", "karoke ilegal", None),
        ("lainnya", None, None),
    ],
)
async def test_the_citizens_own_words_for_the_category_are_stored(
    db: str, monkeypatch: pytest.MonkeyPatch, category: str, told: str | None, stored: str | None
) -> None:
    monkeypatch.setattr(ticket_actions, "utcnow", lambda: IN_HOURS)
    t = tracker(
        text="/affirm",
        intent="affirm",
        slots={**CONFIRMED, "category": category, "category_told": told},
        active_loop=None,
    )
    await ActionSubmitComplaint().run(CollectingDispatcher(), t, domain())
    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        assert ticket.category == category
        assert ticket.category_told == stored


async def test_the_words_for_the_category_survive_the_spool(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report spooled while the database is down keeps them too."""
    t = tracker(
        text="/affirm",
        intent="affirm",
        slots={**CONFIRMED, "category": "lainnya", "category_told": "karoke ilegal"},
        active_loop=None,
    )
    draft = ticket_actions.draft_from_tracker(t, now=IN_HOURS)
    assert draft.category_told == "karoke ilegal"
    assert spool.draft_from_json(spool.draft_to_json(draft)) == draft


async def test_a_citizen_known_by_key_files_with_their_number_encrypted(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rasa's sender id is the key; the reporter row gets the number recorded at ingress."""
    number = "6281200000042"
    async with session_scope() as session:
        key = await remember_contact(session, "+62 812-0000-0042")
    await submit(
        IN_HOURS, monkeypatch, sender=key, message_id="wamid.HBgNNjI4MTIwMDAwMDA0MhUCABIYIDNBRkE0"
    )
    async with session_scope() as session:
        reporter = (await session.execute(select(Reporter))).scalar_one()
        assert reporter.phone_blind_index == key == sender_key(number)
        assert get_identity_cipher().decrypt(reporter.phone_encrypted) == number
        ticket = (await session.execute(select(Ticket))).scalar_one()
        wamid = "wamid.HBgNNjI4MTIwMDAwMDA0MhUCABIYIDNBRkE0"
        assert ticket.submission_key == get_identity_cipher().submission_key(key, wamid)
    # The status check runs with the same key as sender id, and finds the ticket.
    dispatcher = CollectingDispatcher()
    t = tracker(text="status laporan saya", intent="check_status", sender_id=key, active_loop=None)
    await ActionCheckStatus().run(dispatcher, t, domain())
    assert "LLS-2026-000001" in str(dispatcher.messages)
    other = CollectingDispatcher()
    await ActionCheckStatus().run(
        other,
        tracker(
            text="status laporan saya",
            intent="check_status",
            sender_id=sender_key("6281"),
            active_loop=None,
        ),
        domain(),
    )
    assert "LLS-2026-000001" not in str(other.messages)


async def test_submit_out_of_hours_says_when(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Saturday night the citizen hears that officers follow up on Monday."""
    dispatcher, _ = await submit(OUT_OF_HOURS, monkeypatch)
    assert responses(dispatcher) == ["utter_complaint_submitted", "utter_complaint_out_of_hours"]
    assert "Senin, 30 November 2026" in dispatcher.messages[1]["next_opening"]
    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        assert ticket.received_out_of_hours is True


async def test_same_confirmation_twice_gives_one_ticket(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeated submission of the same confirming message never creates a second ticket."""
    first, _ = await submit(IN_HOURS, monkeypatch)
    second, _ = await submit(IN_HOURS, monkeypatch)
    assert first.messages[0]["ticket_number"] == second.messages[0]["ticket_number"]
    async with session_scope() as session:
        assert (await session.execute(select(func.count(Ticket.id)))).scalar_one() == 1


async def test_database_down_spools_and_replays(
    db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the database unreachable the complaint is spooled, then saved when it is back."""
    monkeypatch.setattr(spool, "RETRY_DELAYS_S", (0.0,))
    good_url = db
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    reset_settings_cache()
    from lalisa.core.db import dispose_engine

    await dispose_engine()
    dispatcher, _ = await submit(IN_HOURS, monkeypatch)
    assert responses(dispatcher) == ["utter_complaint_save_delayed"]
    assert len(spool.pending()) == 1

    monkeypatch.setenv("DATABASE_URL", good_url)
    reset_settings_cache()
    await dispose_engine()
    assert await spool.replay_spool() == 1
    assert spool.pending() == []
    async with session_scope() as session:
        assert (await session.execute(select(func.count(Ticket.id)))).scalar_one() == 1


async def test_status_of_own_ticket(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reporter sees their ticket's status by number."""
    await submit(IN_HOURS, monkeypatch)
    dispatcher = CollectingDispatcher()
    t = tracker(
        text="status LLS-2026-000001",
        intent="check_status",
        active_loop=None,
        entities=[{"entity": "ticket_id", "value": "LLS-2026-000001"}],
    )
    await ActionCheckStatus().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_ticket_status"]
    assert dispatcher.messages[0]["status_label"] == "Baru/diterima"


async def test_status_of_foreign_ticket_reveals_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another person's ticket number gets the same answer as a wrong number."""
    await submit(IN_HOURS, monkeypatch)
    dispatcher = CollectingDispatcher()
    t = tracker(
        text="cek LLS-2026-000001",
        intent="check_status",
        active_loop=None,
        sender_id="6289999999999",
        entities=[{"entity": "ticket_id", "value": "LLS-2026-000001"}],
    )
    await ActionCheckStatus().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_ticket_not_found"]
    assert set(dispatcher.messages[0]) >= {"ticket_number"}
    assert "category_label" not in dispatcher.messages[0]


async def test_status_without_number_lists_own_tickets(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a number the sender's newest tickets are listed; a stranger has none."""
    await submit(IN_HOURS, monkeypatch, message_id="a")
    await submit(IN_HOURS, monkeypatch, message_id="b")
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(
        dispatcher, tracker(text="status laporan saya", intent="check_status"), domain()
    )
    assert responses(dispatcher) == ["utter_ticket_status", "utter_ticket_status"]
    stranger = CollectingDispatcher()
    await ActionCheckStatus().run(
        stranger,
        tracker(text="status laporan saya", intent="check_status", sender_id="6281111111111"),
        domain(),
    )
    assert responses(stranger) == ["utter_no_tickets"]


async def test_a_follow_up_question_gets_what_happens_next_and_the_latest_status(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A follow-up question after the ticket: the SOP, then the latest ticket's status.

    The status is that of the report just sent, not of every report; no form opens.
    """
    await submit(IN_HOURS, monkeypatch, message_id="a")
    await submit(IN_HOURS, monkeypatch, message_id="b")
    dispatcher = CollectingDispatcher()
    events = await ActionCheckStatus().run(
        dispatcher,
        tracker(text="kapan ditindak min?", intent="check_status", active_loop=None),
        domain(),
    )
    assert responses(dispatcher) == ["utter_follow_up", "utter_ticket_status"]
    assert "WITA" in dispatcher.messages[0]["office_hours"]
    assert dispatcher.messages[1]["ticket_number"] == "LLS-2026-000002"
    assert events == [SlotSet("ticket_id", None)]
    stranger = CollectingDispatcher()
    await ActionCheckStatus().run(
        stranger,
        tracker(
            text="nanti saya dikabari kah?",
            intent="check_status",
            sender_id="6281111111111",
            active_loop=None,
        ),
        domain(),
    )
    assert responses(stranger) == ["utter_follow_up", "utter_no_tickets"]


async def test_cancel_clears_the_form() -> None:
    """Cancelling deactivates the form and clears every answer."""
    dispatcher = CollectingDispatcher()
    events = await ActionCancelComplaint().run(dispatcher, tracker(slots=CONFIRMED), domain())
    assert responses(dispatcher) == ["utter_complaint_cancelled"]
    assert events[0] == ActiveLoop(None)
    assert SlotSet("description", None) in events


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("halo min", ["utter_greet"]),
        ("salamat pagi pian", ["utter_greet_banjar"]),
        ("assalamualaikum min", ["utter_small_talk_salam", "utter_greet"]),
        ("apa kabar min", ["utter_small_talk_how_are_you", "utter_greet"]),
        ("baapa kabar pian", ["utter_small_talk_how_are_you_banjar", "utter_greet_banjar"]),
    ],
)
async def test_greeting_in_kind(text: str, expected: list[str]) -> None:
    """A Banjar greeting is answered in Banjar; a salam and "apa kabar" get their answer first."""
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, tracker(text=text, intent="greet"), domain())
    assert responses(dispatcher) == expected


_GREETED = [
    {"event": "user", "text": "p", "parse_data": {}},
    {"event": "action", "name": "action_greet"},
    {"event": "bot", "text": "Halo, selamat datang …"},
    {"event": "action", "name": "action_listen"},
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min", ["utter_greet_again"]),
        ("halo?", ["utter_greet_again"]),
        ("assalamualaikum", ["utter_small_talk_salam", "utter_greet_again"]),
        ("salamat pagi pian", ["utter_greet_again_banjar"]),
    ],
)
async def test_a_second_nudge_does_not_repeat_the_menu(text: str, expected: list[str]) -> None:
    """A nudge right after the menu ("p", then "min") does not get the menu again."""
    dispatcher = CollectingDispatcher()
    t = tracker(text=text, intent="greet", active_loop=None, before=_GREETED)
    await ActionGreet().run(dispatcher, t, domain())
    assert responses(dispatcher) == expected


async def test_a_greeting_after_something_else_gets_the_menu() -> None:
    """Only right after the menu is it left out; after another answer it helps again."""
    dispatcher = CollectingDispatcher()
    before = [
        *_GREETED,
        {"event": "user", "text": "x"},
        {"event": "action", "name": "utter_default"},
    ]
    t = tracker(text="halo min", intent="greet", active_loop=None, before=before)
    await ActionGreet().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_greet"]
    # A new session starts with the menu whatever came before it.
    dispatcher = CollectingDispatcher()
    before = [*_GREETED, {"event": "session_started"}, {"event": "action", "name": "action_listen"}]
    t = tracker(text="halo min", intent="greet", active_loop=None, before=before)
    await ActionGreet().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_greet"]


async def test_contact_with_unknown_phone_says_so(lalisa_env: dict[str, str]) -> None:
    """An unconfigured phone number is never invented."""
    dispatcher = CollectingDispatcher()
    await ActionTellOfficeContact().run(dispatcher, tracker(intent="ask_office_contact"), domain())
    message = dispatcher.messages[0]
    assert message["response"] == "utter_office_contact"
    assert "belum tersedia" in message["office_phone_line"]


async def test_contact_with_configured_phone(
    lalisa_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configured phone number is given."""
    monkeypatch.setenv("LALISA_OFFICE_PHONE", "0526-1234567")
    reset_settings_cache()
    dispatcher = CollectingDispatcher()
    await ActionTellOfficeContact().run(dispatcher, tracker(intent="ask_office_contact"), domain())
    assert "0526-1234567" in dispatcher.messages[0]["office_phone_line"]


async def test_service_hours_from_settings(lalisa_env: dict[str, str]) -> None:
    """The hours come from the setting."""
    dispatcher = CollectingDispatcher()
    await ActionTellServiceHours().run(dispatcher, tracker(intent="ask_service_hours"), domain())
    assert "Senin" in dispatcher.messages[0]["office_hours"]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (IN_HOURS, "utter_human_requested_in_hours"),
        (OUT_OF_HOURS, "utter_human_requested_out_of_hours"),
    ],
)
async def test_request_human_is_honest_about_hours(
    db: str, monkeypatch: pytest.MonkeyPatch, now: datetime, expected: str
) -> None:
    """Out of hours the citizen is told when an admin will answer."""
    import actions.handoff as handoff

    monkeypatch.setattr(handoff, "utcnow", lambda: now)
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, tracker(intent="request_human"), domain())
    assert responses(dispatcher) == [expected]


async def test_belum_selesai_flags_the_closed_ticket(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saying "belum selesai" after a closing message flags that ticket for review."""
    from lalisa.tickets.service import TicketStatus, transition

    await submit(IN_HOURS, monkeypatch)
    dispatcher = CollectingDispatcher()
    t = tracker(text="belum selesai pak", intent="report_unresolved", active_loop=None)
    await ActionReportUnresolved().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_unresolved_no_closed_ticket"]

    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        await transition(
            session, ticket, TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI, actor="admin", reason="uji"
        )
    dispatcher = CollectingDispatcher()
    await ActionReportUnresolved().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_unresolved_flagged"]
    assert dispatcher.messages[0]["ticket_number"] == "LLS-2026-000001"
    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket))).scalar_one()
        assert ticket.review_flagged_at is not None

    stranger = CollectingDispatcher()
    other = tracker(
        text="belum selesai", intent="report_unresolved", active_loop=None,
        sender_id="6281111111111",
    )  # fmt: skip
    await ActionReportUnresolved().run(stranger, other, domain())
    assert responses(stranger) == ["utter_unresolved_no_closed_ticket"]


async def test_yes_after_the_hand_over_sends_the_kept_report(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary could not be settled and a person was asked for; "ya" now sends it."""
    monkeypatch.setattr(ticket_actions, "utcnow", lambda: IN_HOURS)
    kept = {**CONFIRMED, "complaint_confirmation": None, "complaint_outcome": "handoff"}
    for intent, tickets in (("greet", 0), ("affirm", 1)):
        dispatcher = CollectingDispatcher()
        t = tracker(text="ya", intent=intent, slots=kept, active_loop=None, message_id=intent)
        await ActionSubmitComplaint().run(dispatcher, t, domain())
        async with session_scope() as session:
            assert (await session.execute(select(func.count(Ticket.id)))).scalar_one() == tickets
    assert responses(dispatcher) == ["utter_complaint_submitted", "utter_complaint_in_hours"]


async def test_yes_after_a_hand_over_of_an_incomplete_report_sends_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ticket_actions, "utcnow", lambda: IN_HOURS)
    kept = {**CONFIRMED, "complaint_confirmation": None, "complaint_outcome": "handoff"}
    kept["reporter_name"] = None
    dispatcher = CollectingDispatcher()
    t = tracker(text="ya", intent="affirm", slots=kept, active_loop=None)
    await ActionSubmitComplaint().run(dispatcher, t, domain())
    assert dispatcher.messages == []
    async with session_scope() as session:
        assert (await session.execute(select(func.count(Ticket.id)))).scalar_one() == 0


async def test_a_complaint_read_as_unresolved_starts_the_report_without_a_report(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A complaint with "masih" from a citizen without reports starts the form with it.

    The story, its place and its time are kept as a typed opening's would be.
    """
    monkeypatch.setattr(ticket_actions, "utcnow", lambda: IN_HOURS)
    text = "SUDAH JAM 2 MALAM MASIH ADA ORGEN TUNGGAL DI DESA HALONG, BERISIK SEKALI"
    dispatcher = CollectingDispatcher()
    t = tracker(text=text, intent="report_unresolved", active_loop=None)
    events = await ActionReportUnresolved().run(dispatcher, t, domain())
    assert responses(dispatcher) == []
    assert FollowupAction("complaint_form") in events

    # The classifier's category of a message the NLU did not call a complaint is offered.
    category = {
        "entity": "category",
        "value": "hiburan_malam",
        "confidence": 0.62,
        "additional_info": {"ranking": [{"value": "kebisingan", "confidence": 0.3}]},
    }
    started = await ValidateComplaintForm().run(
        CollectingDispatcher(),
        tracker(text=text, intent="report_unresolved", entities=[category], requested_slot=None),
        domain(),
    )
    slots = {e["name"]: e["value"] for e in started if e.get("event") == "slot"}
    assert slots["description"] == text
    assert slots["location_desa"] == "Halong"
    assert slots.get("category") is None
    assert slots["category_candidates"] == ["hiburan_malam", "kebisingan"]
    assert slots["requested_slot"] == "category"


@pytest.mark.parametrize(
    "text",
    [
        "belum selesai pak",  # nothing but the follow-up
        "laporan saya di desa Halong masih belum ditangani",  # speaks of a report
    ],
)
async def test_a_follow_up_without_a_report_still_says_there_is_none(db: str, text: str) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(text=text, intent="report_unresolved", active_loop=None)
    events = await ActionReportUnresolved().run(dispatcher, t, domain())
    assert responses(dispatcher) == ["utter_unresolved_no_closed_ticket"]
    assert all(e.get("event") != "followup" for e in events)


async def test_a_complaint_read_as_check_status_starts_the_report_without_a_report(
    db: str,
) -> None:
    """A complaint read as check_status ("… pls dicek") starts the report without a report.

    "status laporan saya" and a complaint told while the form runs still get their answers.
    """
    category = {"entity": "category", "value": "miras", "confidence": 0.7}
    text = "ada yg jual tuak di rumahnya, desa Halong, pls dicek"
    dispatcher = CollectingDispatcher()
    t = tracker(text=text, intent="check_status", entities=[category], active_loop=None)
    events = await ActionCheckStatus().run(dispatcher, t, domain())
    assert responses(dispatcher) == []
    assert FollowupAction("complaint_form") in events
    started = await ValidateComplaintForm().run(
        CollectingDispatcher(),
        tracker(text=text, intent="check_status", entities=[category], requested_slot=None),
        domain(),
    )
    slots = {e["name"]: e["value"] for e in started if e.get("event") == "slot"}
    assert slots["description"] == text
    assert slots["location_desa"] == "Halong"
    for plain in (
        tracker(text="status laporan saya", intent="check_status", active_loop=None),
        tracker(text=text, intent="check_status", entities=[category]),  # the form runs
    ):
        asked = CollectingDispatcher()
        events = await ActionCheckStatus().run(asked, plain, domain())
        assert responses(asked) == ["utter_no_tickets"]
        assert all(e.get("event") != "followup" for e in events)


async def test_another_complaint_right_after_a_ticket_starts_a_new_report(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second, different complaint after the ticket is a report, also when read as status.

    "satu lagi min, ada yg jual tuak …, pls dicek" after a PKL ticket starts the form with it;
    the same kind as the ticket ("pkl di pasar udah ditertibkan belum?") follows that ticket
    up and gets its status.
    """
    await submit(IN_HOURS, monkeypatch)
    miras = {"entity": "category", "value": "miras", "confidence": 0.95}
    text = "satu lagi min, ada yg jual tuak di rumahnya, desa Halong, pls dicek"
    dispatcher = CollectingDispatcher()
    t = tracker(text=text, intent="check_status", entities=[miras], active_loop=None)
    events = await ActionCheckStatus().run(dispatcher, t, domain())
    assert responses(dispatcher) == []
    assert FollowupAction("complaint_form") in events
    after_submit = {"last_ticket_number": "LLS-2026-000001"}
    started = await ValidateComplaintForm().run(
        CollectingDispatcher(),
        tracker(
            text=text,
            intent="check_status",
            entities=[miras],
            requested_slot=None,
            slots=after_submit,
        ),
        domain(),
    )
    slots = {e["name"]: e["value"] for e in started if e.get("event") == "slot"}
    # Read as a status check, the category is offered to be confirmed, the story kept.
    assert slots["category_candidates"] == ["miras"]
    assert slots["description"] == text
    assert slots["location_desa"] == "Halong"
    pkl = {"entity": "category", "value": "pkl", "confidence": 0.8}
    same = CollectingDispatcher()
    text = "pkl di pasar paringin udah ditertibkan belum?"
    t = tracker(text=text, intent="check_status", entities=[pkl], active_loop=None)
    events = await ActionCheckStatus().run(same, t, domain())
    assert responses(same) == ["utter_follow_up", "utter_ticket_status"]
    assert all(e.get("event") != "followup" for e in events)


async def test_a_review_read_as_check_status_starts_nothing_when_the_gate_doubts_it(
    db: str,
) -> None:
    """A place named in a review is no complaint: the doubting gate keeps the form closed.

    The same words with "mau lapor" are the citizen's own report and start it.
    """
    text = "kopi susu di kedai deket alun2 paringin enak bgt sih tp antrinya lama, 8/10 lah"
    place = {"entity": "kecamatan", "value": "Paringin"}
    review = tracker(text=text, intent="check_status", entities=[place], active_loop=None)
    review.latest_message["complaint_gate"] = {"confidence": 0.12, "demoted": False}
    dispatcher = CollectingDispatcher()
    events = await ActionCheckStatus().run(dispatcher, review, domain())
    assert responses(dispatcher) == ["utter_no_tickets"]
    assert all(e.get("event") != "followup" for e in events)

    reported = "mau lapor, " + text
    told = tracker(text=reported, intent="check_status", entities=[place], active_loop=None)
    told.latest_message["complaint_gate"] = {"confidence": 0.12, "demoted": False}
    events = await ActionCheckStatus().run(CollectingDispatcher(), told, domain())
    assert FollowupAction("complaint_form") in events
