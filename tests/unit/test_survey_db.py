"""Survey storage and invitation (lalisa.survey.service), SQLite and, if configured, PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lalisa.core import audit
from lalisa.core.audit import AuditLog
from lalisa.core.db import session_scope
from lalisa.core.settings import reset_settings_cache
from lalisa.notifications import texts
from lalisa.notifications.models import OutboxMessage
from lalisa.survey.models import SurveyResponse, SurveyStatus
from lalisa.survey.service import (
    INVITATION_KIND,
    count_responses,
    counted_answers,
    decline,
    invitation_of,
    next_unsur,
    open_survey_for_sender,
    record_answer,
    record_saran,
    responses_in_period,
)
from lalisa.survey.skm import UNSUR, compute
from lalisa.tickets.models import TicketStatus
from lalisa.tickets.workflow import close_done, mark_duplicate, redirect, refuse, reopen
from tests.backoffice.workflow_helpers import (
    REPORTER_PHONE,
    load_ticket_in,
    make_ticket,
)

pytestmark = pytest.mark.usefixtures("db")

OTHER_PHONE = "6281311112222"


@pytest.fixture(autouse=True)
def _template_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_TEMPLATE_SURVEY_INVITATION", "undangan_survei_uji")
    reset_settings_cache()


async def _closed(sender: str = REPORTER_PHONE, *, channel: str = "whatsapp") -> str:
    number = await make_ticket(status=TicketStatus.DALAM_PENANGANAN, sender=sender, channel=channel)
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await close_done(
            session, ticket, actor="admin", result="PKL ditertibkan.", expected_version=None
        )
    return number


async def _survey(number: str) -> SurveyResponse | None:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = select(SurveyResponse).where(SurveyResponse.ticket_id == ticket.id)
        return (await session.execute(query)).scalar_one_or_none()


async def _invitations(number: str) -> list[OutboxMessage]:
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        query = select(OutboxMessage).where(
            OutboxMessage.ticket_id == ticket.id, OutboxMessage.kind == INVITATION_KIND
        )
        return list((await session.execute(query)).scalars())


async def test_closing_as_selesai_invites_with_buttons_and_template() -> None:
    number = await _closed()
    survey = await _survey(number)
    assert survey is not None
    assert survey.status is SurveyStatus.INVITED
    assert survey.close_status == "selesai"
    assert survey.answered_count == 0
    [invitation] = await _invitations(number)
    assert invitation.body == texts.SURVEY_INVITATION_TEXT.format(number=number)
    assert invitation.template_name == "undangan_survei_uji"
    assert invitation.template_params == [number]
    assert invitation.buttons == [
        {"id": f'/survey_start{{"ticket_id":"{number}"}}', "title": "Isi survei"},
        {"id": f'/survey_decline{{"ticket_id":"{number}"}}', "title": "Tidak mau"},
    ]
    async with session_scope() as session:
        # The closing message is queued first, the invitation second.
        ticket = await load_ticket_in(session, number)
        rows = list(
            (
                await session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.ticket_id == ticket.id)
                    .order_by(OutboxMessage.id)
                )
            ).scalars()
        )
        assert [row.event for row in rows][-2:] == ["closed_selesai", "survey_invitation"]
        assert (await invitation_of(session, ticket.id)) is not None
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
        assert audit.SURVEY_INVITED in actions


async def test_one_invitation_per_ticket_even_after_reopening() -> None:
    number = await _closed()
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await reopen(
            session, ticket, actor="admin", reason="Pelapor keberatan", expected_version=None
        )
    async with session_scope() as session:
        ticket = await load_ticket_in(session, number)
        await refuse(
            session,
            ticket,
            actor="admin",
            reason_code="bukti_tidak_cukup",
            explanation="Bukti tidak cukup.",
            expected_version=None,
        )
    assert len(await _invitations(number)) == 1
    survey = await _survey(number)
    assert survey is not None and survey.close_status == "selesai"


async def test_refused_and_redirected_are_invited_duplicates_are_not() -> None:
    refused = await make_ticket(status=TicketStatus.DIVERIFIKASI)
    redirected = await make_ticket(status=TicketStatus.DIVERIFIKASI, sender=OTHER_PHONE)
    duplicate = await make_ticket(status=TicketStatus.BARU, sender="6281399990000")
    async with session_scope() as session:
        await refuse(
            session,
            await load_ticket_in(session, refused),
            actor="admin",
            reason_code="bukan_kewenangan",
            explanation="Bukan kewenangan Satpol PP.",
            expected_version=None,
        )
        await redirect(
            session,
            await load_ticket_in(session, redirected),
            actor="admin",
            agency="Dinas Lingkungan Hidup",
            expected_version=None,
        )
        await mark_duplicate(
            session,
            await load_ticket_in(session, duplicate),
            actor="admin",
            original_number=refused,
            expected_version=None,
        )
    assert (await _survey(refused)).close_status == "tidak_dapat_ditindaklanjuti"  # type: ignore[union-attr]
    assert (await _survey(redirected)).close_status == "dialihkan"  # type: ignore[union-attr]
    assert await _survey(duplicate) is None
    assert await _invitations(duplicate) == []


async def test_invitation_is_rolled_back_with_the_close() -> None:
    number = await make_ticket(status=TicketStatus.DALAM_PENANGANAN)
    with pytest.raises(RuntimeError):
        async with session_scope() as session:
            ticket = await load_ticket_in(session, number)
            await close_done(session, ticket, actor="admin", result=None, expected_version=None)
            assert (await _survey_in(session, ticket.id)) is not None
            raise RuntimeError("the back office action failed after the close")
    assert await _survey(number) is None
    assert await _invitations(number) == []


async def _survey_in(session: object, ticket_id: int) -> SurveyResponse | None:
    query = select(SurveyResponse).where(SurveyResponse.ticket_id == ticket_id)
    return (await session.execute(query)).scalar_one_or_none()  # type: ignore[attr-defined]


async def test_reporter_without_whatsapp_is_not_invited() -> None:
    number = await _closed(sender="web-user-1", channel="web")
    assert await _survey(number) is None
    assert await _invitations(number) == []


async def test_partial_answers_then_resume_and_complete() -> None:
    number = await _closed()
    t0 = datetime.now(timezone.utc)
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, "+62 812-9876-5432")
        assert survey is not None
        for key, score in zip(UNSUR[:3], (4, 3, 2), strict=True):
            await record_answer(session, survey, key, score, now=t0)
    # A day later the citizen comes back: the survey continues at the fourth unsur.
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, REPORTER_PHONE, number)
        assert survey is not None
        assert survey.status is SurveyStatus.PARTIAL
        assert survey.started_at == t0
        assert next_unsur(survey) == "biaya"
        for key in UNSUR[3:]:
            await record_answer(session, survey, key, 4, now=t0 + timedelta(days=1))
        assert next_unsur(survey) is None
        assert survey.status is SurveyStatus.PARTIAL  # until the suggestion step is over
        await record_saran(session, survey, "  Petugas  ramah, hubungi 0812-3456-7890  ")
    survey = await _survey(number)
    assert survey is not None
    assert survey.status is SurveyStatus.COMPLETED
    assert survey.saran == "Petugas ramah, hubungi 0812-3456-7890"
    assert survey.saran_done and survey.completed_at is not None
    async with session_scope() as session:
        assert await open_survey_for_sender(session, REPORTER_PHONE) is None
        with pytest.raises(ValueError):
            await record_answer(session, await _reload(session, survey.id), "waktu", 1)


async def _reload(session: object, survey_id: int) -> SurveyResponse:
    found = await session.get(SurveyResponse, survey_id)  # type: ignore[attr-defined]
    assert found is not None
    return found  # type: ignore[no-any-return]


async def test_suggestion_needs_all_answers_and_may_be_skipped() -> None:
    number = await _closed()
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, REPORTER_PHONE)
        assert survey is not None
        with pytest.raises(ValueError):
            await record_saran(session, survey, "terlalu cepat")
        for key in UNSUR:
            await record_answer(session, survey, key, 3)
        await record_saran(session, survey, None)
    survey = await _survey(number)
    assert survey is not None and survey.saran is None and survey.saran_done
    assert survey.status is SurveyStatus.COMPLETED


async def test_decline_is_recorded_and_never_asked_again() -> None:
    number = await _closed()
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, REPORTER_PHONE)
        assert survey is not None
        await record_answer(session, survey, "persyaratan", 2)
        await decline(session, survey)
    survey = await _survey(number)
    assert survey is not None and survey.status is SurveyStatus.DECLINED
    assert survey.declined_at is not None
    async with session_scope() as session:
        assert await open_survey_for_sender(session, REPORTER_PHONE) is None
        with pytest.raises(ValueError):
            await record_answer(session, await _reload(session, survey.id), "waktu", 3)
        actions = (await session.execute(select(AuditLog.action))).scalars().all()
        assert audit.SURVEY_DECLINED in actions


async def test_other_citizens_cannot_reach_the_survey() -> None:
    number = await _closed()
    async with session_scope() as session:
        assert await open_survey_for_sender(session, OTHER_PHONE) is None
        assert await open_survey_for_sender(session, OTHER_PHONE, number) is None


async def test_answer_validation() -> None:
    await _closed()
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, REPORTER_PHONE)
        assert survey is not None
        with pytest.raises(ValueError):
            await record_answer(session, survey, "persyaratan", 5)
        with pytest.raises(ValueError):
            await record_answer(session, survey, "kebersihan", 3)
        await record_answer(session, survey, "persyaratan", 1)
        await record_answer(session, survey, "persyaratan", 3)  # a repeated answer replaces
        assert survey.score_persyaratan == 3


async def test_period_counts_and_skm_by_hand() -> None:
    complete = await _closed()
    partial = await _closed(sender=OTHER_PHONE)
    declined = await _closed(sender="6281344445555")
    unanswered = await _closed(sender="6281366667777")
    async with session_scope() as session:
        survey = await open_survey_for_sender(session, REPORTER_PHONE, complete)
        assert survey is not None
        for key, score in zip(UNSUR, (4, 4, 3, 4, 3, 3, 4, 2, 3), strict=True):
            await record_answer(session, survey, key, score)
        await record_saran(session, survey, None)
        survey = await open_survey_for_sender(session, OTHER_PHONE, partial)
        assert survey is not None
        for key, score in zip(UNSUR[:3], (2, 2, 1), strict=True):
            await record_answer(session, survey, key, score)
        survey = await open_survey_for_sender(session, "6281344445555", declined)
        assert survey is not None
        await record_answer(session, survey, "persyaratan", 1)
        await decline(session, survey)
    now = datetime.now(timezone.utc)
    async with session_scope() as session:
        surveys = await responses_in_period(session, now - timedelta(hours=1), now)
        assert len(surveys) == 4
        counts = count_responses(surveys)
        assert (counts.invited, counts.complete, counts.partial, counts.declined) == (4, 1, 1, 1)
        assert counts.unanswered == 1
        result = compute(counted_answers(surveys))
        assert unanswered  # invited, counted, no answers
        assert (
            await responses_in_period(session, now - timedelta(days=2), now - timedelta(days=1))
            == []
        )
    # By hand: persyaratan (4+2)/2 = 3, prosedur 3, waktu 2, then 4, 3, 3, 4, 2, 3;
    # sum = 27 → 27/9 = 3 → IKM 75.00, band C. The declined answer is not counted.
    by_key = {r.key: r.nrr for r in result.unsur}
    assert by_key["persyaratan"] == 3 and by_key["waktu"] == 2
    assert str(result.ikm) == "75.00"
    assert result.mutu == "C"
