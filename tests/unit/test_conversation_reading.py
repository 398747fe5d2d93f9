"""The simulated citizen reads the assistant like a person: questions, choices, outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from lalisa_common.rasa_domain import load_domain
from tests.conversations.channels import rest_messages, whatsapp_message
from tests.conversations.reading import (
    BotMessage,
    Option,
    Question,
    classify,
    find_option,
    option_category,
    parse_summary,
    read_turn,
)

ASKED_BY_RESPONSE = {
    "utter_greet": Question.MENU,
    "utter_greet_banjar": Question.MENU,
    "utter_ask_category": Question.CATEGORY,
    "utter_ask_description": Question.DESCRIPTION,
    "utter_description_too_short": Question.DESCRIPTION,
    "utter_ask_location": Question.LOCATION,
    "utter_location_not_found": Question.LOCATION,
    "utter_location_outside_balangan": Question.LOCATION,
    "utter_ask_incident_time": Question.TIME,
    "utter_ask_evidence": Question.EVIDENCE,
    "utter_evidence_text_not_media": Question.EVIDENCE,
    "utter_evidence_received": Question.EVIDENCE_MORE,
    "utter_ask_reporter_name": Question.NAME,
    "utter_complaint_summary": Question.SUMMARY,
    "utter_confirmation_unclear": Question.SUMMARY,
    "utter_ask_correction_field": Question.CORRECTION_FIELD,
    "utter_correction_field_unknown": Question.CORRECTION_FIELD,
}
"""Responses of today's domain and the question a citizen reads in them."""

INFORMING = (
    "utter_ask_duties",
    "utter_ask_authority",
    "utter_remit_answer",
    "utter_service_hours",
    "utter_office_contact",
    "utter_how_to_report",
    "utter_confidentiality",
    "utter_emergency",
    "utter_out_of_scope",
    "utter_default",
    "utter_location_confirmed",
    "utter_complaint_submitted",
    "utter_complaint_cancelled",
    "utter_complaint_in_hours",
    "utter_iamabot",
    "utter_goodbye",
    "utter_follow_up",
    "utter_category_unchanged",
)
"""Responses that answer or inform without asking a complaint question."""


def domain_message(name: str) -> BotMessage:
    """The last variant of a domain response (the REST one), as the citizen sees it."""
    responses: dict[str, list[dict[str, Any]]] = load_domain()["responses"]
    variant = responses[name][-1]
    text = str(variant.get("text", "")).format_map(_Blank())
    options = tuple(Option(b["title"], payload=b["payload"]) for b in variant.get("buttons", []))
    return BotMessage(text, options)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "Paringin Kota, Kecamatan Paringin" if key == "place" else "1"


@pytest.mark.parametrize(("response", "question"), sorted(ASKED_BY_RESPONSE.items()))
def test_domain_questions_are_read(response: str, question: Question) -> None:
    assert classify(domain_message(response)) is question


@pytest.mark.parametrize("response", INFORMING)
def test_domain_answers_ask_nothing(response: str) -> None:
    assert classify(domain_message(response)) is None
    assert not read_turn([domain_message(response)]).retry


@pytest.mark.parametrize("kind", ["sticker", "reaction", "unsupported"])
def test_the_channels_own_replies_to_unreadable_input_ask_nothing(kind: str) -> None:
    """The reply lists what La-Lisa reads ("… foto, video"); it asks for no evidence."""
    from lalisa_rasa.channels.texts import REPLIES

    assert classify(BotMessage(REPLIES[kind])) is None


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Lokasinya di mana, Pak/Bu?", Question.LOCATION),
        ("Pilih kecamatan tempat kejadian:", Question.LOCATION),
        ("Kapan itu terjadi? Boleh kira-kira saja.", Question.TIME),
        ("Ada foto kejadiannya? Kirim di sini ya.", Question.EVIDENCE),
        ("Boleh kami tahu nama Anda?", Question.NAME),
        ("Jelaskan singkat apa yang terjadi.", Question.DESCRIPTION),
        ("Termasuk jenis pelanggaran yang mana?", Question.CATEGORY),
        ("Apakah Anda ingin melaporkan pelanggaran?", Question.CONFIRM_REPORT),
        ("Batalkan laporan ini? Balas ya atau tidak.", Question.CONFIRM_CANCEL),
        ("Bagian mana yang mau diubah?", Question.CORRECTION_FIELD),
        ("Terima kasih atas informasinya.", None),
    ],
)
def test_reworded_questions_are_read(text: str, question: Question | None) -> None:
    """Cues are keywords, not sentences: rewording a question keeps it readable."""
    assert classify(BotMessage(text)) is question


def test_category_choices_without_a_cue_word_read_as_the_category_question() -> None:
    message = BotMessage(
        "Mana yang paling sesuai?", (Option("PKL"), Option("Sampah"), Option("Lainnya"))
    )
    assert classify(message) is Question.CATEGORY


def test_the_last_question_of_a_turn_wins() -> None:
    turn = [
        BotMessage("Lokasi tercatat: Hilir Pasar, Kecamatan Lampihong."),
        BotMessage("Kapan kejadiannya? Ketik *lewati* jika tidak tahu."),
    ]
    reading = read_turn(turn)
    assert reading.question is Question.TIME
    assert reading.hints == ("lewati",)


def test_a_digression_answer_then_the_question_again() -> None:
    reading = read_turn(
        [domain_message("utter_confidentiality"), domain_message("utter_ask_location")]
    )
    assert reading.question is Question.LOCATION


def test_ticket_number_and_cancellation_are_noticed() -> None:
    submitted = read_turn([BotMessage("✅ Nomor tiket *LLS-2026-000123*. Simpan nomor ini.")])
    assert submitted.ticket_numbers == ("LLS-2026-000123",)
    assert submitted.question is None
    cancelled = read_turn([domain_message("utter_complaint_cancelled")])
    assert cancelled.cancelled and cancelled.question is None
    asking = read_turn([BotMessage("Batalkan laporan ini? ya/tidak")])
    assert not asking.cancelled and asking.question is Question.CONFIRM_CANCEL


def test_numbered_text_menu_becomes_options() -> None:
    reading = read_turn([BotMessage("Pilih kecamatan:\n1. Awayan\n2. Batu Mandi\n3. Halong")])
    assert reading.question is Question.LOCATION
    assert [(o.title, o.number) for o in reading.options] == [
        ("Awayan", 1),
        ("Batu Mandi", 2),
        ("Halong", 3),
    ]


def test_numbered_explanation_is_not_a_question() -> None:
    assert classify(domain_message("utter_how_to_report")) is None


def test_summary_fields_are_parsed() -> None:
    reading = read_turn([domain_message("utter_complaint_summary")])
    assert reading.question is Question.SUMMARY
    assert set(reading.summary) >= {"jenis", "lokasi", "waktu", "bukti", "nama pelapor"}
    assert parse_summary("• Lokasi: desa Halong (Halong, Kecamatan Halong)") == {
        "lokasi": "desa Halong (Halong, Kecamatan Halong)"
    }


def test_options_are_found_by_word_not_by_substring() -> None:
    options = (Option("Kirim laporan"), Option("Ubah"), Option("Batalkan"))
    assert find_option(options, ("ubah",)) == options[1]
    assert find_option(options, ("batal",)) is None
    assert option_category("Miras / tuak") == "miras"
    assert option_category("Gepeng / pengemis") == "gepeng"
    assert option_category("Kebisingan") == "kebisingan"
    assert option_category("Kirim laporan") is None


def test_rest_replies_become_messages() -> None:
    replies = [
        {"recipient_id": "x", "text": "Halo", "buttons": [{"title": "Lapor", "payload": "/r"}]},
        {"recipient_id": "x", "custom": {"type": "location_request", "text": "Di mana?"}},
    ]
    assert rest_messages(replies) == [
        BotMessage("Halo", (Option("Lapor", payload="/r"),)),
        BotMessage("Di mana?"),
    ]


def test_whatsapp_bodies_become_messages() -> None:
    buttons = {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Kirim?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "b1", "title": "Ya"}}]},
        },
    }
    listing = {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "Jenis?"},
            "action": {"sections": [{"rows": [{"id": "r1", "title": "PKL"}]}]},
        },
    }
    assert whatsapp_message(buttons).options == (
        Option("Ya", reply_id="b1", reply_kind="button_reply"),
    )
    assert whatsapp_message(listing).options == (
        Option("PKL", reply_id="r1", reply_kind="list_reply"),
    )
    assert whatsapp_message({"type": "text", "text": {"body": "Halo"}}).text == "Halo"


def test_a_technical_failure_asks_to_resend() -> None:
    assert read_turn(
        [BotMessage("Maaf, berkas Anda gagal kami terima. Silakan kirim ulang.")]
    ).retry
    assert not read_turn([domain_message("utter_location_not_found")]).retry


def test_a_kept_report_is_not_a_cancellation_and_a_kept_file_asks_for_the_story() -> None:
    kept = BotMessage("Baik, laporan tidak dibatalkan. Kita lanjutkan.")
    assert not read_turn([kept]).cancelled
    assert read_turn([BotMessage("Laporan dibatalkan dan tidak dikirim.")]).cancelled
    for sent in (
        "foto/video sudah kami terima dan akan kami lampirkan",
        "titik lokasi sudah kami terima",
    ):
        message = BotMessage(f"Terima kasih, {sent}. Ceritakan singkat apa yang terjadi.")
        assert classify(message) is Question.DESCRIPTION


def test_a_status_answer_about_an_unknown_number_files_nothing() -> None:
    unknown = BotMessage("Tiket LLS-2026-000031 tidak ditemukan untuk nomor WhatsApp ini.")
    assert read_turn([unknown]).ticket_numbers == ()
    filed = BotMessage("✅ Laporan Anda sudah kami terima dengan nomor tiket *LLS-2026-000002*.")
    assert read_turn([filed]).ticket_numbers == ("LLS-2026-000002",)
