"""Rewrites the submission keys that still hold a sender id (``make migrate`` runs it).

``python -m lalisa.tickets.submission_keys``.

A ticket's ``submission_key`` (the idempotency key of the confirming message) used to be
``<sender id>:<message id>``, i.e. the citizen's number in clear in the tickets table. New
tickets get :meth:`lalisa.core.crypto.IdentityCipher.submission_key` (an HMAC); this command,
run by ``make migrate``, rewrites the old keys to the HMAC of the same two parts, so a message
submitted again after the upgrade still finds its ticket. Idempotent: keys that are already 64
hex characters are left alone. When it rewrote keys it runs ``VACUUM`` on the database
(:mod:`lalisa_common.vacuum`), so the old keys do not stay in free pages or dead rows.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from typing import Final

from sqlalchemy import select, update

from lalisa.core.crypto import get_identity_cipher
from lalisa.core.db import dispose_engine, session_scope
from lalisa.core.settings import get_settings
from lalisa.tickets.models import Ticket
from lalisa_common.logs import configure_logging
from lalisa_common.vacuum import vacuum_rewritten

logger = logging.getLogger(__name__)

_KEYED: Final = re.compile(r"[0-9a-f]{64}")


async def rekey_submission_keys() -> int:
    """Rewrites every ``<sender>:<message>`` submission key; returns how many were changed."""
    cipher = get_identity_cipher()
    changed = 0
    async with session_scope() as session:
        rows = (await session.execute(select(Ticket.id, Ticket.submission_key))).all()
        for ticket_id, key in rows:
            if _KEYED.fullmatch(key) or ":" not in key:
                continue
            sender, reference = key.split(":", 1)
            await session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id)
                # The sender id is the citizen's key now (lalisa.pseudonymise): a message
                # submitted again after the upgrade comes with the key.
                .values(submission_key=cipher.submission_key(cipher.key_for(sender), reference))
            )
            changed += 1
    return changed


async def rekey_and_vacuum() -> int:
    """:func:`rekey_submission_keys`, then ``VACUUM`` of ``tickets`` if keys were rewritten."""
    changed = await rekey_submission_keys()
    if changed:
        logger.info("Submission keys rewritten without sender ids: %d tickets", changed)
        await dispose_engine()  # no pooled connection of this process holds the file
        await vacuum_rewritten([(get_settings().database.url, [Ticket.__tablename__])])
    return changed


def main() -> int:
    """Command-line entry point."""
    configure_logging()
    asyncio.run(rekey_and_vacuum())
    return 0


if __name__ == "__main__":
    sys.exit(main())
