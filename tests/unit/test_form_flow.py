"""The complaint form's turns: slot-first reading, corrections, cancelling and the loop guard."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import pytest

from lalisa.intake.form.flow import advance
from lalisa.intake.form.strategies import STRATEGIES
from lalisa.intake.form.turn import MAX_ASKS, Answer, Step, has_content, next_question, question_key
from lalisa.tickets.categories import read_category_ranking, second_page_categories

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)  # 14:00 WITA


def category_entity(value: str, confidence: float | None, *ranking: str) -> dict[str, Any]:
    entity: dict[str, Any] = {"entity": "category", "value": value}
    if confidence is not None:
        entity["confidence"] = confidence
    if ranking:
        entity["additional_info"] = {
            "ranking": [{"value": v, "confidence": 0.1} for v in (value, *ranking)]
        }
    return entity


def say(text: str, intent: str = "nlu_fallback", confidence: float = 0.9, **extra: Any) -> Answer:
    return Answer(text=text, intent=intent, confidence=confidence, **extra)


def at(question: str, **slots: Any) -> dict[str, Any]:
    """Slot values of a complaint whose next question is ``question`` (asked once)."""
    state: dict[str, Any] = {
        "category": "pkl",
        "description": "ada pkl jualan di trotoar depan pasar",
        "location": "desa batu piring",
        "location_kecamatan": "Paringin Selatan",
        "location_desa": "Batu Piring",
        "incident_time": "tadi pagi",
        "evidence": "-",
        "reporter_name": "Budi",
    }
    order = ["category", "description", "location", "incident_time", "evidence", "reporter_name"]
    if question in order:
        for slot in order[order.index(question) :]:
            state[slot] = None
        if question == "location":
            state.update(location_kecamatan=None, location_desa=None)
    elif question in ("kecamatan_choice", "desa_choice"):
        state.update(
            location=None,
            location_kecamatan=None,
            location_desa=None,
            incident_time=None,
            evidence=None,
            reporter_name=None,
            location_mode="pick",
        )
        if question == "desa_choice":
            state.update(kecamatan_choice="Lampihong", location_kecamatan="Lampihong")
    elif question == "correction_field":
        state["correction_requested"] = True
    elif question == "cancel_confirmation":
        state["cancel_requested"] = True
    state.update(slots)
    assert next_question(state) == question, state
    state["requested_slot"] = question
    state["form_asks"] = {"question": question_key(question, state), "count": 1}
    return state


def apply(state: Mapping[str, Any], step: Step) -> dict[str, Any]:
    return {**state, **step.slots}


def responses(step: Step) -> list[str]:
    return [u.response for u in step.utterances]


# ----------------------------------------------------------------- the reported failures


@pytest.mark.parametrize("text", ["mlam", "sudah dua buan", "wayh ini masih ada"])
def test_a_short_time_answer_one_letter_short_is_a_time_kept_as_typed(text: str) -> None:
    step = advance(at("incident_time", incident_time=None), answer=say(text), now=NOW)
    assert step.slots["incident_time"] == text


def test_barusan_is_a_time_not_a_cancel() -> None:
    step = advance(at("incident_time"), answer=say("barusan", "cancel", 0.67), now=NOW)
    assert not step.interrupt
    assert step.slots["incident_time"] == "barusan"
    assert step.slots["incident_at"] is not None
    assert step.slots["requested_slot"] == "evidence"
    assert "complaint_outcome" not in step.slots


def test_desa_and_kecamatan_is_a_place_not_a_programme_question() -> None:
    text = "Desa Batu Piring, Kecamatan Paringin Selatan"
    step = advance(at("location"), answer=say(text, "ask_programs", 0.8), now=NOW)
    assert step.slots["location_desa"] == "Batu Piring"
    assert step.slots["location_kecamatan"] == "Paringin Selatan"
    assert step.slots["requested_slot"] == "incident_time"
    assert responses(step) == ["utter_location_confirmed"]


def test_landmark_phrase_is_kept_as_the_place_description() -> None:
    text = "jalan raya juai dekat jembatan"
    step = advance(at("location"), answer=say(text, "emergency", 0.63), now=NOW)
    assert step.slots["location"] == text
    assert step.slots["location_kecamatan"] == "Juai"
    assert "utter_emergency" not in responses(step)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("tidak ada foto", "deny"),
        ("kadada foto", "nlu_fallback"),
        ("ga ada foto min", "share_media"),
    ],
)
def test_evidence_refusals_move_on(text: str, intent: str) -> None:
    step = advance(at("evidence"), answer=say(text, intent, 0.84), now=NOW)
    assert step.slots["evidence"] == "-"
    assert step.slots["requested_slot"] == "reporter_name"


@pytest.mark.parametrize("text", ["gatau min", "ngga tau", "kd tau", "lewati aja"])
def test_dont_know_with_a_particle_skips_the_time_instead_of_storing_it(text: str) -> None:
    step = advance(at("incident_time", incident_time=None), answer=say(text), now=NOW)
    assert step.slots["incident_time"] == "-"
    assert step.slots["requested_slot"] == "evidence"


@pytest.mark.parametrize("text", ["anonim", "rahasia", "kada usah", "no"])
def test_name_refusals_move_on(text: str) -> None:
    step = advance(at("reporter_name"), answer=say(text, "ask_confidentiality", 0.8), now=NOW)
    assert step.slots["reporter_name"] == "-"
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_field_word_at_which_part_is_the_choice() -> None:
    state = at("complaint_confirmation")
    step = advance(state, answer=say("ubah", "deny", 0.95), now=NOW)
    assert step.slots["requested_slot"] == "correction_field"
    state = apply(state, step)
    step = advance(state, answer=say("lokasi", "share_location", 1.0), now=NOW)
    assert step.slots["location"] is None
    assert step.slots["requested_slot"] == "location"
    state = apply(state, step)
    step = advance(
        state, answer=say("maaf salah, lokasinya di desa halong", "share_location", 1.0), now=NOW
    )
    assert step.slots["location_kecamatan"] == "Halong"
    assert step.slots["location_desa"] == "Halong"
    assert step.slots["location"] == "di desa halong"
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_correction_at_the_summary_applies_the_new_value() -> None:
    text = "maaf salah, lokasinya di desa halong"
    step = advance(at("complaint_confirmation"), answer=say(text, "share_location", 1.0), now=NOW)
    assert step.slots["location_desa"] == "Halong"
    assert step.slots["requested_slot"] == "complaint_confirmation"
    assert "complaint_outcome" not in step.slots


def test_correction_of_an_earlier_answer_in_the_middle_of_the_form() -> None:
    text = "eh salah, jamnya jam 9 malam"
    state = at("evidence", incident_time="tadi pagi")
    step = advance(state, answer=say(text, "ask_service_hours", 0.7), now=NOW)
    assert step.slots["incident_time"] == "jam 9 malam"
    assert step.slots["requested_slot"] == "evidence"
    assert responses(step) == ["utter_corrected_incident_time"]
    assert step.slots["form_asks"] == {"question": "evidence", "count": 1}


def test_correction_that_denies_the_old_value_keeps_only_the_new_one() -> None:
    state = at("evidence", incident_time="tadi sanja")
    step = advance(state, answer=say("maaf salah, bukan tadi sanja tapi tadi baisukan"), now=NOW)
    assert step.slots["incident_time"] == "tadi baisukan"
    state = at("incident_time", location="desa tarangan", location_kecamatan="Paringin Selatan")
    state["location_desa"] = "Tarangan"
    step = advance(state, answer=say("Eh salah, desanya Lingsir, bukan Tarangan."), now=NOW)
    assert (step.slots["location_desa"], step.slots["location"]) == ("Lingsir", "Lingsir")


def test_correcting_only_the_kecamatan_keeps_the_desa_said_before() -> None:
    state = at("incident_time", location="depan atm desa baru", location_kecamatan="Awayan")
    state["location_desa"] = "Baru"
    step = advance(state, answer=say("eh salah, kecamatannya awayan"), now=NOW)
    assert step.slots["location_kecamatan"] == "Awayan"
    assert step.slots["location_desa"] == "Baru"
    assert step.slots["location"] == "depan atm desa baru"
    # Galumbang lies in Juai and in Paringin Selatan: the corrected kecamatan says which.
    state = at("incident_time", location="desa galumbang", location_kecamatan="Juai")
    state["location_desa"] = "Galumbang"
    step = advance(state, answer=say("maaf salah, kecamatannya paringin selatan"), now=NOW)
    assert (step.slots["location_kecamatan"], step.slots["location_desa"]) == (
        "Paringin Selatan",
        "Galumbang",
    )
    confirmed = [u for u in step.utterances if u.response == "utter_location_confirmed"]
    assert confirmed[-1].values["place"] == "Galumbang, Kecamatan Paringin Selatan"


def test_full_name_given_again_at_the_summary_changes_the_name() -> None:
    state = at("complaint_confirmation", reporter_name="Budi Santoso")
    step = advance(state, answer=say("Maaf, nama lengkap saya Budi Santoso Wijaya."), now=NOW)
    assert step.slots["reporter_name"] == "Budi Santoso Wijaya"


@pytest.mark.parametrize(
    ("name_before", "text", "name_after"),
    [
        ("-", "Sebenarnya tidak apa-apa, tulis saja nama saya: Abdul Hakim.", "Abdul Hakim"),
        ("-", "pakai nama ulun aja, Ijai", "Ijai"),
        ("Irma", "eh gajadi deh min jangan pake nama sy, anonim aja", "-"),
        ("Rahmat", "namanya dirahasiakan saja", "-"),
        # Banjar: "ngaran ulun" is "nama saya".
        ("-", "eh kada papa pang, ngaran ulun Masrani", "Masrani"),
        # "kada usah" is "no need", not "… or not?": a refusal, not a question.
        ("Jamilah", "ngaran ulun kada usah dipadahakan pang, rahasia haja", "-"),
    ],
)
def test_changing_ones_mind_about_the_name_at_the_summary(
    name_before: str, text: str, name_after: str
) -> None:
    state = at("complaint_confirmation", reporter_name=name_before)
    step = advance(state, answer=say(text, "ask_confidentiality", 0.9), now=NOW)
    assert step.slots["reporter_name"] == name_after
    assert step.slots["requested_slot"] == "complaint_confirmation"
    assert "complaint_outcome" not in step.slots
    assert responses(step)[0] == "utter_corrected_reporter_name"


def test_a_change_announced_at_the_summary_asks_the_field_again() -> None:
    state = at("complaint_confirmation", description="ada pengemis di lampu merah")
    step = advance(state, answer=say("Kejadiannya juga saya tambahkan sedikit."), now=NOW)
    assert step.slots["description"] is None
    assert step.slots["requested_slot"] == "description"


def test_all_right_but_the_time_at_the_summary_changes_the_time() -> None:
    state = at("complaint_confirmation", incident_time="tiap malam")
    text = "sudah benar semua kecuali jamnya, itu tiap malam jam 11 an"
    step = advance(state, answer=say(text), now=NOW)
    assert "jam 11" in step.slots["incident_time"]
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_a_yes_at_the_summary_is_no_name_change() -> None:
    step = advance(at("complaint_confirmation", reporter_name="-"), answer=say("ya kirim"), now=NOW)
    assert step.slots["complaint_outcome"] == "submit"
    assert "reporter_name" not in step.slots


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        # A letter-writer's "mohon maaf, saya ralat"; "kejadiannya" + a time is the time.
        (
            "Mohon maaf, saya ralat: kejadiannya malam Minggu kemarin, bukan malam Sabtu.",
            "incident_time",
            "malam Minggu kemarin",
        ),
        # Banjar "maap, ulun salah" with only the new value.
        ("maap, ulun salah, sudah dua minggu", "incident_time", "sudah dua minggu"),
        # A form of address before the denied value: "salah min, bukan X, … desa Y".
        (
            "eh maaf salah min bukan tariwin, pos ronda nya di desa riwa",
            "location_desa",
            "Riwa",
        ),
    ],
)
def test_corrections_people_type_while_another_question_is_open(
    text: str, slot: str, value: str
) -> None:
    state = at(
        "evidence",
        incident_time="malam Sabtu kemarin",
        location="pos ronda desa tariwin",
        location_kecamatan="Batu Mandi",
        location_desa="Tariwin",
    )
    step = advance(state, answer=say(text), now=NOW)
    assert step.slots[slot] == value
    assert step.slots["requested_slot"] == "evidence"
    assert step.slots.get("description") is None


def test_a_correction_of_another_answer_is_never_stored_as_the_time() -> None:
    state = at("incident_time", location="desa tariwin", location_kecamatan="Batu Mandi")
    state["location_desa"] = "Tariwin"
    step = advance(state, answer=say("eh maaf salah min bukan tariwin tapi riwa"), now=NOW)
    assert step.slots.get("incident_time") is None
    assert step.slots["location_desa"] == "Riwa"


@pytest.mark.parametrize(
    "opening",
    [
        "Assalamualaikum. Mohon maaf mengganggu, saya hendak melapor.",
        "Selamat sore, Bapak. Saya mau lapor soal hewan ternak.",
        "Assalamualaikum, saya ingin mengadukan gangguan suara.",
        "Selamat malam, saya ingin menyampaikan pengaduan mengenai warung remang-remang.",
    ],
)
def test_an_opening_that_only_announces_a_report_is_not_the_story(opening: str) -> None:
    step = advance({}, answer=None, opening=say(opening, "report_complaint"), now=NOW)
    assert step.slots.get("description") is None


def test_an_opening_that_tells_what_happened_is_the_story() -> None:
    opening = "Selamat pagi, di lampu merah ada anak-anak yang mengemis tiap siang."
    step = advance({}, answer=None, opening=say(opening, "report_complaint"), now=NOW)
    # The greeting is no part of the story the officers read.
    assert step.slots["description"] == "Di lampu merah ada anak-anak yang mengemis tiap siang."


# ----------------------------------------------------------------- category


def test_confident_category_is_taken() -> None:
    opening = say("ada balap liar tiap malam di jalan", "report_complaint", 1.0,
                  entities=(category_entity("balap_liar", 0.94),))  # fmt: skip
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots["category"] == "balap_liar"
    assert step.slots["description"] == "ada balap liar tiap malam di jalan"
    assert step.slots["requested_slot"] == "location"


def test_uncertain_category_asks_among_the_likeliest() -> None:
    entity = category_entity("pkl", 0.31, "gepeng", "parkir_liar", "lainnya")
    opening = say("ada urang bajualan di trotoar dekat pasar", "report_complaint", 1.0,
                  entities=(entity,))  # fmt: skip
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots.get("category") is None
    assert step.slots["category_candidates"] == ["pkl", "gepeng", "parkir_liar"]
    assert step.slots["requested_slot"] == "category"
    state = apply({}, step)
    choice = say('/report_complaint{"category": "gepeng"}', "report_complaint", 1.0,
                 entities=(category_entity("gepeng", None),))  # fmt: skip
    step = advance(state, answer=choice, now=NOW)
    assert step.slots["category"] == "gepeng"
    assert step.slots["category_candidates"] is None


def ranked_entity(*entries: tuple[str, float]) -> dict[str, Any]:
    """The classifier's ``category`` entity: the first entry is its value."""
    value, confidence = entries[0]
    return {
        "entity": "category",
        "value": value,
        "confidence": confidence,
        "additional_info": {"ranking": [{"value": v, "confidence": p} for v, p in entries]},
    }


def test_two_close_categories_are_asked_even_above_the_threshold() -> None:
    """A runner-up with more than half the leader's probability makes it the citizen's choice."""
    entity = ranked_entity(("keributan", 0.52), ("hiburan_malam", 0.31), ("miras", 0.04))
    opening = say("ulun handak bapadah, kafe ribut banar", "report_complaint", 1.0,
                  entities=(entity,))  # fmt: skip
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots.get("category") is None
    assert step.slots["category_candidates"] == ["keributan", "hiburan_malam", "miras"]
    assert step.slots["requested_slot"] == "category"


def test_a_clear_leader_above_the_threshold_is_taken_without_asking() -> None:
    entity = ranked_entity(("kebisingan", 0.52), ("balap_liar", 0.25), ("keributan", 0.04))
    opening = say("suara knalpot dari bengkel tiap malam", "report_complaint", 1.0,
                  entities=(entity,))  # fmt: skip
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots["category"] == "kebisingan"


def test_close_categories_offered_then_one_typed_from_the_offer_is_taken() -> None:
    """The citizen's answer naming an offered category is taken, however close the ranking."""
    state = at("category", category_candidates=["keributan", "hiburan_malam"])
    entity = ranked_entity(("hiburan_malam", 0.5), ("keributan", 0.4))
    step = advance(state, answer=say("hiburan malam", "report_complaint", 1.0,
                                     entities=(entity,)), now=NOW)  # fmt: skip
    assert step.slots["category"] == "hiburan_malam"


def test_uncertain_category_without_ranking_offers_the_guess() -> None:
    opening = say("ada orang mabuk bikin ribut", "report_complaint", 1.0,
                  entities=(category_entity("miras", 0.40),))  # fmt: skip
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots["category_candidates"] == ["miras"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("asusila", "asusila"),
        ("ODGJ", "odgj"),
        ("Parkir liar", "parkir_liar"),
        ("tuak", "miras"),
        # A title typed with a slip.
        ("reklam liar", "reklame_liar"),
        ("balap lair", "balap_liar"),
        ("kebisingn", "kebisingan"),
        ("peminta sumbangn", "peminta_sumbangan"),
    ],
)
def test_category_named_by_its_own_name_is_taken(text: str, category: str) -> None:
    """A category typed by name (not among the buttons shown) needs no classifier."""
    step = advance(at("category"), answer=say(text), now=NOW)
    assert step.slots["category"] == category
    assert step.slots["requested_slot"] == "description"


@pytest.mark.parametrize(("text", "category"), [("2", "gepeng"), ("no 1", "pkl"), ("3", "lainnya")])
def test_the_number_of_an_offered_category_is_that_choice(text: str, category: str) -> None:
    state = at("category", category_candidates=["pkl", "gepeng"])
    step = advance(state, answer=say(text), now=NOW)
    assert step.slots["category"] == category


@pytest.mark.parametrize(
    ("text", "category"),
    [("2", "miras"), ("no 3", "keributan"), ("yg kedua", "miras"), ("nang pertama", "pkl"),
     ("nomor 8", "gepeng"), ("10", "lainnya")],
)  # fmt: skip
def test_the_number_of_a_row_of_the_category_list_is_that_category(
    text: str, category: str
) -> None:
    """With nothing offered, the position counts in the first page of the list shown."""
    step = advance(at("category"), answer=say(text), now=NOW)
    assert step.slots["category"] == category
    assert step.slots.get("category_told") is None


@pytest.mark.parametrize(
    ("text", "category"),
    [("perkelahian min", "keributan"), ("ini parkir liar", "parkir_liar"),
     ("reklame liar ya min, itu poster", "reklame_liar")],
)  # fmt: skip
def test_a_category_title_with_a_particle_or_a_remark_is_that_category(
    text: str, category: str
) -> None:
    step = advance(at("category"), answer=say(text), now=NOW)
    assert step.slots["category"] == category


def test_the_number_of_the_see_all_row_opens_the_second_list() -> None:
    step = advance(at("category"), answer=say("9"), now=NOW)
    assert step.slots["category_page"] == "more"
    state = apply(at("category"), step)
    step = advance(state, answer=say("no 1"), now=NOW)
    assert step.slots["category"] == second_page_categories()[0]


def test_a_number_beyond_the_offered_choices_is_no_choice() -> None:
    state = at("category", category_candidates=["pkl", "gepeng"])
    step = advance(state, answer=say("7"), now=NOW)
    assert "category" not in step.slots


def test_other_category_word() -> None:
    state = at("category", category_candidates=["pkl", "gepeng"])
    step = advance(state, answer=say("Lainnya", "nlu_fallback", 0.4), now=NOW)
    assert step.slots["category"] == "lainnya"


def test_story_without_a_category_is_filed_as_lainnya() -> None:
    step = advance(at("category"), answer=say("wc umum dirusak orang"), now=NOW)
    assert step.slots["category"] == "lainnya"
    assert step.slots["requested_slot"] == "description"
    story = "kamar mandi umum di terminal dirusak orang"
    step = advance(at("category"), answer=say(story), now=NOW)
    assert step.slots["description"] == story
    assert step.slots["requested_slot"] == "location"


def ranking(*entries: tuple[str, float], none: float) -> dict[str, Any]:
    """A message's ``category_ranking`` parse data."""
    return {
        "ranking": [{"value": value, "confidence": p} for value, p in entries],
        "none_confidence": none,
    }


def test_a_misspelt_category_answer_is_read_from_the_ranking() -> None:
    """A slip keeps the classifier from emitting an entity, but one category leads far.

    The answer to "which kind?" is then that category, not "lainnya".
    """
    slip = ranking(("odgj", 0.32), ("pkl", 0.08), ("lainnya", 0.07), none=0.30)
    step = advance(
        at("category"), answer=say("orng ganguan jwa", "deny", 0.71, category_ranking=slip), now=NOW
    )
    assert step.slots["category"] == "odgj"
    one_word = ranking(("odgj", 0.4), ("gepeng", 0.1), none=0.3)
    step = advance(at("category"), answer=say("gilaa", category_ranking=one_word), now=NOW)
    # Below the taking threshold, one word is no story: the category is offered, not filed.
    assert step.slots["category_candidates"] == ["odgj", "gepeng"]
    assert step.slots["requested_slot"] == "category"


@pytest.mark.parametrize(
    "parse",
    [
        ranking(("asusila", 0.14), ("kebisingan", 0.13), none=0.3),  # no clear leader
        ranking(("odgj", 0.6), ("pkl", 0.1), none=0.7),  # names no category
        ranking(("odgj", 0.2), ("pkl", 0.05), none=0.1),  # too weak
        None,
    ],
)
def test_a_ranking_without_a_clear_leader_is_not_a_category(parse: dict[str, Any] | None) -> None:
    step = advance(at("category"), answer=say("karoke ilegal", category_ranking=parse), now=NOW)
    assert step.slots["category"] == "lainnya"


@pytest.mark.parametrize(
    "parse",
    [
        {"ranking": "odgj", "none_confidence": 0.1},
        {"ranking": [{"value": "odgj", "confidence": 0.9}]},  # no none_confidence
        {"ranking": [{"value": "judi", "confidence": 0.9}], "none_confidence": 0.1},
        {"ranking": [], "none_confidence": 0.1},
        ["odgj"],
    ],
)
def test_a_malformed_ranking_reads_as_none(parse: Any) -> None:
    assert read_category_ranking(parse) is None


def test_a_clear_ranking_keeps_its_order_for_the_choices() -> None:
    guess = read_category_ranking(ranking(("odgj", 0.5), ("gepeng", 0.2), none=0.2))
    assert guess is not None
    assert (guess.value, guess.confidence, guess.choices()) == ("odgj", 0.5, ["odgj", "gepeng"])
    assert guess.confident


def test_the_ranking_is_not_read_outside_the_category_question() -> None:
    clear = ranking(("odgj", 0.9), ("pkl", 0.05), none=0.05)
    opening = say("mau lapor min", "report_complaint", 1.0, category_ranking=clear)
    step = advance({}, answer=None, opening=opening, now=NOW)
    assert step.slots.get("category") is None


def test_question_at_the_category_step_interrupts() -> None:
    step = advance(at("category"), answer=say("apa tugas satpol pp?", "ask_duties", 0.97), now=NOW)
    assert step.interrupt and step.slots == {}


# ----------------------------------------------------------------- digressions and misses


@pytest.mark.parametrize(
    ("question", "text", "intent"),
    [
        ("location", "jam berapa kantor buka?", "ask_service_hours"),
        ("incident_time", "kantor buka jam berapa?", "ask_service_hours"),
        ("incident_time", "cek status laporan saya", "check_status"),
        ("evidence", "apakah identitas saya dirahasiakan?", "ask_confidentiality"),
        ("reporter_name", "apakah nama saya aman?", "ask_confidentiality"),
        ("description", "saya mau bicara dengan petugas", "request_human"),
        ("location", "tolong ada kebakaran", "emergency"),
    ],
)
def test_clear_questions_interrupt(question: str, text: str, intent: str) -> None:
    step = advance(at(question), answer=say(text, intent, 0.95), now=NOW)
    assert step.interrupt


def test_clear_emergency_with_an_answer_gets_the_numbers_first() -> None:
    answer = say("kebakaran di desa halong", "emergency", 0.95)
    step = advance(at("location"), answer=answer, now=NOW)
    assert not step.interrupt
    assert responses(step)[0] == "utter_emergency"
    assert step.slots["location_desa"] == "Halong"


def test_miss_says_what_is_needed_and_asks_again() -> None:
    step = advance(at("location"), answer=say("di rumah pak rt"), now=NOW)
    assert responses(step) == ["utter_location_not_found"]
    assert step.slots["requested_slot"] == "location"
    assert step.slots["form_asks"] == {"question": "location", "count": 2}
    assert step.slots["location_note"] == "di rumah pak rt"


def test_times_people_type() -> None:
    for text in (
        "tiap malam minggu",
        "sejak kemarin",
        "pas maghrib",
        "samalam",
        "kemarin sore",
        # Long ago and still so: the time as said, not "not understood" twice.
        "udh lama",
        "dari dulu",
        "udah bertahun2",
        "sejak bulan lalu",
    ):
        step = advance(at("incident_time"), answer=say(text), now=NOW)
        assert step.slots["incident_time"] == text, text
    step = advance(at("incident_time"), answer=say("waktu itu lagi rame"), now=NOW)
    assert step.slots["incident_time"] == "waktu itu lagi rame"
    assert step.slots["incident_at"] is None
    step = advance(at("incident_time"), answer=say("lupa"), now=NOW)
    assert step.slots["incident_time"] == "-"


def test_time_phrase_read_as_another_intent_is_a_time() -> None:
    step = advance(
        at("incident_time"), answer=say("baru seminggu ini", "bot_challenge", 0.9), now=NOW
    )
    assert step.slots["incident_time"] == "baru seminggu ini"
    step = advance(
        at("incident_time"), answer=say("jam buka kantor", "ask_service_hours", 0.9), now=NOW
    )
    assert step.interrupt


def test_apology_and_a_field_corrects_an_earlier_answer() -> None:
    text = "Eh maaf, waktunya setiap pagi sebelum pasar buka."
    step = advance(at("evidence", incident_time="setiap sore"), answer=say(text), now=NOW)
    assert step.slots["incident_time"] == "setiap pagi sebelum pasar buka"
    assert step.slots["requested_slot"] == "evidence"


def test_restated_story_at_the_category_choice_takes_the_likeliest() -> None:
    state = at("category", category_candidates=["bangunan_liar"])
    step = advance(state, answer=say("Kios di bahu jalan"), now=NOW)
    assert step.slots["category"] == "bangunan_liar"
    weak = category_entity("bangunan_liar", 0.2)
    step = advance(state, answer=say("kios permanen", entities=(weak,)), now=NOW)
    assert step.slots["category"] == "bangunan_liar"


def test_two_answers_at_once() -> None:
    step = advance(at("location"), answer=say("tadi malam di depan pasar lampihong"), now=NOW)
    assert step.slots["location_kecamatan"] == "Lampihong"
    assert step.slots["location"] == "di depan pasar lampihong"
    assert step.slots["incident_time"] == "tadi malam"
    assert step.slots["requested_slot"] == "evidence"


@pytest.mark.parametrize(
    ("text", "time", "kecamatan"),
    [
        ("tiap sore di depan pasar paringin", "tiap sore", "Paringin"),
        ("di pasar halong samalam", "samalam", "Halong"),
        ("td pagi di depan puskesmas desa bata juai", "td pagi", "Juai"),
    ],
)
def test_time_and_place_in_one_answer_fill_both_apart(text: str, time: str, kecamatan: str) -> None:
    step = advance(at("location"), answer=say(text), now=NOW)
    assert step.slots["location_kecamatan"] == kecamatan
    assert step.slots["incident_time"] == time
    assert step.slots["requested_slot"] == "evidence"


def test_time_answer_with_the_place_again_keeps_only_the_time() -> None:
    step = advance(at("incident_time"), answer=say("tadi malam di depan pasar lampihong"), now=NOW)
    assert step.slots["incident_time"] == "tadi malam"


def test_pin_and_photo_are_taken_wherever_they_arrive() -> None:
    pin = Answer("/share_location", "share_location", 1.0, pin=(-2.324289, 115.460773))
    step = advance(at("incident_time"), answer=pin, now=NOW)
    assert step.slots["location_desa"] == "Paringin Kota"
    assert step.slots["location_lat"] == pytest.approx(-2.324289)
    assert step.slots["requested_slot"] == "incident_time"
    photo = Answer("/share_media", "share_media", 1.0, media_id=7, is_media=True)
    step = advance(at("location"), answer=photo, now=NOW)
    assert step.slots["evidence_media"] == [7]
    assert step.slots["evidence"] == "(media)"
    assert step.slots["requested_slot"] == "location"
    assert responses(step) == ["utter_evidence_received"]


def test_typed_coordinates_or_a_map_link_are_the_place() -> None:
    link = say("https://www.google.com/maps/place/-2.457197,115.506692", "check_status", 0.95)
    step = advance(at("location"), answer=link, now=NOW)
    assert (step.slots["location_kecamatan"], step.slots["location_desa"]) == (
        "Batu Mandi",
        "Lok Batu",
    )
    assert step.slots["location_lat"] == pytest.approx(-2.457197)
    assert step.slots["requested_slot"] == "incident_time"
    # Numbers that are no point in Balangan are read as what they are.
    step = advance(at("incident_time"), answer=say("2.500, 15.000 tiap malam"), now=NOW)
    assert step.slots.get("location_lat") is None


@pytest.mark.parametrize("asked", ["location", "kecamatan_choice"])
@pytest.mark.parametrize(
    "text", ["https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8", "ini min goo.gl/maps/Ab12Cd"]
)
def test_a_short_map_link_is_told_it_cannot_be_opened(asked: str, text: str) -> None:
    """Nothing here opens a short link: the citizen hears how to share the place instead.

    The citizen gave a place, so it is no miss; the loop guard still offers the lists when
    the question comes a third time.
    """
    slots = at(asked)
    if asked == "kecamatan_choice":
        slots = {**at("location"), "location_mode": "pick"}
    step = advance(slots, answer=say(text, "nlu_fallback", 0.3), now=NOW)
    assert responses(step) == ["utter_location_link_unreadable"]
    assert step.slots["requested_slot"] == asked
    assert not step.missed_twice
    assert "location_note" not in step.slots and "form_last_answer" not in step.slots
    twice = {**slots, "form_asks": {"question": asked, "count": 2}}
    assert not advance(twice, answer=say(text, "nlu_fallback", 0.3), now=NOW).missed_twice


def test_a_short_map_link_with_the_place_typed_takes_the_typed_place() -> None:
    answer = say("https://maps.app.goo.gl/7xQpRk2vLmN9aBcD8 di desa Halong dekat masjid")
    step = advance(at("location"), answer=answer, now=NOW)
    assert step.slots["location_desa"] == "Halong"
    assert "maps.app" not in step.slots["location"]
    assert step.slots["requested_slot"] == "incident_time"


def test_a_long_map_link_naming_a_place_takes_that_place() -> None:
    answer = say("https://www.google.com/maps/place/Lok+Batu,+Batu+Mandi/data=!4m2")
    step = advance(at("location"), answer=answer, now=NOW)
    assert (step.slots["location_kecamatan"], step.slots["location_desa"]) == (
        "Batu Mandi",
        "Lok Batu",
    )


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("eh slah, maksudnya kemarin sore", "kemarin sore"),
        ("maaf salah, jam 9 malam", "jam 9 malam"),
        ("sudah saminggu", "sudah saminggu"),
        ("udh 2 mingguan", "udh 2 mingguan"),
        ("satiap isuk", "satiap isuk"),
    ],
)
def test_the_time_is_read_without_the_words_of_correcting(text: str, stored: str) -> None:
    step = advance(at("incident_time"), answer=say(text, "nlu_fallback", 0.3), now=NOW)
    assert step.slots["incident_time"] == stored


@pytest.mark.parametrize("text", ["maaf salh tmpt", "eh slah tempatnya", "maaf salah tempat"])
def test_a_correction_of_the_place_with_a_slip_at_the_time_question_is_no_time(text: str) -> None:
    slots = {**at("incident_time"), "location_kecamatan": "Halong", "location_desa": "Halong"}
    step = advance(slots, answer=say(text, "nlu_fallback", 0.3), now=NOW)
    assert "incident_time" not in step.slots
    assert step.slots["location"] is None
    assert step.slots["requested_slot"] == "location"


def test_a_correction_naming_the_new_place_with_a_slip_changes_the_place() -> None:
    step = advance(
        at("incident_time"), answer=say("eh slah, maksudnya desa halong", "inform", 0.6), now=NOW
    )
    assert step.slots["location_desa"] == "Halong"
    assert step.slots["location"] == "desa halong"
    assert "incident_time" not in step.slots


@pytest.mark.parametrize(
    "text",
    ["pas lagi hujan deras", "waktu acara nikahan kemarin", "habis sholat jumat", "udah 2x"],
)
def test_a_free_form_time_is_kept_after_the_strict_miss(text: str) -> None:
    """What the parser cannot place but plainly says when is the time, in the citizen's words."""
    slots = {**at("incident_time"), "form_asks": {"question": "incident_time", "count": 1}}
    step = advance(slots, answer=say(text, "out_of_scope", 0.9), now=NOW)
    assert step.slots["incident_time"] == text


@pytest.mark.parametrize("text", ["di rumah warga", "ok min siap", "Budi Santoso", "ada fotonya"])
def test_words_that_say_no_time_are_not_stored_as_the_time(text: str) -> None:
    slots = {**at("incident_time"), "form_asks": {"question": "incident_time", "count": 1}}
    step = advance(slots, answer=say(text, "nlu_fallback", 0.3), now=NOW)
    assert "incident_time" not in step.slots
    assert responses(step) == ["utter_time_unclear"]


def test_a_desa_two_kecamatan_share_asks_which_kecamatan() -> None:
    step = advance(at("location"), answer=say("desa galumbang"), now=NOW)
    assert step.slots["requested_slot"] == "kecamatan_choice"
    assert "utter_location_not_found" not in responses(step)
    state = {**at("location"), **step.slots}
    step = advance(state, answer=say("Paringin Selatan"), now=NOW)
    assert (step.slots["location_kecamatan"], step.slots["location_desa"]) == (
        "Paringin Selatan",
        "Galumbang",
    )
    assert step.slots["requested_slot"] == "incident_time"


@pytest.mark.parametrize(
    "asked", ["description", "location", "incident_time", "reporter_name", "complaint_confirmation"]
)
def test_a_voice_note_is_no_answer_it_cannot_be_listened_to(asked: str) -> None:
    """Not "the story is too short" or "no desa found": La-Lisa cannot listen; type it."""
    voice = Answer(
        "/share_media", "share_media", 1.0, media_id=None, is_media=True, media_type="audio"
    )
    step = advance(at(asked), answer=voice, now=NOW)
    assert step.slots.get("evidence_media") is None
    assert step.slots["requested_slot"] == asked
    assert responses(step) == ["utter_voice_not_heard"]
    assert not step.missed_twice


def test_a_voice_note_at_the_evidence_question_is_no_photo_or_video() -> None:
    """Never "Foto/video diterima": the recording is not attached; photo/video or lewati."""
    voice = Answer(
        "/share_media", "share_media", 1.0, media_id=None, is_media=True, media_type="audio"
    )
    step = advance(at("evidence"), answer=voice, now=NOW)
    assert step.slots.get("evidence_media") is None
    assert step.slots.get("evidence") is None
    assert step.slots["requested_slot"] == "evidence"
    assert responses(step) == ["utter_voice_not_evidence"]
    # After a photo, a voice note does not end the evidence either.
    step = advance(at("evidence", evidence_media=[3]), answer=voice, now=NOW)
    assert step.slots.get("evidence_media") is None  # unchanged
    assert responses(step) == ["utter_voice_not_evidence"]


def test_a_voice_note_holds_the_loop_guard_once() -> None:
    """A voice note, then the question again, then the typed answer: no third ask forced."""
    voice = Answer(
        "/share_media", "share_media", 1.0, media_id=None, is_media=True, media_type="audio"
    )
    first = advance(at("reporter_name"), answer=voice, now=NOW)
    asks = first.slots["form_asks"]
    assert asks["count"] == 1 and asks.get("held")


def test_pin_outside_balangan_is_refused() -> None:
    pin = Answer("/share_location", "share_location", 1.0, pin=(-3.3194, 114.5908))
    step = advance(at("location"), answer=pin, now=NOW)
    assert responses(step) == ["utter_location_outside_balangan"]
    assert step.slots["requested_slot"] == "location"


def test_answer_after_a_photo_means_that_is_all() -> None:
    state = at("evidence", evidence_media=[3])
    step = advance(state, answer=say("sudah itu saja"), now=NOW)
    assert step.slots["evidence"] == "(media)"


# ----------------------------------------------------------------- cancelling


def test_cancel_with_content_asks_first_and_no_keeps_the_report() -> None:
    state = at("incident_time")
    step = advance(state, answer=say("batal", "cancel", 0.99), now=NOW)
    assert step.slots["requested_slot"] == "cancel_confirmation"
    assert "complaint_outcome" not in step.slots
    state = apply(state, step)
    step = advance(state, answer=say("tidak", "deny", 0.99), now=NOW)
    assert responses(step) == ["utter_cancel_aborted"]
    assert step.slots["requested_slot"] == "incident_time"
    assert "complaint_outcome" not in step.slots


@pytest.mark.parametrize("yes", ["ya", "iya", "/affirm", "inggih"])
def test_only_an_explicit_yes_cancels(yes: str) -> None:
    state = apply(
        at("incident_time"),
        advance(at("incident_time"), answer=say("batalkan", "cancel", 0.99), now=NOW),
    )
    step = advance(state, answer=say(yes, "affirm", 0.99), now=NOW)
    assert step.slots["complaint_outcome"] == "cancel"
    assert step.slots["requested_slot"] is None


def test_other_answer_to_cancel_question_answers_the_pending_question() -> None:
    state = apply(
        at("incident_time"),
        advance(at("incident_time"), answer=say("batal", "cancel", 0.99), now=NOW),
    )
    step = advance(state, answer=say("tadi malam"), now=NOW)
    assert step.slots["incident_time"] == "tadi malam"
    assert "complaint_outcome" not in step.slots
    assert step.slots["requested_slot"] == "evidence"


def test_cancel_without_content_needs_no_confirmation() -> None:
    state = {"requested_slot": "category", "form_asks": {"question": "category", "count": 1}}
    assert not has_content(state)
    step = advance(state, answer=say("batal", "cancel", 0.99), now=NOW)
    assert step.slots["complaint_outcome"] == "cancel"
    assert step.slots["requested_slot"] is None


def test_summary_yes_submits() -> None:
    for text in ("ya", "inggih", "au", "jadi ai", "/affirm"):
        step = advance(at("complaint_confirmation"), answer=say(text, "affirm", 0.9), now=NOW)
        assert step.slots["complaint_outcome"] == "submit", text
        assert step.slots["complaint_confirmation"] == "ya"
        assert step.slots["requested_slot"] is None


# ----------------------------------------------------------------- the loop guard

QUESTIONS = [
    "category",
    "description",
    "location",
    "kecamatan_choice",
    "desa_choice",
    "incident_time",
    "evidence",
    "reporter_name",
    "complaint_confirmation",
    "correction_field",
    "cancel_confirmation",
]
MISS = say("hmm ??", "nlu_fallback", 0.3)


def run_guarded(state: dict[str, Any], answers: list[Answer | None]) -> list[str | None]:
    """Feeds answers (None: a digression was answered) and returns the questions asked."""
    asked: list[str | None] = []
    for answer in answers:
        step = advance(state, answer=answer, now=NOW)
        assert not step.interrupt
        state = apply(state, step)
        asked.append(question_key(state.get("requested_slot"), state))
        if state.get("requested_slot") is None:
            break
    return asked


def longest_run(asked: list[str | None], first: str) -> int:
    run, best, previous = 1, 1, first
    for key in asked:
        run = run + 1 if key == previous else 1
        best, previous = max(best, run), key
    return best


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("kind", ["misses", "digressions"])
def test_no_question_is_asked_more_than_twice(question: str, kind: str) -> None:
    state = at(question)
    answers: list[Answer | None] = [MISS if kind == "misses" else None] * 12
    asked = run_guarded(state, answers)
    assert longest_run(asked, question) <= MAX_ASKS, asked
    assert asked[-1] != question


def test_every_question_has_a_strategy() -> None:
    keys = {question_key(q, {}) for q in QUESTIONS} | {"complaint_confirmation:choice"}
    assert keys == set(STRATEGIES)


def test_location_strategy_is_kecamatan_then_desa_list() -> None:
    state = at("location")
    asked = run_guarded(state, [say("di rumah"), say("dekat warung")])
    assert asked == ["location", "kecamatan_choice"]
    state = at("kecamatan_choice", location_note="dekat warung")
    step = advance(state, answer=say("Lampihong", "nlu_fallback", 0.4), now=NOW)
    assert step.slots["requested_slot"] == "desa_choice"
    state = apply(state, step)
    step = advance(state, answer=say("Lok Hamawang"), now=NOW)
    assert step.slots["location_desa"] == "Lok Hamawang"
    assert step.slots["location"] == "dekat warung"
    assert step.slots["requested_slot"] == "incident_time"


def test_unknown_kecamatan_keeps_the_free_text_for_the_officer() -> None:
    state = at("kecamatan_choice", location_note="dekat warung pak haji")
    step = advance(state, answer=say("tidak tahu"), now=NOW)
    assert step.slots["location"] == "dekat warung pak haji"
    assert step.slots["location_kecamatan"] is None
    assert responses(step) == ["utter_location_unresolved"]


def test_summary_strategy_is_choices_then_a_person() -> None:
    asked = run_guarded(at("complaint_confirmation"), [MISS] * 6)
    assert asked == [
        "complaint_confirmation",
        "complaint_confirmation:choice",
        "complaint_confirmation:choice",
        None,
    ]


def test_summary_gives_up_to_a_person_without_submitting_or_cancelling() -> None:
    state = at("complaint_confirmation", confirmation_mode="choice")
    state["form_asks"] = {"question": "complaint_confirmation:choice", "count": 2}
    step = advance(state, answer=MISS, now=NOW)
    assert step.slots["complaint_outcome"] == "handoff"
    assert "utter_confirmation_needs_person" in responses(step)


def test_progress_resets_the_count() -> None:
    state = at("incident_time")
    state["form_asks"] = {"question": "incident_time", "count": 2}
    step = advance(state, answer=say("tadi malam"), now=NOW)
    assert step.slots["form_asks"] == {"question": "evidence", "count": 1}


def test_opening_clears_the_previous_bookkeeping() -> None:
    stale = {"form_asks": {"question": "location", "count": 2}, "complaint_outcome": "handoff"}
    step = advance(
        stale, answer=None, opening=say("/report_complaint", "report_complaint", 1.0), now=NOW
    )
    assert step.slots["complaint_outcome"] is None
    assert step.slots["form_asks"] == {"question": "category", "count": 1}
    assert step.slots["requested_slot"] == "category"


def test_two_misses_in_a_row_are_reported_as_missed_twice() -> None:
    first = advance(at("location"), answer=say("hmm gimana ya"), now=NOW)
    assert not first.missed_twice
    state = {**at("location"), **first.slots}
    second = advance(state, answer=say("pokoknya situ deh"), now=NOW)
    assert second.missed_twice
    # The loop guard changed strategy instead of asking the location a third time.
    assert second.slots.get("location_mode") == "pick"
    answered = advance(state, answer=say("desa halong"), now=NOW)
    assert not answered.missed_twice


def test_a_story_that_mentions_danger_is_the_description() -> None:
    """The emergency numbers may come first, but the story is taken, not asked again."""
    story = (
        "Sapi milik warga dilepas dan berkeliaran di jalan raya, sudah dua kali hampir "
        "menyebabkan kecelakaan sepeda motor."
    )
    step = advance(at("description"), answer=say(story, "emergency", 0.95), now=NOW)
    assert step.slots["description"] == story
    assert step.slots["requested_slot"] == "location"
    assert responses(step)[0] == "utter_emergency"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("saya mau bicara dengan petugas saja", "request_human"),
        ("saya mau tanya soal jam layanan kantor", "ask_service_hours"),
        ("tolong darurat", "emergency"),
    ],
)
def test_a_short_request_at_the_description_step_still_interrupts(text: str, intent: str) -> None:
    step = advance(at("description"), answer=say(text, intent, 0.95), now=NOW)
    assert step.interrupt or step.slots.get("description") is None


@pytest.mark.parametrize(
    ("text", "desa"),
    [("yg deket masjid itu min", None), ("dekat kantor desa balida", "Balida")],
)
def test_a_landmark_sent_after_the_place_completes_it_and_is_no_time(
    text: str, desa: str | None
) -> None:
    state = at(
        "incident_time",
        incident_time=None,
        location="alun2 paringin",
        location_kecamatan="Paringin",
        location_desa=None,
    )
    step = advance(state, answer=say(text), now=NOW)
    assert "incident_time" not in step.slots
    assert step.slots["location"] == f"alun2 paringin, {text}"
    assert step.slots.get("location_desa") == desa
    assert step.slots["requested_slot"] == "incident_time"
    assert responses(step) == ["utter_location_confirmed"]


def test_a_time_after_the_place_is_still_the_time() -> None:
    state = at("incident_time", incident_time=None)
    step = advance(state, answer=say("di depan pasar tadi malam"), now=NOW)
    assert step.slots["incident_time"]
    assert "location" not in step.slots


def test_a_long_question_holding_tadi_is_not_the_time() -> None:
    state = at("incident_time", incident_time=None)
    text = "Ada yang berkelahi di lokasi balapan tadi, saya harus menghubungi nomor darurat berapa?"
    step = advance(state, answer=say(text, "report_complaint", 0.6), now=NOW)
    assert "incident_time" not in step.slots
    assert step.slots["requested_slot"] == "incident_time"
    interrupted = advance(state, answer=say(text, "emergency", 0.7), now=NOW)
    assert interrupted.interrupt


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("tadi malam?", "tadi malam?"),
        # The question after the time is a remark, no part of it.
        ("kemarin sore kayaknya, kenapa?", "kemarin sore kayaknya"),
    ],
)
def test_a_short_time_with_a_question_mark_is_still_the_time(text: str, stored: str) -> None:
    step = advance(at("incident_time", incident_time=None), answer=say(text), now=NOW)
    assert step.slots["incident_time"] == stored


@pytest.mark.parametrize(
    "text", ["harus detail kah?", "maksudnya gimana min?", "perlu sebut nama pelakunya kah?"]
)
def test_a_question_about_the_description_question_is_not_the_story(text: str) -> None:
    step = advance(at("description", description=None), answer=say(text), now=NOW)
    assert "description" not in step.slots
    assert step.slots["requested_slot"] == "description"


def test_a_story_told_as_a_question_is_the_story() -> None:
    text = "kenapa ada pkl di trotoar terus tiap hari?"
    step = advance(at("description", description=None), answer=say(text), now=NOW)
    assert step.slots["description"] == text


# ------------------------------------------------------- a category the form cannot read

UNREADABLE_CATEGORY = {
    "ranking": [
        {"value": "asusila", "confidence": 0.14},
        {"value": "kebisingan", "confidence": 0.13},
    ],
    "none_confidence": 0.55,
}


def _citizen_who_types_the_category(change: str, field_answer: str | None) -> Any:
    """Answers like a citizen who never taps, asking for a change at every summary.

    The category is always the same unreadable words; ``change`` is said at the summary, and
    ``field_answer`` when asked which field.
    """

    def answer(slot: str | None) -> Answer:
        if slot == "category":
            return say(
                "karoke ilegal", "report_complaint", 0.9, category_ranking=UNREADABLE_CATEGORY
            )
        if slot == "correction_field":
            return say(field_answer or "jenis")
        assert slot == "complaint_confirmation", slot
        return say(change)

    return answer


@pytest.mark.parametrize(
    ("change", "field_answer"),
    [("jenisnya salah", None), ("ubah", "jenis"), ("/deny", "jenis pelanggaran")],
)
def test_change_at_the_summary_never_asks_an_unreadable_category_a_third_time(
    change: str, field_answer: str | None
) -> None:
    """Summary → change → category → "Lainnya" → summary … is no loop.

    The second unreadable answer is kept in the citizen's words, and a third change request
    goes to a person.
    """
    state = at(
        "category",
        description="tempat karaoke tidak ada izin buka sampai pagi",
        location="desa lajar",
        location_kecamatan="Lampihong",
        location_desa="Lajar",
        incident_time="tiap malam",
        evidence="-",
        reporter_name="Reza",
    )
    citizen = _citizen_who_types_the_category(change, field_answer)
    asked: list[str | None] = ["category"]
    said: list[str] = []
    for _ in range(20):
        step = advance(state, answer=citizen(state["requested_slot"]), now=NOW)
        assert not step.interrupt
        state = apply(state, step)
        said += responses(step)
        asked.append(question_key(state.get("requested_slot"), state))
        if state.get("requested_slot") is None:
            break
    assert asked.count("category") <= MAX_ASKS, asked
    assert asked[-1] is None
    assert state["complaint_outcome"] == "handoff"
    assert said.count("utter_category_kept_as_told") == 1
    assert said[-1] == "utter_category_needs_person"
    # The report is kept whole (a "ya" sends it), with the citizen's own words.
    assert state["category"] == "lainnya"
    assert state["category_told"] == "karoke ilegal"


def test_second_unreadable_category_is_kept_in_the_citizens_words() -> None:
    state = at("category", category_told="karoke", category_rounds=1)
    answer = say("karoke ilegal", "report_complaint", 0.9, category_ranking=UNREADABLE_CATEGORY)
    step = advance(state, answer=answer, now=NOW)
    assert step.slots["category"] == "lainnya"
    assert step.slots["category_told"] == "karoke ilegal"
    assert step.slots["category_rounds"] == 2
    (kept,) = [u for u in step.utterances if u.response == "utter_category_kept_as_told"]
    assert kept.values == {"category_told": "karoke ilegal"}


def test_a_readable_category_at_a_change_request_is_still_taken() -> None:
    """After two unreadable rounds a category the citizen names is still a correction."""
    state = at("complaint_confirmation", category="lainnya", category_rounds=2)
    step = advance(state, answer=say("jenisnya hiburan malam"), now=NOW)
    assert step.slots["category"] == "hiburan_malam"
    assert step.slots.get("complaint_outcome") is None
    assert step.slots["requested_slot"] == "complaint_confirmation"


def test_a_category_changed_to_the_one_it_already_is_is_said_to_be_unchanged() -> None:
    """A category "changed" to PKL when it is PKL: no "updated", the category named instead."""
    state = at("complaint_confirmation", category="pkl")
    step = advance(state, answer=say("jenisnya ganti jadi pkl ya min"), now=NOW)
    assert step.slots.get("category", "pkl") == "pkl"
    assert step.slots["requested_slot"] == "complaint_confirmation"
    said = responses(step)
    assert "utter_corrected_category" not in said
    (unchanged,) = [u for u in step.utterances if u.response == "utter_category_unchanged"]
    assert unchanged.values == {"category_label": "Pedagang kaki lima (PKL) di tempat terlarang"}
    changed = advance(state, answer=say("jenisnya ganti jadi hiburan malam"), now=NOW)
    assert "utter_corrected_category" in responses(changed)


def test_see_all_categories_opens_the_second_list_without_a_miss() -> None:
    tap = say(
        '/report_complaint{"category": "semua_jenis"}',
        "report_complaint",
        1.0,
        entities=({"entity": "category", "value": "semua_jenis"},),
    )
    state = at("category")
    step = advance(state, answer=tap, now=NOW)
    assert step.slots["category_page"] == "more"
    assert step.slots["requested_slot"] == "category"
    assert responses(step) == []
    assert not step.missed_twice
    state = apply(state, step)
    chosen = say(
        '/report_complaint{"category": "hiburan_malam"}',
        "report_complaint",
        1.0,
        entities=({"entity": "category", "value": "hiburan_malam"},),
    )
    step = advance(state, answer=chosen, now=NOW)
    assert step.slots["category"] == "hiburan_malam"
    assert step.slots["category_page"] is None
    assert step.slots["requested_slot"] == "description"


def test_typed_see_all_opens_the_second_list_too() -> None:
    step = advance(at("category"), answer=say("lihat semua jenis"), now=NOW)
    assert step.slots["category_page"] == "more"
    assert "category" not in step.slots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kirim laporn", {"complaint_outcome": "submit"}),
        ("Kirim lapoaran", {"complaint_outcome": "submit"}),
        ("kirm laporan min", {"complaint_outcome": "submit"}),
        ("batalkn", {"cancel_requested": True}),
    ],
)
def test_a_summary_button_typed_with_a_slip_is_that_button(
    text: str, expected: dict[str, Any]
) -> None:
    step = advance(at("complaint_confirmation"), answer=say(text), now=NOW)
    for slot, value in expected.items():
        assert step.slots[slot] == value, step.slots


def test_typed_labels_are_matched_only_when_close_to_one_label() -> None:
    from lalisa.intake.readers.words import typed_label

    labels = ("Kirim laporan", "Ubah", "Batalkan")
    assert typed_label("KIRIM LAPORAN!", labels) == "Kirim laporan"
    assert typed_label("kirim laporn", labels) == "Kirim laporan"
    assert typed_label("ubah", labels) == "Ubah"
    assert typed_label("ubh", labels) is None  # too short to guess
    assert typed_label("kirim foto", labels) is None
    assert typed_label("lapor", labels) is None


@pytest.mark.parametrize(
    "text",
    [
        "terus tiap malem yg beli pada mabok di situ sampe teriak2 ganggu warga",
        "sayur ulun habis dimakan, sudah ulun bapadah lawan urangnya tapi kada diurusiakan",
        "Suaranya sangat keras sampai jamaah yang sedang tadarus terganggu, dan ada warga "
        "lanjut usia yang kaget.",
    ],
)
def test_more_of_the_story_at_the_place_question_joins_the_description(text: str) -> None:
    state = at("location", description="ada warung di pinggir jalan yg jual tuak")
    step = advance(state, answer=say(text), now=NOW)
    assert step.slots["description"] == f"ada warung di pinggir jalan yg jual tuak\n{text}"
    assert responses(step) == ["utter_corrected_description"]
    assert step.slots["requested_slot"] == "location"
    # The place is asked again, counted: never more than twice in a row.
    assert step.slots["form_asks"] == {"question": "location", "count": 2}
    again = advance(apply(state, step), answer=say(text), now=NOW)
    assert again.slots["location_mode"] == "pick"


@pytest.mark.parametrize(
    "text", ["di belakang pasar jual", "di rumah pak rt", "rumahnya yg cat hijau sebelah warung"]
)
def test_a_place_the_gazetteer_does_not_know_is_no_story(text: str) -> None:
    step = advance(at("location"), answer=say(text), now=NOW)
    assert responses(step) == ["utter_location_not_found"]


def test_the_place_named_anew_at_another_question_moves_the_report() -> None:
    """No word of error, but the place field and another desa: the pin was the wrong place."""
    state = at("incident_time", location="titik lokasi", location_kecamatan="Tebing Tinggi")
    state["location_desa"] = "Lalayau"
    text = "eh itu lokasi rumah sy min, balihonya di desa sirap kec juai depan masjid"
    step = advance(state, answer=say(text, "nlu_fallback", 0.4), now=NOW)
    assert (step.slots["location_kecamatan"], step.slots["location_desa"]) == ("Juai", "Sirap")
    assert step.slots["location"] == "balihonya di desa sirap kec juai depan masjid"
    assert step.slots["requested_slot"] == "incident_time"
    assert responses(step) == ["utter_location_confirmed"]


def test_the_same_place_named_at_another_question_moves_nothing() -> None:
    state = at("incident_time")
    text = "lokasi nya itu desa batu piring juga kak, pokoknya tiap hari"
    step = advance(state, answer=say(text, "nlu_fallback", 0.4), now=NOW)
    assert step.slots.get("location_desa", "Batu Piring") == "Batu Piring"
    assert "utter_location_confirmed" not in responses(step)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("eh bukan min, maksud sy yg mau dilaporin parkirnya, motor2 pembeli parkir di jalan",
         "parkir_liar"),
        ("maaf keliru, yang saya laporkan itu mirasnya", "miras"),
    ],
)  # fmt: skip
def test_a_correction_naming_another_reported_category_changes_it(text: str, category: str) -> None:
    step = advance(at("location", category="pkl"), answer=say(text, "nlu_fallback", 0.4), now=NOW)
    assert step.slots["category"] == category
    assert step.slots["requested_slot"] == "location"
    assert responses(step) == ["utter_corrected_category"]
