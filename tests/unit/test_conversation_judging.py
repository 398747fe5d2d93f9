"""Judging by the stored ticket, the persona files, and the suite's figures and gate."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lalisa.tickets.categories import CATEGORY_LABELS
from tests.conversations.channels import photo_bytes
from tests.conversations.citizen import Citizen, Record
from tests.conversations.judge import (
    StoredTicket,
    judge,
    name_matches,
    ticket_mismatches,
)
from tests.conversations.personas import (
    HALVES,
    Persona,
    PersonaError,
    gazetteer,
    load_personas,
    parse_persona,
)
from tests.conversations.reading import Question, Reading
from tests.conversations.report import Result, figures, gate

TICKET = StoredTicket(
    number="LLS-2026-000001",
    category="pkl",
    kecamatan="Paringin",
    desa="Paringin Kota",
    time_text="tadi pagi",
    evidence=0,
    name=None,
)


def complaint(**expect: Any) -> Persona:
    return parse_persona(
        {
            "id": "unit-judge",
            "style": "formal",
            "opening": "Ada PKL.",
            "facts": {"category": "PKL", "story": "Lapak di trotoar.", "place": "Paringin Kota"},
            "expect": {
                "category": "pkl",
                "kecamatan": "Paringin",
                "desa": "Paringin Kota",
                "time": True,
                "evidence": 0,
                "name": "anonymous",
                **expect,
            },
        },
        "dev",
        "unit",
    )


def off_topic() -> Persona:
    return parse_persona(
        {
            "id": "unit-off",
            "style": "slang",
            "opening": "hotelnya bau",
            "expect": {"outcome": "no_complaint"},
        },
        "dev",
        "unit",
    )


def test_a_matching_ticket_is_a_success() -> None:
    assert judge(complaint(), Record(), [TICKET]).success


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "gepeng"}, "category"),
        ({"kecamatan": "Halong", "desa": None}, "kecamatan"),
        ({"desa": None}, "desa"),
        ({"desa": "Paringin Timur"}, "desa"),
        ({"time_text": None}, "time"),
        ({"evidence": 1}, "evidence"),
        ({"name": "kada usah"}, "name"),
    ],
)
def test_each_wrong_field_is_named(change: dict[str, Any], field: str) -> None:
    assert ticket_mismatches(complaint().expect, replace(TICKET, **change)) == [field]


def test_a_corrected_time_must_be_the_one_stored() -> None:
    corrected = complaint(time="kemarin sore").expect
    assert ticket_mismatches(corrected, replace(TICKET, time_text="Kemarin sore jam 5")) == []
    assert ticket_mismatches(corrected, TICKET) == ["time"]


def test_tolerances() -> None:
    lenient = complaint(category=["pkl", "lainnya"], desa=None, time=None).expect
    assert ticket_mismatches(lenient, replace(TICKET, category="lainnya", desa=None)) == []
    assert ticket_mismatches(lenient, replace(TICKET, time_text=None)) == []


def test_names() -> None:
    assert name_matches("Rahmat", "rahmat")
    assert name_matches("Hj. Salmah", "Hj Salmah, warga RT 2")
    assert not name_matches("Salmah", "Nama saya Salmah")
    assert not name_matches("Rahmat Hidayat", "Rahmat")
    named = complaint(name="Budi").expect
    assert ticket_mismatches(named, replace(TICKET, name=None)) == ["name"]
    assert ticket_mismatches(named, replace(TICKET, name="Budi")) == []


def test_no_ticket_says_why() -> None:
    lost = Record(cancelled=True, end_reason="cancelled")
    assert judge(complaint(), lost, []).failures == ("no_ticket:cancelled",)
    looped = Record(end_reason="loop:name")
    assert judge(complaint(), looped, []).failures == ("no_ticket:loop:name",)
    twice = judge(complaint(), Record(), [TICKET, TICKET])
    assert not twice.success and twice.failures == ("duplicate_ticket",)


def test_off_topic_success_is_no_complaint_question_and_no_ticket() -> None:
    assert judge(off_topic(), Record(end_reason="done"), []).success
    started = judge(off_topic(), Record(false_start=True), [])
    assert started.failures == ("offtopic:false_start",)
    assert not judge(off_topic(), Record(), [TICKET]).success


def result(persona: Persona, success: bool, turns: int, hits: int = 0, run: int = 1) -> Result:
    record = Record(user_turns=turns, loop_hits=hits, longest_run=run)
    tickets = (TICKET,) if success and not persona.off_topic else ()
    verdict = judge(persona, record, list(tickets))
    if not success and verdict.success:
        verdict = replace(verdict, success=False, failures=("wrong:desa",))
    return Result(persona, record, verdict, tickets, 1.0)


def test_figures_and_gate() -> None:
    results = [result(complaint(), True, 6) for _ in range(18)]
    results += [result(complaint(), False, 9, hits=1, run=4)]
    results += [result(off_topic(), True, 1)]
    figs = figures(results)
    assert figs["task_success"] == 0.95
    assert figs["mean_user_turns_per_filed_complaint"] == pytest.approx((18 * 6) / 18)
    assert figs["max_same_question_in_a_row"] == 4
    assert figs["personas_with_loop_guard_hit"] == 1
    assert figs["off_topic_false_start_rate"] == 0.0
    assert gate(figs) == []
    results.append(result(complaint(), False, 12, hits=2, run=5))
    problems = gate(figures(results))
    assert any("task success" in p for p in problems)
    assert any("loop guard" in p for p in problems)


def test_a_whatsapp_citizen_may_open_with_a_sticker_or_a_photo() -> None:
    persona = parse_persona(
        {
            "id": "unit-media",
            "style": "slang",
            "channel": "whatsapp",
            "opening": ["[sticker]", "[photo]", "ada pkl di trotoar"],
            "facts": {"category": "pkl", "story": "lapak", "place": "paringin", "photos": 1},
            "expect": {
                "category": "pkl",
                "kecamatan": "Paringin",
                "evidence": 1,
                "name": "anonymous",
            },
        },
        "dev2",
        "unit",
    )
    citizen = Citizen(persona)
    assert citizen.first_action().kind == "sticker"
    photo = citizen.next_action(Reading(question=None))
    assert (photo.kind, photo.photo, citizen.photos_sent) == ("photo", 1, 1)
    assert citizen.next_action(Reading(question=None)).text == "ada pkl di trotoar"
    assert citizen.record.user_turns == 3


def test_a_voice_note_is_a_turn_and_then_the_answer_is_typed() -> None:
    """A voice note where the story is due is sent once; the story is typed when asked again."""
    raw: dict[str, Any] = {
        "id": "unit-voice",
        "style": "slang",
        "channel": "whatsapp",
        "opening": "ada pkl di trotoar",
        "facts": {"category": "pkl", "story": "lapak di trotoar", "place": "paringin"},
        "agenda": [{"before": "description", "say": "[voice]"}],
        "expect": {"category": "pkl", "kecamatan": "Paringin", "name": "anonymous"},
    }
    citizen = Citizen(parse_persona(raw, "dev8", "unit"))
    citizen.first_action()
    voice = citizen.next_action(Reading(question=Question.DESCRIPTION))
    assert (voice.kind, voice.shown()) == ("voice", "[voice]")
    assert citizen.next_action(Reading(question=Question.DESCRIPTION)).text == "lapak di trotoar"
    assert citizen.record.user_turns == 3
    with pytest.raises(PersonaError):
        # The REST channel carries text only: a voice note on the agenda is refused on load.
        parse_persona({**raw, "channel": "rest"}, "dev8", "unit")


def test_a_pin_elsewhere_goes_first_and_the_new_ticket_number_fills_the_follow_up() -> None:
    """A pin elsewhere, then the typed place; "{ticket}" becomes the number just given.

    The pin at explicit coordinates stands for a neighbouring kabupaten shared by mistake.
    """
    raw: dict[str, Any] = {
        "id": "unit-pin-elsewhere",
        "style": "slang",
        "channel": "whatsapp",
        "opening": "ada pkl di trotoar",
        "facts": {"category": "pkl", "story": "lapak di trotoar", "place": "paringin"},
        "agenda": [
            {"before": "location", "say": "[pin -2.17300,115.38600 Tanjung]"},
            {"after": "ticket", "say": "status {ticket} gmn min"},
        ],
        "expect": {"category": "pkl", "kecamatan": "Paringin", "name": "anonymous"},
    }
    citizen = Citizen(parse_persona(raw, "dev12", "unit"))
    citizen.first_action()
    pin = citizen.next_action(Reading(question=Question.LOCATION))
    assert (pin.kind, pin.latitude, pin.longitude, pin.label) == ("pin", -2.173, 115.386, "Tanjung")
    assert citizen.next_action(Reading(question=Question.LOCATION)).text == "paringin"
    follow_up = citizen.next_action(Reading(question=None, ticket_numbers=("LLS-2026-000042",)))
    assert follow_up.text == "status LLS-2026-000042 gmn min"
    with pytest.raises(PersonaError):
        # A pin travels on WhatsApp only.
        parse_persona({**raw, "channel": "rest"}, "dev12", "unit")


def test_a_whatsapp_citizen_may_open_with_a_pin_or_a_captioned_photo() -> None:
    persona = parse_persona(
        {
            "id": "unit-pin-caption",
            "style": "slang",
            "channel": "whatsapp",
            "opening": ["[pin]", "[photo] pkl di trotoar"],
            "facts": {
                "category": "pkl",
                "story": "lapak",
                "place": "paringin",
                "pin": "Paringin Kota",
                "photos": 1,
            },
            "expect": {
                "category": "pkl",
                "kecamatan": "Paringin",
                "evidence": 1,
                "name": "anonymous",
            },
        },
        "dev6",
        "unit",
    )
    citizen = Citizen(persona)
    pin = citizen.first_action()
    assert pin.kind == "pin" and citizen.pin_sent
    photo = citizen.next_action(Reading(question=None))
    assert (photo.kind, photo.text, citizen.photos_sent) == ("photo", "pkl di trotoar", 1)
    # The pin already gave the place: asked for it, the citizen types it instead of re-pinning.
    place = citizen.next_action(Reading(question=Question.LOCATION))
    assert (place.kind, place.text) == ("text", "paringin")
    with pytest.raises(PersonaError):
        parse_persona(
            {
                "id": "unit-no-pin",
                "style": "slang",
                "channel": "whatsapp",
                "opening": ["[pin]"],
                "facts": {"category": "pkl", "story": "lapak", "place": "paringin"},
                "expect": {"category": "pkl", "kecamatan": "Paringin", "name": "anonymous"},
            },
            "dev6",
            "unit",
        )


def test_a_photo_promised_for_later_is_sent_once() -> None:
    """A photo said to follow ("nyusul") is sent later, or when asked again, never twice."""
    persona = parse_persona(
        {
            "id": "unit-late-photo",
            "style": "slang",
            "channel": "whatsapp",
            "opening": "ada pkl di trotoar",
            "facts": {"category": "pkl", "story": "lapak", "place": "paringin", "photos": 1},
            "agenda": [
                {"before": "evidence", "say": "ntar fotonya nyusul"},
                {"after": "name", "say": "[photo] ini fotonya"},
            ],
            "expect": {"category": "pkl", "kecamatan": "Paringin", "evidence": 1,
                       "name": "anonymous"},
        },
        "dev7",
        "unit",
    )  # fmt: skip
    later = Citizen(persona)
    later.first_action()
    assert later.next_action(Reading(question=Question.EVIDENCE)).text == "ntar fotonya nyusul"
    assert later.next_action(Reading(question=Question.NAME)).kind == "text"
    photo = later.next_action(Reading(question=Question.SUMMARY))
    assert (photo.kind, photo.text, later.photos_sent) == ("photo", "ini fotonya", 1)
    asked_again = Citizen(persona)
    asked_again.first_action()
    asked_again.next_action(Reading(question=Question.EVIDENCE))
    assert asked_again.next_action(Reading(question=Question.EVIDENCE)).kind == "photo"
    asked_again.next_action(Reading(question=Question.NAME))
    # The planned photo already went: the summary is answered instead.
    assert asked_again.next_action(Reading(question=Question.SUMMARY)).kind == "text"
    assert asked_again.photos_sent == 1


def test_a_message_after_the_ticket_must_not_open_a_new_form() -> None:
    persona = parse_persona(
        {
            "id": "unit-after-ticket",
            "style": "slang",
            "opening": "ada pkl di trotoar",
            "facts": {"category": "pkl", "story": "lapak", "place": "paringin"},
            "agenda": [{"after": "ticket", "say": "udh masuk blm min?"}],
            "expect": {"category": "pkl", "kecamatan": "Paringin", "name": "anonymous"},
        },
        "dev3",
        "unit",
    )
    filed = Reading(question=None, ticket_numbers=("LLS-2026-000001",))
    citizen = Citizen(persona)
    citizen.first_action()
    follow_up = citizen.next_action(filed)
    assert (follow_up.kind, follow_up.text) == ("text", "udh masuk blm min?")
    assert citizen.record.user_turns == 1  # the follow-up is not a turn of the complaint
    assert citizen.next_action(filed).kind == "end"
    assert judge(persona, citizen.record, [TICKET]).success
    restarted = Citizen(persona)
    restarted.first_action()
    restarted.next_action(filed)
    assert restarted.next_action(Reading(question=Question.CATEGORY)).kind == "end"
    verdict = judge(persona, restarted.record, [TICKET])
    assert verdict.failures == ("after_ticket:form_restarted",)


def test_malformed_personas_are_refused() -> None:
    base: dict[str, Any] = {
        "id": "unit-bad",
        "style": "slang",
        "opening": "ada pkl",
        "facts": {"category": "pkl", "story": "lapak", "place": "paringin"},
        "expect": {"category": "pkl", "kecamatan": "Paringin", "name": "anonymous"},
    }
    parse_persona(base, "dev", "unit")
    bad_cases = [
        {**base, "facts": {**base["facts"], "pin": "Hilir Pasar"}},  # a pin over REST
        {**base, "expect": {**base["expect"], "kecamatan": "Banjarmasin"}},
        {**base, "expect": {**base["expect"], "desa": "Halong"}},  # desa of another kecamatan
        {**base, "expect": {**base["expect"], "category": "judi"}},
        {**base, "style": "jawa"},
        {**base, "agenda": [{"before": "lokasi", "say": "x"}]},
        {**base, "agenda": [{"before": "ticket", "say": "x"}]},  # only after the ticket
        {**base, "expect": {**base["expect"], "evidence": 1}},  # no photo to send
        {k: v for k, v in base.items() if k != "opening"},
        {**base, "opening": ["[sticker]", "ada pkl"]},  # a sticker over REST
    ]
    for bad in bad_cases:
        with pytest.raises(PersonaError):
            parse_persona(bad, "dev", "unit")


def test_photos_differ_and_stay_jpeg() -> None:
    first, second = photo_bytes("a", 1), photo_bytes("a", 2)
    assert first != second and first[:2] == b"\xff\xd8" and first[-2:] == b"\xff\xd9"


def test_a_key_of_say_that_is_not_text_is_refused_with_a_clear_error() -> None:
    """A phrase kept under True (a bare YAML ``yes:``) would silently never be sent."""
    raw: dict[str, Any] = {
        "id": "unit-say-key",
        "style": "slang",
        "opening": "ada pkl min",
        "facts": {"category": "pkl", "story": "lapak di trotoar", "place": "paringin"},
        "expect": {"category": "pkl", "kecamatan": "Paringin", "name": "anonymous"},
    }
    assert parse_persona({**raw, "say": {"yes": "kirim laporn"}}, "dev", "unit").say == {
        "yes": ("kirim laporn",)
    }
    for key in (True, 1, None):
        with pytest.raises(PersonaError, match=r"say: the key .* is not text.*quote it"):
            parse_persona({**raw, "say": {key: "kirim laporn"}}, "dev", "unit")


def test_a_bare_yes_key_in_a_persona_file_is_the_word_yes(tmp_path: Path) -> None:
    """``say: {yes: …}`` unquoted reads as the word; values keep their YAML reading."""
    (tmp_path / "dev15").mkdir()
    (tmp_path / "dev15" / "unit.yml").write_text(
        """personas:
  - id: unit-bare-yes
    style: slang
    taps: false
    opening: "ada pkl min"
    facts: {category: pkl, story: "lapak di trotoar", place: paringin}
    say:
      yes: ["kirim laporn", "kirim laporan"]
      no_photo: "ga ada"
    expect: {category: pkl, kecamatan: Paringin, name: anonymous}
""",
        encoding="utf-8",
    )
    (persona,) = load_personas(tmp_path, ("dev15",))
    assert persona.say == {"yes": ("kirim laporn", "kirim laporan"), "no_photo": ("ga ada",)}
    assert persona.taps is False


# --- the persona set itself -------------------------------------------------------------


@pytest.fixture(scope="module")
def everyone() -> list[Persona]:
    return load_personas()


def test_persona_set_is_large_and_split_in_two_halves(everyone: list[Persona]) -> None:
    halves = Counter(p.half for p in everyone)
    split = halves["dev"] + halves["holdout"]
    assert split >= 160
    assert set(halves) == set(HALVES)
    assert abs(halves["dev"] - halves["holdout"]) <= split // 10
    # The second author's dev set: as large as a half, written apart from dev and data/.
    assert 80 <= halves["dev2"] <= 120
    # The third author's set, aimed at what the first two under-covered.
    assert 60 <= halves["dev3"] <= 90
    # The fourth author's set, aimed at what the first three under-covered.
    assert 50 <= halves["dev4"] <= 70
    # The fifth author's set: indirect openings, questions at a form step, all in one message.
    assert 50 <= halves["dev5"] <= 70
    # The sixth author's set: WhatsApp media, digressions, summary changes, Banjar Hulu.
    assert 50 <= halves["dev6"] <= 70
    # The seventh author's set: proxies, repeats, directions, emoji, caps, late photos.
    assert 60 <= halves["dev7"] <= 70
    # The eighth author's set: map links, voice notes, bursts, times in words, English, ASN.
    assert 60 <= halves["dev8"] <= 70
    # The ninth author's set: next facts early, landmarks, lists, quotes, nudges, letters.
    assert 60 <= halves["dev9"] <= 70
    # The eleventh author's set: hesitant and split openings, trailing remarks, busy citizens.
    assert 60 <= halves["dev11"] <= 70
    # The tenth author's set: summary changes, typed and numbered choices, evidence, names.
    assert 60 <= halves["dev10"] <= 70
    # The twelfth author's set: WhatsApp media and pins, turns after the ticket, mixed registers.
    assert 60 <= halves["dev12"] <= 70
    # The thirteenth author's set: an ordinary month of messages, all registers and categories.
    assert 60 <= halves["dev13"] <= 70
    # The fourteenth author's set: the kind of problem in citizens' words, the agency's remit.
    assert 60 <= halves["dev14"] <= 70
    # The fifteenth author's set: the citizen's own slips, repeats, changes of mind, emoji.
    assert 60 <= halves["dev15"] <= 70
    readme = Path(__file__).resolve().parents[1] / "conversations/personas/holdout/README.md"
    assert "do not read" in readme.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("half", HALVES)
def test_each_half_covers_categories_places_styles_and_channels(
    everyone: list[Persona], half: str
) -> None:
    mine = [p for p in everyone if p.half == half]
    complaints = [p for p in mine if not p.off_topic]
    assert {p.expect.categories[0] for p in complaints} == set(CATEGORY_LABELS)
    assert {p.expect.kecamatan for p in complaints} == set(gazetteer()[0])
    assert {p.style for p in mine} == {"formal", "slang", "banjar"}
    whatsapp = [p for p in mine if p.channel == "whatsapp"]
    assert len(whatsapp) >= 0.15 * len(mine)
    assert any(p.facts.pin for p in whatsapp) and any(p.facts.photos for p in whatsapp)
    assert 0.15 <= sum(p.off_topic for p in mine) / len(mine) <= 0.20
    moments = {(item.moment, item.question) for p in mine for item in p.agenda}
    assert ("at", "summary") in moments
    assert any(m == "after" for m, _ in moments) and any(m == "before" for m, _ in moments)
    assert any(p.facts.name is None for p in complaints)
    assert any(not p.facts.time for p in complaints)
