"""The SKM satisfaction survey: storage, invitation and the answers of the citizen.

One :class:`SurveyResponse` row per ticket (table ``survey_responses``, revision
``0009_survey``) holds the invitation, the nine answers (1..4, ``NULL`` until given), the
optional suggestion (*saran*) and the outcome (invited → partial → completed, or declined).

Invitation. When a ticket is closed as *Selesai*, *Tidak dapat ditindaklanjuti* or
*Dialihkan*, :func:`invite_after_close` (called by :mod:`lalisa.tickets.workflow` in the closing
transaction) writes the row and queues the invitation in the durable outbox: a free text with
the reply buttons "Isi survei" / "Tidak mau" inside the 24-hour window, the approved template
``WHATSAPP_TEMPLATE_SURVEY_INVITATION`` with the same buttons outside it. *Duplikat* gets no
invitation: the complaint is handled under the original ticket, whose reporter is invited, so
the same service is not rated twice. A ticket gets one invitation in its life (unique row, and
the outbox key ``survey_invitation:ticket:<id>``): reopening and closing it again sends none.

Answers are written as they come by the assistant's actions (:mod:`actions.survey`), so a
citizen may stop and continue later from the first unanswered unsur, or decline; a declined
survey is never asked again.

Nothing here commits: every function works in the caller's unit of work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.core import audit
from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import insert_or_find
from lalisa.core.models import aware_now
from lalisa.core.settings import get_settings
from lalisa.notifications import texts
from lalisa.notifications.messages import WHATSAPP_CHANNEL, Wording, template_param
from lalisa.notifications.models import OutboxMessage, RecipientKind
from lalisa.notifications.outbox import enqueue
from lalisa.survey.models import SurveyResponse, SurveyStatus, answers_of
from lalisa.survey.skm import SCORE_MAX, SCORE_MIN, UNSUR
from lalisa.tickets.models import Reporter, Ticket, TicketStatus
from lalisa.tickets.service import REPORTER_ACTOR

__all__ = [
    "INVITATION_KIND",
    "MAX_SARAN",
    "SURVEY_OUTCOMES",
    "SurveyCounts",
    "count_responses",
    "counted_answers",
    "decline",
    "invitation_buttons",
    "invitation_of",
    "invite_after_close",
    "is_decline",
    "is_pause",
    "mask_identity",
    "next_unsur",
    "open_survey_for_sender",
    "parse_score",
    "record_answer",
    "record_saran",
    "responses_in_period",
    "start_payload",
]

INVITATION_KIND: Final = "survey_invitation"
MAX_SARAN: Final = 1000
"""Longest suggestion kept (a longer one is cut)."""

SURVEY_OUTCOMES: Final = frozenset(
    {
        TicketStatus.SELESAI,
        TicketStatus.TIDAK_DAPAT_DITINDAKLANJUTI,
        TicketStatus.DIALIHKAN,
    }
)
"""Closing outcomes after which the citizen is invited (not *Duplikat*, see the module doc)."""


def next_unsur(survey: SurveyResponse) -> str | None:
    """Return the first unanswered unsur (regulation order), or ``None`` when all are answered."""
    for key, value in answers_of(survey).items():
        if value is None:
            return key
    return None


# ---------------------------------------------------------------------------- invitation


def _intent_payload(intent: str, number: str) -> str:
    return f"/{intent}" + json.dumps({"ticket_id": number}, separators=(",", ":"))


def start_payload(number: str) -> str:
    """Payload of the "Isi survei" button (the Rasa intent ``survey_start`` with the ticket)."""
    return _intent_payload("survey_start", number)


def invitation_buttons(number: str) -> list[dict[str, str]]:
    """Reply buttons of the invitation, in the order of the template's quick replies."""
    return [
        {"id": start_payload(number), "title": texts.SURVEY_BUTTON_START},
        {"id": _intent_payload("survey_decline", number), "title": texts.SURVEY_BUTTON_DECLINE},
    ]


async def _survey_for_ticket(session: AsyncSession, ticket_id: int) -> SurveyResponse | None:
    query = select(SurveyResponse).where(SurveyResponse.ticket_id == ticket_id)
    return (await session.execute(query)).scalar_one_or_none()


async def invite_after_close(
    session: AsyncSession,
    ticket: Ticket,
    *,
    now: datetime | None = None,
    wording: Wording | None = None,
) -> SurveyResponse | None:
    """Create the ticket's survey and queue its invitation, in the closing transaction.

    Args:
        session: The unit of work that closes the ticket (nothing is committed here).
        ticket: The ticket, already in its closing status.
        now: Time (aware).
        wording: Texts edited on the settings page; ``None`` for the defaults.

    Returns:
        The survey (the existing one when the ticket was invited before), or ``None`` when
        the outcome gets no survey or the reporter has no WhatsApp number.
    """
    if TicketStatus(ticket.status) not in SURVEY_OUTCOMES:
        return None
    existing = await _survey_for_ticket(session, ticket.id)
    if existing is not None:
        return existing
    reporter = await session.get(Reporter, ticket.reporter_id)
    if reporter is None or reporter.channel != WHATSAPP_CHANNEL:
        return None
    now = aware_now(now)
    survey = SurveyResponse(
        ticket_id=ticket.id,
        reporter_id=reporter.id,
        close_status=TicketStatus(ticket.status).value,
        status=SurveyStatus.INVITED,
        invited_at=now,
        updated_at=now,
        saran_done=False,
    )
    # A concurrent close of the same ticket may create it first.
    survey, created = await insert_or_find(
        session, survey, lambda: _survey_for_ticket(session, ticket.id)
    )
    if not created:
        return survey
    wording = wording or Wording()
    await enqueue(
        session,
        kind=INVITATION_KIND,
        event="survey_invitation",
        ticket_id=ticket.id,
        recipient_phone=get_identity_cipher().decrypt(reporter.phone_encrypted),
        recipient_kind=RecipientKind.CITIZEN,
        recipient_ref=reporter.phone_blind_index,
        body=wording.text("SURVEY_INVITATION_TEXT").format(number=ticket.number),
        template_name=get_settings().whatsapp.template_survey_invitation,
        template_language=wording.citizen_template()[1],
        template_params=[template_param(ticket.number)],
        idempotency_key=f"{INVITATION_KIND}:ticket:{ticket.id}",
        buttons=invitation_buttons(ticket.number),
        now=now,
    )
    await audit.record(
        session,
        actor=audit.SYSTEM_ACTOR,
        action=audit.SURVEY_INVITED,
        target=f"ticket:{ticket.number}",
    )
    return survey


async def invitation_of(session: AsyncSession, ticket_id: int) -> OutboxMessage | None:
    """Return the queued invitation of a ticket, if any."""
    query = select(OutboxMessage).where(
        OutboxMessage.idempotency_key == f"{INVITATION_KIND}:ticket:{ticket_id}"
    )
    return (await session.execute(query)).scalar_one_or_none()


# ---------------------------------------------------------------------- citizen's answers

_NEGATION: Final = r"(?:tidak|tdk|gak|ga|gk|nggak|ngga|enggak|kada|kadada|bukan)"
_INTENSIFIER: Final = r"(?:sangat|sgt|sngt|amat|banget|bgt|sekali|bener|benar2|pol)"
_POSITIVE: Final = (
    r"(?:puas|memuaskan|baik|bagus|sesuai|mudah|cepat|jelas|ramah|sopan|memadai|kompeten|"
    r"wajar|gratis|tanggap|sigap|lancar|membantu)"
)
_SCORE_RULES: Final[tuple[tuple[re.Pattern[str], int], ...]] = tuple(
    (re.compile(pattern), score)
    for pattern, score in (
        # Checked in order: "sangat tidak puas" before "tidak puas" before "sangat puas".
        (rf"\b{_INTENSIFIER}\s+(?:{_NEGATION}|kurang)\b", 1),
        (rf"\b{_NEGATION}\s+{_POSITIVE}\b", 1),
        (r"\b(?:buruk|jelek|parah|kecewa|mengecewakan|lambat|mahal|ribet|kasar)\b", 1),
        (r"\b(?:kurang|krg|kurg)\b", 2),
        (rf"\b{_INTENSIFIER}\b.*\b{_POSITIVE}\b|\b{_POSITIVE}\b.*\b{_INTENSIFIER}\b", 4),
        # "gratis" is the best answer to the biaya question ("tidak gratis" is caught above).
        (r"\b(?:mantap|mantul|luar\s+biasa|top|terbaik|gratis)\b", 4),
        (rf"\b{_POSITIVE}\b", 3),
        (r"\b(?:lumayan|cukup|oke|ok|okelah)\b", 3),
    )
)
# The digit, then the end, a dash/colon, or a comma before a reason ("4, fotonya jelas"); not a
# decimal ("3,5") nor a number of something ("2 kali").
_DIGIT: Final = re.compile(r"^\s*([1-4])\s*(?:[.)]\s*)?(?:[-–:;/!]|,(?!\s*\d)|$)")
_MAX_ANSWER_LENGTH: Final = 60


def parse_score(text: str | None) -> int | None:
    """Read a 1..4 answer from a button reply or a typed one.

    Accepts the digits ``1``–``4`` alone, at the start of the button title
    (``"4 - Sangat baik"``) or before a reason (``"4, fotonya jelas"``: the digit wins over the
    words), and words: *sangat puas/baik* → 4, *puas/baik/sesuai* → 3,
    *kurang* → 2, *tidak puas/baik*, *buruk* → 1, with common WhatsApp spellings.

    Args:
        text: What the citizen sent.

    Returns:
        The score, or ``None`` when the text is not an answer.
    """
    if not text:
        return None
    value = " ".join(text.strip().lower().split())
    match = _DIGIT.match(value)
    if match:
        return int(match.group(1))
    if len(value) > _MAX_ANSWER_LENGTH:
        return None
    for pattern, score in _SCORE_RULES:
        if pattern.search(value):
            return score
    return None


_DECLINE: Final = re.compile(
    r"\b(tidak|tdk|gak|ga|nggak|ngga|enggak|kada|ogah|malas|males)\s*(mau|usah|bersedia|"
    r"perlu|mau\s+isi|ikut)\b|\bogah\b|\bmalas\b|\bmales\b"
)


_MAX_CONTROL_WORDS: Final = 6
"""Longer texts are answers or suggestions ("petugasnya malas datang"), not "stop"."""


def _short(text: str | None) -> str | None:
    if not text or len(text.split()) > _MAX_CONTROL_WORDS:
        return None
    return text.strip().lower()


def is_decline(text: str | None) -> bool:
    """Return True when the citizen says they do not want to take part ("tidak mau" …)."""
    short = _short(text)
    return bool(short and _DECLINE.search(short))


_PAUSE: Final = re.compile(
    r"\b(nanti|nnti|ntar|entar|lain\s+kali|besok|kapan[-\s]?kapan|belum\s+sempat|lagi\s+sibuk)\b"
)


def is_pause(text: str | None) -> bool:
    """Return True when the citizen wants to stop for now ("nanti saja", "besok" …)."""
    short = _short(text)
    return bool(short and _PAUSE.search(short))


async def open_survey_for_sender(
    session: AsyncSession, sender_id: str, number: str | None = None
) -> SurveyResponse | None:
    """Find the survey a citizen can fill in now.

    Args:
        session: Session of the caller's unit of work.
        sender_id: Channel sender id of the citizen.
        number: A ticket number (from the invitation button); else the latest open survey.

    Returns:
        The survey (invited or partial, or completed but the suggestion step not done), or
        ``None``.
    """
    index = get_identity_cipher().blind_index(sender_id)
    query = (
        select(SurveyResponse)
        .join(Reporter, SurveyResponse.reporter_id == Reporter.id)
        .join(Ticket, SurveyResponse.ticket_id == Ticket.id)
        .where(
            Reporter.phone_blind_index == index,
            SurveyResponse.status.in_([SurveyStatus.INVITED, SurveyStatus.PARTIAL]),
        )
        .order_by(SurveyResponse.invited_at.desc(), SurveyResponse.id.desc())
    )
    if number:
        query = query.where(Ticket.number == number)
    return (await session.execute(query.limit(1))).scalars().first()


async def record_answer(
    session: AsyncSession,
    survey: SurveyResponse,
    unsur: str,
    score: int,
    *,
    now: datetime | None = None,
) -> SurveyResponse:
    """Save one answer (a repeated answer replaces the earlier one).

    Args:
        session: Session of the caller's unit of work.
        survey: The survey (invited or partial).
        unsur: Unsur key from :data:`lalisa.survey.skm.UNSUR`.
        score: 1..4.
        now: Time (aware).

    Returns:
        The survey.

    Raises:
        ValueError: Unknown unsur, score out of range, or the survey is closed.
    """
    if unsur not in UNSUR:
        raise ValueError(f"unknown unsur {unsur!r}")
    if isinstance(score, bool) or not SCORE_MIN <= int(score) <= SCORE_MAX:
        raise ValueError(f"score {score!r} is outside {SCORE_MIN}..{SCORE_MAX}")
    if survey.status in (SurveyStatus.COMPLETED, SurveyStatus.DECLINED):
        raise ValueError(f"survey {survey.id} is {survey.status}")
    now = aware_now(now)
    setattr(survey, f"score_{unsur}", int(score))
    survey.started_at = survey.started_at or now
    survey.status = SurveyStatus.PARTIAL
    survey.updated_at = now
    await session.flush()
    return survey


async def record_saran(
    session: AsyncSession,
    survey: SurveyResponse,
    text: str | None,
    *,
    now: datetime | None = None,
) -> SurveyResponse:
    """Save the optional suggestion (``None`` or blank: skipped) and complete the survey.

    Args:
        session: Session of the caller's unit of work.
        survey: The survey, with all nine unsur answered.
        text: The suggestion, or ``None`` when skipped.
        now: Time (aware).

    Returns:
        The survey, completed.

    Raises:
        ValueError: An unsur is still unanswered, or the survey is declined.
    """
    if next_unsur(survey) is not None:
        raise ValueError("all unsur must be answered before the suggestion")
    if survey.status is SurveyStatus.DECLINED:
        raise ValueError(f"survey {survey.id} is declined")
    now = aware_now(now)
    cleaned = " ".join((text or "").split())
    survey.saran = cleaned[:MAX_SARAN] or None
    survey.saran_done = True
    if survey.status is not SurveyStatus.COMPLETED:
        survey.status = SurveyStatus.COMPLETED
        survey.completed_at = now
        ticket = await session.get(Ticket, survey.ticket_id)
        await audit.record(
            session,
            actor=REPORTER_ACTOR,
            action=audit.SURVEY_COMPLETED,
            target=f"ticket:{ticket.number}" if ticket else None,
        )
    survey.updated_at = now
    await session.flush()
    return survey


async def decline(
    session: AsyncSession, survey: SurveyResponse, *, now: datetime | None = None
) -> SurveyResponse:
    """Record that the citizen does not want to take part.

    Answers given so far are kept but not counted (see :func:`counted_answers`).

    Args:
        session: Session of the caller's unit of work.
        survey: The survey.
        now: Time (aware).

    Returns:
        The survey, declined (unchanged when it was completed already).
    """
    if survey.status in (SurveyStatus.DECLINED, SurveyStatus.COMPLETED):
        return survey
    now = aware_now(now)
    survey.status = SurveyStatus.DECLINED
    survey.declined_at = now
    survey.updated_at = now
    ticket = await session.get(Ticket, survey.ticket_id)
    await audit.record(
        session,
        actor=REPORTER_ACTOR,
        action=audit.SURVEY_DECLINED,
        target=f"ticket:{ticket.number}" if ticket else None,
    )
    await session.flush()
    return survey


# --------------------------------------------------------------------------- reporting


async def responses_in_period(
    session: AsyncSession, start: datetime, end: datetime
) -> list[SurveyResponse]:
    """Return the surveys whose invitation falls in ``[start, end)``.

    The period is that of the service being rated (the ticket's closing), so a late answer
    still counts for the month the complaint was handled in.

    Args:
        session: Any session.
        start: Start (aware, inclusive).
        end: End (aware, exclusive).

    Returns:
        Surveys in invitation order.
    """
    query = (
        select(SurveyResponse)
        .where(SurveyResponse.invited_at >= start, SurveyResponse.invited_at < end)
        .order_by(SurveyResponse.invited_at, SurveyResponse.id)
    )
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class SurveyCounts:
    """Response counts of a period.

    Attributes:
        invited: Surveys invited.
        complete: All nine unsur answered (not declined).
        partial: One to eight unsur answered (not declined).
        declined: Declined.
        unanswered: Invited, nothing answered, not declined.
    """

    invited: int
    complete: int
    partial: int
    declined: int
    unanswered: int


def counted_answers(surveys: Sequence[SurveyResponse]) -> list[dict[str, int | None]]:
    """Return the answers that enter the SKM: complete and partial, not declined surveys."""
    return [
        answers_of(survey)
        for survey in surveys
        if survey.status is not SurveyStatus.DECLINED and survey.answered_count
    ]


def count_responses(surveys: Sequence[SurveyResponse]) -> SurveyCounts:
    """Count surveys by how far they got."""
    complete = partial = declined = unanswered = 0
    for survey in surveys:
        answered = survey.answered_count
        if survey.status is SurveyStatus.DECLINED:
            declined += 1
        elif answered == len(UNSUR):
            complete += 1
        elif answered:
            partial += 1
        else:
            unanswered += 1
    return SurveyCounts(len(surveys), complete, partial, declined, unanswered)


_PHONE: Final = re.compile(r"(?:\+?62|0)[\s.-]?8[\d\s.-]{7,14}\d")
_LONG_NUMBER: Final = re.compile(r"\b\d{8,}\b")
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASK: Final = "[disamarkan]"


def mask_identity(text: str) -> str:
    """Hide phone numbers, e-mail addresses and long numbers (NIK) in a citizen's text.

    Args:
        text: A suggestion as typed.

    Returns:
        The text with those replaced by ``[disamarkan]``.
    """
    text = _EMAIL.sub(MASK, text)
    text = _PHONE.sub(MASK, text)
    return _LONG_NUMBER.sub(MASK, text)
