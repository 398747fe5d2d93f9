"""SQLAlchemy Core descriptions of the WhatsApp tables (Rasa env, SQLAlchemy 1.4).

The tables are created by the Alembic revision ``0002_whatsapp`` in
``lalisa/migrations/versions/``; these objects only describe them for queries and
must stay in step with that revision (``tests/channel`` checks it).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: One row per inbound WhatsApp message id: the durable dedupe key and the inbound log.
inbound_messages = sa.Table(
    "whatsapp_inbound_messages",
    metadata,
    sa.Column("wamid", sa.String(255), primary_key=True),
    sa.Column("sender_id", sa.String(64), nullable=False),
    sa.Column("message_type", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("wa_timestamp", sa.DateTime(timezone=True), nullable=True),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("detail", sa.String(255), nullable=True),
    sa.Column("payload", sa.Text(), nullable=True),
)

#: One row per message the channel sent (or tried to send), updated by status webhooks.
outbound_messages = sa.Table(
    "whatsapp_outbound_messages",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("wamid", sa.String(255), nullable=True, unique=True),
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload_summary", sa.String(500), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.Integer(), nullable=True),
    sa.Column("error_title", sa.String(255), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("callback_data", sa.String(512), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
)
