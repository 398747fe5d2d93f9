"""Database steps of the survey end-to-end test, run inside the stack's environment.

The servers of the stack use their own identity key and database, so these steps run as
``python -m tests.e2e.survey_db <command>`` with the stack's environment:

* ``close <phone>``: file a complaint for that WhatsApp number and close it as *Selesai*
  through :func:`lalisa.tickets.workflow.close_done` (which queues the survey invitation);
  prints the ticket number.
* ``results``: print the stored surveys and the SKM computed by :mod:`lalisa.survey.skm` as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from sqlalchemy import select

from lalisa.core.db import session_scope
from lalisa.survey.models import SurveyResponse, answers_of
from lalisa.survey.service import count_responses, counted_answers
from lalisa.survey.skm import compute
from lalisa.tickets.models import Ticket, TicketStatus
from lalisa.tickets.service import ComplaintDraft, submit_complaint, transition
from lalisa.tickets.workflow import close_done


async def close(phone: str) -> str:
    """File and close one complaint of ``phone``; return its number."""
    async with session_scope() as session:
        ticket = await submit_complaint(
            session,
            ComplaintDraft(
                category="pkl",
                description="PKL berjualan di trotoar depan Pasar Paringin.",
                latitude=None,
                longitude=None,
                kecamatan="Paringin",
                desa="Paringin Kota",
                location_text="Depan Pasar Paringin",
                incident_time_text="tadi pagi",
                reporter_sender_id=phone,
                reporter_channel="whatsapp",
                reporter_name=None,
                submission_key=f"e2e-survey-{uuid.uuid4().hex}",
                received_out_of_hours=False,
            ),
        )
        number = ticket.number
    for status in (
        TicketStatus.DIVERIFIKASI,
        TicketStatus.DIDISPOSISIKAN,
        TicketStatus.DALAM_PENANGANAN,
    ):
        async with session_scope() as session:
            ticket = (
                await session.execute(select(Ticket).where(Ticket.number == number))
            ).scalar_one()
            await transition(session, ticket, status, actor="e2e")
    async with session_scope() as session:
        ticket = (await session.execute(select(Ticket).where(Ticket.number == number))).scalar_one()
        await close_done(
            session, ticket, actor="e2e", result="PKL sudah ditertibkan.", expected_version=None
        )
    return number


async def results() -> dict[str, object]:
    """The stored surveys (by ticket number) and their SKM."""
    async with session_scope() as session:
        rows = (
            await session.execute(
                select(Ticket.number, SurveyResponse).join(
                    SurveyResponse, SurveyResponse.ticket_id == Ticket.id
                )
            )
        ).all()
    surveys = [survey for _number, survey in rows]
    result = compute(counted_answers(surveys))
    counts = count_responses(surveys)
    return {
        "surveys": {
            number: {
                "status": survey.status.value,
                "answers": answers_of(survey),
                "saran": survey.saran,
                "saran_done": survey.saran_done,
            }
            for number, survey in rows
        },
        "ikm": str(result.ikm),
        "mutu": result.mutu,
        "counts": [counts.invited, counts.complete, counts.partial, counts.declined],
    }


def main() -> None:
    """Run one command (see the module doc)."""
    command = sys.argv[1]
    if command == "close":
        print(asyncio.run(close(sys.argv[2])))
    elif command == "results":
        print(json.dumps(asyncio.run(results())))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
