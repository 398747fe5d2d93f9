"""The complaint form's state: its questions, slots, the turn being worked out, and its result.

Shared by every step of :mod:`lalisa.intake.form`: :class:`Answer` (the citizen's message as
the form reads it), :class:`Step` (what one turn sets and says), ``_Turn`` (the slot values
while a turn is worked out), the order of the questions (:func:`next_question`) and the
constants the steps share. Imports nothing else of the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lalisa.intake.readers.words import is_payload

MAX_ASKS: Final = 2
"""How many times in a row one question may be asked; the next time the strategy changes."""

CLEAR_INTENT_CONFIDENCE: Final = 0.5
"""An intent below this confidence never interrupts the form."""

CANCEL_CONFIDENCE: Final = 0.8
"""``cancel`` must be this clear to stop a report ("barusan" is read as ``cancel`` at 0.67)."""

EMERGENCY_CONFIDENCE: Final = 0.8
"""An emergency this clear gets the emergency numbers first even when the message also
answers the question ("kebakaran di desa Halong")."""

MIN_OPENING_DESCRIPTION_WORDS: Final = 5
MIN_STORY_WORDS: Final = 4
"""An opening is the story only when this many of its words tell what happened: "Selamat
sore, Bapak. Saya mau lapor soal hewan ternak." only announces a report, so the form asks."""
MAX_TIME_CHARS: Final = 200

PIN_LOCATION: Final = "(titik lokasi)"
MEDIA_EVIDENCE: Final = "(media)"
CONFIRMED: Final = "ya"

# The questions of the form, in order. Others are asked on the way: which category among
# the likeliest, which kecamatan/desa, which field to change, whether to really cancel.
MAIN_QUESTIONS: Final = (
    "category",
    "description",
    "location",
    "incident_time",
    "evidence",
    "reporter_name",
    "complaint_confirmation",
)

# Questions the form answers between its own, through the rules of the domain.
DIGRESSION_INTENTS: Final = frozenset(
    {
        "ask_duties",
        "ask_authority",
        "ask_programs",
        "ask_service_hours",
        "ask_office_contact",
        "ask_how_to_report",
        "ask_confidentiality",
        "bot_challenge",
        "emergency",
        "check_status",
        "request_human",
    }
)
GENERAL_ANSWER_INTENTS: Final = frozenset(
    {"ask_how_to_report", "ask_office_contact", "ask_programs", "ask_duties", "ask_authority"}
)
"""Digressions whose answer is general ("Cara melapor: 1. …", the office address): a question
about the question asked ("fotonya wajib kah?", "alamat lengkap kah?") read as one of these is
answered by the step's own help instead. The other digressions (confidentiality, office hours,
status, a person, an emergency) keep their specific answers."""
CANCEL_INTENT: Final = "cancel"

# Every slot the complaint form writes; all are cleared when a complaint ends.
FORM_SLOTS: Final = (
    "category",
    "category_candidates",
    "category_page",
    "category_told",
    "category_rounds",
    "description",
    "location",
    "location_lat",
    "location_lon",
    "location_kecamatan",
    "location_desa",
    "location_note",
    "location_mode",
    "kecamatan_choice",
    "desa_choice",
    "incident_time",
    "incident_at",
    "evidence",
    "evidence_media",
    "reporter_name",
    "complaint_confirmation",
    "confirmation_mode",
    "correction_field",
    "correction_requested",
    "cancel_confirmation",
    "cancel_requested",
    "complaint_outcome",
    "form_asks",
    "form_last_answer",
    "pending_report",
)

# Slots that hold what the citizen reported; a change to one of them is progress.
_VALUE_SLOTS: Final = (
    "category",
    "category_candidates",
    "category_page",
    "description",
    "location",
    "location_kecamatan",
    "location_desa",
    "kecamatan_choice",
    "desa_choice",
    "incident_time",
    "evidence",
    "evidence_media",
    "reporter_name",
    "complaint_confirmation",
    "correction_requested",
    "cancel_requested",
    "confirmation_mode",
    "location_mode",
)

# The slots a correction of one field clears so that the form asks it again.
CORRECTION_CLEARS: Final[dict[str, tuple[str, ...]]] = {
    "category": ("category", "category_candidates", "category_page"),
    "description": ("description",),
    "location": (
        "location",
        "location_lat",
        "location_lon",
        "location_kecamatan",
        "location_desa",
        "location_mode",
        "kecamatan_choice",
        "desa_choice",
        "location_note",
    ),
    "incident_time": ("incident_time", "incident_at"),
    "evidence": ("evidence", "evidence_media"),
    "reporter_name": ("reporter_name",),
}


@dataclass(frozen=True)
class Utterance:
    """A response of the domain to send, with its template values."""

    response: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """The citizen's latest message, as the form sees it.

    Attributes:
        text: What was typed (or the button payload).
        intent: The intent the NLU gave it.
        confidence: The intent's confidence.
        entities: The NLU entities.
        pin: Latitude and longitude of a shared location, if the message is one.
        pin_label: Name/address WhatsApp sent with the pin.
        media_id: Id of the photo/video the action recorded, if the message is one.
        is_media: Whether the message is a photo/video (even if recording it failed).
        media_type: The file's WhatsApp type (``image``, ``video``, ``document``, ``audio``).
        caption: The words typed with the photo/video ("di depan pasar Batumandi, tadi
            malam"), read as a typed answer to the question asked.
        category_ranking: The classifier's ``category_ranking`` of the message, read at the
            category question when no ``category`` entity was emitted.
        previous_text: The citizen's previous typed message ("" if none or a tap), which a
            "*word" correction fixes.
        previous_question: The question that previous message answered (None: it opened
            the report, or came before the form).
    """

    text: str
    intent: str | None = None
    confidence: float = 0.0
    entities: tuple[Mapping[str, Any], ...] = ()
    pin: tuple[float, float] | None = None
    pin_label: str = ""
    media_id: int | None = None
    is_media: bool = False
    media_type: str = ""
    caption: str = ""
    category_ranking: Mapping[str, Any] | None = None
    previous_text: str = ""
    previous_question: str | None = None

    @property
    def typed(self) -> str:
        """The typed text, or "" for a button payload."""
        return "" if is_payload(self.text) else self.text.strip()

    def clear_intent(self, *intents: str) -> bool:
        """Whether the NLU confidently gave one of ``intents``."""
        return self.intent in intents and self.confidence >= CLEAR_INTENT_CONFIDENCE


@dataclass
class Step:
    """What one form turn does.

    Attributes:
        slots: Slot values to set, ``requested_slot`` included (``None`` ends the form).
        utterances: Responses to send before the next question.
        interrupt: The message was not an answer but a question of its own: set nothing, so
            that the form is rejected and the domain's rules answer it.
        missed_twice: The form did not understand this answer nor the one before it, to the
            same question (the loop guard changes strategy now): the conversation may need a
            person, as after two NLU fallbacks outside the form.
    """

    slots: dict[str, Any] = field(default_factory=dict)
    utterances: list[Utterance] = field(default_factory=list)
    interrupt: bool = False
    missed_twice: bool = False


def place_summary(kecamatan: str, desa: str | None) -> str:
    """Describes a resolved place for the citizen: "X, Kecamatan Y"."""
    if desa:
        return f"{desa}, Kecamatan {kecamatan}"
    return f"Kecamatan {kecamatan}"


def has_content(slots: Mapping[str, Any]) -> bool:
    """Whether the report being written holds anything the citizen would lose by cancelling."""
    return any(slots.get(slot) not in (None, []) for slot in MAIN_QUESTIONS[:-1]) or bool(
        slots.get("evidence_media")
    )


def kept_for_a_person(slots: Mapping[str, Any]) -> bool:
    """Whether a complete report is waiting after the form handed the citizen to a person.

    The summary could not be settled, so the form stopped before the last question; a "ya"
    now is the answer the form could not read, and sends the report as the summary showed it.
    """
    return slots.get("complaint_outcome") == "handoff" and all(
        slots.get(slot) is not None for slot in MAIN_QUESTIONS[:-1]
    )


def next_question(slots: Mapping[str, Any]) -> str | None:
    """The slot the form asks for next, or None when it is done.

    Args:
        slots: Current slot values.

    Returns:
        A main question, or one asked on the way (``cancel_confirmation``,
        ``correction_field``, ``kecamatan_choice``, ``desa_choice``).
    """
    if slots.get("complaint_outcome"):
        return None
    if slots.get("cancel_requested"):
        return "cancel_confirmation"
    if slots.get("correction_requested"):
        return "correction_field"
    for slot in MAIN_QUESTIONS:
        if slots.get(slot) is not None:
            continue
        if slot == "location" and slots.get("location_mode") == "pick":
            return "kecamatan_choice" if slots.get("kecamatan_choice") is None else "desa_choice"
        return slot
    return None


def question_key(slot: str | None, slots: Mapping[str, Any]) -> str | None:
    """Identifies a question for the loop guard (the summary and its choice prompt differ)."""
    if slot == "complaint_confirmation" and slots.get("confirmation_mode") == "choice":
        return "complaint_confirmation:choice"
    return slot


class _Turn:
    """Slot values while one turn is worked out, and what the turn changes and says."""

    def __init__(self, slots: Mapping[str, Any], now: datetime) -> None:
        self.state: dict[str, Any] = dict(slots)
        self.changes: dict[str, Any] = {}
        self.utterances: list[Utterance] = []
        self.now = now
        self.helped = False
        """The citizen asked about the question and the turn answered (no miss)."""
        self.kept_asking = False
        """The answer added to the report but not to the question asked (more of the story at
        the place question): the question comes again and counts as asked once more."""
        self.aside = False
        """The message was small talk or a nudge ("min", "makasih"), answered in kind: the
        question comes again without counting as asked once more (it was not answered)."""

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            self.state[name] = value
            self.changes[name] = value

    def say(self, response: str, **values: Any) -> None:
        self.utterances.append(Utterance(response, values))

    def get(self, name: str) -> Any:
        return self.state.get(name)
