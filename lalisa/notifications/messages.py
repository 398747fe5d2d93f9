"""Notification contents for ticket events; :mod:`lalisa.notifications.queueing` queues them.

Every builder returns a :class:`NotificationContent`: the free text (inside the 24-hour window)
and the configured template with its parameters (outside it). The wording lives in
:mod:`lalisa.notifications.texts`.

Typical use in the back office, in the same transaction as the state change::

    event = await transition(session, ticket, TicketStatus.DIALIHKAN, actor=user, reason=note)
    content = content_for_transition(ticket.number, TicketStatus.DIALIHKAN, agency="Dinas …")
    await enqueue_citizen_update(session, ticket, event, content)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lalisa.core.settings import get_settings
from lalisa.notifications import texts
from lalisa.notifications.models import NotificationKind
from lalisa.tickets.models import TicketStatus

__all__ = [
    "DEFAULT_WORDING",
    "NotificationContent",
    "Wording",
    "citizen_dispatched",
    "citizen_done",
    "citizen_duplicate",
    "citizen_in_progress",
    "citizen_not_actionable",
    "citizen_redirected",
    "citizen_reopened",
    "citizen_verified",
    "content_for_transition",
    "map_link",
    "template_param",
    "trc_dispatch",
]


TEMPLATE_PARAM_LIMIT = 600
"""Longest template parameter we send (the whole template body may not exceed 1024)."""
WHATSAPP_CHANNEL = "whatsapp"

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class NotificationContent:
    """What to send for one event, in both forms.

    Attributes:
        kind: Outbox kind (``citizen_update``, ``trc_dispatch``).
        event: Event name (``verified``, ``closed_selesai`` …).
        body: Free text for inside the 24-hour window.
        template_name: Configured template for outside the window.
        template_language: Template language code.
        template_params: Positional template body parameters (single-line strings).
    """

    kind: str
    event: str
    body: str
    template_name: str
    template_language: str
    template_params: tuple[str, ...]


@dataclass(frozen=True)
class Wording:
    """The texts and template names a message is built with.

    The defaults are the texts of :mod:`lalisa.notifications.texts` and the template settings
    of the environment; the back office passes the superadmin's edited values
    (:meth:`lalisa.runtime_settings.service.EffectiveSettings.wording`).

    Attributes:
        texts: Replacement texts by ``texts`` module name (``VERIFIED_TEXT``…); a replacement
            uses exactly the placeholders of the text it replaces.
        template_citizen_update: Template for citizen updates; ``None`` for the environment's.
        template_trc_dispatch: Template for TRC dispatches; ``None`` for the environment's.
        template_language: Template language; ``None`` for the environment's.
    """

    texts: Mapping[str, str] = field(default_factory=dict)
    template_citizen_update: str | None = None
    template_trc_dispatch: str | None = None
    template_language: str | None = None

    def text(self, name: str) -> str:
        """Return the text in force for a ``texts`` module name.

        Args:
            name: E.g. ``"VERIFIED_TEXT"``.

        Returns:
            The replacement, or the module's text.
        """
        replacement = self.texts.get(name)
        return replacement if replacement else str(getattr(texts, name))

    def citizen_template(self) -> tuple[str, str]:
        """Return (name, language) of the citizen update template."""
        settings = get_settings()
        return (
            self.template_citizen_update or settings.whatsapp.template_citizen_update,
            self.template_language or settings.whatsapp.template_language,
        )

    def trc_template(self) -> tuple[str, str]:
        """Return (name, language) of the TRC dispatch template."""
        settings = get_settings()
        return (
            self.template_trc_dispatch or settings.whatsapp.template_trc_dispatch,
            self.template_language or settings.whatsapp.template_language,
        )


DEFAULT_WORDING = Wording()
"""The texts of the module and the templates of the environment."""


def template_param(value: str | None, limit: int = TEMPLATE_PARAM_LIMIT) -> str:
    """Make a value acceptable as a template parameter.

    Meta refuses parameters with line breaks, tabs or more than four spaces in a row, and
    empty ones; long values are shortened.

    Args:
        value: Any text.
        limit: Maximum length.
        wording: Texts and templates in force.

    Returns:
        A single line, never empty (``-`` for nothing).
    """
    text = _WHITESPACE.sub(" ", value or "").strip()
    if not text:
        return texts.NO_VALUE
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _required(value: str | None, what: str) -> str:
    text = _WHITESPACE.sub(" ", value or "").strip()
    if not text:
        raise ValueError(f"{what} is required for this message")
    return text


def _optional(value: str | None) -> str | None:
    text = _WHITESPACE.sub(" ", value or "").strip()
    return text or None


def _citizen(
    event: str, body: str, status: str, number: str, note: str, wording: Wording
) -> NotificationContent:
    template_name, template_language = wording.citizen_template()
    return NotificationContent(
        kind=NotificationKind.CITIZEN_UPDATE.value,
        event=event,
        body=body,
        template_name=template_name,
        template_language=template_language,
        template_params=(template_param(number), template_param(status), template_param(note)),
    )


def _status_only(
    event: str, text_name: str, status: str, number: str, wording: Wording
) -> NotificationContent:
    # A status change that says nothing but the ticket number: ``<text_name>_TEXT`` takes
    # ``{number}``, ``<text_name>_NOTE`` is used as it is.
    return _citizen(
        event,
        wording.text(f"{text_name}_TEXT").format(number=number),
        status,
        number,
        wording.text(f"{text_name}_NOTE"),
        wording,
    )


def citizen_verified(number: str, *, wording: Wording = DEFAULT_WORDING) -> NotificationContent:
    """Message for a ticket that was verified.

    Args:
        number: Ticket number.
        wording: Texts and templates in force.

    Returns:
        The content.
    """
    return _status_only("verified", "VERIFIED", texts.STATUS_VERIFIED, number, wording)


def citizen_dispatched(number: str, *, wording: Wording = DEFAULT_WORDING) -> NotificationContent:
    """Message for a ticket handed to the TRC.

    Args:
        number: Ticket number.
        wording: Texts and templates in force.

    Returns:
        The content.
    """
    return _status_only("dispatched", "DISPATCHED", texts.STATUS_DISPATCHED, number, wording)


def citizen_in_progress(number: str, *, wording: Wording = DEFAULT_WORDING) -> NotificationContent:
    """Message for a ticket the TRC started working on (optional; not an SOP step).

    Args:
        number: Ticket number.
        wording: Texts and templates in force.

    Returns:
        The content.
    """
    return _status_only("in_progress", "IN_PROGRESS", texts.STATUS_IN_PROGRESS, number, wording)


def citizen_done(
    number: str, result: str | None = None, *, wording: Wording = DEFAULT_WORDING
) -> NotificationContent:
    """Message for a ticket closed as *selesai*.

    Args:
        number: Ticket number.
        result: What was found and done, in words fit for the citizen (optional).
        wording: Texts and templates in force.

    Returns:
        The content.
    """
    result = _optional(result)
    result_line = texts.DONE_RESULT_LINE.format(result=result) if result else ""
    note = (
        wording.text("DONE_RESULT_NOTE").format(result=result)
        if result
        else wording.text("DONE_NOTE")
    )
    return _citizen(
        "closed_selesai",
        wording.text("DONE_TEXT").format(number=number, result_line=result_line),
        texts.STATUS_DONE,
        number,
        note,
        wording,
    )


def citizen_not_actionable(
    number: str,
    reason: str,
    contact: str | None = None,
    *,
    wording: Wording = DEFAULT_WORDING,
) -> NotificationContent:
    """Message for a ticket closed as *tidak dapat ditindaklanjuti*.

    Args:
        number: Ticket number.
        reason: Citizen-facing explanation (mandatory), e.g. "lokasi tidak ditemukan".
        contact: Who to contact instead, where it applies (agency, phone, address).
        wording: Texts and templates in force.

    Returns:
        The content.

    Raises:
        ValueError: The reason is empty.
    """
    reason = _required(reason, "reason")
    contact = _optional(contact)
    contact_line = texts.NOT_ACTIONABLE_CONTACT_LINE.format(contact=contact) if contact else ""
    note = (
        wording.text("NOT_ACTIONABLE_CONTACT_NOTE").format(
            reason=reason.rstrip("."), contact=contact
        )
        if contact
        else wording.text("NOT_ACTIONABLE_NOTE").format(reason=reason)
    )
    return _citizen(
        "closed_tidak_dapat_ditindaklanjuti",
        wording.text("NOT_ACTIONABLE_TEXT").format(
            number=number, reason=reason, contact_line=contact_line
        ),
        texts.STATUS_NOT_ACTIONABLE,
        number,
        note,
        wording,
    )


def citizen_redirected(
    number: str,
    agency: str,
    *,
    reason: str | None = None,
    contact: str | None = None,
    wording: Wording = DEFAULT_WORDING,
) -> NotificationContent:
    """Message for a ticket closed as *dialihkan* to another agency.

    Args:
        number: Ticket number.
        agency: The agency now in charge (mandatory), e.g. "Dinas Lingkungan Hidup".
        reason: Optional explanation for the citizen.
        contact: Optional contact of that agency.
        wording: Texts and templates in force.

    Returns:
        The content.

    Raises:
        ValueError: The agency is empty.
    """
    agency = _required(agency, "agency")
    reason = _optional(reason)
    contact = _optional(contact)
    reason_line = texts.REDIRECTED_REASON_LINE.format(reason=reason) if reason else ""
    contact_line = (
        texts.REDIRECTED_CONTACT_LINE.format(agency=agency, contact=contact) if contact else ""
    )
    note = wording.text("REDIRECTED_NOTE").format(agency=agency)
    if reason:
        note += wording.text("REDIRECTED_REASON_NOTE").format(reason=reason.rstrip("."))
    if contact:
        note += wording.text("REDIRECTED_CONTACT_NOTE").format(agency=agency, contact=contact)
    return _citizen(
        "closed_dialihkan",
        wording.text("REDIRECTED_TEXT").format(
            number=number, agency=agency, reason_line=reason_line, contact_line=contact_line
        ),
        texts.STATUS_REDIRECTED,
        number,
        note,
        wording,
    )


def citizen_duplicate(
    number: str, original: str, *, wording: Wording = DEFAULT_WORDING
) -> NotificationContent:
    """Message for a ticket closed as *duplikat* of another ticket.

    Args:
        number: Ticket number.
        original: Number of the ticket it duplicates (mandatory).
        wording: Texts and templates in force.

    Returns:
        The content.

    Raises:
        ValueError: The original ticket number is empty.
    """
    original = _required(original, "original ticket number")
    return _citizen(
        "closed_duplikat",
        wording.text("DUPLICATE_TEXT").format(number=number, original=original),
        texts.STATUS_DUPLICATE,
        number,
        wording.text("DUPLICATE_NOTE").format(original=original),
        wording,
    )


def citizen_reopened(
    number: str, reason: str | None = None, *, wording: Wording = DEFAULT_WORDING
) -> NotificationContent:
    """Message for a closed ticket that was reopened.

    Args:
        number: Ticket number.
        reason: Citizen-facing reason (optional: the internal reason may not be fit to send).
        wording: Texts and templates in force.

    Returns:
        The content.
    """
    reason = _optional(reason)
    reason_line = texts.REOPENED_REASON_LINE.format(reason=reason) if reason else ""
    note = (
        wording.text("REOPENED_REASON_NOTE").format(reason=reason)
        if reason
        else wording.text("REOPENED_NOTE")
    )
    return _citizen(
        "reopened",
        wording.text("REOPENED_TEXT").format(number=number, reason_line=reason_line),
        texts.STATUS_REOPENED,
        number,
        note,
        wording,
    )


def content_for_transition(
    number: str,
    to_status: TicketStatus | str,
    *,
    reopened: bool = False,
    reason: str | None = None,
    contact: str | None = None,
    agency: str | None = None,
    duplicate_of: str | None = None,
    result: str | None = None,
    wording: Wording = DEFAULT_WORDING,
) -> NotificationContent | None:
    """Pick the citizen message for a status change.

    Args:
        number: Ticket number.
        to_status: New status.
        reopened: The change reopens a closed ticket (``to_status`` is then ``baru``).
        reason: Citizen-facing reason (refusal, redirect, reopening).
        contact: Who to contact instead (refusal, redirect).
        agency: Agency for *dialihkan*.
        duplicate_of: Original ticket number for *duplikat*.
        result: Outcome for *selesai*.
        wording: Texts and templates in force.

    Returns:
        The content, or ``None`` when the change is not told to the citizen.

    Raises:
        ValueError: A value the message needs is missing (reason, agency, duplicate_of).
    """
    status = TicketStatus(to_status)
    if reopened:
        return citizen_reopened(number, reason, wording=wording)
    if status is TicketStatus.DIVERIFIKASI:
        return citizen_verified(number, wording=wording)
    if status is TicketStatus.DIDISPOSISIKAN:
        return citizen_dispatched(number, wording=wording)
    if status is TicketStatus.SELESAI:
        return citizen_done(number, result, wording=wording)
    if status is TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI:
        return citizen_not_actionable(number, reason or "", contact, wording=wording)
    if status is TicketStatus.DIALIHKAN:
        return citizen_redirected(
            number, agency or "", reason=reason, contact=contact, wording=wording
        )
    if status is TicketStatus.DUPLIKAT:
        return citizen_duplicate(number, duplicate_of or "", wording=wording)
    return None


def map_link(latitude: float | None, longitude: float | None) -> str | None:
    """Link to a map pin.

    Args:
        latitude: Latitude, or ``None``.
        longitude: Longitude, or ``None``.

    Returns:
        A Google Maps URL, or ``None`` without coordinates.
    """
    if latitude is None or longitude is None:
        return None
    return f"https://www.google.com/maps?q={latitude:.6f},{longitude:.6f}"


def trc_dispatch(
    number: str,
    *,
    category: str,
    place: str | None,
    latitude: float | None,
    longitude: float | None,
    priority: str,
    instructions: str | None,
    dispatch_url: str,
    wording: Wording = DEFAULT_WORDING,
) -> NotificationContent:
    """Message to a TRC officer about a dispatch; it never carries the reporter's identity.

    Args:
        number: Ticket number.
        category: Category label (not the id).
        place: Place description (desa, kecamatan, landmark).
        latitude: Pin latitude, if any.
        longitude: Pin longitude, if any.
        priority: Priority label.
        instructions: The verifikator's instructions.
        dispatch_url: Link to the dispatch page in the back office.
        wording: Texts and templates in force.

    Returns:
        The content (kind ``trc_dispatch``).
    """
    template_name, template_language = wording.trc_template()
    values = {
        "number": number,
        "category": template_param(category, 120),
        "place": template_param(place, 200),
        "priority": template_param(priority, 40),
        "instructions": template_param(instructions, 400),
        "map_link": map_link(latitude, longitude) or texts.NO_VALUE,
        "dispatch_url": template_param(dispatch_url, 300),
    }
    return NotificationContent(
        kind=NotificationKind.TRC_DISPATCH.value,
        event="dispatch",
        body=wording.text("TRC_DISPATCH_TEXT").format(**values),
        template_name=template_name,
        template_language=template_language,
        template_params=(
            template_param(number),
            values["category"],
            values["place"],
            values["priority"],
            values["instructions"],
            values["map_link"],
            values["dispatch_url"],
        ),
    )
