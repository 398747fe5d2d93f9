"""One send of a claimed outbox row: its snapshot, the retry schedule, the channel's record.

Used by :class:`lalisa.notifications.worker.OutboxWorker`, whose docstring explains the
claim/send/record cycle and its crash safety.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from lalisa.notifications.channel_tables import outbound_messages
from lalisa.notifications.graph import SendResult
from lalisa.notifications.models import (
    NotificationKind,
    OutboxMessage,
    callback_data_for,
)
from lalisa.runtime_settings.service import load_effective_settings
from lalisa_common.whatsapp.errors import MAINTENANCE_CODES, PAIR_RATE_LIMIT

BACKOFF_CAP_SECONDS = 900.0
MAINTENANCE_MIN_DELAY_SECONDS = 60.0


def retry_delay(attempts: int, error_code: int | None, rng: random.Random | None = None) -> float:
    """Seconds to wait before the next attempt: ``4^(attempts-1)`` capped at 15 min, ±20 %.

    Meta's guidance for rate limits is to retry after ``4^X`` seconds (X = 0, 1, 2 …).

    Args:
        attempts: Attempts made so far (at least 1).
        error_code: The error of the last attempt.
        rng: Random source for the jitter.

    Returns:
        The delay.
    """
    delay = min(BACKOFF_CAP_SECONDS, 4.0 ** max(0, attempts - 1))
    if error_code in MAINTENANCE_CODES:
        delay = max(delay, MAINTENANCE_MIN_DELAY_SECONDS)
    jitter = (rng or random).uniform(0.8, 1.2)
    if error_code == PAIR_RATE_LIMIT:
        # Never earlier than Meta's schedule for the pair rate limit.
        jitter = max(1.0, jitter)
    return min(BACKOFF_CAP_SECONDS * 1.2, delay * jitter)


@dataclass(frozen=True)
class Job:
    """Snapshot of a claimed row (no ORM object crosses a transaction)."""

    id: int
    kind: str
    body: str | None
    template_name: str | None
    template_language: str | None
    template_params: tuple[str, ...]
    buttons: tuple[dict[str, str], ...]
    force_template: bool
    attempts: int
    phone_encrypted: str
    recipient_ref: str
    last_error_code: int | None

    @classmethod
    def of(cls, message: OutboxMessage) -> Job:
        """Snapshot of ``message``."""
        return cls(
            id=message.id,
            kind=message.kind,
            body=message.body,
            template_name=message.template_name,
            template_language=message.template_language,
            template_params=tuple(message.template_params or ()),
            buttons=tuple(dict(b) for b in message.buttons or ()),
            force_template=message.force_template,
            attempts=message.attempts,
            phone_encrypted=message.recipient_phone_encrypted,
            recipient_ref=message.recipient_ref,
            last_error_code=message.last_error_code,
        )


_TEMPLATE_KEYS: Final = {
    NotificationKind.CITIZEN_UPDATE.value: "whatsapp.template_citizen_update",
    NotificationKind.TRC_DISPATCH.value: "whatsapp.template_trc_dispatch",
}
_LANGUAGE_KEY: Final = "whatsapp.template_language"


async def with_current_templates(jobs: list[Job]) -> list[Job]:
    """Use the template names set on ``/pengaturan`` for messages queued before the change.

    A message waits in the outbox while WhatsApp is down or refuses a template (paused,
    renamed); the superadmin's fix must reach it. Without a stored override the template the
    message was queued with is kept.
    """
    if not any(job.template_name and job.kind in _TEMPLATE_KEYS for job in jobs):
        return jobs
    effective = await load_effective_settings()
    language = effective.value(_LANGUAGE_KEY) if effective.is_overridden(_LANGUAGE_KEY) else None
    updated = []
    for job in jobs:
        key = _TEMPLATE_KEYS.get(job.kind)
        if job.template_name and key is not None:
            if effective.is_overridden(key):
                job = dataclasses.replace(job, template_name=effective.value(key))
            if language is not None:
                job = dataclasses.replace(job, template_language=language)
        updated.append(job)
    return updated


@dataclass
class Attempt:
    """How one row was tried: the last result, as text or template, and attempts it used."""

    result: SendResult
    sent_as: str
    attempts_used: int
    force_template: bool


def counted_attempts(result: SendResult) -> int:
    """An attempt counts unless WhatsApp was unreachable or the account cannot send at all."""
    return 0 if result.unreachable or result.account_problem else 1


def _summary(job: Job, sent_as: str) -> str:
    """The kind of message for the channel's record: a template's name, never the body text."""
    if sent_as == "template":
        return f"[template] {job.template_name}"
    return "[interactive:button]" if job.buttons else "[text]"


def _insert_ignoring_wamid_conflict(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(outbound_messages).on_conflict_do_nothing(index_elements=["wamid"])
    if dialect == "sqlite":
        return sqlite.insert(outbound_messages).on_conflict_do_nothing(index_elements=["wamid"])
    raise NotImplementedError(f"unsupported database dialect: {dialect}")


async def record_channel_outbound(
    session: AsyncSession, job: Job, wamid: str, sent_as: str, attempts: int, now: datetime
) -> None:
    """Insert or complete the channel's record of the message, keyed by wamid."""
    details = {
        "kind": job.kind[:32],
        "payload_summary": _summary(job, sent_as)[:500],
        "attempts": attempts,
        "callback_data": callback_data_for(job.id),
        "updated_at": now,
    }
    by_wamid = update(outbound_messages).where(outbound_messages.c.wamid == wamid)
    # A status webhook may have created the row first: fill in the details, keep its status.
    if (await session.execute(by_wamid.values(**details))).rowcount:  # type: ignore[attr-defined]
        return
    inserted = await session.execute(
        _insert_ignoring_wamid_conflict(session).values(
            wamid=wamid,
            recipient=job.recipient_ref[:64],
            status="accepted",
            created_at=now,
            **details,
        )
    )
    if not inserted.rowcount:  # type: ignore[attr-defined]
        await session.execute(by_wamid.values(**details))
