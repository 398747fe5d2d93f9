"""Where and when: the location question (pin, typed place, kecamatan/desa lists) and the time.

The two are read together: "tadi malam di desa Halong" answers both, and a landmark added at
the time question ("yg di depan pasar") still belongs to the place.
"""

from __future__ import annotations

from typing import Final

from lalisa.intake.answers import SKIPPED, is_skip_answer
from lalisa.intake.form.turn import MAX_TIME_CHARS, PIN_LOCATION, Answer, _Turn, place_summary
from lalisa.intake.readers.correction import place_text, read_correction
from lalisa.intake.readers.words import (
    looks_like_question,
    says_dont_know,
    without_courtesy_lead,
    words,
)
from lalisa.intake.timeparse import (
    MAX_TIME_PHRASE_WORDS,
    TimeAndPlace,
    describes_time,
    is_recurring_or_ongoing,
    mentions_time,
    parse_incident_time,
    repair_short_time_answer,
    split_time_and_place,
    without_trailing_remark,
)
from lalisa.places.geo import (
    Place,
    kecamatan_sharing_desa,
    locate_point,
    resolve_place,
    typed_coordinates,
    unreadable_map_link,
)

LOCATION_QUESTIONS: Final = ("location", "kecamatan_choice", "desa_choice")
LINK_UNREADABLE_RESPONSE: Final = "utter_location_link_unreadable"


def _set_place(turn: _Turn, place: Place, text: str, *, pin: bool = False) -> None:
    turn.set(
        location=text,
        location_lat=place.latitude if pin else None,
        location_lon=place.longitude if pin else None,
        location_kecamatan=place.kecamatan,
        location_desa=place.desa,
        location_mode=None,
        kecamatan_choice=None,
        desa_choice=None,
    )
    turn.say("utter_location_confirmed", place=place_summary(place.kecamatan, place.desa))


def _read_pin(turn: _Turn, answer: Answer) -> bool | None:
    """A shared location, wherever it arrives. True: taken; False: refused; None: no pin."""
    if answer.pin is None:
        return _read_typed_coordinates(turn, answer.typed)
    latitude, longitude = answer.pin
    place = locate_point(latitude, longitude)
    if place is None:
        turn.say("utter_location_outside_balangan")
        return False
    _set_place(turn, place, answer.pin_label or PIN_LOCATION, pin=True)
    return True


def _read_typed_coordinates(turn: _Turn, text: str) -> bool | None:
    """Coordinates or a Google Maps link pasted instead of a pin: the place, as a pin is.

    Only a point inside Balangan counts (True); anything else is no pin (None), so that
    numbers such as "2.500, 15.000" in an answer are read as what they are.
    """
    point = typed_coordinates(text) if text else None
    place = locate_point(*point) if point is not None else None
    if place is None:
        return None
    _set_place(turn, place, place_text(text), pin=True)
    return True


def _read_map_link(turn: _Turn, answer: Answer, asked: str) -> bool | None:
    """A Google Maps link without coordinates ("https://maps.app.goo.gl/…") as the place.

    Nothing here opens a short link. The words sent with it ("di desa Halong") or the place
    name a long link spells are read as the place (True); otherwise the citizen is told how
    to share the place instead (False, no miss: the citizen did give a place). None: no such
    link, or a link in a message that answers another question (read as usual).
    """
    link = unreadable_map_link(answer.typed)
    if link is None or (asked not in LOCATION_QUESTIONS and len(words(link.rest)) >= 2):
        return None
    for named in (link.rest, link.place_name):
        if (
            named
            and asked in LOCATION_QUESTIONS
            and _READERS_OF_PLACE[asked](turn, Answer(text=named), True)
        ):
            return True
    turn.say(LINK_UNREADABLE_RESPONSE)
    turn.helped = True
    return False


def _read_location(turn: _Turn, answer: Answer, strict: bool) -> bool:
    text = answer.typed
    if not strict or not text:
        return False
    both = _time_and_place(text)
    stored = place_text(both.place if both is not None else text)
    place = resolve_place(stored, assume_place=True)
    if place is None and kecamatan_sharing_desa(stored):
        # "desa Galumbang": a desa of that name lies in two kecamatan. Ask which kecamatan
        # (the choice list) and keep the words, so the desa is taken once it is said.
        turn.set(
            location_note=stored, location_mode="pick", kecamatan_choice=None, desa_choice=None
        )
        return True
    if place is None:
        return False
    _set_place(turn, place, stored)
    if both is not None and turn.get("incident_time") is None:
        # "tadi malam di depan pasar Lampihong" answers two questions at once; the time is
        # stored without the place and the place without the time.
        _read_incident_time(turn, Answer(text=both.time), strict=True)
    return True


def _time_and_place(text: str) -> TimeAndPlace | None:
    """The time and place of one answer, when the place part names a place of Balangan."""
    both = split_time_and_place(text)
    if both is None or resolve_place(place_text(both.place), assume_place=True) is None:
        return None
    return both


def _complete_location(turn: _Turn, *, kecamatan: str | None, desa: str | None) -> None:
    note = turn.get("location_note")
    if kecamatan is not None:
        text = note or place_summary(kecamatan, desa)
    else:
        text = note or SKIPPED
    turn.set(
        location=text,
        location_lat=None,
        location_lon=None,
        location_kecamatan=kecamatan,
        location_desa=desa,
        kecamatan_choice=kecamatan or SKIPPED,
        desa_choice=desa or SKIPPED,
    )
    if kecamatan is None:
        turn.say("utter_location_unresolved")
    else:
        turn.say("utter_location_confirmed", place=place_summary(kecamatan, desa))


def _read_kecamatan_choice(turn: _Turn, answer: Answer, strict: bool) -> bool:
    text = answer.typed
    if not strict or not text:
        return False
    if is_skip_answer(text):
        _complete_location(turn, kecamatan=None, desa=None)
        return True
    place = resolve_place(text, assume_place=True)
    if place is None:
        return False
    note = turn.get("location_note")
    if place.desa is None and isinstance(note, str):
        # The place said before names a desa of the kecamatan now chosen ("desa Galumbang",
        # then "Juai"): that desa is the place.
        within = resolve_place(f"{note} kecamatan {place.kecamatan}", assume_place=True)
        if within is not None and within.desa is not None and within.kecamatan == place.kecamatan:
            place = within
    if place.desa is not None:
        _complete_location(turn, kecamatan=place.kecamatan, desa=place.desa)
    else:
        turn.set(location_kecamatan=place.kecamatan, kecamatan_choice=place.kecamatan)
    return True


def _read_desa_choice(turn: _Turn, answer: Answer, strict: bool) -> bool:
    text = answer.typed
    kecamatan = turn.get("location_kecamatan")
    if not strict or not text:
        return False
    if is_skip_answer(text):
        _complete_location(turn, kecamatan=kecamatan, desa=None)
        return True
    place = resolve_place(f"desa {text}", assume_place=True) or resolve_place(
        text, assume_place=True
    )
    if place is None or place.desa is None:
        return False
    _complete_location(turn, kecamatan=place.kecamatan, desa=place.desa)
    return True


# Words that open a landmark: "yg deket masjid itu", "depan SD", "samping pos ronda".
_LANDMARK_CUES: Final = frozenset(
    {
        "dekat", "deket", "dkt", "depan", "dpn", "didepan", "samping", "disamping", "sebelah",
        "sblh", "belakang", "blkg", "dibelakang", "seberang", "pinggir", "parak", "higa",
        "sabalah", "hadapan", "jalan", "jln", "jl", "gang", "gg", "rt", "komplek",
        "perumahan",
    }
)  # fmt: skip
_LANDMARK_LEAD: Final = frozenset({"yg", "yang", "itu", "di", "tepatnya", "persisnya", "lokasinya"})


def _adds_to_place(turn: _Turn, text: str) -> bool:
    """A second message about the place, sent after it was taken ("yg deket masjid itu min").

    It completes the place the officer reads instead of being stored as the time.
    """
    location = turn.get("location")
    if not location or location == PIN_LOCATION or mentions_time(text) or says_dont_know(text):
        return False
    if looks_like_question(text) or is_recurring_or_ongoing(text):
        return False
    tokens = [t for t in words(text) if t not in _LANDMARK_LEAD]
    if not tokens or tokens[0] not in _LANDMARK_CUES:
        return False
    combined = f"{location}, {place_text(text)}"[:MAX_TIME_CHARS]
    place = resolve_place(place_text(text))
    if (
        place is not None
        and place.desa is not None
        and turn.get("location_desa") is None
        and place.kecamatan == turn.get("location_kecamatan")
    ):
        # The landmark names the desa the first message left out.
        _set_place(turn, place, combined)
        return True
    turn.set(location=combined)
    turn.say(
        "utter_location_confirmed",
        place=place_summary(turn.get("location_kecamatan"), turn.get("location_desa")),
    )
    return True


def _read_incident_time(turn: _Turn, answer: Answer, strict: bool) -> bool:
    text = answer.typed
    if not text:
        return False
    if strict:
        correction = read_correction(text)
        if correction is not None and correction.field in (None, "incident_time"):
            # "eh slah, maksudnya kemarin sore": the time without the words of correcting.
            text = correction.value or text
        if _adds_to_place(turn, text):
            # The time is asked again, without a "not understood".
            return True
        if looks_like_question(text) and len(words(text)) > MAX_TIME_PHRASE_WORDS:
            # "Ada yang berkelahi … tadi, saya harus menghubungi nomor darurat berapa?" is a
            # question of its own that happens to hold "tadi", not the time.
            return False
        # "samalam habis isya, ini ulun kirim fotonya": the remark after the time is no part
        # of it, neither for the moment nor for what the officer reads.
        text = without_trailing_remark(text)
        # "mlam", "sudah dua buan": a short time word typed one letter short is read as
        # meant; the citizen's own words are what is stored.
        read = repair_short_time_answer(text)
        moment = parse_incident_time(read, turn.now)
        if moment is None and says_dont_know(text):
            turn.set(incident_time=SKIPPED, incident_at=None)
            return True
        if moment is None and not (
            is_recurring_or_ongoing(read)
            or (
                mentions_time(read)
                and not looks_like_question(text)
                and not answer.clear_intent("ask_service_hours")
            )
        ):
            return False
        both = _time_and_place(text)
        if both is not None:
            # "tadi malam di depan pasar": the place is already asked for; keep the time.
            text = both.time
        turn.set(
            incident_time=without_courtesy_lead(text)[:MAX_TIME_CHARS],
            incident_at=moment.isoformat() if moment is not None else None,
        )
        return True
    if looks_like_question(text) or read_correction(text) is not None:
        # "eh maaf salah, bukan Tariwin …" corrects another answer; it is no time.
        return False
    if describes_time(text):
        # "pas lagi rame orang belanja": a time the parser cannot place, in the citizen's
        # words. Anything else ("di rumah warga", "ok min") is no time: the question again,
        # and the loop guard records it without a time.
        turn.set(
            incident_time=without_trailing_remark(without_courtesy_lead(text))[:MAX_TIME_CHARS],
            incident_at=None,
        )
        return True
    return False


_READERS_OF_PLACE: Final = {
    "location": _read_location,
    "kecamatan_choice": _read_kecamatan_choice,
    "desa_choice": _read_desa_choice,
}
