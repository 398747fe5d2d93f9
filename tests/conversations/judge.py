"""Judging a conversation by its outcome: the tickets stored for the citizen, not the transcript.

A complaint persona succeeds when exactly one ticket was filed for its sender and the ticket
holds what the persona said (category in the accepted set, kecamatan, desa when expected, a
time text or none, the number of photos, the reporter name decrypted with the stack's
identity key, or none). An off-topic persona succeeds when the assistant never asked a
complaint question and nothing was filed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lalisa.core.crypto import IdentityCipher
from tests.conversations.citizen import Record
from tests.conversations.personas import Expectation, Persona


@dataclass(frozen=True)
class StoredTicket:
    """The fields of a stored ticket that a persona's goal speaks about."""

    number: str
    category: str
    kecamatan: str | None
    desa: str | None
    time_text: str | None
    evidence: int
    name: str | None


@dataclass(frozen=True)
class Verdict:
    """Whether a conversation reached the persona's goal, and why not."""

    success: bool
    failures: tuple[str, ...] = ()
    """Failure modes, e.g. ``no_ticket:loop:location`` or ``wrong:desa``."""


_TICKETS_SQL = text(
    """
    SELECT t.id, t.number, t.category, t.kecamatan, t.desa, t.incident_time_text,
           r.name_encrypted,
           (SELECT count(*) FROM ticket_media m WHERE m.ticket_id = t.id) AS evidence
    FROM tickets t JOIN reporters r ON r.id = t.reporter_id
    WHERE r.phone_blind_index = :index
    ORDER BY t.id
    """
)


async def stored_tickets(
    engine: AsyncEngine, cipher: IdentityCipher, sender: str
) -> list[StoredTicket]:
    """Every ticket filed by ``sender``, found through the reporter's blind index."""
    async with engine.connect() as connection:
        rows = (await connection.execute(_TICKETS_SQL, {"index": cipher.blind_index(sender)})).all()
    return [
        StoredTicket(
            number=row.number,
            category=row.category,
            kecamatan=row.kecamatan,
            desa=row.desa,
            time_text=row.incident_time_text,
            evidence=int(row.evidence),
            name=cipher.decrypt(row.name_encrypted) if row.name_encrypted else None,
        )
        for row in rows
    ]


def _words(value: str) -> list[str]:
    return re.findall(r"\w+", value.lower())


def name_matches(expected: str, stored: str) -> bool:
    """The stored name is the expected one, give or take case and a trailing remark.

    "Rahmat" matches "rahmat" and "Rahmat, warga RT 3"; it does not match "Rahmat Hidayat"
    stored for "Hidayat" or "nama saya Rahmat" (the lead-in must not be stored).
    """
    want, got = _words(expected), _words(stored)
    return bool(want) and got[: len(want)] == want


def ticket_mismatches(expect: Expectation, ticket: StoredTicket) -> list[str]:
    """The fields of ``ticket`` that differ from ``expect`` (empty: the ticket is right)."""
    wrong = []
    if ticket.category not in expect.categories:
        wrong.append("category")
    if (ticket.kecamatan or "").lower() != (expect.kecamatan or "").lower():
        wrong.append("kecamatan")
    elif expect.desa is not None and (ticket.desa or "").lower() != expect.desa.lower():
        wrong.append("desa")
    stored_time = (ticket.time_text or "").strip().lower()
    if isinstance(expect.time, str):
        if expect.time.lower() not in stored_time:
            wrong.append("time")
    elif expect.time is not None and bool(stored_time) != expect.time:
        wrong.append("time")
    if ticket.evidence != expect.evidence:
        wrong.append("evidence")
    if expect.name is None:
        if ticket.name is not None:
            wrong.append("name")
    elif ticket.name is None or not name_matches(expect.name, ticket.name):
        wrong.append("name")
    return wrong


def judge(persona: Persona, record: Record, tickets: list[StoredTicket]) -> Verdict:
    """Compares what happened with what the persona wanted."""
    if persona.off_topic:
        failures = []
        if record.false_start:
            failures.append("offtopic:false_start")
        if tickets:
            failures.append("offtopic:ticket_filed")
        return Verdict(not failures, tuple(failures))
    if not tickets:
        if record.cancelled:
            reason = "cancelled"
        elif record.ticket_numbers:
            reason = "number_without_ticket"
        else:
            reason = record.end_reason or "unknown"
        return Verdict(False, (f"no_ticket:{reason}",))
    failures = [f"wrong:{field}" for field in ticket_mismatches(persona.expect, tickets[-1])]
    if len(tickets) > 1:
        failures.append("duplicate_ticket")
    if record.restarted_after_ticket:
        failures.append("after_ticket:form_restarted")
    return Verdict(not failures, tuple(failures))
