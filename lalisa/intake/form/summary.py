"""The summary and its confirmation, corrections of earlier answers, and the cancel question.

Also holds ``_READERS``, the reader of each question: a correction ("maaf salah, lokasinya di
desa Halong") is read with the reader of the question it corrects, so the table lives with
the corrections that use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from lalisa.intake.answers import clean_description
from lalisa.intake.form.category import _read_category, category_named
from lalisa.intake.form.description import _read_description
from lalisa.intake.form.evidence_name import _read_evidence, _read_reporter_name
from lalisa.intake.form.place_time import (
    LOCATION_QUESTIONS,
    _read_desa_choice,
    _read_incident_time,
    _read_kecamatan_choice,
    _read_location,
)
from lalisa.intake.form.turn import (
    CONFIRMED,
    CORRECTION_CLEARS,
    MAX_ASKS,
    Answer,
    Utterance,
    _Turn,
    place_summary,
)
from lalisa.intake.readers.correction import (
    field_named,
    read_confirmation,
    read_correction,
    strip_field_words,
)
from lalisa.intake.readers.name import read_name_change
from lalisa.intake.readers.named_category import named_report_category
from lalisa.intake.readers.star import apply_star, star_word
from lalisa.intake.readers.words import typed_label
from lalisa.intake.readers.yes_no import read_yes_no
from lalisa.places.geo import resolve_place
from lalisa.tickets.categories import category_label


def _correct(turn: _Turn, slot: str, value: str) -> bool:
    """Applies a corrected value to an earlier answer; True when the value was readable."""
    if not value:
        return False
    reader = _READERS.get(slot)
    if reader is None:
        return False
    snapshot = (dict(turn.state), dict(turn.changes), list(turn.utterances))
    earlier = {name: turn.state.get(name) for name in ("location", "location_desa")}
    for name in CORRECTION_CLEARS[slot]:
        turn.state[name] = None
    corrected = Answer(text=value)
    if reader(turn, corrected, True):
        if slot == "location":
            _keep_desa_of_corrected_kecamatan(turn, earlier)
        for name in CORRECTION_CLEARS[slot]:
            turn.changes.setdefault(name, turn.state.get(name))
        turn.set(confirmation_mode=None)
        kept = turn.get("category")
        if slot == "category" and kept == snapshot[0].get("category") and kept != "lainnya":
            # "jenisnya ganti jadi reklame liar" when it already is: saying "updated" would
            # make the citizen look for a change that is not there and ask again.
            turn.say(UNCHANGED_CATEGORY_RESPONSE, category_label=category_label(kept))
        else:
            _say_corrected(turn, slot)
        return True
    turn.state, turn.changes, turn.utterances = snapshot
    return False


def _keep_desa_of_corrected_kecamatan(turn: _Turn, earlier: Mapping[str, Any]) -> None:
    """A correction naming only a kecamatan ("eh salah, kecamatannya Awayan") keeps the desa.

    When the correction names only a kecamatan, the earlier place is read again within it:
    the desa said before is kept when it lies there (or a desa of the same name does).
    """
    kecamatan = turn.get("location_kecamatan")
    text = earlier.get("location")
    if kecamatan is None or turn.get("location_desa") is not None or not isinstance(text, str):
        return
    place = resolve_place(f"{text} kecamatan {kecamatan}", assume_place=True)
    if place is None or place.desa is None or place.kecamatan != kecamatan:
        return
    turn.set(location=text, location_desa=place.desa)
    turn.utterances = [
        Utterance(u.response, {"place": place_summary(kecamatan, place.desa)})
        if u.response == "utter_location_confirmed"
        else u
        for u in turn.utterances
    ]


def _clear_field(turn: _Turn, slot: str) -> None:
    if slot == "category" and int(turn.get("category_rounds") or 0) >= MAX_ASKS:
        # The category was asked again once already and the typed answer still could not
        # be read: a third round would be the same, so a person takes over (the report,
        # kept with the citizen's words, can still be sent with "ya").
        turn.set(complaint_outcome="handoff", correction_requested=None)
        turn.say("utter_category_needs_person")
        return
    turn.set(**{name: None for name in CORRECTION_CLEARS[slot]})
    turn.set(confirmation_mode=None, complaint_confirmation=None)


def _read_confirmation(turn: _Turn, answer: Answer, strict: bool) -> bool:
    if not strict:
        return False
    text = answer.text.strip()
    if _read_name_change(turn, text):
        return True
    reading = read_confirmation(text)
    if reading is None:
        label = typed_label(text, tuple(SUMMARY_LABELS))
        if label == "Batalkan":
            # "batalkn": asked "Batalkan laporan ini?" first, as the button is.
            turn.set(cancel_requested=True)
            return True
        if label is not None:
            # A button of the summary typed with a slip ("kirim laporn", "ubh").
            return _read_confirmation(turn, Answer(text=SUMMARY_LABELS[label]), strict)
        if text == "/affirm" or (answer.clear_intent("affirm") and answer.confidence >= 0.8):
            turn.set(complaint_confirmation=CONFIRMED, complaint_outcome="submit")
            return True
        if text == "/deny" or (answer.clear_intent("deny") and answer.confidence >= 0.8):
            turn.set(correction_requested=True, confirmation_mode=None)
            return True
        return False
    if reading.kind == "submit":
        turn.set(complaint_confirmation=CONFIRMED, complaint_outcome="submit")
        return True
    if reading.field is not None:
        if not _correct(turn, reading.field, reading.value):
            _clear_field(turn, reading.field)
        return True
    if reading.value and _correct_any(turn, reading.value):
        return True
    turn.set(correction_requested=True, confirmation_mode=None)
    return True


SUMMARY_LABELS: Final[dict[str, str]] = {
    "Kirim laporan": "/affirm",
    "Ubah": "/deny",
    "Batalkan": "/cancel",
}
"""The buttons of the summary (domain ``utter_complaint_summary``) and their payloads."""


def _read_name_change(turn: _Turn, text: str) -> bool:
    """At the summary: "tulis saja nama saya: Abdul Hakim", "jangan pakai nama saya, anonim"."""
    change = read_name_change(text)
    if change is None or change.name == turn.get("reporter_name"):
        return False
    turn.set(reporter_name=change.name, confirmation_mode=None)
    _say_corrected(turn, "reporter_name")
    return True


def _read_correction_field(turn: _Turn, answer: Answer, strict: bool) -> bool:
    text = answer.typed
    if not strict or not text:
        return False
    slot = field_named(text)
    if slot is None:
        # "Halong" instead of "lokasi": the new value itself.
        if _correct_any(turn, text):
            turn.set(correction_requested=None)
            return True
        return False
    correction = read_correction(text)
    value = correction.value if correction is not None else strip_field_words(text)
    turn.set(correction_requested=None)
    if not (value and _correct(turn, slot, value)):
        _clear_field(turn, slot)
    return True


UNCHANGED_CATEGORY_RESPONSE: Final = "utter_category_unchanged"
"""The reply to a category "corrected" to the one the report already has."""

# A corrected place is confirmed with its name (utter_location_confirmed) instead.
_CORRECTED_RESPONSES: Final[dict[str, str]] = {
    "category": "utter_corrected_category",
    "description": "utter_corrected_description",
    "incident_time": "utter_corrected_incident_time",
    "evidence": "utter_corrected_evidence",
    "reporter_name": "utter_corrected_reporter_name",
}


def _say_corrected(turn: _Turn, slot: str) -> None:
    response = _CORRECTED_RESPONSES.get(slot)
    if response is not None:
        turn.say(response)


def _read_cancel_confirmation(turn: _Turn, answer: Answer, strict: bool) -> bool:
    if not strict:
        return False
    text = answer.text.strip()
    said = read_yes_no(text)
    if said is None and text in ("/affirm", "/cancel"):
        said = "yes"
    if said is None and text == "/deny":
        said = "no"
    if said == "yes":
        turn.set(cancel_confirmation=CONFIRMED, cancel_requested=None, complaint_outcome="cancel")
        return True
    if said == "no":
        turn.set(cancel_requested=None)
        turn.say("utter_cancel_aborted")
        return True
    return False


_Reader = Callable[[_Turn, Answer, bool], bool]
_READERS: Final[dict[str, _Reader]] = {
    "category": _read_category,
    "description": _read_description,
    "location": _read_location,
    "kecamatan_choice": _read_kecamatan_choice,
    "desa_choice": _read_desa_choice,
    "incident_time": _read_incident_time,
    "evidence": _read_evidence,
    "reporter_name": _read_reporter_name,
    "complaint_confirmation": _read_confirmation,
    "correction_field": _read_correction_field,
    "cancel_confirmation": _read_cancel_confirmation,
}


def _correct_any(turn: _Turn, value: str) -> bool:
    """A correction that only gives the new value: a category, a place, else a time.

    The category when the value names one after a reporting verb ("eh bukan min, maksud sy
    yg mau dilaporin parkirnya, …"), else a place or a time, for fields already filled.
    """
    named = named_report_category(value)
    if turn.get("category") is not None and _change_category(turn, named):
        return True
    for slot in ("location", "incident_time"):
        if turn.get(slot) is not None and _correct(turn, slot, value):
            return True
    return False


def _read_correction_of_other(turn: _Turn, answer: Answer, asked: str) -> bool:
    correction = read_correction(answer.typed)
    if correction is None:
        return False
    if correction.field is not None and correction.field != asked:
        if _correct(turn, correction.field, correction.value):
            return True
        if turn.get(correction.field) is not None and not correction.value:
            # "eh lokasinya salah": ask that field again.
            _clear_field(turn, correction.field)
            return True
        return False
    return correction.field is None and _correct_any(turn, correction.value)


def _read_place_named_anew(turn: _Turn, answer: Answer, asked: str) -> bool:
    """The report's place named anew at another question, with no word of error.

    "eh itu lokasi rumah sy min, balihonya di desa sirap kec juai" at the time question moves
    the place of a pin sent from home: no "salah" makes it a correction
    (:func:`read_correction`), but it names the place field and a place. Read only once the
    question asked found nothing in the message, so an answer is never taken for a place.
    """
    if asked in LOCATION_QUESTIONS or turn.get("location") is None:
        return False
    text = answer.typed
    if not text or field_named(text) != "location":
        return False
    # The new place is the clause that names it ("balihonya di desa sirap kec juai depan
    # masjid"), not the remark on the old one ("eh itu lokasi rumah sy min").
    clauses = [c.strip() for c in re.split(r"[,.;](?=\s|$)", text) if c.strip()]
    kept = (turn.get("location_kecamatan"), turn.get("location_desa"))
    snapshot = (dict(turn.state), dict(turn.changes), list(turn.utterances))
    moved = any(_correct(turn, "location", clause) for clause in reversed(clauses[1:])) or (
        _correct(turn, "location", text)
    )
    if moved and (turn.get("location_kecamatan"), turn.get("location_desa")) != kept:
        return True
    # The same place, or none: a remark on it ("lokasinya dekat rumah saya") moves nothing.
    turn.state, turn.changes, turn.utterances = snapshot
    return False


def _read_star_correction(turn: _Turn, answer: Answer) -> bool:
    """A "*Syarifah" after "Syarifan": the word fixed, the previous message read again.

    The previous message is read as the answer it was (the name, the place …); when it
    opened the report, as its story, and the starred word as its category when it names one
    ("*tuak" after "warung jual tuan"). Each field changed is said to be updated.
    """
    word = star_word(answer.typed)
    if word is None or not answer.previous_text:
        return False
    fix = apply_star(answer.previous_text, word)
    if fix is None:
        return False
    asked = answer.previous_question
    if asked in CORRECTION_CLEARS:
        return _correct(turn, asked, fix.text)
    if asked is not None:
        return False
    changed = False
    if turn.get("description") == clean_description(answer.previous_text):
        turn.set(description=clean_description(fix.text))
        _say_corrected(turn, "description")
        changed = True
    return _change_category(turn, category_named(word)) or changed


def _change_category(turn: _Turn, named: str | None) -> bool:
    """Sets a category a correction names, when it is another one, and says it was updated."""
    if named is None or named == turn.get("category"):
        return False
    turn.set(category=named, category_candidates=None, category_page=None)
    _say_corrected(turn, "category")
    return True
