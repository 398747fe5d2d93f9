"""The complaint form's turn: the order in which an answer is read, and the loop guard.

The loop guard keeps any question from being asked more than twice in a row.

Plain functions over slot values (no Rasa). ``ValidateComplaintForm`` calls :func:`advance`
once per form turn and turns the :class:`Step` into slot events and responses.

How an answer is read (slot first):

1. A location pin or a photo is taken wherever it arrives; a Google Maps link without
   coordinates ("https://maps.app.goo.gl/…") is told it cannot be opened here; a voice note
   is told it cannot be listened to (and is never evidence), then the question comes again.
2. The text is read as the answer to the question asked ("barusan" is a time even though the
   intent classifier calls it ``cancel``; "Desa Batu Piring, Kecamatan Paringin Selatan" is a
   place even though it calls it ``ask_programs``).
3. A correction of an earlier answer ("maaf salah, lokasinya di desa Halong") is applied.
4. A question about the question asked ("fotonya wajib kah?", "maksudnya alamat lengkap
   kah?", "kapan ditindak?") gets the answer of that step (:mod:`lalisa.intake.step_questions`)
   and the question again.
5. Only when none of that holds does a clear intent take over, and only where the words leave
   it open: "batal"/"ga jadi" is a cancel whatever the intent, a question never is; ``cancel``
   asks "Batalkan laporan ini?" first when the report has content; a question (status, office hours,
   emergency, confidentiality, a person …) interrupts the form, which its rules answer before
   the form asks again.
6. Otherwise the answer is a miss: the form says what it needs and asks again.

Small talk and nudges ("min", "p", "makasih") get their reply in kind and the question again
(:mod:`lalisa.intake.form.asides`); they hold the loop guard's count once.

The loop guard counts how often the same question was asked without progress; the third time
the form changes strategy (:data:`STRATEGIES`): a list of choices, accepting what it has, or
handing the citizen to a person.

The steps live in their own modules of :mod:`lalisa.intake.form` (place and time, category,
description, evidence and name, summary and corrections, asides, strategies); this one holds
only the precedence between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from lalisa.intake.answers import is_skip_answer
from lalisa.intake.form.asides import _answer_aside
from lalisa.intake.form.category import _take_category_guess
from lalisa.intake.form.description import (
    _continues_story,
    _maybe_description,
    _read_story_details,
)
from lalisa.intake.form.evidence_name import _read_media
from lalisa.intake.form.place_time import LOCATION_QUESTIONS, _read_map_link, _read_pin
from lalisa.intake.form.strategies import STRATEGIES
from lalisa.intake.form.summary import (
    _READERS,
    _read_correction_of_other,
    _read_place_named_anew,
    _read_star_correction,
)
from lalisa.intake.form.turn import (
    _VALUE_SLOTS,
    CANCEL_CONFIDENCE,
    CANCEL_INTENT,
    DIGRESSION_INTENTS,
    EMERGENCY_CONFIDENCE,
    GENERAL_ANSWER_INTENTS,
    MAX_ASKS,
    MEDIA_EVIDENCE,
    Answer,
    Step,
    _Turn,
    has_content,
    next_question,
    question_key,
)
from lalisa.intake.readers.correction import place_text
from lalisa.intake.readers.named_category import named_report_category
from lalisa.intake.readers.words import is_payload, looks_like_question, words
from lalisa.intake.readers.yes_no import reads_cancel
from lalisa.intake.step_questions import (
    FOLLOW_UP_RESPONSE,
    asks_about_an_earlier_report,
    names_digression,
    step_question,
)
from lalisa.tickets.categories import read_category_entity

# What the form says when an answer to its question could not be read.
_MISS_RESPONSES: Final[dict[str, str]] = {
    "category": "utter_category_unclear",
    "description": "utter_description_too_short",
    "location": "utter_location_not_found",
    "kecamatan_choice": "utter_choice_unclear",
    "desa_choice": "utter_choice_unclear",
    "incident_time": "utter_time_unclear",
    "evidence": "utter_evidence_text_not_media",
    "reporter_name": "utter_name_unclear",
    "complaint_confirmation": "utter_confirmation_unclear",
    "correction_field": "utter_correction_field_unknown",
    "cancel_confirmation": "utter_cancel_confirmation_unclear",
}


VOICE_RESPONSE: Final = "utter_voice_not_heard"
"""A voice note where a typed answer is due: it cannot be listened to; type the answer."""
VOICE_RESPONSES: Final[dict[str, str]] = {"evidence": "utter_voice_not_evidence"}
"""At the evidence question a voice note is also no photo/video: it is not attached."""


def _is_cancel(answer: Answer) -> bool:
    """Whether the answer drops the report: its words decide, the intent only when they can't.

    "rahasia kan?" read as ``cancel`` is a question; "kada jadi ai" read as ``deny`` is a
    cancel; "udah ah" says too little, so a clear ``cancel`` intent decides.
    """
    said = reads_cancel(answer.typed)
    if said is not None:
        return said
    return answer.intent == CANCEL_INTENT and answer.confidence >= CANCEL_CONFIDENCE


def _open(
    turn: _Turn, opening: Answer | None, follow_up: str = "", more: Answer | None = None
) -> None:
    """Starts a complaint: clears the form's bookkeeping and reads the opening message.

    ``follow_up``: what the citizen added when saying yes to "do you want to report?" ("iya,
    tadi malam di desa Halong"); its place and time count as the opening's.
    ``more``: a complaint sent as the answer to that question; it tells more of the story
    kept as ``opening``, so both are read as one opening (see :func:`_open_story`).
    """
    turn.set(
        **{
            name: None
            for name in (
                "form_asks",
                "complaint_outcome",
                "cancel_requested",
                "cancel_confirmation",
                "correction_requested",
                "correction_field",
                "confirmation_mode",
                "form_last_answer",
                "pending_report",
            )
        }
    )
    if turn.get("evidence_media") and turn.get("evidence") is None:
        # A photo sent before the complaint (action_keep_media) is its evidence already.
        turn.set(evidence=MEDIA_EVIDENCE)
    if opening is None:
        return
    if more is not None:
        _open_story(turn, (opening, more))
    else:
        if turn.get("category") is None:
            _take_category_guess(turn, opening)
        _take_named_category(turn, opening.typed)
        _maybe_description(turn, opening.typed)
        _read_story_details(turn, opening.typed)
    _read_story_details(turn, follow_up)


def _take_named_category(turn: _Turn, text: str) -> None:
    """Takes the category an opening names after its reporting verb ("mau lapor kebisingan").

    Only when the classifier left the category open: the citizen's own word for the kind of
    problem is surer than the list the form would show instead.
    """
    if turn.get("category") is not None or not text:
        return
    named = named_report_category(text)
    if named is not None:
        turn.set(category=named, category_candidates=None)


def _open_story(turn: _Turn, parts: tuple[Answer, ...]) -> None:
    """Reads the messages of one story, oldest first, as a single opening.

    The category is the guess of the message the classifier is surest of; the description
    holds every message (one a line); the place and the time are read in each message on its
    own (a place named in both is one place, not two), the first one found winning.
    """
    if turn.get("category") is None:
        guesses = [(read_category_entity(part.entities), part) for part in parts]
        sure = [(guess, part) for guess, part in guesses if guess is not None]
        if sure:
            _, surest = max(
                sure,
                key=lambda pair: 1.0 if pair[0].confidence is None else pair[0].confidence,
            )
            _take_category_guess(turn, surest)
    for part in parts:
        _take_named_category(turn, part.typed)
    _maybe_description(turn, "\n".join(part.typed for part in parts if part.typed))
    for part in parts:
        _read_story_details(turn, part.typed)


def _read_answer(turn: _Turn, answer: Answer, asked: str) -> bool | None:
    """Reads the answer to ``asked``. True: progress; False: a miss; None: interrupt."""
    text = answer.typed
    pin = _read_pin(turn, answer)
    if pin is not None:
        return pin or asked not in LOCATION_QUESTIONS
    link = _read_map_link(turn, answer, asked)
    if link is not None:
        return link
    if answer.is_media and answer.media_type == "audio":
        # A voice note, at any question: nobody listens to it here, and it is no photo or
        # video of the incident (at the evidence question it is not "Foto/video diterima").
        # Say so, then the question again; nothing was misunderstood, so it is no miss and
        # holds the loop guard's count once, as small talk does.
        turn.say(VOICE_RESPONSES.get(asked, VOICE_RESPONSE))
        turn.helped = turn.aside = True
        return False
    if _read_media(turn, answer):
        _read_caption(turn, answer.caption.strip(), asked)
        return True
    if _read_star_correction(turn, answer):
        return True
    aside = _answer_aside(turn, answer, asked) if text else False
    if aside is None:
        return None
    if aside:
        return False
    reader = _READERS[asked]
    question = looks_like_question(text) and answer.clear_intent(*DIGRESSION_INTENTS)
    if not question and reader(turn, answer, True):
        return True
    if asked == "cancel_confirmation":
        # Anything but an explicit yes keeps the report; the message may answer the question
        # that was pending before "batal".
        turn.set(cancel_requested=None)
        pending = next_question(turn.state)
        if pending is not None:
            return _read_answer(turn, answer, pending)
        return True
    if text and _read_correction_of_other(turn, answer, asked):
        return True
    helped = step_question(asked, text) if text else None
    if helped is not None and answer.clear_intent(*(DIGRESSION_INTENTS - GENERAL_ANSWER_INTENTS)):
        # A specific question (confidentiality, office hours, a person …) keeps its own
        # answer when its words say so ("identitas saya aman kan?"), not because the NLU
        # guessed it ("hrs nama asli ga min?" read as ask_confidentiality is about the name
        # asked). "diteruskan ke siapa?" read as check_status asks about this report, which
        # has no ticket yet, unless it names an earlier one.
        if helped == FOLLOW_UP_RESPONSE and answer.intent == "check_status":
            if asks_about_an_earlier_report(text, answer.entities):
                helped = None
        elif answer.intent is not None and names_digression(answer.intent, text):
            helped = None
    if helped is not None:
        # "fotonya wajib kah?", "maksudnya alamat lengkap kah?": a question about the
        # question, answered here (the general answer of its intent would not), then the
        # question again. It is no miss: nothing was misunderstood.
        turn.say(helped)
        turn.helped = True
        return False
    if _is_cancel(answer):
        if has_content(turn.state):
            turn.set(cancel_requested=True)
        else:
            turn.set(complaint_outcome="cancel")
        return True
    if answer.clear_intent(*DIGRESSION_INTENTS):
        return None
    if not question and reader(turn, answer, False):
        return True
    if asked == "location" and _continues_story(turn, text):
        return True
    if _read_place_named_anew(turn, answer, asked):
        return True
    turn.say(_MISS_RESPONSES[asked])
    if text:
        turn.set(form_last_answer=text)
        if asked in ("location", "kecamatan_choice") and len(words(text)) >= 2:
            if not is_skip_answer(text):
                turn.set(location_note=place_text(text))
    return False


def _read_caption(turn: _Turn, caption: str, asked: str) -> None:
    """The words sent with a photo: the answer to the question asked when they are one.

    "di depan pasar Batumandi" with a photo at the place question is the place; the place
    and time a caption names explicitly are taken too. A caption that answers nothing
    ("ini fotonya min") is no miss: the photo was the message.
    """
    if not caption or is_payload(caption):
        return
    reader = _READERS.get(asked)
    if asked != "evidence" and reader is not None and not looks_like_question(caption):
        reader(turn, Answer(text=caption), True)
    _read_story_details(turn, caption)


def _progressed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return any(before.get(slot) != after.get(slot) for slot in _VALUE_SLOTS)


def _guard(turn: _Turn, before: Mapping[str, Any]) -> None:
    """Sets the next question, changing strategy instead of asking one a third time."""
    progressed = _progressed(before, turn.state) and not turn.kept_asking
    asked = before.get("form_asks") or {}
    for _ in range(len(STRATEGIES) + 1):
        slot = next_question(turn.state)
        key = question_key(slot, turn.state)
        if key is None:
            turn.set(form_asks=None, requested_slot=None)
            return
        same = isinstance(asked, Mapping) and asked.get("question") == key and not progressed
        # Small talk or a nudge between two answers leaves the count as it was, once: a
        # second aside in a row counts, so that no message read as an aside loops forever.
        held = same and turn.aside and not asked.get("held")
        count = max(1, int(asked.get("count", 0)) + (0 if held else 1)) if same else 1
        if count <= MAX_ASKS:
            asks: dict[str, Any] = {"question": key, "count": count}
            if held:
                asks["held"] = True
            turn.set(form_asks=asks, requested_slot=slot)
            return
        STRATEGIES[key](turn)
        progressed = True
    raise RuntimeError("the complaint form's strategies do not converge")  # pragma: no cover


def advance(
    slots: Mapping[str, Any],
    *,
    answer: Answer | None,
    opening: Answer | None = None,
    follow_up: str = "",
    more: Answer | None = None,
    now: datetime,
) -> Step:
    """One turn of the complaint form.

    Args:
        slots: Current slot values (``requested_slot`` is the question last asked; None
            when the form is starting).
        answer: The citizen's message answering that question, or None when the form is
            resuming after a digression it did not read.
        opening: When the form is starting: the message that started it (its category,
            description, and the place and time it names explicitly are read), if any.
        follow_up: When the form is starting after "do you want to report?": the yes, which
            may add the place or the time ("iya, tadi malam di desa Halong").
        more: When the form is starting because the answer to "do you want to report?" was
            a complaint itself ("iya min, warung itu buka siang hari tiap puasa"): that
            answer, read with ``opening`` (the story kept aside) as one opening.
        now: The time of the message (for incident times).

    Returns:
        The slot values to set (always ``requested_slot`` unless interrupted), the responses
        to send, or ``interrupt`` when the message is a question for the domain's rules.
    """
    turn = _Turn(slots, now)
    asked = slots.get("requested_slot")
    missed_twice = False
    if asked is None:
        _open(turn, opening, follow_up, more)
    elif answer is not None and asked in _READERS:
        if answer.intent == "emergency" and answer.confidence >= EMERGENCY_CONFIDENCE:
            turn.say("utter_emergency")
        outcome = _read_answer(turn, answer, asked)
        if outcome is None:
            return Step(interrupt=True)
        asks = slots.get("form_asks")
        missed_twice = (
            outcome is False
            and not turn.helped
            and isinstance(asks, Mapping)
            and asks.get("question") == question_key(asked, slots)
            and int(asks.get("count", 0)) >= MAX_ASKS
            and not _progressed(slots, turn.state)
        )
    _guard(turn, slots)
    return Step(slots=turn.changes, utterances=turn.utterances, missed_twice=missed_twice)
