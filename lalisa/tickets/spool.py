"""Never lose a confirmed complaint: save it, or keep it on disk until the database is back.

When the database cannot be reached, the confirmed complaint is written to a
spool file (atomically: temporary file, fsync, rename). Every later
submission first replays the spool, and `python -m lalisa.spool` replays it on
demand. Replays are safe to repeat because tickets are idempotent by their
submission key.

A spooled complaint holds the reporter's number and name, so the file is a Fernet token made
with the identity key (``<digest>.spool``), like the reporter columns. Plain JSON files
(``<digest>.json``) written before that are still read, and are rewritten encrypted the first
time they are read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from lalisa.core.crypto import IdentityDecryptionError, get_identity_cipher
from lalisa.core.db import session_scope
from lalisa.core.settings import get_settings
from lalisa.tickets.service import ComplaintDraft, submit_complaint
from lalisa_common.files import write_atomically
from lalisa_common.logs import configure_logging

logger = logging.getLogger(__name__)

# Waits between attempts before a complaint is spooled (seconds).
RETRY_DELAYS_S = (0.3, 1.0, 2.0)
DATABASE_ERRORS = (SQLAlchemyError, OSError, asyncio.TimeoutError)


class SubmissionDeferred(Exception):
    """The complaint is safe in the spool but has no ticket number yet."""


def spool_dir() -> Path:
    """Folder of complaints waiting for the database."""
    return get_settings().storage.var_dir / "spool" / "complaints"


def draft_to_json(draft: ComplaintDraft) -> str:
    """Serialises a draft; datetimes as ISO 8601."""

    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value

    data = {key: encode(value) for key, value in dataclasses.asdict(draft).items()}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def draft_from_json(payload: str) -> ComplaintDraft:
    """Inverse of :func:`draft_to_json`."""
    data = json.loads(payload)
    types = {f.name: f.type for f in dataclasses.fields(ComplaintDraft)}
    for name, value in list(data.items()):
        annotation = str(types.get(name, ""))
        if value is not None and "datetime" in annotation:
            data[name] = datetime.fromisoformat(value)
        elif isinstance(value, list):
            data[name] = tuple(value)
    return ComplaintDraft(**data)


ENCRYPTED_SUFFIX = ".spool"
LEGACY_PLAIN_SUFFIX = ".json"


def _spool_path(draft: ComplaintDraft) -> Path:
    digest = hashlib.sha256(draft.submission_key.encode()).hexdigest()[:32]
    return spool_dir() / f"{digest}{ENCRYPTED_SUFFIX}"


def write_spool(draft: ComplaintDraft) -> Path:
    """Writes the draft durably, encrypted with the identity key; returns its spool file."""
    token = get_identity_cipher().encrypt(draft_to_json(draft))
    return write_atomically(_spool_path(draft), token)


def read_spool(path: Path) -> ComplaintDraft:
    """Reads a spool file; a legacy plain file is rewritten encrypted on the way.

    Raises:
        IdentityDecryptionError: The file was encrypted with another identity key.
    """
    payload = path.read_text(encoding="utf-8")
    if path.suffix != LEGACY_PLAIN_SUFFIX:
        return draft_from_json(get_identity_cipher().decrypt(payload.strip()))
    draft = draft_from_json(payload)
    write_spool(draft)
    path.unlink()
    logger.info("Plain spool file %s rewritten encrypted", path.name)
    return draft


def pending() -> list[Path]:
    """Spool files, oldest first."""
    directory = spool_dir()
    if not directory.exists():
        return []
    files = [
        path
        for path in directory.iterdir()
        if path.suffix in (ENCRYPTED_SUFFIX, LEGACY_PLAIN_SUFFIX) and not path.name.startswith(".")
    ]
    return sorted(files, key=lambda p: p.stat().st_mtime)


async def replay_spool() -> int:
    """Saves spooled complaints; stops at the first database error.

    A file that cannot be decrypted (another identity key) stays where it is, with an error in
    the log, and does not hold up the others.

    Returns:
        How many spooled complaints were saved.
    """
    saved = 0
    for path in await asyncio.to_thread(pending):
        try:
            draft = await asyncio.to_thread(read_spool, path)
        except IdentityDecryptionError:
            logger.error(
                "Spool file %s cannot be decrypted (wrong LALISA_IDENTITY_KEY?)", path.name
            )
            continue
        except FileNotFoundError:
            # Another process replayed it meanwhile.
            continue
        try:
            async with session_scope() as session:
                ticket = await submit_complaint(session, draft)
                number = ticket.number
        except DATABASE_ERRORS:
            logger.warning("Spool replay paused: database still unavailable")
            return saved
        await asyncio.to_thread(_spool_path(draft).unlink, True)
        logger.info("Spooled complaint saved as %s", number)
        saved += 1
    return saved


async def submit_or_spool(draft: ComplaintDraft, *, now: datetime | None = None) -> str:
    """Saves the complaint and returns its ticket number.

    Retries with backoff while the database is unreachable; after the last
    attempt the complaint goes to the spool and :class:`SubmissionDeferred`
    is raised, so the caller can tell the citizen honestly.
    """
    if await asyncio.to_thread(pending):
        await replay_spool()
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S), start=1):
        if delay:
            await asyncio.sleep(delay)
        try:
            async with session_scope() as session:
                ticket = await submit_complaint(session, draft, now=now)
                return str(ticket.number)
        except DATABASE_ERRORS as error:
            logger.warning("Saving complaint failed (attempt %d): %s", attempt, error)
    path = await asyncio.to_thread(write_spool, draft)
    logger.error("Database unavailable: complaint kept in spool file %s", path.name)
    raise SubmissionDeferred(path.name)


def main() -> None:
    """Replays the spool once (`python -m lalisa.spool`)."""
    configure_logging()
    count = asyncio.run(replay_spool())
    print(f"replayed {count} spooled complaint(s); {len(pending())} still waiting")


if __name__ == "__main__":
    main()
