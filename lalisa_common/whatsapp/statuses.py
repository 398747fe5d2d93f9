"""Status webhooks applied to ``whatsapp_outbound_messages``, never downgrading a record.

Used by the webhook receiver (app env) and the channel's store (Rasa env) alike.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

__all__ = ["STATUS_FROM", "UNKNOWN_RECIPIENT", "apply_status", "from_unix"]

#: Recipient of a row created by a status webhook (the webhook's number is never stored).
UNKNOWN_RECIPIENT = "unknown"

#: Status a record may move to -> statuses it may move from (never downgrade).
STATUS_FROM: dict[str, tuple[str, ...]] = {
    "sent": ("accepted",),
    "delivered": ("accepted", "sent"),
    "read": ("accepted", "sent", "delivered"),
    "played": ("accepted", "sent", "delivered", "read"),
    "failed": ("accepted", "sent"),
}


def from_unix(seconds: int | None) -> datetime | None:
    """A WhatsApp Unix timestamp as an aware UTC datetime; None when absent or out of range."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


async def apply_status(
    conn: Any,
    outbound: sa.Table,
    wamid: str,
    status: str,
    *,
    timestamp: int | None = None,
    error_code: int | None = None,
    error_title: str | None = None,
    callback_data: str | None = None,
) -> bool:
    """Applies one status webhook inside the caller's transaction.

    Statuses for messages the channel did not send (e.g. notifications sent by the outbox
    worker) create a row with ``kind = "unknown"``, so every delivery report is kept. Such a row
    carries no recipient (:data:`UNKNOWN_RECIPIENT`): the webhook's ``recipient_id`` is the
    citizen's number, and joined on the wamid it would undo the outbox's encryption.

    Args:
        conn: An ``AsyncConnection`` in a transaction.
        outbound: The outbound table.
        wamid: Id of the outbound message.
        status: New status from Meta.
        timestamp: Status time (Unix seconds).
        error_code: Error code of a ``failed`` status.
        error_title: Error title of a ``failed`` status.
        callback_data: ``biz_opaque_callback_data`` echoed by Meta.

    Returns:
        True if the stored status changed; False for an unknown status or a downgrade.
    """
    allowed_from = STATUS_FROM.get(status)
    if allowed_from is None:
        return False
    now = datetime.now(timezone.utc)
    changes: dict[str, Any] = {
        "status": status,
        "updated_at": now,
        "status_at": from_unix(timestamp) or now,
    }
    if status == "failed":
        changes["error_code"] = error_code
        changes["error_title"] = error_title[:255] if error_title else None
    result = await conn.execute(
        outbound.update()
        .where(outbound.c.wamid == wamid[:255])
        .where(outbound.c.status.in_(allowed_from))
        .values(**changes)
    )
    if result.rowcount:
        return True
    exists = await conn.execute(sa.select(outbound.c.id).where(outbound.c.wamid == wamid[:255]))
    if exists.first() is not None:
        return False
    await conn.execute(
        outbound.insert().values(
            wamid=wamid[:255],
            recipient=UNKNOWN_RECIPIENT,
            kind="unknown",
            payload_summary=None,
            attempts=0,
            callback_data=callback_data[:512] if callback_data else None,
            created_at=now,
            error_code=changes.get("error_code"),
            error_title=changes.get("error_title"),
            **{k: v for k, v in changes.items() if k not in ("error_code", "error_title")},
        )
    )
    return True
