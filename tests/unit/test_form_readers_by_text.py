"""The form's step readers decide by the citizen's words where the words are clear.

The intent classifier (DIET) moves with every change of the training data: the same short
message can come back as ``cancel``, ``deny``, ``ask_confidentiality`` or ``out_of_scope``
from one model to the next. These tests give each message several intents, the likely ones and
misleading ones, and expect the same reading every time. The phrasings are written for these
tests (Indonesian, WhatsApp slang, Banjar Hulu), not taken from the simulated citizens.
"""

from __future__ import annotations

import pytest

from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import Answer
from lalisa.intake.readers.evidence import asks_if_required, refuses_evidence
from lalisa.intake.readers.name import refuses_name
from lalisa.intake.readers.signal import (
    complaint_signal,
    frame_of_no_report,
    tells_no_incident,
    thanks_for_a_handled_report,
)
from lalisa.intake.readers.yes_no import reads_cancel
from lalisa.intake.step_questions import HELP_RESPONSES, names_digression
from tests.unit.test_form_flow import NOW, at, responses, say

# Intents DIET has given short questions and remarks at a form step.
MISLEADING_INTENTS = (
    "cancel",
    "deny",
    "affirm",
    "out_of_scope",
    "nlu_fallback",
    "ask_confidentiality",
    "ask_how_to_report",
    "request_human",
    "report_complaint",
)


# ------------------------------------------------------------------ questions, not refusals


@pytest.mark.parametrize(
    "text",
    [
        "nama asli wajib kah?",
        "harus pakai nama ktp ga kak?",
        "hrs nm asli y min?",
        "nama lengkap perlu kah",
        "ngaran asli harus kah pian?",
        "boleh pakai nama panggilan?",
        "ga harus nama asli kan min?",
        "musti sesuai ktp gak namanya?",
    ],
)
def test_a_question_about_the_name_is_no_refusal(text: str) -> None:
    assert not refuses_name(text)


@pytest.mark.parametrize("text", MISLEADING_INTENTS)
@pytest.mark.parametrize(
    "question", ["nama asli wajib kah?", "hrs nm asli y min?", "ngaran asli harus kah pian?"]
)
def test_a_name_question_gets_the_name_help_whatever_the_intent(question: str, text: str) -> None:
    step = advance(at("reporter_name"), answer=say(question, text, 0.93), now=NOW)
    assert not step.interrupt
    assert responses(step) == [HELP_RESPONSES["reporter_name"]]
    assert step.slots["requested_slot"] == "reporter_name"
    assert "reporter_name" not in step.slots
    assert "cancel_requested" not in step.slots and "complaint_outcome" not in step.slots


@pytest.mark.parametrize(
    "text",
    [
        "ga usah pakai nama ya",
        "kada usah disabut",
        "tanpa nama boleh?",
        "lapor tanpa nama aja min",
        "anonim aja bisa?",
        "jangan ditulis namaku",
    ],
)
def test_refusals_stay_refusals_even_when_asked(text: str) -> None:
    assert refuses_name(text)


@pytest.mark.parametrize(
    "text",
    [
        "fotonya wajib ga?",
        "videonya harus ada kah?",
        "perlu kah gambar min",
        "bukti foto diwajibkan kah pian?",
        "harus ada foto gk kak?",
    ],
)
def test_a_question_about_the_photo_is_no_refusal(text: str) -> None:
    assert asks_if_required(text)
    assert not refuses_evidence(text)


@pytest.mark.parametrize(
    "text",
    [
        "ga ada foto, gpp kan?",
        "kadada gambar, kada papa lah",
        "belum sempat motret min",
        "tanpa foto bisa kah?",
        "ga perlu foto kan",
    ],
)
def test_no_photo_said_with_a_question_is_still_a_refusal(text: str) -> None:
    assert not asks_if_required(text)
    assert refuses_evidence(text)


@pytest.mark.parametrize("intent", MISLEADING_INTENTS)
def test_a_photo_question_gets_the_evidence_help_whatever_the_intent(intent: str) -> None:
    step = advance(at("evidence"), answer=say("fotonya wajib ga?", intent, 0.93), now=NOW)
    assert not step.interrupt
    assert responses(step) == [HELP_RESPONSES["evidence"]]
    assert step.slots["requested_slot"] == "evidence"
    assert "evidence" not in step.slots


def test_a_question_naming_its_digression_keeps_the_digression() -> None:
    """A question about confidentiality in its own words is answered by the rules."""
    text = "nama saya aman kan? identitasnya dirahasiakan?"
    assert names_digression("ask_confidentiality", text)
    step = advance(at("reporter_name"), answer=say(text, "ask_confidentiality", 0.9), now=NOW)
    assert step.interrupt


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("ask_confidentiality", "hrs nama asli ga min?"),
        ("request_human", "fotonya wajib kah?"),
        ("ask_service_hours", "alamat lengkap harus kah?"),
    ],
)
def test_an_intent_guessed_for_a_step_question_is_not_named(intent: str, text: str) -> None:
    assert not names_digression(intent, text)


# ------------------------------------------------------------------ cancelling


@pytest.mark.parametrize(
    "text",
    [
        "batalin aja min",
        "ga jd lapor deh",
        "kada jadi ai",
        "ulun kada jadi malapor, batalakan haja",
        "gajadi kak",
        "udahan aja",
        "stop dulu",
        "sy ga mau melanjutkan laporan ini",
        "kada usah dilanjutakan",
    ],
)
def test_cancel_words_cancel(text: str) -> None:
    assert reads_cancel(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "rahasia kan?",
        "ini aman kan min?",
        "jangan dibatalkan",
        "ga usah dibatalin",
        "motornya berhenti di depan pasar terus balapan lagi",
        "kami warga sudah capek tiap malam ribut terus",
    ],
)
def test_questions_and_sentences_without_cancel_words_do_not_cancel(text: str) -> None:
    assert reads_cancel(text) is False


@pytest.mark.parametrize("text", ["udah ah", "sudahlah", "ya sudah"])
def test_a_short_unclear_line_is_left_to_the_intent(text: str) -> None:
    assert reads_cancel(text) is None


@pytest.mark.parametrize("intent", ["cancel", "deny", "ask_confidentiality"])
def test_a_question_read_as_cancel_does_not_cancel(intent: str) -> None:
    step = advance(at("location"), answer=say("ini rahasia kan?", intent, 0.97), now=NOW)
    assert "cancel_requested" not in step.slots
    assert "complaint_outcome" not in step.slots


@pytest.mark.parametrize("intent", ["deny", "nlu_fallback", "out_of_scope", "affirm"])
def test_cancel_words_cancel_whatever_the_intent(intent: str) -> None:
    step = advance(at("reporter_name"), answer=say("ga jd lapor deh min", intent, 0.9), now=NOW)
    assert step.slots["cancel_requested"] is True
    assert step.slots["requested_slot"] == "cancel_confirmation"
    assert "reporter_name" not in step.slots


def test_cancel_words_at_the_photo_step_cancel_but_no_photo_is_no_photo() -> None:
    step = advance(at("evidence"), answer=say("kada jadi ai", "deny", 0.9), now=NOW)
    assert step.slots["requested_slot"] == "cancel_confirmation"
    step = advance(at("evidence"), answer=say("ga jadi motret, takut", "cancel", 0.9), now=NOW)
    assert step.slots["evidence"] == "-"


def test_an_unclear_line_is_a_cancel_only_when_the_intent_is_clear() -> None:
    step = advance(at("location"), answer=say("udah ah", "cancel", 0.92), now=NOW)
    assert step.slots["requested_slot"] == "cancel_confirmation"
    step = advance(at("location"), answer=say("udah ah", "cancel", 0.6), now=NOW)
    assert "cancel_requested" not in step.slots


# ------------------------------------------------------------------ no incident, no report


@pytest.mark.parametrize(
    "text",
    [
        "kesel bgt sumpah",
        "Mohon maaf mengganggu waktunya.",
        "hadeh parah banar",
        "astaghfirullah capek bgt hari ini",
        "apa kabar min, sehat?",
        "udh sarapan blm min",
        "kzl bgt asli",
        # Hesitation before the story: asked whether to report, not "belum memahami".
        "maaf min sy perempuan, mau cerita tp agak malu ngomongnya",
        "maaf min mau cerita tp takut",
        "ulun takutan, supan jua",
    ],
)
def test_lines_of_feeling_or_courtesy_tell_no_incident(text: str) -> None:
    assert tells_no_incident(text)
    assert complaint_signal(text, intent_confidence=0.99, category_confidence=0.9) == "weak"


@pytest.mark.parametrize(
    "text",
    [
        "berisik bgt tiap malam",
        "ada balap liar",
        "sampah numpuk di pinggir jalan",
        "urang bakaraoke sampai tangah malam",
        "kesel bgt sama pkl di trotoar",
        "tp takut, ada balap liar tiap malam",
    ],
)
def test_a_short_line_that_names_a_problem_tells_an_incident(text: str) -> None:
    assert not tells_no_incident(text)


@pytest.mark.parametrize("text", ["mau lapor min", "Mohon maaf mengganggu, saya ingin melapor"])
def test_saying_one_reports_is_still_a_clear_start(text: str) -> None:
    assert complaint_signal(text, intent_confidence=0.99, category_confidence=None) == "strong"


# ------------------------------------------------------------------ a photo with words


def _photo(caption: str) -> Answer:
    return Answer("/share_media", "share_media", 1.0, media_id=11, is_media=True, caption=caption)


def test_a_caption_answers_the_question_asked() -> None:
    step = advance(at("location"), answer=_photo("ini di muka pasar Batumandi min"), now=NOW)
    assert step.slots["evidence_media"] == [11]
    assert step.slots["location_kecamatan"] == "Batu Mandi"
    assert step.slots["requested_slot"] == "incident_time"
    assert responses(step) == ["utter_evidence_received", "utter_location_confirmed"]


def test_a_caption_that_tells_the_story_is_the_description() -> None:
    caption = "sampah dibuang urang di higa jembatan tiap malam, baunya sampai ke rumah"
    step = advance(at("description", description=None), answer=_photo(caption), now=NOW)
    assert step.slots["description"] == caption
    assert step.slots["evidence"] == "(media)"


@pytest.mark.parametrize("caption", ["ini fotonya min", "liat nih parah bgt", ""])
def test_a_caption_that_answers_nothing_is_no_miss(caption: str) -> None:
    step = advance(at("location"), answer=_photo(caption), now=NOW)
    assert step.slots["evidence_media"] == [11]
    assert "location" not in step.slots
    assert responses(step) == ["utter_evidence_received"]
    assert not step.missed_twice


@pytest.mark.parametrize(
    "text",
    [
        "makasih min, pkl di pasar kemarin udah ditertibkan",
        "tarima kasih pian, sampahnya sudah dibarasihi",
    ],
)
def test_thanks_for_what_was_done_is_asked_first(text: str) -> None:
    assert thanks_for_a_handled_report(text)
    assert complaint_signal(text, intent_confidence=0.95, category_confidence=0.9) == "weak"


@pytest.mark.parametrize(
    "text",
    ["makasih min, ada pkl di trotoar pasar", "terima kasih, tolong pkl di pasar ditertibkan"],
)
def test_thanks_before_a_new_report_is_no_thanks_for_a_handled_one(text: str) -> None:
    assert not thanks_for_a_handled_report(text)


@pytest.mark.parametrize(
    "text",
    [
        # The closing thanks of a new report whose earlier step did not help.
        "sudah kami sampaikan ke pak RT tapi masih saja balapan tiap malam, terima kasih",
        "Sudah dipadahi ka pambakal tagal kadada parubahan. Tarima kasih banyak.",
    ],
)
def test_thanks_closing_a_report_of_what_did_not_help_is_no_thanks_for_a_handled_one(
    text: str,
) -> None:
    assert not thanks_for_a_handled_report(text)


# ------------------------------------------------------------------ frames of no report


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("Kami mengundang warga hadir di syukuran rumah baru kami di desa Lok Batu", "invitation"),
        ("undangan walimah anak ulun di Tebing Tinggi hari sabtu, datangi lah", "invitation"),
        ("jangan lupa datang ke acara ultah anak sy besok jam 4 sore di Paringin", "invitation"),
        ("hadirlah pian ke aruh di balai desa malam jumat", "invitation"),
        ("telah hilang dompet coklat di terminal, yg menemukan hub 0813xxxx", "lost_and_found"),
        ("kucing ulun ilang dari samalam, mun ada nang batamu padahi ulun", "lost_and_found"),
        ("dicari anak sapi lepas dari kandang di Awayan, tolong kabari", "lost_and_found"),
        ("disewakan ruko 2 lantai pinggir jalan A Yani, hub 0812", "offer"),
        ("ready stok kue lebaran min, bisa cod sekitar Juai", "offer"),
        ("PROMO paket wisata akhir tahun, berangkat dari Paringin, DP ringan", "offer"),
        ("keren pak satpol, operasi pekat tadi malam di Batumandi", "praise"),
        ("sukses terus satpol pp balangan, pkl di pasar sekarang sudah ditertibkan", "praise"),
    ],
)
def test_messages_framed_as_something_else_than_a_report(text: str, frame: str) -> None:
    assert frame_of_no_report(text) == frame
    # Asked first, even with a photo: never the form straight away.
    signal = complaint_signal(
        text, intent_confidence=1.0, category_confidence=0.9, gate_confidence=0.9, with_media=True
    )
    assert signal == "weak"


@pytest.mark.parametrize(
    "text",
    [
        # A celebration that disturbs is a report.
        "acara pernikahan tetangga pakai organ tunggal sampai jam 2 malam, berisik sekali",
        "ada undangan hajatan tapi jalannya ditutup total, mengganggu orang lewat",
        # Something lost that is public property, or a call for help.
        "tutup gorong-gorong di depan sekolah hilang, bahaya buat anak-anak",
        "lampu taman kota hilang semua dicuri orang",
        "sapi lepas di jalan raya, sudah dicari pemiliknya tapi tidak ketemu",
        "tolong datanglah pak, ada urang bakalahi di pasar Lampihong",
        # Selling what is forbidden, or where it is forbidden.
        "di warung itu miras dijual bebas tiap malam",
        "pedagang jualan di trotoar, harganya murah jadi ramai sekali",
        "spanduk diskon toko dipasang di tiang listrik sepanjang jalan",
        # Praise, then the problem is back.
        "mantap razia kemarin, tapi pkl nya sudah balik lagi ke trotoar",
        "ada balap liar tiap malam minggu di jalan Paringin Juai",
    ],
)
def test_reports_that_share_words_with_those_frames_keep_no_frame(text: str) -> None:
    assert frame_of_no_report(text) is None
