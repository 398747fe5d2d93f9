"""The complaint form: validating each answer, the summary, submission and cancel."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from lalisa.core.db import session_scope
from lalisa.core.settings import Settings
from lalisa.intake import answers as intake
from lalisa.intake.timeparse import parse_incident_time
from lalisa.office.hours import (
    describe_office_hours,
    format_when,
    is_office_open,
    next_office_opening,
)
from lalisa.places.geo import locate_point, resolve_place
from lalisa.runtime_settings.service import load_effective_settings
from lalisa.tickets.categories import FALLBACK_CATEGORY, category_label, is_known_category
from lalisa.tickets.service import ComplaintDraft, record_pending_media
from lalisa.tickets.spool import SubmissionDeferred, submit_or_spool

logger = logging.getLogger(__name__)

FORM_SLOTS = (
    "category",
    "description",
    "location",
    "location_lat",
    "location_lon",
    "location_kecamatan",
    "location_desa",
    "incident_time",
    "incident_at",
    "evidence",
    "evidence_media",
    "reporter_name",
    "complaint_confirmation",
    "correction_field",
)

# Intents that interrupt the form instead of answering its question; they
# mirror the `not_intent` list of the form's slot mappings in the domain.
DIGRESSION_INTENTS = frozenset(
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
        "cancel",
        "check_status",
        "request_human",
        "greet",
        "goodbye",
        "thank",
        "out_of_scope",
        "share_location",
        "share_media",
    }
)

# Which slots a correction clears, by the slot the citizen named.
_CORRECTION_CLEARS: dict[str, tuple[str, ...]] = {
    "category": ("category",),
    "description": ("description",),
    "location": ("location", "location_lat", "location_lon", "location_kecamatan", "location_desa"),
    "incident_time": ("incident_time", "incident_at"),
    "evidence": ("evidence", "evidence_media"),
    "reporter_name": ("reporter_name",),
}

PIN_LOCATION = "(titik lokasi)"


def utcnow() -> datetime:
    """The current time (a seam for tests of office-hours behaviour)."""
    return datetime.now(timezone.utc)


MEDIA_EVIDENCE = "(media)"


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _entity_values(tracker: Tracker, entity: str) -> list[Any]:
    return [
        e.get("value")
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == entity
    ]


def place_summary(kecamatan: str, desa: str | None) -> str:
    """Describes a resolved place for the citizen: "X, Kecamatan Y"."""
    if desa:
        return f"{desa}, Kecamatan {kecamatan}"
    return f"Kecamatan {kecamatan}"


class ValidateComplaintForm(FormValidationAction):
    """Validates each answer of the complaint form and supports corrections."""

    def name(self) -> str:
        """Returns the action name used in the domain."""
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Asks which field to correct only after the citizen chose "ubah"."""
        if tracker.get_slot("complaint_confirmation") == "ubah":
            return list(domain_slots)
        return [slot for slot in domain_slots if slot != "correction_field"]

    async def extract_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Files an answer the classifier could not place under "lainnya".

        Only when the form asked for the category and the citizen wrote a
        complaint-like answer: a question or a greeting is a digression.
        """
        if tracker.get_slot("requested_slot") != "category":
            return {}
        if _entity_values(tracker, "category"):
            return {}
        if _intent(tracker) in ("report_complaint", "nlu_fallback"):
            text = tracker.latest_message.get("text") or ""
            if text and not text.startswith("/"):
                return {"category": FALLBACK_CATEGORY}
        return {}

    async def extract_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Uses the opening message as the description when it already tells the story.

        "ada PKL jualan di trotoar depan pasar paringin" starts the form and is a
        description in itself; "mau lapor" is not.
        """
        if tracker.get_slot("requested_slot") is not None or tracker.get_slot("description"):
            return {}
        if _intent(tracker) != "report_complaint":
            return {}
        text = tracker.latest_message.get("text") or ""
        if text.startswith("/"):
            return {}
        description = intake.clean_description(text)
        if description is None or len(description.split()) < 5:
            return {}
        return {"description": description}

    def validate_category(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accepts a canonical category; anything else becomes "lainnya"."""
        if isinstance(value, list):
            value = value[-1] if value else None
        if is_known_category(value):
            return {"category": value}
        return {"category": FALLBACK_CATEGORY}

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keeps a description of at least a few words, as plain text."""
        description = intake.clean_description(value if isinstance(value, str) else None)
        if description is None:
            dispatcher.utter_message(response="utter_description_too_short")
            return {"description": None}
        return {"description": description}

    def validate_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Resolves a WhatsApp pin or a typed place to a kecamatan/desa of Balangan."""
        if _intent(tracker) == "share_location" or value == PIN_LOCATION:
            return self._validate_pin(dispatcher, tracker)
        text = value if isinstance(value, str) else ""
        place = resolve_place(text, assume_place=True)
        if place is None:
            dispatcher.utter_message(response="utter_location_not_found")
            return {"location": None}
        dispatcher.utter_message(
            response="utter_location_confirmed", place=place_summary(place.kecamatan, place.desa)
        )
        return {
            "location": text.strip()[: intake.MAX_DESCRIPTION_CHARS],
            "location_lat": None,
            "location_lon": None,
            "location_kecamatan": place.kecamatan,
            "location_desa": place.desa,
        }

    def _validate_pin(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        latitudes = _entity_values(tracker, "latitude")
        longitudes = _entity_values(tracker, "longitude")
        rejected = {"location": None, "location_lat": None, "location_lon": None}
        try:
            latitude = float(latitudes[-1])
            longitude = float(longitudes[-1])
        except (IndexError, TypeError, ValueError):
            logger.warning("Location pin without usable coordinates: %s", tracker.latest_message)
            dispatcher.utter_message(response="utter_location_not_found")
            return rejected
        place = locate_point(latitude, longitude)
        if place is None:
            logger.info("Location pin outside Balangan: %s,%s", latitude, longitude)
            dispatcher.utter_message(response="utter_location_outside_balangan")
            return rejected
        dispatcher.utter_message(
            response="utter_location_confirmed", place=place_summary(place.kecamatan, place.desa)
        )
        metadata = tracker.latest_message.get("metadata") or {}
        label = " ".join(
            str(part) for part in (metadata.get("name"), metadata.get("address")) if part
        )
        return {
            "location": label or PIN_LOCATION,
            "location_lat": latitude,
            "location_lon": longitude,
            "location_kecamatan": place.kecamatan,
            "location_desa": place.desa,
        }

    async def validate_incident_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keeps the time as typed, and its parsed moment when it can be parsed."""
        text = value if isinstance(value, str) else ""
        if intake.is_skip_answer(text):
            return {"incident_time": intake.SKIPPED, "incident_at": None}
        parsed = parse_incident_time(text, utcnow())
        if parsed is None and _intent(tracker) == "ask_service_hours" and "?" in text:
            # A real question about office hours, not a time: answer it, ask again.
            office = await office_settings()
            dispatcher.utter_message(
                response="utter_service_hours",
                office_hours=describe_office_hours(settings=office),
            )
            return {"incident_time": None, "incident_at": None}
        return {
            "incident_time": text.strip()[:200],
            "incident_at": parsed.isoformat() if parsed else None,
        }

    async def validate_evidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Records a photo/video sent as evidence, or accepts "lewati"."""
        media = list(tracker.get_slot("evidence_media") or [])
        if _intent(tracker) == "share_media":
            media_id = await self._record_media(tracker)
            if media_id is not None:
                media.append(media_id)
            dispatcher.utter_message(response="utter_evidence_received", count=len(media))
            return {"evidence": MEDIA_EVIDENCE, "evidence_media": media}
        if intake.is_skip_answer(value if isinstance(value, str) else None):
            return {"evidence": intake.SKIPPED if not media else MEDIA_EVIDENCE}
        if media:
            # Any other answer after a photo means "that's all".
            return {"evidence": MEDIA_EVIDENCE}
        dispatcher.utter_message(response="utter_evidence_text_not_media")
        return {"evidence": None}

    async def _record_media(self, tracker: Tracker) -> int | None:
        metadata = tracker.latest_message.get("metadata") or {}
        media_ids = _entity_values(tracker, "media_id")
        media_types = _entity_values(tracker, "media_type")
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

    def validate_reporter_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keeps the name, or "-" when the citizen prefers not to give one."""
        name = intake.clean_name(value if isinstance(value, str) else None)
        return {"reporter_name": name or intake.SKIPPED}

    def validate_complaint_confirmation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Submits on yes; on a correction clears the named field so the form asks again."""
        text = tracker.latest_message.get("text") or ""
        answer = None if text.startswith("/") else intake.interpret_confirmation(text)
        if answer is None and value in ("ya", "ubah"):
            answer = intake.ConfirmationAnswer(submit=value == "ya", change=value == "ubah")
        if answer is None:
            dispatcher.utter_message(response="utter_confirmation_unclear")
            return {"complaint_confirmation": None}
        if answer.submit:
            return {"complaint_confirmation": "ya"}
        if answer.field is not None:
            return clear_for_correction(answer.field)
        return {"complaint_confirmation": "ubah"}

    def validate_correction_field(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Clears the field the citizen wants to change."""
        field = intake.correction_field(value if isinstance(value, str) else None)
        if field is None:
            dispatcher.utter_message(response="utter_correction_field_unknown")
            return {"correction_field": None}
        return clear_for_correction(field)


def clear_for_correction(field: str) -> dict[str, Any]:
    """Slot values that make the form ask ``field`` again, then the summary."""
    values: dict[str, Any] = {slot: None for slot in _CORRECTION_CLEARS[field]}
    values.update({"complaint_confirmation": None, "correction_field": None})
    return values


def summary_values(tracker: Tracker) -> dict[str, str]:
    """The values shown in the summary before the citizen confirms."""
    kecamatan = tracker.get_slot("location_kecamatan")
    desa = tracker.get_slot("location_desa")
    place = place_summary(kecamatan, desa) if kecamatan else ""
    location = tracker.get_slot("location") or ""
    location_summary = f"{location} ({place})" if location and place else (location or place)
    media = tracker.get_slot("evidence_media") or []
    evidence = f"{len(media)} foto/video" if media else "tidak ada"
    incident_time = tracker.get_slot("incident_time")
    name = tracker.get_slot("reporter_name")
    return {
        "category_label": category_label(tracker.get_slot("category")),
        "description": tracker.get_slot("description") or "",
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
        """Utters the summary with submit/change/cancel buttons."""
        dispatcher.utter_message(response="utter_complaint_summary", **summary_values(tracker))
        return []


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
    name = tracker.get_slot("reporter_name")
    incident_time = tracker.get_slot("incident_time")
    return ComplaintDraft(
        category=tracker.get_slot("category") or FALLBACK_CATEGORY,
        description=tracker.get_slot("description") or "",
        latitude=tracker.get_slot("location_lat"),
        longitude=tracker.get_slot("location_lon"),
        kecamatan=tracker.get_slot("location_kecamatan"),
        desa=tracker.get_slot("location_desa"),
        location_text=tracker.get_slot("location"),
        incident_time_text=None if incident_time == intake.SKIPPED else incident_time,
        incident_at=datetime.fromisoformat(incident_at) if incident_at else None,
        reporter_sender_id=tracker.sender_id,
        reporter_channel=tracker.get_latest_input_channel() or "unknown",
        reporter_name=None if name in (None, intake.SKIPPED) else name,
        media_ids=tuple(int(m) for m in tracker.get_slot("evidence_media") or []),
        submission_key=f"{tracker.sender_id}:{message_id or now.isoformat()}",
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
        if tracker.get_slot("complaint_confirmation") != "ya":
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
