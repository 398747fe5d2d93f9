"""Core descriptions of the WhatsApp channel's tables, as the outbox reads and writes them.

The tables belong to the WhatsApp channel that runs inside Rasa (revision ``0002_whatsapp``,
mirrored in ``lalisa_rasa/channels/tables.py``, which this package must not import). They live
on their own :class:`~sqlalchemy.MetaData`, not on ``lalisa.tickets.models.Base.metadata``, so the
model-versus-schema test and the test fixtures leave them alone.

What the outbox relies on:

* ``whatsapp_inbound_messages.sender_id`` is the WhatsApp ``from`` of the citizen's message:
  the wa_id in international form without ``+`` (``6281234567890``), or the business-scoped
  user id when the number is hidden. It is not a pseudonym. ``received_at`` is when the channel
  received the message, ``wa_timestamp`` when WhatsApp says it was sent.
* ``whatsapp_outbound_messages`` has one row per wamid. The channel creates the row when it
  sends, or when a status webhook arrives for a wamid it does not know (keeping
  ``biz_opaque_callback_data`` in ``callback_data``), and moves ``status`` forward only
  (accepted → sent → delivered → read; failed).
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from lalisa.tickets.models import UTCDateTime

__all__ = ["CHANNEL_STATUS_TO_OUTBOX", "channel_metadata", "inbound_messages", "outbound_messages"]

channel_metadata = MetaData()

inbound_messages = Table(
    "whatsapp_inbound_messages",
    channel_metadata,
    Column("wamid", String(255), primary_key=True),
    Column("sender_id", String(64), nullable=False),
    Column("message_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("wa_timestamp", UTCDateTime(), nullable=True),
    Column("processed_at", UTCDateTime(), nullable=True),
    Column("detail", String(255), nullable=True),
    Column("payload", Text(), nullable=True),
)

outbound_messages = Table(
    "whatsapp_outbound_messages",
    channel_metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("wamid", String(255), nullable=True, unique=True),
    Column("recipient", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload_summary", String(500), nullable=True),
    Column("status", String(16), nullable=False),
    Column("error_code", Integer(), nullable=True),
    Column("error_title", String(255), nullable=True),
    Column("attempts", Integer(), nullable=False, server_default="0"),
    Column("callback_data", String(512), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("status_at", UTCDateTime(), nullable=True),
)

CHANNEL_STATUS_TO_OUTBOX: dict[str, str] = {
    "accepted": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "played": "read",
    "failed": "failed",
}
"""Channel record status → outbox status."""
