"""The simulated citizen answers from its facts, follows its agenda and keeps honest figures."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from lalisa.intake.answers import slip_repairs
from tests.conversations.citizen import GIVE_UP_AFTER, Action, Citizen
from tests.conversations.personas import Persona, parse_persona
from tests.conversations.reading import BotMessage, Option, Reading, read_turn
from tests.conversations.style import PHRASES, SLIP_MIN_LETTERS, Typist, Voice

SUMMARY = BotMessage(
    "Mohon periksa laporan Anda:\n• Jenis: Pedagang kaki lima (PKL) di tempat terlarang\n"
    "• Lokasi: depan pasar (Paringin Kota, Kecamatan Paringin)\n\n"
    "Apakah laporan ini sudah benar dan siap dikirim?",
    (Option("Kirim laporan", "/affirm"), Option("Ubah", "/deny"), Option("Batalkan", "/cancel")),
)
LOCATION = BotMessage("Di mana lokasinya? Ketik nama desa/kelurahan.")
TIME = BotMessage("Kapan kejadiannya? Ketik *lewati* jika tidak tahu.")
EVIDENCE = BotMessage(
    "Jika ada, kirim foto atau video sebagai bukti. Ketik *lewati* jika tidak ada."
)
NAME = BotMessage("Siapa nama Anda? Ketik *lewati* jika tidak ingin menyebutkan nama.")
FIELD = BotMessage("Bagian mana yang ingin diubah?", (Option("Lokasi", "lokasi"), Option("Waktu")))
TICKET = BotMessage("✅ Laporan Anda sudah kami terima dengan nomor tiket *LLS-2026-000001*.")


def persona(**changes: Any) -> Persona:
    raw: dict[str, Any] = {
        "id": "unit-pkl",
        "style": "slang",
        "opening": "ada pkl di trotoar pasar paringin",
        "facts": {
            "category": "pkl",
            "story": "lapak pedagang di trotoar",
            "place": ["depan pasar paringin kota", "pasar paringin"],
            "time": "tadi pagi",
            "name": None,
        },
        "expect": {"category": "pkl", "kecamatan": "Paringin", "evidence": 0, "name": "anonymous"},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return parse_persona(raw, "dev", "unit")


def turn(*messages: BotMessage) -> Reading:
    return read_turn(list(messages))


def play(citizen: Citizen, *turns: Reading) -> list[Action]:
    actions = [citizen.first_action()]
    for reading in turns:
        actions.append(citizen.next_action(reading))
    return actions


def test_a_plain_complaint_answers_each_question_and_taps_send() -> None:
    citizen = Citizen(persona())
    actions = play(
        citizen,
        turn(LOCATION),
        turn(BotMessage("Lokasi tercatat: Paringin Kota, Kecamatan Paringin."), TIME),
        turn(EVIDENCE),
        turn(NAME),
        turn(SUMMARY),
        turn(TICKET),
    )
    assert actions[1].text == "depan pasar paringin kota"
    assert actions[2].text == "tadi pagi"
    assert actions[3].text in PHRASES["no_photo"]["slang"]
    assert actions[4].text in PHRASES["no_name"]["slang"]
    assert actions[5].kind == "tap" and actions[5].option is not None
    assert actions[5].option.title == "Kirim laporan"
    assert actions[6] == Action("end", reason="ticket")
    record = citizen.record
    assert record.user_turns == 6
    assert record.ticket_numbers == ["LLS-2026-000001"]
    assert record.loop_hits == 0 and record.longest_run == 1


def test_the_citizen_never_types_an_intent_payload() -> None:
    citizen = Citizen(persona(taps=False))
    actions = play(citizen, turn(LOCATION), turn(TIME), turn(EVIDENCE), turn(NAME), turn(SUMMARY))
    assert all(a.kind == "text" and not a.text.startswith("/") for a in actions)
    assert actions[-1].text in PHRASES["yes"]["slang"]


def test_a_repeated_question_gets_other_words_then_the_citizen_gives_up() -> None:
    citizen = Citizen(persona())
    actions = play(citizen, *[turn(EVIDENCE)] * GIVE_UP_AFTER)
    answers = [a.text for a in actions[1:-1]]
    assert len(set(answers)) > 1, "a citizen who is not understood rephrases"
    assert "lewati" not in answers, "only a persona that follows hints types the hint"
    assert actions[-1] == Action("end", reason="loop:evidence")
    assert citizen.record.loop_hits == 1
    assert citizen.record.longest_run == GIVE_UP_AFTER


def test_a_hint_follower_types_the_suggested_word_on_the_second_ask() -> None:
    citizen = Citizen(persona(follows_hints=True))
    actions = play(citizen, turn(EVIDENCE), turn(EVIDENCE))
    assert actions[1].text != "lewati"
    assert actions[2].text == "lewati"


def test_a_place_that_is_not_understood_is_rephrased_then_said_plainly() -> None:
    citizen = Citizen(persona(expect={"desa": "Paringin Kota"}))
    actions = play(citizen, turn(LOCATION), turn(LOCATION), turn(LOCATION), turn(LOCATION))
    assert [a.text for a in actions[1:3]] == ["depan pasar paringin kota", "pasar paringin"]
    assert "paringin kota" in actions[3].text and "paringin" in actions[3].text
    assert actions[4].text.startswith("kec") and "paringin" in actions[4].text.lower()


def test_a_digression_comes_before_the_first_answer_which_stays_the_first() -> None:
    citizen = Citizen(persona(agenda=[{"before": "location", "say": "ini rahasia kan?"}]))
    actions = play(citizen, turn(LOCATION), turn(LOCATION), turn(TIME))
    assert [a.text for a in actions[1:]] == [
        "ini rahasia kan?",
        "depan pasar paringin kota",
        "tadi pagi",
    ]


def test_a_correction_after_an_answer_changes_the_facts() -> None:
    citizen = Citizen(
        persona(
            agenda=[
                {
                    "after": "location",
                    "say": "eh salah, lokasinya di desa halong",
                    "fact": "place",
                    "value": "desa halong",
                }
            ],
            expect={"kecamatan": "Halong"},
        )
    )
    actions = play(citizen, turn(LOCATION), turn(TIME), turn(TIME), turn(LOCATION))
    assert [a.text for a in actions[1:4]] == [
        "depan pasar paringin kota",
        "eh salah, lokasinya di desa halong",
        "tadi pagi",
    ]
    assert actions[4].text == "desa halong"


def test_a_correction_after_the_location_comes_when_the_place_is_taken_from_the_story() -> None:
    """The form took the place from the opening ("Lokasi tercatat"): the correction comes now."""
    citizen = Citizen(
        persona(
            agenda=[
                {
                    "after": "location",
                    "say": "eh salah, lokasinya di desa halong",
                    "fact": "place",
                    "value": "desa halong",
                }
            ],
            expect={"kecamatan": "Halong"},
        )
    )
    taken = BotMessage("Lokasi tercatat: Paringin Kota, Kecamatan Paringin.")
    actions = play(citizen, turn(taken, TIME), turn(TIME), turn(LOCATION))
    assert [a.text for a in actions[1:4]] == [
        "eh salah, lokasinya di desa halong",
        "tadi pagi",
        "desa halong",
    ]


def test_a_change_at_the_summary_taps_change_then_the_field_then_gives_the_new_value() -> None:
    citizen = Citizen(
        persona(
            agenda=[{"at": "summary", "fact": "place", "value": "desa halong"}],
            expect={"kecamatan": "Halong"},
        )
    )
    actions = play(citizen, turn(SUMMARY), turn(FIELD), turn(LOCATION), turn(SUMMARY))
    titles = [a.option.title if a.option else a.text for a in actions[1:]]
    assert titles == ["Ubah", "Lokasi", "desa halong", "Kirim laporan"]


def test_a_change_in_the_citizens_words_is_sent_as_typed() -> None:
    citizen = Citizen(
        persona(
            agenda=[{"at": "summary", "fact": "time", "say": "waktunya salah", "value": "kemarin"}]
        )
    )
    actions = play(citizen, turn(SUMMARY), turn(TIME))
    assert [a.text for a in actions[1:]] == ["waktunya salah", "kemarin"]


def test_a_citizen_who_checks_the_summary_asks_to_fix_a_wrong_category() -> None:
    citizen = Citizen(persona(checks_summary=True, expect={"category": "sampah"}))
    actions = play(citizen, turn(SUMMARY))
    assert actions[1].option is not None and actions[1].option.title == "Ubah"


def test_photos_picked_together_arrive_as_a_burst() -> None:
    citizen = Citizen(persona(channel="whatsapp", facts={"photos": 2}, expect={"evidence": 2}))
    actions = play(
        citizen,
        turn(EVIDENCE),
        turn(BotMessage("Foto/video diterima (1 file).")),
        turn(NAME),
    )
    assert [a.kind for a in actions[1:3]] == ["photo", "photo"]
    assert [a.photo for a in actions[1:3]] == [1, 2]
    assert actions[3].text in PHRASES["no_name"]["slang"]


def test_a_whatsapp_citizen_shares_a_pin_first() -> None:
    citizen = Citizen(persona(channel="whatsapp", facts={"pin": "Hilir Pasar", "place": None}))
    actions = play(citizen, turn(LOCATION))
    assert actions[1].kind == "pin"
    assert -2.6 < actions[1].latitude < -2.0 and 115.3 < actions[1].longitude < 115.9


def test_an_offered_choice_is_tapped_by_its_title_or_number() -> None:
    citizen = Citizen(persona(expect={"desa": "Paringin Kota"}))
    menu = turn(BotMessage("Pilih kecamatan:\n1. Halong\n2. Paringin\n3. Juai"))
    actions = play(citizen, menu)
    assert actions[1].kind == "tap" and actions[1].option is not None
    assert actions[1].option.number == 2


def test_an_off_topic_citizen_declines_and_stops_at_a_complaint_question() -> None:
    off = parse_persona(
        {
            "id": "unit-off",
            "style": "banjar",
            "opening": ["listrik padam pulang", "kayapa PLN ngini"],
            "expect": {"outcome": "no_complaint"},
        },
        "dev",
        "unit",
    )
    citizen = Citizen(off)
    ask = turn(BotMessage("Apakah Anda ingin melaporkan pelanggaran?"))
    actions = play(citizen, ask)
    assert actions[1].text in PHRASES["not_a_report"]["banjar"]
    assert citizen.next_action(turn(LOCATION)) == Action("end", reason="false_start")
    assert citizen.record.false_start


def test_an_unasked_cancellation_is_recorded() -> None:
    citizen = Citizen(persona())
    play(citizen, turn(BotMessage("Laporan dibatalkan dan tidak dikirim.")))
    assert citizen.record.cancelled and citizen.record.end_reason == "cancelled"


def test_same_persona_same_words_every_run() -> None:
    def words() -> list[str]:
        citizen = Citizen(persona())
        return [a.shown() for a in play(citizen, turn(EVIDENCE), turn(EVIDENCE), turn(NAME))]

    assert words() == words()


def test_voice_styles() -> None:
    slang = Voice("slang", random.Random(1))
    text = slang.render("Sudah, itu saja fotonya.")
    assert text == text.lower() and not text.endswith(".")
    formal = Voice("formal", random.Random(1))
    assert formal.render("Tidak ada foto.") == "Tidak ada foto."
    own = Voice("banjar", random.Random(1), {"yes": ("jadi ai",)})
    assert own.phrase("yes") == "jadi ai"
    first, second = formal.phrase("no_photo", 0), formal.phrase("no_photo", 1)
    assert first != second and {first, second} <= set(PHRASES["no_photo"]["formal"])


def test_a_failed_photo_is_sent_again() -> None:
    citizen = Citizen(persona(channel="whatsapp", facts={"photos": 1}, expect={"evidence": 1}))
    failed = turn(
        BotMessage(
            "Maaf, berkas Anda gagal kami terima karena gangguan teknis. "
            "Silakan coba kirim ulang beberapa saat lagi."
        )
    )
    actions = play(citizen, turn(EVIDENCE), failed, turn(NAME))
    assert [a.kind for a in actions[1:3]] == ["photo", "photo"]
    assert actions[2].photo == 1


def test_a_change_that_was_not_taken_is_asked_for_again_then_nothing_more() -> None:
    citizen = Citizen(
        persona(
            agenda=[{"at": "summary", "fact": "time", "say": "ubah jamnya", "value": "kemarin"}]
        )
    )
    actions = play(citizen, turn(SUMMARY), turn(SUMMARY), turn(FIELD), turn(TIME), turn(FIELD))
    shown = [a.shown() for a in actions[1:]]
    assert shown[:4] == ["ubah jamnya", "[tap] Ubah", "[tap] Waktu", "kemarin"]
    assert shown[4] in PHRASES["no_change"]["slang"]


def test_a_cycle_of_questions_ends_the_conversation() -> None:
    citizen = Citizen(persona())
    cycle = [turn(FIELD), turn(LOCATION)] * 7
    actions = play(citizen, *cycle)
    assert actions[-1].kind == "end" and actions[-1].reason.startswith("loop:")
    assert citizen.record.loop_hits == 0


def test_a_change_in_own_words_that_shows_in_the_summary_is_done() -> None:
    citizen = Citizen(
        persona(
            agenda=[
                {
                    "at": "summary",
                    "fact": "place",
                    "say": "eh kecamatannya salah, harusnya juai",
                    "value": "kecamatan juai",
                }
            ],
            expect={"kecamatan": "Juai"},
        )
    )
    before = BotMessage("Mohon periksa laporan Anda:\n• Lokasi: desa halong (Kecamatan Halong)")
    after = BotMessage("Mohon periksa laporan Anda:\n• Lokasi: desa halong (Kecamatan Juai)")
    actions = play(citizen, turn(before), turn(after))
    assert actions[1].text == "eh kecamatannya salah, harusnya juai"
    assert actions[2].option is None and actions[2].text in PHRASES["yes"]["slang"]


def _walk(citizen: Citizen) -> list[Action]:
    return play(
        citizen,
        turn(LOCATION),
        turn(TIME),
        turn(EVIDENCE),
        turn(NAME),
        turn(SUMMARY),
        turn(TICKET),
    )


def test_no_noise_is_the_run_without_noise() -> None:
    plain = [a.shown() for a in _walk(Citizen(persona(), "1"))]
    assert [a.shown() for a in _walk(Citizen(persona(), "1", noise=0.0))] == plain


def test_noise_changes_typed_words_only_and_is_repeatable() -> None:
    def walk() -> list[Action]:
        return _walk(Citizen(persona(facts={"name": "Rahmat Hidayat"}), "1", noise=1.0))

    plain = _walk(Citizen(persona(facts={"name": "Rahmat Hidayat"}), "1"))
    noisy = walk()
    assert [a.shown() for a in walk()] == [a.shown() for a in noisy]
    # Same kinds of action, same persona choices; every typed message perturbed but its own
    # name, which the ticket stores as typed.
    assert [a.kind for a in noisy] == [a.kind for a in plain]
    typed = [(p.text, n.text) for p, n in zip(plain, noisy, strict=True) if p.kind == "text"]
    names = [n for p, n in typed if p == "Rahmat Hidayat"]
    assert names and all(n.lower() == "rahmat hidayat" for n in names)
    assert all(p != n for p, n in typed if p != "Rahmat Hidayat")
    taps = [(p.option, n.option) for p, n in zip(plain, noisy, strict=True) if p.kind == "tap"]
    assert taps and all(p == n for p, n in taps)


def _typist(protected: frozenset[str] = frozenset(), seed: int = 3) -> Typist:
    return Typist(1.0, random.Random(seed), protected)


def test_a_slip_drops_doubles_or_swaps_one_letter_of_a_long_word() -> None:
    seen = set()
    for seed in range(40):
        typed = _typist(seed=seed)._apply("slip", "ada pedagang di trotoar")
        words = typed.split(" ")
        assert words[0] == "ada" and words[2] == "di"
        changed = [
            w for w, o in zip(words, ("ada", "pedagang", "di", "trotoar"), strict=True) if w != o
        ]
        assert len(changed) == 1
        original = "pedagang" if words[1] != "pedagang" else "trotoar"
        assert abs(len(changed[0]) - len(original)) <= 1 and changed[0][0] == original[0]
        seen.add(len(changed[0]) - len(original))
    assert seen == {-1, 0, 1}


def test_short_and_protected_words_keep_their_letters() -> None:
    typist = _typist(frozenset({"paringin", "selatan"}))
    text = "di Paringin Selatan ya"
    assert not typist._applies("slip", text)
    assert typist._apply("slip", text) == text
    assert not typist._applies("stretch", "desa Paringin")
    assert all(len(w) < SLIP_MIN_LETTERS for w in "ya di itu kok".split())
    assert not typist._applies("slip", "ya di itu kok")


def test_the_other_slips() -> None:
    typist = _typist()
    assert typist._apply("no_space", "Ya, sudah benar. Kirim.") == "Ya,sudah benar.Kirim."
    assert typist._apply("lower", "Desa Juai") == "desa juai"
    stretched = typist._apply("stretch", "iya min!")
    assert stretched in ("iya minnn!", "iya minn!")
    assert not typist._applies("no_space", "iya bener")
    assert not typist._applies("lower", "iya bener")


def test_a_held_letter_is_the_last_key_and_no_slip_falls_inside_it() -> None:
    # Slipping after holding made "kokkk" into "kkkk" and "kirimmm" into "kirmimm": nobody
    # types that for "kok" or "kirim". A slip comes first, the held letter last.
    for seed in range(300):
        typed = _typist(seed=seed).type("udh bener kirim kok")
        assert re.search(r"\bkok+$", typed), typed
        sent = typed.split(" ")[2]
        assert sent == "kirim" or "kirim" in slip_repairs(sent), typed


def test_a_rate_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError):
        Typist(1.5, random.Random(0), frozenset())


def test_a_change_to_the_value_the_summary_already_shows_is_not_asked_again() -> None:
    # "jenisnya bukan itu min, ini PKL" when the summary already says PKL: the assistant says
    # so, the summary comes back the same, and a person sees it is right and sends it.
    citizen = Citizen(
        persona(
            agenda=[
                {
                    "at": "summary",
                    "fact": "category",
                    "say": "jenisnya bukan itu min, ini pkl",
                    "value": "pkl",
                }
            ]
        )
    )
    unchanged = BotMessage(
        "Jenis laporan sudah tercatat sebagai *Pedagang kaki lima (PKL) di tempat terlarang*."
    )
    actions = play(citizen, turn(SUMMARY), turn(unchanged, SUMMARY))
    assert actions[1].text == "jenisnya bukan itu min, ini pkl"
    assert actions[2].option is not None and actions[2].option.title == "Kirim laporan"
