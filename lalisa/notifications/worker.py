"""The outbox sender: ``python -m lalisa.notifications.worker``.

Size: longer than the ~600-line guideline because :class:`OutboxWorker` is one state machine
(claim, send, record, settle after a crash) whose methods share the lease and crash-safety rules
described below. One send's snapshot, retry schedule and channel record are in
:mod:`lalisa.notifications.delivery`.

Each poll (every ``OUTBOX_POLL_SECONDS``) the worker

1. copies delivery statuses from the WhatsApp channel's records onto the outbox
   (:func:`lalisa.notifications.outbox.refresh_statuses`);
2. settles rows left in ``sending`` by a worker that stopped (see *Crash safety*);
3. claims due ``pending`` rows (PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``; SQLite: the
   database's single-writer lock, taken by ``BEGIN IMMEDIATE``), marks them ``sending`` and
   commits, so several workers never take the same row;
4. sends each one: free text when the recipient wrote to La-Lisa in the last 24 hours (less a
   safety margin), otherwise the approved template; a text refused with 131047 is sent once
   more as the template;
5. records the outcome: ``sent`` with the wamid (and the channel's
   ``whatsapp_outbound_messages`` row, ``callback_data = outbox:<id>``, so the channel's status
   webhooks reach it), a retry later with exponential backoff and jitter, or ``failed`` with a
   readable error (permanent error, or ``OUTBOX_MAX_ATTEMPTS`` used up).

When WhatsApp cannot be reached at all (connection refused, DNS, connect timeout) the rows go
back to ``pending`` without using up attempts and are tried again after a short, growing pause
(at most five minutes), so nothing is lost during an outage. Without ``WHATSAPP_ACCESS_TOKEN``
or ``WHATSAPP_PHONE_NUMBER_ID`` the worker sends nothing and leaves every row pending.

Crash safety (a retry never sends twice):

* A row is marked ``sending`` (committed) before the request, and the outcome is recorded
  after it. If the process dies in between, the row stays ``sending``.
* After ``SENDING_LEASE`` such a row is *not* sent again blindly. The worker looks for a trace
  of it at WhatsApp: a ``whatsapp_outbound_messages`` row with ``callback_data = outbox:<id>``
  (written by the channel when Meta's status webhook arrives, since every send carries
  ``biz_opaque_callback_data = outbox:<id>``). If there is one, the row takes that wamid and
  status. If there is none, the row becomes ``failed`` with "status tidak diketahui setelah
  gangguan; periksa dan kirim ulang manual": an officer checks and decides with
  :func:`lalisa.notifications.outbox.resend`. We chose this over resending because a message
  sent twice to a citizen is worse than an officer pressing "kirim ulang" once; if a status
  webhook for it turns up later, the row is corrected to its real status automatically.
* Before every retry of a row that already made an attempt (e.g. after a timeout, when
  WhatsApp may have accepted the request), the worker first looks for that same trace and, if
  found, records the send instead of repeating it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from lalisa.core.contacts import citizen_address
from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher, is_sender_key
from lalisa.core.db import dispose_engine, session_scope
from lalisa.core.settings import Settings, get_settings
from lalisa.notifications import texts
from lalisa.notifications.delivery import (
    Attempt,
    Job,
    counted_attempts,
    record_channel_outbound,
    retry_delay,
    with_current_templates,
)
from lalisa.notifications.graph import GraphClient, SendResult, close_graph_client, get_graph_client
from lalisa.notifications.models import (
    OutboxMessage,
    OutboxStatus,
    callback_data_for,
)
from lalisa.notifications.outbox import (
    UNKNOWN_AFTER_CRASH,
    ChannelRecord,
    apply_channel_record,
    channel_records_for,
    explain_error,
    refresh_statuses,
)
from lalisa.notifications.window import in_service_window
from lalisa.takeover.rasa_api import close_rasa_client
from lalisa.takeover.service import return_idle_takeovers
from lalisa_common.logs import configure_logging
from lalisa_common.whatsapp.errors import REENGAGEMENT_REQUIRED

__all__ = [
    "SENDING_LEASE",
    "OutboxWorker",
    "ProcessResult",
    "main",
    "process_due",
    "retry_delay",
]

logger = logging.getLogger(__name__)

SENDING_LEASE = timedelta(minutes=10)
"""A row ``sending`` for longer than this belongs to a worker that stopped."""
AMBIGUOUS_MIN_DELAY_SECONDS = 60.0
"""After a timeout, wait at least this long so Meta's status webhook can arrive first."""
OUTAGE_MIN_DELAY_SECONDS = 5.0
OUTAGE_MAX_DELAY_SECONDS = 300.0
DEFAULT_BATCH_SIZE = 20
NOT_CONFIGURED_LOG_INTERVAL_SECONDS = 300.0


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class ProcessResult:
    """What one :func:`process_due` call did.

    Attributes:
        claimed: Rows claimed for sending.
        sent: Rows WhatsApp accepted (or found already sent).
        retry_scheduled: Rows that failed transiently and wait for another attempt.
        failed: Rows marked failed.
        deferred: Rows put back untouched because WhatsApp could not be reached.
        reconciled: Rows left ``sending`` by a stopped worker that were settled.
        not_configured: Nothing was done because WhatsApp is not configured.
        outbox_ids_sent: Ids of the rows sent.
    """

    claimed: int = 0
    sent: int = 0
    retry_scheduled: int = 0
    failed: int = 0
    deferred: int = 0
    reconciled: int = 0
    not_configured: bool = False
    outbox_ids_sent: list[int] = field(default_factory=list)


class OutboxWorker:
    """Sends due outbox rows; one instance per process.

    Args:
        client: Graph client; defaults to the process-wide one from the settings.
        settings: Settings; defaults to :func:`lalisa.core.settings.get_settings` at each poll.
        worker_id: Name written into ``claimed_by``; defaults to ``host:pid:random``.
        rng: Random source for the jitter.
        periodic: Other small jobs run once per poll of :meth:`run` (e.g. returning idle
            takeovers to the assistant); an error in one is logged and the loop goes on.
    """

    def __init__(
        self,
        *,
        client: GraphClient | None = None,
        settings: Settings | None = None,
        worker_id: str | None = None,
        rng: random.Random | None = None,
        periodic: Sequence[Callable[[], Awaitable[object]]] = (),
    ) -> None:
        """Create a worker (no connection is opened here)."""
        self._periodic = tuple(periodic)
        self._client = client
        self._settings = settings
        self.worker_id = (
            worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        )[:128]
        self._rng = rng or random.Random()
        self._outage_streak = 0
        self._not_configured_logged_at: float | None = None

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self._settings or get_settings()

    def configured(self) -> bool:
        """Tell whether WhatsApp sending is configured (token and phone number id)."""
        settings = self.settings
        return bool(settings.whatsapp.access_token and settings.whatsapp.phone_number_id)

    def _graph(self) -> GraphClient:
        return self._client or get_graph_client(self.settings)

    def _log_not_configured(self) -> None:
        now = time.monotonic()
        last = self._not_configured_logged_at
        if last is None or now - last >= NOT_CONFIGURED_LOG_INTERVAL_SECONDS:
            self._not_configured_logged_at = now
            logger.warning(
                "WHATSAPP_ACCESS_TOKEN or WHATSAPP_PHONE_NUMBER_ID is not set: "
                "notifications are not sent and wait in the outbox (pending)."
            )

    # ------------------------------------------------------------------------------ polling

    async def process_due(
        self, limit: int = DEFAULT_BATCH_SIZE, *, now: datetime | None = None
    ) -> ProcessResult:
        """Settle crashed rows, then claim and send up to ``limit`` due rows.

        Args:
            limit: Maximum rows to claim.
            now: Current time (aware; tests move it forward).

        Returns:
            What was done.
        """
        now = now or _utcnow()
        result = ProcessResult()
        if not self.configured():
            self._log_not_configured()
            result.not_configured = True
            return result
        result.reconciled = await self.reconcile_stale(now=now)
        jobs = await with_current_templates(await self._claim(limit, now))
        result.claimed = len(jobs)
        untouched = [job.id for job in jobs]
        in_flight: set[int] = set()  # rows whose request may have reached WhatsApp
        try:
            for job in jobs:
                untouched.remove(job.id)
                outcome = await self._process_job(job, now, in_flight)
                if outcome == "sent":
                    result.sent += 1
                    result.outbox_ids_sent.append(job.id)
                elif outcome == "retry":
                    result.retry_scheduled += 1
                elif outcome == "failed":
                    result.failed += 1
                elif outcome in ("deferred", "ambiguous"):
                    if outcome == "deferred":
                        result.deferred += 1
                    else:
                        result.retry_scheduled += 1
                    # WhatsApp is down or hanging: give the rest back instead of waiting on each.
                    break
        except BaseException:
            # A row whose request may have gone out stays 'sending' for reconcile_stale();
            # a row that failed before its request was made can safely be tried again.
            if job.id not in in_flight:
                untouched.insert(0, job.id)
            with contextlib.suppress(Exception):
                await self._release(untouched, now)
            raise
        result.deferred += await self._release(untouched, now)
        return result

    async def refresh_statuses(self, *, now: datetime | None = None) -> int:
        """Copy delivery statuses from the channel's records (one transaction).

        Args:
            now: Current time.

        Returns:
            Rows changed.
        """
        async with session_scope() as session:
            return await refresh_statuses(session, now=now or _utcnow())

    async def reconcile_stale(self, *, now: datetime | None = None) -> int:
        """Settle rows left ``sending`` longer than :data:`SENDING_LEASE` (a stopped worker).

        Args:
            now: Current time.

        Returns:
            Rows settled.
        """
        now = now or _utcnow()
        settled = 0
        async with session_scope() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    (OutboxMessage.claimed_at.is_(None))
                    | (OutboxMessage.claimed_at < now - SENDING_LEASE),
                )
                .order_by(OutboxMessage.id)
                .limit(100)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for message in (await session.execute(query)).scalars().all():
                records = await channel_records_for(session, message.id)
                if records:
                    changes = apply_channel_record(message, records[0], now)
                    logger.warning(
                        "Outbox %s was left 'sending' by %s; WhatsApp has it as %s (%s)",
                        message.id,
                        message.claimed_by,
                        records[0].status,
                        records[0].wamid,
                    )
                else:
                    changes = {
                        "status": OutboxStatus.FAILED,
                        "last_error_code": UNKNOWN_AFTER_CRASH,
                        "last_error": texts.ERROR_OUTCOME_UNKNOWN,
                        "updated_at": now,
                    }
                    logger.error(
                        "Outbox %s was left 'sending' by %s and WhatsApp has no trace of it: "
                        "marked failed for an officer to check (not resent).",
                        message.id,
                        message.claimed_by,
                    )
                changes.update(claimed_at=None, claimed_by=None)
                for name, value in changes.items():
                    setattr(message, name, value)
                settled += 1
        return settled

    async def _claim(self, limit: int, now: datetime) -> list[Job]:
        async with session_scope() as session:
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                # Rows another worker is claiming right now are skipped, not waited for.
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.execute(due)).scalars())
            if not ids:
                return []
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING)
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_at=now,
                    claimed_by=self.worker_id,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_by == self.worker_id,
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .execution_options(populate_existing=True)
            )
            return [Job.of(message) for message in (await session.execute(claimed)).scalars()]

    async def _release(self, ids: Sequence[int], now: datetime) -> int:
        if not ids:
            return 0
        retry_at = now + timedelta(seconds=self._outage_delay(advance=False))
        async with session_scope() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_by == self.worker_id,
                )
                .values(
                    status=OutboxStatus.PENDING,
                    claimed_at=None,
                    claimed_by=None,
                    next_attempt_at=retry_at,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _outage_delay(self, *, advance: bool) -> float:
        streak = self._outage_streak
        if advance:
            self._outage_streak += 1
        base = min(OUTAGE_MAX_DELAY_SECONDS, OUTAGE_MIN_DELAY_SECONDS * 2.0 ** max(0, streak))
        return base * self._rng.uniform(0.8, 1.2)

    # ------------------------------------------------------------------------- one message

    async def _process_job(self, job: Job, now: datetime, in_flight: set[int]) -> str:
        if job.attempts > 0:
            # An earlier attempt may have reached WhatsApp (timeout): never send it twice.
            async with session_scope() as session:
                records = [
                    r for r in await channel_records_for(session, job.id) if r.status != "failed"
                ]
            if records:
                logger.info(
                    "Outbox %s was already accepted by WhatsApp (%s)", job.id, records[0].wamid
                )
                await self._record_found(job, records[0], now)
                return "sent"
        try:
            phone = get_identity_cipher().decrypt(job.phone_encrypted)
        except IdentityDecryptionError:
            await self._record_failure(
                job, now, 0, None, texts.ERROR_DECRYPT, force_template=job.force_template
            )
            return "failed"

        if is_sender_key(phone):  # queued before the citizen's number was recorded
            async with session_scope() as session:
                address = await citizen_address(session, phone)
            if address is None:
                await self._record_failure(
                    job,
                    now,
                    0,
                    None,
                    texts.ERROR_UNKNOWN_RECIPIENT,
                    force_template=job.force_template,
                )
                return "failed"
            phone = address

        use_text = bool(job.body) and not job.force_template
        if use_text:
            async with session_scope() as session:
                use_text = await in_service_window(session, phone, now)
        if not use_text and not job.template_name:
            await self._record_failure(
                job,
                now,
                0,
                REENGAGEMENT_REQUIRED,
                texts.ERROR_NO_TEMPLATE,
                force_template=job.force_template,
            )
            return "failed"

        in_flight.add(job.id)  # from here on the request may reach WhatsApp
        attempt = await self._send(job, phone, use_text)
        return await self._record(job, attempt, now)

    async def _send(self, job: Job, phone: str, use_text: bool) -> Attempt:
        graph = self._graph()
        callback = callback_data_for(job.id)
        if use_text and job.body:
            # Only messages with buttons pass the keyword (test doubles of the client).
            extra: dict[str, Any] = {"buttons": list(job.buttons)} if job.buttons else {}
            result = await graph.send_text(phone, job.body, callback_data=callback, **extra)
            used = counted_attempts(result)
            if not (result.reengagement_required and job.template_name):
                return Attempt(result, "text", used, job.force_template)
            # 131047: the window was closed after all; a free text was not delivered.
            logger.info("Outbox %s: free text refused (131047), sending the template", job.id)
            template = await self._send_template(graph, job, phone, callback)
            return Attempt(template, "template", used + counted_attempts(template), True)
        result = await self._send_template(graph, job, phone, callback)
        return Attempt(result, "template", counted_attempts(result), job.force_template)

    @staticmethod
    async def _send_template(graph: GraphClient, job: Job, phone: str, callback: str) -> SendResult:
        extra: dict[str, Any] = (
            {"button_payloads": [button["id"] for button in job.buttons]} if job.buttons else {}
        )
        return await graph.send_template(
            phone,
            job.template_name or "",
            job.template_language or get_settings().whatsapp.template_language,
            job.template_params,
            callback_data=callback,
            **extra,
        )

    async def _record(self, job: Job, attempt: Attempt, now: datetime) -> str:
        result = attempt.result
        attempts = job.attempts + attempt.attempts_used
        if result.ok:
            self._outage_streak = 0
            await self._record_success(job, attempt, attempts, now)
            return "sent"
        if result.http_status:
            self._outage_streak = 0
        detail = explain_error(result.error_code, result.error_title)
        if result.unreachable:
            retry_at = now + timedelta(seconds=self._outage_delay(advance=True))
            logger.warning(
                "WhatsApp unreachable (%s); outbox %s waits until %s", detail, job.id, retry_at
            )
            await self._record_failure(
                job,
                now,
                attempts,
                result.error_code,
                texts.ERROR_UNREACHABLE.format(detail=detail),
                retry_at=retry_at,
                force_template=attempt.force_template,
            )
            return "deferred"
        if result.account_problem:
            retry_at = now + timedelta(seconds=self._outage_delay(advance=True))
            logger.error(
                "WhatsApp refuses to send for the account (%s): fix the token, permissions or "
                "payment; outbox %s waits until %s",
                detail,
                job.id,
                retry_at,
            )
            await self._record_failure(
                job,
                now,
                attempts,
                result.error_code,
                texts.ERROR_ACCOUNT.format(detail=detail),
                retry_at=retry_at,
                force_template=attempt.force_template,
            )
            return "deferred"
        if result.retryable and attempts < self.settings.outbox.max_attempts:
            delay = retry_delay(attempts, result.error_code, self._rng)
            if result.ambiguous:
                delay = max(delay, AMBIGUOUS_MIN_DELAY_SECONDS)
            retry_at = now + timedelta(seconds=delay)
            logger.warning(
                "Outbox %s attempt %d failed (%s); retry at %s", job.id, attempts, detail, retry_at
            )
            await self._record_failure(
                job,
                now,
                attempts,
                result.error_code,
                texts.ERROR_RETRY.format(attempt=attempts, detail=detail),
                retry_at=retry_at,
                force_template=attempt.force_template,
            )
            return "ambiguous" if result.ambiguous else "retry"
        if result.retryable:
            message = texts.ERROR_GAVE_UP.format(attempts=attempts, detail=detail)
        else:
            message = texts.ERROR_PERMANENT.format(detail=detail)
        logger.error("Outbox %s failed: %s", job.id, message)
        await self._record_failure(
            job, now, attempts, result.error_code, message, force_template=attempt.force_template
        )
        return "failed"

    async def _record_success(
        self, job: Job, attempt: Attempt, attempts: int, now: datetime
    ) -> None:
        wamid = attempt.result.wamid
        async with session_scope() as session:
            # No claim check here: the message *was* sent, so this must be recorded even if the
            # row was meanwhile settled as "unknown" by another worker.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == job.id)
                .values(
                    status=OutboxStatus.SENT,
                    wamid=wamid,
                    sent_as=attempt.sent_as,
                    force_template=attempt.force_template,
                    attempts=attempts,
                    sent_at=now,
                    status_at=now,
                    claimed_at=None,
                    claimed_by=None,
                    last_error_code=None,
                    last_error=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if wamid:
                await record_channel_outbound(session, job, wamid, attempt.sent_as, attempts, now)

    async def _record_found(self, job: Job, record: ChannelRecord, now: datetime) -> None:
        async with session_scope() as session:
            message = await session.get(OutboxMessage, job.id, with_for_update=True)
            if message is None or message.status is not OutboxStatus.SENDING:
                return
            for name, value in apply_channel_record(message, record, now).items():
                setattr(message, name, value)
            message.claimed_at = None
            message.claimed_by = None

    async def _record_failure(
        self,
        job: Job,
        now: datetime,
        attempts: int,
        code: int | None,
        message: str,
        *,
        retry_at: datetime | None = None,
        force_template: bool,
    ) -> None:
        values: dict[str, Any] = {
            "status": OutboxStatus.PENDING if retry_at else OutboxStatus.FAILED,
            "attempts": attempts,
            "force_template": force_template,
            "last_error_code": code,
            "last_error": message[:2000],
            "claimed_at": None,
            "claimed_by": None,
            "updated_at": now,
        }
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        else:
            values["status_at"] = now
        async with session_scope() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == job.id,
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_by == self.worker_id,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    # ----------------------------------------------------------------------------- the loop

    async def run(self, stop: asyncio.Event, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        """Poll until ``stop`` is set; errors are logged and the loop goes on.

        Args:
            stop: Set it to stop after the current batch.
            batch_size: Rows claimed per poll.
        """
        logger.info(
            "Outbox worker %s started (poll every %ss, at most %d attempts)",
            self.worker_id,
            self.settings.outbox.poll_seconds,
            self.settings.outbox.max_attempts,
        )
        while not stop.is_set():
            busy = False
            try:
                if self.configured():
                    await self.refresh_statuses()
                result = await self.process_due(batch_size)
                busy = result.claimed >= batch_size and not result.deferred
                if result.claimed or result.reconciled:
                    logger.info(
                        "Outbox: %d sent, %d to retry, %d failed, %d deferred, %d settled",
                        result.sent,
                        result.retry_scheduled,
                        result.failed,
                        result.deferred,
                        result.reconciled,
                    )
            except Exception:  # the database may be restarting; keep polling
                logger.exception(
                    "Outbox poll failed; trying again in %ss", self.settings.outbox.poll_seconds
                )
            for job in self._periodic:
                try:
                    await job()
                except Exception:
                    logger.exception("Periodic job %s failed", getattr(job, "__name__", job))
            if busy:
                continue
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.settings.outbox.poll_seconds)
        logger.info("Outbox worker %s stopped", self.worker_id)


_default_worker: OutboxWorker | None = None


async def process_due(
    limit: int = DEFAULT_BATCH_SIZE,
    *,
    client: GraphClient | None = None,
    now: datetime | None = None,
    worker_id: str | None = None,
) -> ProcessResult:
    """Send up to ``limit`` due outbox rows once (the testable unit of the worker).

    Args:
        limit: Maximum rows to claim.
        client: Graph client; defaults to the process-wide one.
        now: Current time (aware).
        worker_id: Claim name; a fresh worker is used when given (tests run two at once).

    Returns:
        What was done.
    """
    global _default_worker
    if client is not None or worker_id is not None:
        return await OutboxWorker(client=client, worker_id=worker_id).process_due(limit, now=now)
    if _default_worker is None:
        _default_worker = OutboxWorker()
    return await _default_worker.process_due(limit, now=now)


async def _serve(args: argparse.Namespace) -> int:
    worker = OutboxWorker(periodic=[return_idle_takeovers])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        if args.once:
            if worker.configured():
                await worker.refresh_statuses()
            result = await worker.process_due(args.batch_size)
            logger.info("%s", result)
        else:
            await worker.run(stop, batch_size=args.batch_size)
    finally:
        await close_graph_client()
        await close_rasa_client()
        await dispose_engine()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point of ``python -m lalisa.notifications.worker``.

    Args:
        argv: Arguments without the program name.

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m lalisa.notifications.worker",
        description="Send La-Lisa's queued WhatsApp notifications (the outbox).",
    )
    parser.add_argument("--once", action="store_true", help="process one batch and exit")
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows claimed per poll"
    )
    args = parser.parse_args(argv)
    configure_logging(fmt="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    raise SystemExit(main())
