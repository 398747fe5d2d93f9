"""The WhatsApp channel's tables, as the outbox reads and writes them.

The tables belong to the WhatsApp channel that runs inside Rasa (revision ``0002_whatsapp``);
both environments describe them with :func:`lalisa_common.whatsapp.tables.whatsapp_tables`. Here
they sit on the models' metadata, so Alembic and the test fixtures see them like every table.
"""

from __future__ import annotations

from lalisa.core.models import Base, UTCDateTime
from lalisa_common.whatsapp.tables import whatsapp_tables

__all__ = ["CHANNEL_STATUS_TO_OUTBOX", "inbound_messages", "menus", "outbound_messages"]

inbound_messages, outbound_messages, menus = whatsapp_tables(Base.metadata, UTCDateTime())

CHANNEL_STATUS_TO_OUTBOX: dict[str, str] = {
    "accepted": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "played": "read",
    "failed": "failed",
}
"""Channel record status → outbox status."""
