"""The WhatsApp tables as the channel queries them (Rasa env, SQLAlchemy 1.4).

Described once, for both environments, by :func:`lalisa_common.whatsapp.tables.whatsapp_tables`;
created by the Alembic revisions ``0002_whatsapp``, ``0004_outbox`` and ``0011_ingress``;
``citizen_contacts`` (revision ``0012_contacts``) by :func:`lalisa_common.identity.contacts_table`.
"""

from __future__ import annotations

import sqlalchemy as sa

from lalisa_common.identity import contacts_table
from lalisa_common.whatsapp.tables import whatsapp_tables

metadata = sa.MetaData()

inbound_messages, outbound_messages, menus = whatsapp_tables(metadata)
contacts = contacts_table(metadata)
