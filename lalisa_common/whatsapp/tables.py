"""SQLAlchemy Core description of the WhatsApp channel's tables (revisions 0002 and 0004).

Alembic creates the tables; :func:`whatsapp_tables` only describes them for queries, the same
way in SQLAlchemy 1.4 (the Rasa process) and 2.0 (the app, where they sit on the models'
metadata so ``alembic revision --autogenerate`` sees them). The test suite in ``tests/common``
compares the description with a migrated database in both environments.

* ``whatsapp_inbound_messages`` has one row per inbound WhatsApp message id: the durable dedupe
  key and the inbound log. ``sender_id`` is the citizen's key (:mod:`lalisa_common.identity`),
  never the number; rows from before revision ``0012_contacts`` are converted by
  ``python -m lalisa.pseudonymise``. ``recipient`` of the outbound log and the menus is the key
  too. ``received_at`` is when the channel received the message,
  ``wa_timestamp`` when WhatsApp says it was sent.
  Since revision ``0011_ingress`` the table is also the inbound queue: the webhook receiver
  inserts a row with ``status = received`` before it acknowledges, and a worker leases it
  (``status = processing``, ``lease_owner``, ``lease_until``, ``attempts``). ``order_key``
  orders one sender's messages (WhatsApp time in microseconds plus the receiver's arrival
  counter; see :mod:`lalisa_common.whatsapp.queue`).
* ``whatsapp_outbound_messages`` has one row per wamid. The channel creates the row when it
  sends, or when a status webhook arrives for a wamid it does not know (keeping
  ``biz_opaque_callback_data`` in ``callback_data``, recipient ``unknown``), and moves ``status``
  forward only (accepted → sent → delivered → read; failed). ``payload_summary`` says only what
  kind of message it was (``[text]``, ``[interactive:button]``, ``[template] <name>``), never
  its text: the row is for delivery tracking. A reply to an inbound message carries
  ``reply_to`` (the inbound wamid) and ``reply_index`` (its position among that turn's replies),
  unique together, so a turn run again after a crash never sends the same reply twice.
* ``whatsapp_menus`` keeps the last numbered text menu sent to each recipient (the payloads as
  JSON), shared by every worker process.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa

__all__ = ["INBOUND_TABLE", "MENU_TABLE", "OUTBOUND_TABLE", "WhatsAppTables", "whatsapp_tables"]

INBOUND_TABLE = "whatsapp_inbound_messages"
OUTBOUND_TABLE = "whatsapp_outbound_messages"
MENU_TABLE = "whatsapp_menus"


class WhatsAppTables(NamedTuple):
    """The tables of the channel."""

    inbound: sa.Table
    outbound: sa.Table
    menus: sa.Table


def whatsapp_tables(metadata: sa.MetaData, timestamp: Any = None) -> WhatsAppTables:
    """Describe the WhatsApp tables on ``metadata``.

    Args:
        metadata: Where the tables are registered (each environment has its own).
        timestamp: Column type of the timestamps; ``DateTime(timezone=True)`` by default. The
            app passes its type that hands back aware UTC datetimes on SQLite too.

    Returns:
        The inbound, outbound and menu tables.
    """

    def moment(name: str, *, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
        return sa.Column(name, timestamp or sa.DateTime(timezone=True), nullable=nullable)

    inbound = sa.Table(
        INBOUND_TABLE,
        metadata,
        sa.Column("wamid", sa.String(255), primary_key=True),
        sa.Column("sender_id", sa.String(64), nullable=False),
        sa.Column("message_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        moment("received_at", nullable=False),
        moment("wa_timestamp", nullable=True),
        moment("processed_at", nullable=True),
        sa.Column("detail", sa.String(255), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        # Revision 0011_ingress: the table is the inbound queue.
        sa.Column("order_key", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        moment("lease_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Index(f"ix_{INBOUND_TABLE}_status_received_at", "status", "received_at"),
        sa.Index(f"ix_{INBOUND_TABLE}_received_at", "received_at"),
        sa.Index(f"ix_{INBOUND_TABLE}_sender_id_order_key", "sender_id", "order_key"),
        sa.Index(f"ix_{INBOUND_TABLE}_status_order_key", "status", "order_key"),
    )
    outbound = sa.Table(
        OUTBOUND_TABLE,
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("wamid", sa.String(255), nullable=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload_summary", sa.String(500), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_title", sa.String(255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("callback_data", sa.String(512), nullable=True),
        moment("created_at", nullable=False),
        moment("updated_at", nullable=False),
        moment("status_at", nullable=True),
        sa.UniqueConstraint("wamid", name=f"uq_{OUTBOUND_TABLE}_wamid"),
        sa.Index(f"ix_{OUTBOUND_TABLE}_recipient_created_at", "recipient", "created_at"),
        sa.Index(f"ix_{OUTBOUND_TABLE}_status", "status"),
        # Revision 0004_outbox: the outbox worker looks for "outbox:<id>" before a resend.
        sa.Index(f"ix_{OUTBOUND_TABLE}_callback_data", "callback_data"),
        # Revision 0011_ingress: one row per reply of a turn, whatever the re-runs.
        sa.Column("reply_to", sa.String(255), nullable=True),
        sa.Column("reply_index", sa.Integer(), nullable=True),
        sa.UniqueConstraint("reply_to", "reply_index", name=f"uq_{OUTBOUND_TABLE}_reply"),
    )
    menus = sa.Table(
        MENU_TABLE,
        metadata,
        sa.Column("recipient", sa.String(64), primary_key=True),
        sa.Column("payloads", sa.Text(), nullable=False),
        moment("expires_at", nullable=False),
    )
    return WhatsAppTables(inbound, outbound, menus)
