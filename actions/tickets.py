"""The complaint form: reading each answer, the summary, submission and cancel."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.needs_person import fell_back_twice, record_needs_person
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import session_scope
from lalisa.core.settings import Settings
from lalisa.intake import answers as intake
from lalisa.intake.form.flow import advance
from lalisa.intake.form.turn import (
    CONFIRMED,
    FORM_SLOTS,
    PIN_LOCATION,
    Answer,
    kept_for_a_person,
    place_summary,
)
from lalisa.intake.opening import read_opening_place, read_opening_time
from lalisa.intake.readers.correction import place_text
from lalisa.intake.readers.signal import (
    COMPLAINT_GATE_CONFIDENCE,
    complaint_signal,
    says_reporting,
    signal_after_place,
    unplaced_story_signal,
)
from lalisa.intake.readers.star import star_word
from lalisa.intake.readers.words import tells_a_story
from lalisa.intake.step_questions import FOLLOW_UP_RESPONSE, step_question
from lalisa.office.hours import (
    describe_office_hours,
    format_when,
    is_office_open,
    next_office_opening,
)
from lalisa.places.geo import (
    list_places,
    locate_point,
    shared_desa,
    typed_coordinates,
    unreadable_map_link,
)
from lalisa.runtime_settings.service import load_effective_settings
from lalisa.takeover.models import HandoffReason
from lalisa.tickets.categories import (
    FALLBACK_CATEGORY,
    category_buttons,
    category_label,
    category_list_buttons,
    read_category_entity,
)
from lalisa.tickets.service import ComplaintDraft, record_pending_media
from lalisa.tickets.spool import SubmissionDeferred, submit_or_spool

logger = logging.getLogger(__name__)

FORM_NAME = "complaint_form"
ASK_WANTS_TO_REPORT = "utter_ask_wants_to_report"
# Events between a user message and the form's call that do not make it a resumption.
_BOOKKEEPING_EVENTS = frozenset({"slot", "user_featurization", "active_loop", "loop"})


def utcnow() -> datetime:
    """The current time (a seam for tests of office-hours and incident-time behaviour)."""
    return datetime.now(timezone.utc)


def _entity_values(message: Mapping[str, Any], entity: str) -> list[Any]:
    return [e.get("value") for e in message.get("entities") or [] if e.get("entity") == entity]


def pin_of(message: Mapping[str, Any]) -> tuple[tuple[float, float], str] | None:
    """The coordinates and the label (name, address) of a location pin payload.

    Returns:
        ``((latitude, longitude), label)``, or ``None`` (logged) without usable coordinates.
    """
    try:
        pin = (
            float(_entity_values(message, "latitude")[-1]),
            float(_entity_values(message, "longitude")[-1]),
        )
    except (IndexError, TypeError, ValueError):
        logger.warning("Location pin without usable coordinates")
        return None
    metadata = message.get("metadata") or {}
    label = " ".join(str(part) for part in (metadata.get("name"), metadata.get("address")) if part)
    return pin, label


def answers_question(events: list[dict[str, Any]]) -> bool:
    """Whether the form runs right after the citizen's message (not after a digression).

    After a digression the rules run the form again to repeat its question; the latest user
    message was the digression then, and must not be read as an answer.

    Args:
        events: The tracker's events as the action server receives them (the form's own
            call is appended last by Rasa).

    Returns:
        True when no other action ran since the latest user message.
    """
    skipped_form_call = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            return True
        if kind in _BOOKKEEPING_EVENTS:
            continue
        if kind == "action" and event.get("name") == FORM_NAME and not skipped_form_call:
            skipped_form_call = True
            continue
        return False
    return False


def action_before_latest_message(events: list[dict[str, Any]]) -> str | None:
    """The last action La-Lisa ran before the latest user message, listening aside.

    Args:
        events: The tracker's events as the action server receives them.

    Returns:
        The action's name; None when the message before it, or a session start, comes first.
    """
    before_message = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if before_message:
                return None
            before_message = True
        elif kind == "session_started":
            return None
        elif before_message and kind == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None


def answers_wants_to_report(events: list[dict[str, Any]]) -> bool:
    """Whether the latest user message answers "Apakah Anda ingin melaporkan …?"."""
    return action_before_latest_message(events) == ASK_WANTS_TO_REPORT


def previous_answer(events: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The citizen's message before the latest one, and the question it answered.

    Read for a "*word" correction of that message (:mod:`lalisa.intake.readers.star`).

    Returns:
        The typed text ("" for a tap or when there is none) and the form question asked
        when it arrived (None: no question was open, so it opened the report).
    """
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if len(users) < 2:
        return "", None
    index = users[-2]
    text = str(events[index].get("text") or "")
    if text.startswith("/"):
        return "", None
    asked: str | None = None
    for event in reversed(events[:index]):
        if event.get("event") == "slot" and event.get("name") == "requested_slot":
            asked = event.get("value")
            break
        if event.get("event") == "active_loop" and event.get("name") is None:
            break
    return intake.without_quoted_reply(text), asked


def _answer_from(message: Mapping[str, Any]) -> Answer:
    intent = message.get("intent") or {}
    return Answer(
        text=intake.without_quoted_reply(str(message.get("text") or "")),
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        entities=tuple(message.get("entities") or ()),
        category_ranking=message.get("category_ranking"),
    )


def _category_offered(entities: tuple[Any, ...]) -> tuple[Any, ...]:
    """The entities with the classifier's category kept as a suggestion (no confidence).

    The form then offers the likeliest categories instead of taking one.
    """
    return tuple(
        {**entity, "confidence": 0.0}
        if entity.get("entity") == "category" and isinstance(entity.get("confidence"), float)
        else entity
        for entity in entities
    )


class ValidateComplaintForm(Action):
    """Reads each answer of the complaint form as the answer to its question first.

    The whole turn is worked out by :func:`lalisa.intake.form.flow.advance`: the answer,
    corrections, cancelling, digressions and the loop guard. Returning no event means "not an
    answer": Rasa then rejects the form and the domain's rules answer the message.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "validate_complaint_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Advances the form by one turn."""
        slots = {name: tracker.get_slot(name) for name in (*FORM_SLOTS, "requested_slot")}
        now = utcnow()
        if slots["requested_slot"] is None:
            step = advance(
                slots,
                answer=None,
                opening=self._opening(tracker),
                follow_up=self._follow_up(tracker),
                more=self._more(tracker),
                now=now,
            )
        elif answers_question(tracker.events):
            step = advance(slots, answer=await self._answer(tracker), now=now)
            if step.missed_twice and fell_back_twice(tracker.events):
                # The fallback rule does not run inside the form: note it here, as
                # action_note_fallback does outside it.
                logger.info("The complaint form fell back twice in a row")
                await record_needs_person(
                    tracker.sender_id,
                    HandoffReason.FALLBACK_TWICE,
                    out_of_hours=not is_office_open(now, settings=await office_settings()),
                )
        else:
            step = advance(slots, answer=None, now=now)
        if step.interrupt:
            return []
        for utterance in step.utterances:
            dispatcher.utter_message(response=utterance.response, **utterance.values)
        return [SlotSet(name, value) for name, value in step.slots.items()]

    @staticmethod
    def _opening(tracker: Tracker) -> Answer | None:
        """The message that started the complaint (kept aside when the form asked first)."""
        message = tracker.latest_message or {}
        pending = tracker.get_slot("pending_report")
        intent = (message.get("intent") or {}).get("name")
        if isinstance(pending, dict) and (
            intent == "affirm"
            or intent in _UNPLACED_INTENTS
            or ValidateComplaintForm._more(tracker) is not None
        ):
            # "ya" to "do you want to report?", or the story after a pin that the NLU could
            # not place but action_keep_story read as the report (complaint_signal strong).
            return _answer_from(pending)
        if intent == "report_complaint":
            return _answer_from(message)
        typed = not str(message.get("text") or "").startswith("/")
        if intent in ("report_unresolved", "check_status") or (
            intent == "share_location" and typed
        ):
            # Started by action_report_unresolved, action_check_status or
            # action_location_outside_form: a citizen told a report in words the NLU read as
            # something else ("… anak2 muda, pls dicek" asks for an inspection; "ada yg jual
            # tuak di desa halong" names a place). The NLU did not call it a complaint, so
            # its category is offered, not taken.
            answer = _answer_from(message)
            return Answer(
                answer.text,
                answer.intent,
                answer.confidence,
                _category_offered(answer.entities),
                category_ranking=answer.category_ranking,
            )
        if intent == "share_media":
            # Started by action_keep_media: the photo's caption told the story.
            return caption_opening(message)
        return None

    @staticmethod
    def _more(tracker: Tracker) -> Answer | None:
        """A complaint sent as the answer to "do you want to report?": more of the kept story.

        The kept message may be older (a "tidak" left it); only the answer to the question
        joins it.
        """
        message = tracker.latest_message or {}
        if (
            (message.get("intent") or {}).get("name") == "report_complaint"
            and isinstance(tracker.get_slot("pending_report"), dict)
            and answers_wants_to_report(tracker.events)
        ):
            return _answer_from(message)
        return None

    @staticmethod
    def _follow_up(tracker: Tracker) -> str:
        """The yes to "do you want to report?" when the kept message is the opening.

        "iya, tadi malam di desa Halong" adds the time and the place to the story kept aside.
        """
        message = tracker.latest_message or {}
        pending = tracker.get_slot("pending_report")
        text = str(message.get("text") or "")
        if (message.get("intent") or {}).get("name") != "affirm" or not isinstance(pending, dict):
            return ""
        return "" if text.startswith("/") else text

    async def _answer(self, tracker: Tracker) -> Answer:
        message = tracker.latest_message or {}
        answer = _answer_from(message)
        if star_word(answer.typed) is not None:
            previous_text, previous_question = previous_answer(tracker.events)
            answer = replace(
                answer, previous_text=previous_text, previous_question=previous_question
            )
        intent = answer.intent or ""
        # Only the channel's payloads carry a pin or a file; typed text ("ga ada foto min")
        # that the NLU calls share_media is an answer like any other.
        payload = answer.text.startswith(f"/{intent}")
        if intent == "share_location" and payload:
            shared = pin_of(message)
            if shared is None:
                return answer
            pin, label = shared
            return Answer(answer.text, intent, answer.confidence, answer.entities, pin, label)
        if intent == "share_media" and payload:
            kind = media_type_of(message)
            # A voice note is never evidence (nobody listens to it): not recorded as such.
            media_id = None if kind == "audio" else await self._record_media(tracker)
            metadata = message.get("metadata") or {}
            return Answer(
                answer.text,
                intent,
                answer.confidence,
                answer.entities,
                media_id=media_id,
                is_media=True,
                media_type=kind,
                caption=str(metadata.get("caption") or ""),
            )
        return answer

    async def _record_media(self, tracker: Tracker) -> int | None:
        return await record_media(tracker)


async def record_media(tracker: Tracker) -> int | None:
    """Records the photo/video of the latest message as pending evidence; its row id."""
    message = tracker.latest_message or {}
    metadata = message.get("metadata") or {}
    media_ids = _entity_values(message, "media_id")
    media_types = _entity_values(message, "media_type")
    if not media_ids:
        logger.warning("share_media message without a media id")
        return None
    async with session_scope() as session:
        record = await record_pending_media(
            session,
            sender_id=tracker.sender_id,
            wa_media_id=str(media_ids[-1]),
            media_type=str(media_types[-1]) if media_types else "image",
            mime_type=metadata.get("mime_type"),
            sha256=metadata.get("sha256"),
            size_bytes=metadata.get("size_bytes"),
            path=metadata.get("path"),
            caption=metadata.get("caption"),
        )
        return int(record.id)


def media_type_of(message: Mapping[str, Any]) -> str:
    """The WhatsApp type of the file of a ``/share_media`` message ("image", "audio" …)."""
    media_types = _entity_values(message, "media_type")
    metadata = message.get("metadata") or {}
    return str(media_types[-1] if media_types else metadata.get("media_type") or "image")


def _signal_readings(message: Mapping[str, Any]) -> dict[str, Any]:
    """The text and confidences of a parsed message that the complaint signals weigh."""
    intent = message.get("intent") or {}
    guess = read_category_entity(message.get("entities") or [])
    gate = message.get("complaint_gate")
    gate_confidence = gate.get("confidence") if isinstance(gate, Mapping) else None
    return {
        "text": str(message.get("text") or ""),
        "intent_confidence": float(intent.get("confidence") or 0.0),
        "category_confidence": None if guess is None else (guess.confidence or 1.0),
        "gate_confidence": None if gate_confidence is None else float(gate_confidence),
    }


def message_signal(message: Mapping[str, Any], *, with_media: bool) -> str:
    """The complaint signal of a parsed message (:func:`complaint_signal` on its parse data)."""
    return complaint_signal(**_signal_readings(message), with_media=with_media)


def place_kept(tracker: Tracker) -> bool:
    """Whether a place shared before any report (a pin) waits for the report to come."""
    return tracker.active_loop_name is None and tracker.get_slot("location_lat") is not None


def place_signal(message: Mapping[str, Any]) -> str:
    """The complaint signal of a message sent after a pin (:func:`signal_after_place`)."""
    return signal_after_place(**_signal_readings(message))


def caption_signal(message: Mapping[str, Any]) -> str | None:
    """How clearly the caption of a photo sent first tells a complaint (None: it does not).

    The channel's fast path (:mod:`lalisa_rasa.fast_path`) parses the words sent with a
    photo as if typed (``caption_parse``); they get the decision a typed opening of the same
    strength gets (:func:`message_signal`, :class:`ActionCheckComplaintSignal`):

    * ``strong``: the NLU reads a clear complaint ("balap liar di desa Halong tadi malam");
      the report starts with the caption read as a typed opening;
    * ``weak``: the NLU reads a complaint but is unsure, cannot place the caption while it
      tells a story (as the story typed after a photo, :class:`ActionKeepStory`), reads
      another intent in words that tell something (a wedding invitation read as a greeting),
      or clearly reads something else (a lost-and-found post, an offer); the caption is kept
      aside and the citizen is asked whether to report;
    * None: no caption, or words that tell nothing ("ini fotonya min"); the photo is kept
      for the report the citizen then tells.
    """
    text = str(message.get("text") or "")
    parsed = message.get("caption_parse")
    if not text.startswith("/share_media") or not isinstance(parsed, Mapping):
        return None
    answer = _answer_from(parsed)
    if not answer.text.strip():
        return None
    if answer.intent == "report_complaint":
        return message_signal(parsed, with_media=True)
    if answer.intent in _UNPLACED_INTENTS and tells_a_story(answer.text):
        return "weak"
    if answer.intent not in _MEDIA_INTENTS and tells_a_story(answer.text):
        # "Assalamualaikum, mohon doa restu … pernikahan anak kami" (read as a greeting): the
        # caption says something else than "here is the photo"; the citizen is asked first
        # instead of being told the photo goes with "your report".
        return "weak"
    if answer.clear_intent("out_of_scope"):
        # "dicari stnk hilang min", "dijual motor bekas": words about something else; the
        # photo is not presumed the evidence of a report, the citizen is asked first.
        return "weak"
    return None


# Intents of a message the NLU could not place: after a photo, a story all the same.
_UNPLACED_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Intents of a caption that only presents the file ("ini fotonya min"): the photo is kept.
_MEDIA_INTENTS = frozenset({"share_media", "share_location"})


def caption_opening(message: Mapping[str, Any]) -> Answer | None:
    """The caption of a photo sent first, when it clearly is a complaint (its opening)."""
    parsed = message.get("caption_parse")
    if caption_signal(message) != "strong" or not isinstance(parsed, Mapping):
        return None
    return _answer_from(parsed)


def kept_story(message: Mapping[str, Any], text: str) -> dict[str, Any]:
    """A message kept as ``pending_report``: the report it is likely to be."""
    intent = message.get("intent") or {}
    return {
        "text": text,
        "intent": {"name": "report_complaint", "confidence": intent.get("confidence")},
        "entities": list(message.get("entities") or []),
    }


class ActionKeepMedia(Action):
    """Keeps a photo/video sent before any complaint as the evidence of the next one.

    Many citizens send the picture first and explain afterwards; the photo is attached to
    the report they then make (the form does not ask for evidence again).
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_keep_media"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Records the file as pending evidence and says it will go with the report."""
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        if not text.startswith("/share_media"):
            # Typed text the NLU took for a file ("eh maaf salah kirim"): nothing arrived, so
            # do not thank for a file; say what La-Lisa can do instead.
            dispatcher.utter_message(response="utter_default")
            return []
        if media_type_of(message) == "audio":
            # A voice note before any complaint: La-Lisa cannot listen to it, and a recording
            # is not the photo of a report to come; say so and ask for the words typed.
            dispatcher.utter_message(response="utter_voice_outside_form")
            return []
        media_id = await record_media(tracker)
        if media_id is None:
            dispatcher.utter_message(response="utter_media_outside_form")
            return []
        kept = [*(tracker.get_slot("evidence_media") or []), media_id]
        signal = caption_signal(message)
        if signal == "strong":
            # The caption tells the story: the report starts with it, the photo as evidence.
            dispatcher.utter_message(response="utter_evidence_received", count=len(kept))
            return [SlotSet("evidence_media", kept), FollowupAction(FORM_NAME)]
        if signal == "weak":
            # An unsure caption is asked about, as a typed opening of that strength is: the
            # rules ask "do you want to report?" and "ya" opens the form with the caption.
            parsed = message.get("caption_parse") or {}
            dispatcher.utter_message(response="utter_media_received")
            return [
                SlotSet("evidence_media", kept),
                SlotSet("complaint_signal", "weak"),
                SlotSet("pending_report", kept_story(parsed, str(parsed.get("text") or ""))),
            ]
        dispatcher.utter_message(response="utter_media_kept")
        # Reset, so that a "weak" left by an earlier message does not ask the question.
        return [SlotSet("evidence_media", kept), SlotSet("complaint_signal", None)]


# Words about an earlier report: "laporan saya di desa Halong belum ditangani" follows one up.
_ABOUT_A_REPORT: Final = re.compile(
    r"\b(?:laporan\w*|aduan|pengaduan|tiket|dilaporkan|(?:sudah|udah|sdh) lapor)\b",
    re.IGNORECASE,
)


def tells_a_new_complaint(message: Mapping[str, Any], now: datetime) -> bool:
    """Whether a "still not resolved" message carries a complaint of its own.

    "masih" reads as a follow-up of a report; from a citizen without any, a message with a
    category, an explicit place or an explicit time that does not speak of a report is the
    complaint itself (read as a typed opening would be, :mod:`lalisa.intake.opening`),
    unless the complaint gate doubts it and the citizen does not say they are reporting.
    """
    text = str(message.get("text") or "")
    if not text or text.startswith("/") or _ABOUT_A_REPORT.search(text):
        return False
    gate = message.get("complaint_gate")
    gate_confidence = gate.get("confidence") if isinstance(gate, Mapping) else None
    if (
        gate_confidence is not None
        and float(gate_confidence) < COMPLAINT_GATE_CONFIDENCE
        and not says_reporting(text)
    ):
        # A place or a time alone does not make a complaint: "kopi susu di kedai deket alun2
        # paringin enak bgt … 8/10" names Paringin, and the gate, trained on real reviews,
        # doubts it.
        return False
    return (
        read_category_entity(message.get("entities") or []) is not None
        or read_opening_place(text) is not None
        or read_opening_time(text, now) is not None
    )


TYPED_COMPLAINT_CATEGORY_CONFIDENCE: Final = 0.6
"""How sure the category classifier must be that typed text read as a pin tells a complaint."""


def _tells_a_complaint(message: Mapping[str, Any]) -> bool:
    """Whether typed text the NLU read as something else is a complaint of its own.

    It names a complaint category the classifier is sure of, and a place or a time as a typed
    opening would (:func:`tells_a_new_complaint`, which also leaves out what the complaint
    gate doubts).
    """
    told = read_category_entity(message.get("entities") or [])
    if told is None or (
        told.confidence is not None and told.confidence < TYPED_COMPLAINT_CATEGORY_CONFIDENCE
    ):
        return False
    return tells_a_new_complaint(message, datetime.now(timezone.utc))


class ActionLocationOutsideForm(Action):
    """Keeps a location pin shared while no complaint is being written for the next one.

    Many citizens share the place first and explain afterwards (as with photos,
    :class:`ActionKeepMedia`): a pin inside Balangan fills the location of the report they
    then make, so the form does not ask for it again. A pin alone is a weak signal, though:
    people also share one to ask where a place is. So La-Lisa keeps it and sets
    ``complaint_signal`` to ``weak``; the rules then ask whether the citizen wants to report
    something there ("ya" starts the form, the story typed instead is the yes and the
    description at once, :class:`ActionCheckComplaintSignal`).

    Coordinates typed or pasted in a Google Maps link count as a pin; a short map link, which
    cannot be opened here, is answered with how to share the place instead, and the same
    question. Other typed text the NLU took for a location ("sinyal di desa kami lemah") gets
    the default answer instead of "lokasi sudah kami terima".
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_location_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Keeps a pin inside Balangan as the next report's place; answers anything else."""
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        not_kept: list[EventType] = [SlotSet("complaint_signal", None)]
        if text.startswith("/share_location"):
            shared = pin_of(message)
            if shared is None:
                dispatcher.utter_message(response="utter_location_outside_form")
                return not_kept
            (latitude, longitude), label = shared
        else:
            point = typed_coordinates(text)
            if point is None:
                if unreadable_map_link(text) is not None:
                    # "https://maps.app.goo.gl/…" sent first: say how to share the place, and
                    # ask whether there is something to report (complaint_signal weak).
                    dispatcher.utter_message(response="utter_location_link_outside_form")
                    return [SlotSet("complaint_signal", "weak")]
                if tracker.active_loop_name is None and _tells_a_complaint(message):
                    # "satu lagi min, ada yg jual tuak di desa halong" names a place, and the
                    # NLU took it for a pin: it is a complaint, and the form starts with it.
                    return [*not_kept, FollowupAction(FORM_NAME)]
                dispatcher.utter_message(response="utter_default")
                return not_kept
            (latitude, longitude), label = point, place_text(text)
        place = locate_point(latitude, longitude)
        if place is None:
            dispatcher.utter_message(response="utter_location_outside_balangan")
            return not_kept
        dispatcher.utter_message(
            response="utter_location_kept", place=place_summary(place.kecamatan, place.desa)
        )
        return [
            SlotSet("location", label or PIN_LOCATION),
            SlotSet("location_lat", latitude),
            SlotSet("location_lon", longitude),
            SlotSet("location_kecamatan", place.kecamatan),
            SlotSet("location_desa", place.desa),
            SlotSet("location_mode", None),
            SlotSet("complaint_signal", "weak"),
        ]


class ActionAskCategory(Action):
    """Asks for the category: among the likeliest ones when the classifier was unsure."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_ask_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utters the short choice, or the whole list when there is nothing to go on.

        After a typed answer the form could not read, the list comes with a prompt that says
        so (the form never guesses from the same kind of answer a second time).
        """
        candidates = [c for c in tracker.get_slot("category_candidates") or [] if c]
        page = tracker.get_slot("category_page")
        if candidates:
            dispatcher.utter_message(
                response="utter_ask_category_choice",
                buttons=category_buttons([*candidates, FALLBACK_CATEGORY]),
            )
        elif page == "more":
            dispatcher.utter_message(
                response="utter_ask_category_choice", buttons=category_list_buttons(page)
            )
        elif tracker.get_slot("category_rounds") and tracker.get_slot("category_told"):
            dispatcher.utter_message(
                response="utter_ask_category_again",
                buttons=category_list_buttons(),
                category_told=tracker.get_slot("category_told"),
            )
        else:
            dispatcher.utter_message(response="utter_ask_category", buttons=category_list_buttons())
        return []


def desa_buttons(kecamatan: str | None) -> list[dict[str, str]]:
    """One button per desa/kelurahan of a kecamatan (the response adds "Tidak tahu")."""
    return [
        {"title": place.desa, "payload": place.desa}
        for place in list_places()
        if place.desa is not None and place.kecamatan == kecamatan
    ]


class ActionAskDesaChoice(Action):
    """Asks which desa/kelurahan, listing those of the kecamatan the citizen chose."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_ask_desa_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utters the list of desa of the chosen kecamatan."""
        kecamatan = tracker.get_slot("location_kecamatan")
        dispatcher.utter_message(
            response="utter_ask_desa_choice",
            kecamatan=kecamatan or "",
            buttons=desa_buttons(kecamatan),
        )
        return []


class ActionAskKecamatanChoice(Action):
    """Asks which kecamatan; for a desa name several kecamatan share, only those kecamatan.

    "desa Galumbang" lies in Juai and in Paringin Selatan: the question names the desa and
    offers those two (and "Tidak tahu"), not all eight kecamatan.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_ask_kecamatan_choice"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utters the kecamatan list, narrowed to those that have the desa said before."""
        note = tracker.get_slot("location_note")
        shared = shared_desa(note) if isinstance(note, str) and note else None
        if shared is None:
            dispatcher.utter_message(response="utter_ask_kecamatan_choice")
            return []
        desa, kecamatan = shared
        buttons = [{"title": name, "payload": name} for name in kecamatan]
        dispatcher.utter_message(
            response="utter_ask_kecamatan_choice_shared_desa",
            desa=desa,
            buttons=[*buttons, {"title": "Tidak tahu", "payload": "tidak tahu"}],
        )
        return []


def category_told(tracker: Tracker) -> str | None:
    """The citizen's own words for a category the form could not read (filed as "lainnya").

    Shown in the summary ("Lainnya (karoke ilegal)") and stored on the ticket for the
    officer; None when the category was read (a later correction to a real category
    included).
    """
    told = tracker.get_slot("category_told")
    if tracker.get_slot("category") != FALLBACK_CATEGORY or not told:
        return None
    return str(told)


def _category_summary(tracker: Tracker) -> str:
    """The category's label; "Lainnya" shows the citizen's own words the form could not read."""
    label = category_label(tracker.get_slot("category"))
    told = category_told(tracker)
    return f"{label} ({told})" if told else label


def summary_values(tracker: Tracker) -> dict[str, str]:
    """The values shown in the summary before the citizen confirms."""
    kecamatan = tracker.get_slot("location_kecamatan")
    desa = tracker.get_slot("location_desa")
    place = place_summary(kecamatan, desa) if kecamatan else ""
    location = tracker.get_slot("location") or ""
    if location == place:
        location = ""
    location_summary = f"{location} ({place})" if location and place else (location or place)
    media = tracker.get_slot("evidence_media") or []
    evidence = f"{len(media)} foto/video" if media else "tidak ada"
    incident_time = tracker.get_slot("incident_time")
    name = tracker.get_slot("reporter_name")
    return {
        "category_label": _category_summary(tracker),
        "description": tracker.get_slot("description") or intake.SKIPPED,
        "location_summary": location_summary or intake.SKIPPED,
        "incident_time_summary": (
            "tidak disebutkan" if incident_time in (None, intake.SKIPPED) else incident_time
        ),
        "evidence_summary": evidence,
        "reporter_name_summary": ("tidak disebutkan" if name in (None, intake.SKIPPED) else name),
    }


class ActionAskComplaintConfirmation(Action):
    """Shows the summary of the complaint and asks the citizen to confirm it."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_ask_complaint_confirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utters the summary, or the short choice once the summary went unanswered twice."""
        if tracker.get_slot("confirmation_mode") == "choice":
            dispatcher.utter_message(response="utter_ask_confirmation_choice")
        else:
            dispatcher.utter_message(response="utter_complaint_summary", **summary_values(tracker))
        return []


def asks_about_the_ticket_just_filed(message: Mapping[str, Any], last_ticket: Any) -> bool:
    """Whether a message read as a complaint asks what happens to the ticket just filed.

    "kapan ditindak min? soalnya tiap hari gini" right after the ticket number is a question
    about that report (its status answers it), though it repeats words of the complaint. A
    message that names a place of its own ("kapan ditindak? ada lagi di desa Halong") may be
    a new report and is left to the complaint signal.
    """
    text = str(message.get("text") or "")
    if not last_ticket or not text or text.startswith("/"):
        return False
    if step_question("complaint_confirmation", text) != FOLLOW_UP_RESPONSE:
        return False
    return read_opening_place(text) is None


class ActionCheckComplaintSignal(Action):
    """Decides whether a message that reads like a complaint clearly is one.

    A weak signal (low confidence, no category, no word of reporting) keeps the message aside
    and lets the rules ask the citizen first; a strong one starts the form. A complaint sent
    as the answer to that question ("iya min, warung itu buka siang hari tiap puasa") is a
    yes that tells more: the signal is strong and the kept message stays, so that the form
    reads both as its opening and the question is never asked twice about one story.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_check_complaint_signal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Sets ``complaint_signal`` and, when weak, keeps the message as ``pending_report``."""
        kept = tracker.get_slot("pending_report")
        answered = answers_wants_to_report(tracker.events)
        if isinstance(kept, dict) and answered:
            return [SlotSet("complaint_signal", "strong")]
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        if asks_about_the_ticket_just_filed(message, tracker.get_slot("last_ticket_number")):
            # "kapan ditindak min? soalnya tiap hari gini": the status of that ticket, not a
            # new form because the question repeats words of the complaint.
            # The rules answer it with action_check_status (data/rules/complaint_form.yml).
            return [SlotSet("complaint_signal", None)]
        if answered and place_kept(tracker):
            # The story after a pin sent first: the yes to "do you want to report something
            # at this place?" and the description at once.
            signal = place_signal(message)
        else:
            signal = message_signal(message, with_media=bool(tracker.get_slot("evidence_media")))
        pending = kept_story(message, text) if signal == "weak" else None
        return [SlotSet("complaint_signal", signal), SlotSet("pending_report", pending)]


class ActionKeepStory(Action):
    """Keeps a message the NLU could not place as the report it is likely to be.

    After a photo or a pin sent first, La-Lisa asks "Ceritakan singkat apa yang terjadi": the
    next message is the story even when the classifier cannot tell ("jambatan gantung ni
    papannya dicabuti urang"). It is kept as ``pending_report`` and the rules ask whether it
    is a report; "ya" starts the form with it as the opening.
    """

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_keep_story"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Sets ``pending_report`` to the latest message, read as a complaint."""
        message = tracker.latest_message or {}
        text = str(message.get("text") or "")
        if not text or text.startswith("/"):
            return []
        kept = [SlotSet("pending_report", kept_story(message, text))]
        if place_kept(tracker) and answers_wants_to_report(tracker.events):
            # After a pin and "do you want to report something at this place?": a message
            # whose words tell a public-order problem is the yes and the story (the rules
            # start the form with it); anything else is asked about once more.
            guess = read_category_entity(message.get("entities") or [])
            signal = unplaced_story_signal(
                text, category_confidence=None if guess is None else (guess.confidence or 1.0)
            )
            return [*kept, SlotSet("complaint_signal", signal)]
        return kept


def draft_from_tracker(
    tracker: Tracker, *, now: datetime, office: Settings | None = None
) -> ComplaintDraft:
    """Builds the complaint to save from the form's slots.

    The submission key is the id of the confirming message, so a repeated
    submission of the same confirmation never creates a second ticket. ``office``
    holds the office hours in force (see :func:`office_settings`).
    """
    message_id = tracker.latest_message.get("message_id") or ""
    incident_at = tracker.get_slot("incident_at")
    location = tracker.get_slot("location")
    name = tracker.get_slot("reporter_name")
    incident_time = tracker.get_slot("incident_time")
    description = tracker.get_slot("description")
    return ComplaintDraft(
        category=tracker.get_slot("category") or FALLBACK_CATEGORY,
        category_told=category_told(tracker),
        description="" if description in (None, intake.SKIPPED) else description,
        latitude=tracker.get_slot("location_lat"),
        longitude=tracker.get_slot("location_lon"),
        kecamatan=tracker.get_slot("location_kecamatan"),
        desa=tracker.get_slot("location_desa"),
        location_text=None if location == intake.SKIPPED else location,
        incident_time_text=None if incident_time == intake.SKIPPED else incident_time,
        incident_at=datetime.fromisoformat(incident_at) if incident_at else None,
        reporter_sender_id=tracker.sender_id,
        reporter_channel=tracker.get_latest_input_channel() or "unknown",
        reporter_name=None if name in (None, intake.SKIPPED) else name,
        media_ids=tuple(int(m) for m in tracker.get_slot("evidence_media") or []),
        submission_key=get_identity_cipher().submission_key(
            tracker.sender_id, message_id or now.isoformat()
        ),
        received_out_of_hours=not is_office_open(now, settings=office),
    )


async def office_settings() -> Settings:
    """Settings with the office hours, holidays and contact edited on ``/pengaturan``.

    Loaded asynchronously (cached for a few seconds per process) and passed to the pure
    office-hours functions, so an edit reaches the assistant without a restart.
    """
    return (await load_effective_settings()).app_settings()


def reset_form_slots() -> list[EventType]:
    """Events that clear every slot of the complaint form."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionSubmitComplaint(Action):
    """Saves the confirmed complaint as a ticket and sends the ticket number."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Saves the ticket (or spools it when the database is down) and answers."""
        confirmed = tracker.get_slot("complaint_confirmation") == CONFIRMED
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        slots = {name: tracker.get_slot(name) for name in FORM_SLOTS}
        if not confirmed and not (intent == "affirm" and kept_for_a_person(slots)):
            return reset_form_slots()
        now = utcnow()
        office = await office_settings()
        draft = draft_from_tracker(tracker, now=now, office=office)
        try:
            number = await submit_or_spool(draft, now=now)
        except SubmissionDeferred:
            dispatcher.utter_message(response="utter_complaint_save_delayed")
            return reset_form_slots()
        dispatcher.utter_message(response="utter_complaint_submitted", ticket_number=number)
        if draft.received_out_of_hours:
            dispatcher.utter_message(
                response="utter_complaint_out_of_hours",
                office_hours=describe_office_hours(settings=office),
                next_opening=format_when(
                    next_office_opening(now, settings=office), settings=office
                ),
            )
        else:
            dispatcher.utter_message(response="utter_complaint_in_hours")
        return [*reset_form_slots(), SlotSet("last_ticket_number", number)]


class ActionCancelComplaint(Action):
    """Cancels the complaint being written; nothing is saved."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "action_cancel_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Deactivates the form and clears its slots."""
        dispatcher.utter_message(response="utter_complaint_cancelled")
        return [ActiveLoop(None), *reset_form_slots()]
