"""The complaint form takes the place and time the story already gave, and asks the rest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import Answer, Step

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)  # Tuesday 14:00 WITA


def story(
    text: str, category: str | None = "balap_liar", intent: str = "report_complaint"
) -> Answer:
    entities = ({"entity": "category", "value": category, "confidence": 0.95},) if category else ()
    return Answer(text=text, intent=intent, confidence=0.97, entities=entities)


def start(text: str, category: str | None = "balap_liar") -> tuple[dict[str, Any], Step]:
    step = advance({}, answer=None, opening=story(text, category), now=NOW)
    return dict(step.slots), step


def apply(state: Mapping[str, Any], step: Step) -> dict[str, Any]:
    return {**state, **step.slots}


def test_place_and_time_of_the_opening_are_not_asked_again() -> None:
    state, step = start("di desa Halong kecamatan Halong tiap malam minggu ada balap liar motor")
    assert (state["location_kecamatan"], state["location_desa"]) == ("Halong", "Halong")
    assert state["location"] == "desa Halong"
    assert state["incident_time"] == "tiap malam minggu"
    assert state["incident_at"] is None
    assert state["requested_slot"] == "evidence"
    confirmed = [u for u in step.utterances if u.response == "utter_location_confirmed"]
    assert confirmed[0].values["place"] == "Halong, Kecamatan Halong"


def test_time_in_the_opening_gives_its_moment() -> None:
    state, _ = start("samalam ada urang mabuk mabukan di depan masjid desa Murung Ilung", "miras")
    assert state["incident_time"] == "samalam"
    assert state["incident_at"] == "2026-03-09T12:00:00+08:00"
    assert state["location_desa"] == "Murung Ilung"
    assert state["location"] == "depan masjid desa Murung Ilung"


def test_a_kecamatan_alone_still_asks_where() -> None:
    state, _ = start("ada balap liar di jalan A. Yani Paringin tadi malam")
    assert state.get("location") is None
    assert state["incident_time"] == "tadi malam"
    assert state["requested_slot"] == "location"


def test_no_place_or_time_in_the_opening_asks_both() -> None:
    state, _ = start("ada urang bajualan di lampu merah malam-malam bikin macet", "pkl")
    assert state.get("location") is None
    assert state.get("incident_time") is None
    assert state["requested_slot"] == "location"


def test_an_ambiguous_desa_in_the_opening_is_asked() -> None:
    state, _ = start("td mlm ada balapan liar di jln raya desa galumbang")
    assert state.get("location") is None
    assert state["incident_time"] == "td mlm"
    assert state["requested_slot"] == "location"


def test_the_story_given_as_the_category_answer_gives_place_and_time() -> None:
    state, _ = start("saya mau lapor", category=None)
    assert state["requested_slot"] == "category"
    answer = story("tadi malam ada balap liar di jalan desa Lasung Batu, bising sekali")
    step = advance(state, answer=answer, now=NOW)
    assert step.slots["category"] == "balap_liar"
    assert step.slots["location_desa"] == "Lasung Batu"
    assert step.slots["incident_time"] == "tadi malam"
    assert step.slots["requested_slot"] == "evidence"


def test_the_story_given_as_the_description_gives_place_and_time() -> None:
    state, _ = start("lapor balap liar", "balap_liar")
    assert state["requested_slot"] == "description"
    answer = story("kemarin sore anak-anak balapan motor di jalan desa Tarangan kecamatan "
                   "Paringin Selatan", None)  # fmt: skip
    step = advance(state, answer=answer, now=NOW)
    assert step.slots["location_desa"] == "Tarangan"
    assert step.slots["incident_time"] == "kemarin sore"
    assert step.slots["requested_slot"] == "evidence"


def test_the_yes_after_do_you_want_to_report_adds_place_and_time() -> None:
    kept = story("ada urang mabuk bakalahi di jalan", "keributan")
    step = advance(
        {}, answer=None, opening=kept, follow_up="inggih, samalam di desa Kapul", now=NOW
    )
    assert step.slots["location_desa"] == "Kapul"
    assert step.slots["incident_time"] == "samalam"
    assert step.slots["description"] == "ada urang mabuk bakalahi di jalan"
    assert step.slots["requested_slot"] == "evidence"


def test_a_place_answered_later_is_not_overwritten_by_the_story() -> None:
    state, _ = start("lapor balap liar", "balap_liar")
    state["location"] = "desa lasung batu"
    state["location_kecamatan"] = "Paringin"
    state["location_desa"] = "Lasung Batu"
    answer = story("anak-anak balapan motor tiap malam di desa Tarangan juga", None)
    step = advance(state, answer=answer, now=NOW)
    assert "location_desa" not in step.slots
    assert step.slots["incident_time"] == "tiap malam"


def finish(state: dict[str, Any]) -> dict[str, Any]:
    """Answers evidence and name so the summary comes."""
    for text in ("tidak ada foto", "anonim"):
        state = apply(state, advance(state, answer=story(text, None, "deny"), now=NOW))
    assert state["requested_slot"] == "complaint_confirmation"
    return state


def test_a_wrong_place_from_the_opening_is_corrected_at_the_summary() -> None:
    state, _ = start("ada balap liar di jalan desa Lasung Batu tiap malam minggu")
    state = finish(state)
    text = "maaf salah, lokasinya di desa Tarangan"
    step = advance(state, answer=story(text, None, "share_location"), now=NOW)
    assert step.slots["location_desa"] == "Tarangan"
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_a_wrong_time_from_the_opening_is_changed_at_the_summary() -> None:
    state, _ = start("ada balap liar di jalan desa Lasung Batu tadi malam")
    state = finish(state)
    step = advance(state, answer=story("ubah", None, "deny"), now=NOW)
    state = apply(state, step)
    assert state["requested_slot"] == "correction_field"
    step = advance(state, answer=story("waktu", None, "nlu_fallback"), now=NOW)
    state = apply(state, step)
    assert state["requested_slot"] == "incident_time"
    step = advance(state, answer=story("kemarin jam 9 malam", None, "nlu_fallback"), now=NOW)
    assert step.slots["incident_time"] == "kemarin jam 9 malam"
    assert step.slots["incident_at"] == "2026-03-09T21:00:00+08:00"
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_more_of_the_kept_story_is_read_with_it() -> None:
    """The answer to "do you want to report?" that tells more: one opening of two messages."""
    kept = story("ada urang mabuk bakalahi di jalan, warga takutan", "keributan")
    kept = Answer(
        kept.text,
        kept.intent,
        0.6,
        ({"entity": "category", "value": "keributan", "confidence": 0.5},),
    )
    more = story("inggih, samalam di depan masjid desa Murung Ilung, sampai bakalahi", "miras")
    step = advance({}, answer=None, opening=kept, more=more, now=NOW)
    state = dict(step.slots)
    assert state["category"] == "miras"  # the surer guess (0.95 against 0.5)
    assert state["description"] == f"{kept.text}\n{more.text}"
    assert state["location_desa"] == "Murung Ilung"
    assert state["incident_time"] == "samalam"
    assert state["requested_slot"] == "evidence"


def test_two_places_in_two_messages_take_the_first() -> None:
    """Each message is read on its own: the kept story's desa wins over a second one."""
    kept = story("tiap malam minggu ada balap liar di desa Halong kecamatan Halong")
    more = story("iya, kadang pindah ke desa Kapul juga")
    state = dict(advance({}, answer=None, opening=kept, more=more, now=NOW).slots)
    assert state["location_desa"] == "Halong"
    assert state["incident_time"] == "tiap malam minggu"
