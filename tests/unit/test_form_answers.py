"""Readers of single answers to the complaint form: refusals, names, yes/no, corrections."""

from __future__ import annotations

from typing import Any

import pytest

from lalisa.intake.answers import without_quoted_reply
from lalisa.intake.readers.correction import (
    field_named,
    place_text,
    read_confirmation,
    read_correction,
    without_denied,
)
from lalisa.intake.readers.evidence import refuses_evidence
from lalisa.intake.readers.name import read_name, read_name_change, refuses_name
from lalisa.intake.readers.signal import complaint_signal
from lalisa.intake.readers.words import (
    list_position,
    looks_like_question,
    says_dont_know,
    without_courtesy_lead,
    words,
)
from lalisa.intake.readers.yes_no import read_yes_no


@pytest.mark.parametrize(
    "answer",
    [
        "tidak ada foto",
        "kadada foto",
        "ga ada foto min",
        "tidak ada",
        "gak ada",
        "ga punya fotonya",
        "belum sempat foto",
        "kadada",
        "kada ada gambar",
        "lewati",
        "tidak",
        "gak sempat, takut ketahuan",
        "Tidak ada Foto.",
        "gaaak adaaa",
        "balum sempat foto",
        "Maaf, saya tidak sempat memotret.",
        # The hint word with a particle, "next", and Banjar "kada wani mamoto".
        "lewati aja",
        "skip dulu kak",
        "next",
        "kada wani mamoto",
        "takut motret min",
        "hp jadul min ga ada kamera",
    ],
)
def test_evidence_refusals(answer: str) -> None:
    assert refuses_evidence(answer)


@pytest.mark.parametrize("answer", ["ada", "nanti saya kirim", "sebentar", "??", "fotonya ada"])
def test_not_evidence_refusals(answer: str) -> None:
    assert not refuses_evidence(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "anonim",
        "rahasia",
        "kada usah",
        "no",
        "tidak usah",
        "jangan disebut ya",
        "Hamba Allah",
        "tidak usah pak",
        "rahasiakan saja",
        "lewati",
        "ga mau kasih nama",
        "jgn disebut namaku",
        "jangan disabut ngaran ulun",
        # Fear of being known is a refusal, not a name.
        "takut ketahuan",
        "ulun tatakutan",
        # Any form of the verb, with particles.
        "rahasiain ya min",
        "disamarin aja",
        "anonimkan",
        # Typed on a phone: a dropped, doubled, added or swapped letter, a held one.
        "anonm haja",
        "rahhasia min",
        "raahsia hajaaa",
        "rahasiin aja min",
        "anoniim ajaaa",
        # The negation typed joined to "usah".
        "gausah pake nama min",
        "gkusah disebut",
        # A request after a comma that is no name, or that asks for no name at all.
        "rahasia, tolong dirahasiakan",
        "Budi, anonim aja",
        # "I said so already" before the refusal is no name (anonymity asked at the start).
        "kan td udh bilang min, rahasia aja",
        "kan tadi sudah saya sampaikan, dirahasiakan saja",
    ],
)
def test_name_refusals(answer: str) -> None:
    assert refuses_name(answer)
    reading = read_name(answer)
    assert reading is not None and reading.refused


@pytest.mark.parametrize(
    ("answer", "name"),
    [
        ("Budi", "Budi"),
        ("budi santoso", "Budi Santoso"),
        ("nama saya Siti Aminah", "Siti Aminah"),
        ("ulun Ahmad", "Ahmad"),
        ("Budi, warga Paringin", "Budi"),
        ("saya Rina dari desa Halong", "Rina"),
        ("H. Abdul Rahman", "H. Abdul Rahman"),
        # Titles stay; particles and emoji after the name go.
        ("Pak Haji Rusdi", "Pak Haji Rusdi"),
        ("Nor aja", "Nor"),
        ("Rina kak", "Rina"),
        ("nama sy fitri ya min", "Fitri"),
        ("Fitri 🙏", "Fitri"),
        ("Budi, dari Samarinda", "Budi"),
        ("Muhammad Arsyad Al Banjari bin Abdullah", "Muhammad Arsyad Al Banjari bin Abdullah"),
        ("ngaran ulun Galuh", "Galuh"),
        # An apology before the name is no part of it; a name given anew is the new name.
        ("maaf, nama saya Budi", "Budi"),
        ("Mohon maaf, nama saya Hj. Siti Aminah", "Hj. Siti Aminah"),
        ("eh salah, nama saya Budi", "Budi"),
        # A yes to the question, then the name.
        ("Inggih, ulun Utuh", "Utuh"),
        ("iya nama saya Rina", "Rina"),
        ("ok, Budi", "Budi"),
        ("Yahya", "Yahya"),
        # Names a slip away from nothing a refusal says stay names.
        ("Samara", "Samara"),
        ("Rahmat", "Rahmat"),
        ("Annisa", "Annisa"),
        ("Anton", "Anton"),
        ("Rina minnn", "Rina"),
        # A reporter named by their neighbourhood role: the RT/RW number belongs to it.
        ("Pak RT 03", "Pak RT 03"),
        ("Ketua RW 2 Bahrudin", "Ketua RW 2 Bahrudin"),
        ("RT.05", "RT.05"),
        # The name named after something else ("that was my phone number"): the name.
        ("eh maaf itu nomor hp, nama sy Fikri", "Fikri"),
        ("td salah ketik, nama saya Budi Santoso", "Budi Santoso"),
        # A form's label before the name, as in a letter or a numbered list.
        ("Nama: Nurhayati", "Nurhayati"),
        ("Nama lengkap: Siti Aminah", "Siti Aminah"),
        ("Namaku: Ijai", "Ijai"),
        # A name, then a request to keep it confidential: given, not refused.
        ("Hasan, mohon identitas saya dirahasiakan", "Hasan"),
        ("utuh, tolong dirahasiakan lah pian", "Utuh"),
    ],
)
def test_names(answer: str, name: str) -> None:
    reading = read_name(answer)
    assert reading is not None and not reading.refused
    assert reading.name == name


@pytest.mark.parametrize(
    "answer",
    [
        "halo",
        "apakah nama saya aman?",
        "kenapa harus pakai nama",
        "ada orang jualan di trotoar depan pasar",
        "/affirm",
        "08123456789",
        # A number is a name's part only after RT/RW.
        "Budi 2",
        "jam 3",
        # Acknowledgements of the question are not names.
        "siap",
        "Siap!",
        "sip",
        "oke",
        "inggih",
        "👍",
        "aja",
        "inisial aja",
        "sampah numpuk depan rumah warga",
        # A correction of another answer sent while the name is asked holds no name.
        "Mohon maaf, koreksi: bukan malam Minggu, tetapi malam Sabtu.",
        "eh maaf salah, lokasinya di desa halong",
        # Dropping the report is not a refusal to give a name (the form asks "Batalkan?").
        "kada jadi ai, batal haja",
        "batalkan aja min",
    ],
)
def test_not_names(answer: str) -> None:
    assert read_name(answer) is None


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("ya", "yes"),
        ("iya kak", "yes"),
        ("inggih", "yes"),
        ("au", "yes"),
        ("jadi ai", "yes"),
        ("betul", "yes"),
        ("sudah benar min", "yes"),
        ("ok", "yes"),
        # A thumbs-up typed instead of tapping, Banjar "ai" after the yes, slang "gas".
        ("👍", "yes"),
        ("👍🏽", "yes"),
        ("👌", "yes"),
        ("inggih pak ai", "yes"),
        ("au ai", "yes"),
        ("gas min", "yes"),
        ("🙏", None),
        ("tidak", "no"),
        ("kada", "no"),
        ("ga jadi", "no"),
        ("bukan", "no"),
        ("jangan dibatalkan", "no"),
        ("entahlah", None),
        ("/affirm", None),
    ],
)
def test_yes_no(answer: str, expected: str | None) -> None:
    assert read_yes_no(answer) == expected


@pytest.mark.parametrize(
    ("answer", "kind", "field", "value"),
    [
        ("ya", "submit", None, ""),
        ("inggih", "submit", None, ""),
        ("au kirim", "submit", None, ""),
        ("Kirim laporan", "submit", None, ""),
        ("ubah", "change", None, ""),
        ("kada", "change", None, ""),
        ("salah", "change", None, ""),
        ("ubah lokasi", "change", "location", ""),
        ("lokasinya salah", "change", "location", ""),
        ("lokasi", "change", "location", ""),
        ("maaf salah, lokasinya di desa halong", "change", "location", "di desa halong"),
        ("tidak, lokasinya di desa halong", "change", "location", "di desa halong"),
        ("ganti nama jadi Budi", "change", "reporter_name", "Budi"),
        ("eh salah, jamnya jam 9 malam", "change", "incident_time", "jam 9 malam"),
        ("Saya ingin mengubah laporannya.", "change", None, ""),
        ("namanya diganti Siti", "change", "reporter_name", "Siti"),
    ],
)
def test_confirmation(answer: str, kind: str, field: str | None, value: str) -> None:
    reading = read_confirmation(answer)
    assert reading is not None
    assert (reading.kind, reading.field, reading.value) == (kind, field, value)


@pytest.mark.parametrize("answer", ["hmm", "batal", "/affirm", "gimana ya"])
def test_unclear_confirmation(answer: str) -> None:
    assert read_confirmation(answer) is None


@pytest.mark.parametrize(
    ("answer", "field", "value"),
    [
        ("maaf salah, lokasinya di desa halong", "location", "di desa halong"),
        ("eh salah, jam 9 malam", "incident_time", "jam 9 malam"),
        ("bukan di paringin tapi di awayan", None, "di awayan"),
        ("yang benar desa lok hamawang", "location", "desa lok hamawang"),
        ("ralat, namanya Siti", "reporter_name", "Siti"),
        ("lokasinya salah", "location", ""),
        (
            "Eh maaf, waktunya setiap pagi sebelum pasar buka.",
            "incident_time",
            "setiap pagi sebelum pasar buka",
        ),
        ("lokasinya di desa halong", "location", "di desa halong"),
        # "ke" and "nya" are stripped only as words: "kemarin" keeps its "ke".
        ("waktunya salah, kemarin sore", "incident_time", "kemarin sore"),
        ("jamnya salah ke jam 9", "incident_time", "jam 9"),
        # The new value after its cue, and a remark on the old name before the new one.
        ("waktunya salah, bukan jam 9, yang benar jam 10", "incident_time", "jam 10"),
        (
            "Mohon maaf, nama saya terlalu singkat. Yang benar Budiman Saputra.",
            "reporter_name",
            "Budiman Saputra",
        ),
        ("namanya kurang lengkap min, Rina Marlina", "reporter_name", "Rina Marlina"),
        ("namanya salah ketik, Rahmat, warga RT 3", "reporter_name", "Rahmat, warga RT 3"),
        # An apology, the one addressed, the denied answer and the new one after a comma.
        ("eh sori min, bukan bata, di desa mihu juai", "location", "di desa mihu juai"),
        ("maaf pak, salah, jam 9 malam", "incident_time", "jam 9 malam"),
        # The form of address after the apology ("eh maaf min salah").
        ("eh maaf kak keliru, bukan tadi sore tp kemarin sore", None, "kemarin sore"),
        ("maaf pak, saya salah, lokasinya di desa Halong", "location", "di desa Halong"),
        # Everything right but one field: that field, and its new value.
        (
            "sudah benar semua kecuali jamnya, itu tiap malam jam 11 an",
            "incident_time",
            "tiap malam jam 11 an",
        ),
        (
            "Sudah benar semua kecuali waktunya, yang benar setiap hari Sabtu.",
            "incident_time",
            "setiap hari Sabtu",
        ),
        # A remark on the old value, a joining word or a change verb is not the new value.
        ("jamnya kurang, tadi malem jam 12an", "incident_time", "tadi malem jam 12an"),
        ("eh waktunya ganti, tiap malam minggu aja", "incident_time", "tiap malam minggu aja"),
        ("lokasinya jg salah, di desa layap", "location", "di desa layap"),
        ("sama jenisnya itu perkelahian min", "category", "perkelahian min"),
        (
            "Jenisnya tolong diganti menjadi perusakan fasilitas umum, bukan yang itu.",
            "category",
            "perusakan fasilitas umum",
        ),
        # A change announced without its value: the field is asked again.
        ("Kejadiannya juga saya tambahkan sedikit.", "description", ""),
        ("lokasinya mau saya ubah dikit", "location", ""),
        # A stop inside a value ("02.00") does not split it.
        (
            "Waktunya kurang tepat, seharusnya sampai pukul 02.00 dini hari.",
            "incident_time",
            "sampai pukul 02.00 dini hari",
        ),
        ("waktunya jam 21.30 tadi", "incident_time", "jam 21.30 tadi"),
        # Banjar: "salah ulun" (my mistake), "nang banar" (the right one), a particle "pang".
        (
            "maap, salah ulun, bukan desa Mihu, nang banar desa Lalayau",
            "location",
            "desa Lalayau",
        ),
        ("bukan desa Mihu, nang banar desa Lalayau", "location", "desa Lalayau"),
        (
            "waktunya salah pang, bukan tadi pagi, tadi siang jam 11",
            "incident_time",
            "tadi siang jam 11",
        ),
        ("salahku min, desanya Lalayau", "location", "Lalayau"),
        ("maaf keliru saya, yang bener kecamatan Juai", "location", "kecamatan Juai"),
        ("eh salah, yg benarnya jam 9 malam", "incident_time", "jam 9 malam"),
        ("salah pang, bukan di Mihu, di Lalayau", None, "di Lalayau"),
        ("salah ulun, nang banar desa Lalayau", "location", "desa Lalayau"),
        ("waktunya keliru, nang bujur tadi siang", "incident_time", "tadi siang"),
    ],
)
def test_corrections(answer: str, field: str | None, value: str) -> None:
    correction = read_correction(answer)
    assert correction is not None
    assert (correction.field, correction.value) == (field, value)


@pytest.mark.parametrize(
    "answer",
    [
        "lokasi",
        "benar",
        "desa batu piring",
        "tadi malam",
        # A story that starts with "bukan" and a comma, without an apology, corrects nothing.
        "bukan sekali dua kali, tiap malam mereka balapan di desa halong",
    ],
)
def test_not_corrections(answer: str) -> None:
    assert read_correction(answer) is None


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ("lokasi", "location"),
        ("Lokasinya", "location"),
        ("waktu", "incident_time"),
        ("jenis", "category"),
        ("kejadian", "description"),
        ("foto", "evidence"),
        ("nama", "reporter_name"),
        ("hmm", None),
    ],
)
def test_field_named(answer: str, field: str | None) -> None:
    assert field_named(answer) == field


def test_place_text_keeps_the_landmark() -> None:
    assert place_text("jalan raya juai dekat jembatan") == "jalan raya juai dekat jembatan"
    assert place_text("maaf salah, lokasinya di desa halong") == "di desa halong"
    assert place_text("lokasi: depan pasar Lampihong.") == "depan pasar Lampihong"


@pytest.mark.parametrize(
    ("text", "question"),
    [("jam berapa kantor buka?", True), ("apakah aman", True), ("desa halong", False)],
)
def test_questions(text: str, question: bool) -> None:
    assert looks_like_question(text) is question


@pytest.mark.parametrize(
    ("text", "intent_confidence", "category_confidence", "signal"),
    [
        ("/report_complaint", 1.0, None, "strong"),
        ("mau lapor", 0.99, None, "strong"),
        ("ada balap liar tiap malam", 0.99, 0.94, "strong"),
        ("Kamar hotelnya rigat bau, ada bakas anduk urang", 1.0, None, "weak"),
        ("ada yang jual tuak", 0.55, 0.95, "weak"),
        ("harga cabai naik terus", 0.9, 0.2, "weak"),
        ("ada karaoke ilegal buka sampe subuh", 1.0, 0.18, "strong"),
        ("dangsanak bakalahi pasal tanah warisan", 1.0, 0.27, "weak"),
    ],
)
def test_complaint_signal(
    text: str, intent_confidence: float, category_confidence: float | None, signal: str
) -> None:
    assert (
        complaint_signal(
            text, intent_confidence=intent_confidence, category_confidence=category_confidence
        )
        == signal
    )


@pytest.mark.parametrize(
    ("text", "gate", "signal"),
    [
        # DIET sure, a category found, but the complaint gate doubts it: ask first.
        ("kamar hotelnya kotor dan parkirannya sempit", 0.3, "weak"),
        ("pupuk subsidi di kios tani langka bgt min", 0.45, "weak"),
        # Saying outright that it is a report outweighs the gate.
        ("min mau lapor ada pkl di trotoar", 0.3, "strong"),
        ("ulun handak malapor ada urang bajualan di higa jalan", 0.4, "strong"),
        # A reporting word naming another service asked for is no report: the gate's doubt
        # stands.
        ("Mohon info nomor pengaduan PLN, listrik di rumah padam sejak tadi.", 0.48, "weak"),
        ("kamana bapadah banyu PDAM kada mengalir?", 0.4, "weak"),
        ("nomor pengaduan satpol berapa? saya mau lapor pkl", 0.4, "strong"),
        # A confident gate changes nothing; no gate in the parse changes nothing.
        ("ada pkl di trotoar depan pasar", 0.9, "strong"),
        ("ada pkl di trotoar depan pasar", None, "strong"),
    ],
)
def test_complaint_signal_uses_the_complaint_gate(
    text: str, gate: float | None, signal: str
) -> None:
    assert (
        complaint_signal(
            text, intent_confidence=0.95, category_confidence=0.8, gate_confidence=gate
        )
        == signal
    )


def test_a_story_after_a_photo_is_a_clear_complaint() -> None:
    """A photo came first and the citizen was asked what happened: the story is the report."""
    text = "Selamat siang, ini tumpukan sampah di samping pasar yang sudah berhari-hari"
    common: dict[str, Any] = {
        "intent_confidence": 1.0,
        "category_confidence": 0.67,
        "gate_confidence": 0.34,
    }
    assert complaint_signal(text, **common) == "weak"
    assert complaint_signal(text, **common, with_media=True) == "strong"
    # An unsure intent stays a question even after a photo.
    unsure = complaint_signal(
        "hehe", intent_confidence=0.5, category_confidence=None, with_media=True
    )
    assert unsure == "weak"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tidak tahu persis waktunya.", True),
        ("Saya kurang tahu pastinya.", True),
        ("lupa", True),
        ("kada ingat", True),
        ("gatau min", True),
        ("ngga tau", True),
        ("kd tau", True),
        ("entahlah", True),
        ("ga merhatiin jamnya", True),
        # A letter held on a phone.
        ("gatauuu", True),
        ("lewatiii", True),
        ("kemarin sore", False),
        ("tiap malam", False),
    ],
)
def test_dont_know(text: str, expected: bool) -> None:
    assert says_dont_know(text) is expected


@pytest.mark.parametrize(
    ("text", "new"),
    [
        ("bukan tadi sanja tapi tadi baisukan", "tadi baisukan"),
        ("Lingsir, bukan Tarangan", "Lingsir"),
        ("bukan Tarangan, Lingsir", "Lingsir"),
        ("di Awayan", "di Awayan"),
    ],
)
def test_the_denied_value_is_not_the_new_one(text: str, new: str) -> None:
    assert without_denied(text) == new


def test_a_name_change_must_speak_of_the_name() -> None:
    from lalisa.intake.readers.name import read_name_change

    assert read_name_change("Budi") is None  # a bare word at the summary is no name change
    assert read_name_change("ya kirim") is None
    assert read_name_change("nama saya siapa?") is None
    change = read_name_change("tulis saja nama saya: Abdul Hakim.")
    assert change is not None and change.name == "Abdul Hakim"
    refused = read_name_change("jangan pakai nama saya, anonim saja")
    assert refused is not None and refused.refused
    # Banjar "ngaran ulun" is "nama saya".
    banjar = read_name_change("eh kada papa pang, ngaran ulun Masrani")
    assert banjar is not None and banjar.name == "Masrani"


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("Mohon izin, kemarin sekitar pukul sebelas siang", "kemarin sekitar pukul sebelas siang"),
        ("Siap, setiap siang sekitar pukul dua belas", "setiap siang sekitar pukul dua belas"),
        ("Izin Komandan, tadi malam", "tadi malam"),
        ("inggih, samalam", "samalam"),
        # A yes alone, or a word that begins like one, is the answer itself.
        ("ya", "ya"),
        ("baik", "baik"),
        ("yang tadi pagi", "yang tadi pagi"),
        ("siang tadi", "siang tadi"),
    ],
)
def test_courtesy_before_an_answer_is_not_stored(answer: str, kept: str) -> None:
    assert without_courtesy_lead(answer) == kept


@pytest.mark.parametrize(
    ("answer", "position"),
    [("2", 2), ("no 3", 3), ("nomor 3", 3), ("no.3", 3), ("yg kedua", 2), ("nang kedua", 2),
     ("ke-2", 2), ("pilihan 4 min", 4), ("yang ke 2", 2), ("nomor tiga", 3), ("10", 10)],
)  # fmt: skip
def test_list_positions(answer: str, position: int) -> None:
    assert list_position(answer) == position


@pytest.mark.parametrize("answer", ["2 orang", "jam 3", "RT 03", "11", "0", "no", "kedua orang"])
def test_not_list_positions(answer: str) -> None:
    assert list_position(answer) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # What is asked of the name, a colon, then the name.
        ("Mohon nama saya ditulis lengkap: Lina Marlina", "Lina Marlina"),
        ("namanya tolong diganti: Rina ya min", "Rina"),
        ("tulis saja nama saya: Abdul Hakim", "Abdul Hakim"),
        ("nama saya Budi", "Budi"),
    ],
)
def test_a_name_changed_at_the_summary(text: str, name: str) -> None:
    change = read_name_change(text)
    assert change is not None and change.name == name


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("> Kapan kejadiannya?\nkemarin sore", "kemarin sore"),
        ("> Siapa nama Anda?\nNurhayati", "Nurhayati"),
        ("  > Di mana lokasinya?\n> (contoh: depan pasar)\ndesa bungur", "desa bungur"),
        # Nothing quoted, or nothing but a quote: kept as typed.
        ("tadi malam jam 9", "tadi malam jam 9"),
        ("harga > 10 ribu\nmahal", "harga > 10 ribu\nmahal"),
        ("> cuma kutipan", "> cuma kutipan"),
    ],
)
def test_a_quoted_question_is_no_part_of_the_answer(text: str, own: str) -> None:
    assert without_quoted_reply(text) == own


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("eh slah, maksudnya desa halong", "location", "desa halong"),
        ("maaf salh tmpt", "location", ""),
        ("salaah, lokasnya di desa Halong", "location", "di desa Halong"),
        ("maksdnya di paringin", None, "di paringin"),
        ("eh keliur, jam 9 malam", "incident_time", "jam 9 malam"),
        ("eh sori min, buukan bata, di desa mihu juai", "location", "di desa mihu juai"),
    ],
)
def test_a_correction_cue_typed_with_one_slip_is_a_correction(
    text: str, field: str | None, value: str
) -> None:
    correction = read_correction(text)
    assert correction is not None
    assert (correction.field, correction.value) == (field, value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("jeenisnya ganti jadi reklame liar ya min", "category"),
        ("deanya salah min, harusnya tabuan", "location"),
        ("eh kcamatannya salah, harusnya juai", "location"),
        ("naamanya kurang lengkap min, Rina Marlina", "reporter_name"),
        ("Keejadiannya juga saya tambahkan sedikittt.", "description"),
        ("ini min foonyaaa", "evidence"),
    ],
)
def test_a_field_word_typed_with_a_slip_names_the_field(text: str, field: str) -> None:
    assert field_named(text) == field


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Suah benar semua kecuali waktunya, yang benar setiap hari Sabtu", "incident_time"),
        ("Mohhon maaf, nama saya terlalu singkat. Yang benar Budiman Saputra.", "reporter_name"),
        ("deanya salah min, harusnya tabuan", "location"),
    ],
)
def test_a_change_at_the_summary_typed_with_a_slip_is_that_change(text: str, field: str) -> None:
    reading = read_confirmation(text)
    assert reading is not None and (reading.kind, reading.field) == ("change", field)


@pytest.mark.parametrize(
    "text",
    [
        "alah biasa aja",
        "sala satu warga",
        "pas lagi hujan deras",
        "harus ditindak",
        "salat jumat tadi",
        "Saleh",
        "rapat RT kemarin malam",
    ],
)
def test_words_near_a_cue_word_are_no_correction(text: str) -> None:
    assert read_correction(text) is None


# Answers typed with one phone slip (a dropped, doubled, added or swapped letter), as
# `--noise` types them: the answer words are read as typed right.
@pytest.mark.parametrize(
    "text",
    [
        "Tdiak ada foto.",
        "kaadda foto",
        "blaum sempat foto",
        "Tidk ada, Pak.",
        "jagnan",
        "ga ada ftonya kak hehe",
        "lupa foto kak 😭",
    ],
)
def test_a_refusal_of_evidence_with_a_slip_is_a_refusal(text: str) -> None:
    assert refuses_evidence(text)


@pytest.mark.parametrize(
    "text", ["Sudah benr.", "Betul, silakan dikirim.", "yup krim", "Suadh benar.", "au kiim haja"]
)
def test_a_yes_with_a_slip_or_a_courtesy_is_a_yes(text: str) -> None:
    assert read_yes_no(text) == "yes"


@pytest.mark.parametrize(
    "text", ["Siap, benar, mohon izin dikirim.", "betul, terima kasih", "iya bismillah kirim"]
)
def test_courtesy_and_thanks_said_with_a_yes_keep_it_a_yes(text: str) -> None:
    assert read_yes_no(text) == "yes"
    reading = read_confirmation(text)
    assert reading is not None and reading.kind == "submit"


@pytest.mark.parametrize("text", ["mohon izin ubah", "mohon izin, nama saya salah", "izin tanya"])
def test_courtesy_words_alone_or_with_a_change_are_no_yes(text: str) -> None:
    assert read_yes_no(text) is None


@pytest.mark.parametrize(
    "text",
    ["Betul, silakan dikirm.", "betul,silakan dkiirim.", "Sudah benar seua.", "Sudah benar semau."],
)
def test_the_words_said_with_a_yes_may_carry_a_slip(text: str) -> None:
    assert read_yes_no(text) == "yes"
    reading = read_confirmation(text)
    assert reading is not None and reading.kind == "submit"


@pytest.mark.parametrize(
    "text",
    ["Saya ingin mengbah laporannya.", "handak maubha", "mau gnti dikit", "mau gatni dikit",
     "ubah min", "Saya ingin menguabh laporannya."],
)  # fmt: skip
def test_a_change_asked_with_a_slip_is_a_change(text: str) -> None:
    reading = read_confirmation(text)
    assert reading is not None and reading.kind == "change"


@pytest.mark.parametrize("text", ["iya, ada buah di jalan", "ya ada buah"])
def test_a_word_near_a_change_word_is_no_change(text: str) -> None:
    reading = read_confirmation(text)
    assert reading is None or reading.kind != "change"


@pytest.mark.parametrize(
    "text",
    ["Saya kurng tahu pastinya.", "Tdiak tahu persis waktunya.", "kada ingt ulun", "gatua"],
)
def test_not_knowing_with_a_slip_is_not_knowing(text: str) -> None:
    assert says_dont_know(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("warung buka tiap malam", ["warung", "buka", "tiap", "malam"]),  # "buka" is a word
        ("tunggu bentar", ["tunggu", "bentar"]),
        ("urang banjar atau dayak", ["urang", "banjar", "atau", "dayak"]),
        ("tdak ada", ["tidak", "ada"]),
    ],
)
def test_only_answer_words_are_repaired(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "gausaah pake nama min",
        "guasah pake nama",
        "kan td udh bilang min, rahasia aja",
        "rahasiaakan haja ngaran ulun pian",  # Banjar -akan
        "rahsiaakan haja ngaran ulun pian",
        "ulun kada handak manyambat ngarn",  # "ngaran" with a slip
    ],
)
def test_a_refusal_of_the_name_with_a_slip_or_a_remark_is_a_refusal(text: str) -> None:
    assert refuses_name(text)


def test_a_hill_is_no_evidence_word() -> None:
    assert not refuses_evidence("tidak jauh dari bukit")


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("min ini lokasinya, mobil2 parkir sembarangan nutup jalan", "strong"),
        ("ini dimana ya?", "weak"),
        ("kesel bgt sumpah", "weak"),
        ("di sini ada balap liar tiap malam, kapan ditindak?", "strong"),
    ],
)
def test_a_complaint_after_a_pin(text: str, signal: str) -> None:
    """After a pin and "do you want to report?", the story is the yes; a bare question is not."""
    from lalisa.intake.readers.signal import signal_after_place

    assert signal_after_place(text, intent_confidence=0.95, category_confidence=0.9) == signal


@pytest.mark.parametrize(
    ("text", "category_confidence", "signal"),
    [
        ("jambatan gantung ni papannya dicabuti urang", 0.5, "strong"),
        ("jambatan gantung ni papannya dicabuti urang", None, "weak"),
        ("ada yang mabuk2an tiap malam bikin resah warga", None, "strong"),
        ("ini di mana pang, ulun handak tulak ka situ", None, "weak"),
        ("ini tempat apa ya", 0.9, "weak"),
        ("makasih min, spanduknya udah dicabut", 0.9, "weak"),
    ],
)
def test_a_message_the_nlu_cannot_place_after_a_pin(
    text: str, category_confidence: float | None, signal: str
) -> None:
    from lalisa.intake.readers.signal import unplaced_story_signal

    assert unplaced_story_signal(text, category_confidence=category_confidence) == signal
