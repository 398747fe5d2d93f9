"""Citizen keys: the pseudonymous sender id every store uses instead of the phone number.

A citizen is known to Rasa (trackers, lock keys), the inbound queue, the outbound log, the
numbered-menu memory, the review index and every application table by a **key**: the blind
index of their WhatsApp id, an HMAC-SHA256 of the normalised id (:func:`normalise_sender_id`)
under a key derived with HKDF from ``LALISA_IDENTITY_KEY``, written as 64 lower-case hex
characters. The back office's label ``Warga-XXXXXXXX`` is its first eight characters.

The phone number itself lives only as a Fernet token: in ``citizen_contacts`` (key → encrypted
number, written at every ingress: the webhook receiver and the REST channel), in ``reporters``
and in the outbox. It is decrypted only at the edge, right before a Graph API call.

A key is never a phone number (phone numbers have at most 15 digits, a key has 64 characters),
so :meth:`SenderKeys.key_for` returns a key unchanged: converting twice is harmless, which makes
the migration of old rows idempotent. Both environments import this module (SQLAlchemy 1.4 in
Rasa's, 2.0 in the app's), so the table is described with Core only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lalisa_common.at_rest import identity_key
from lalisa_common.conflict import upsert
from lalisa_common.phone import international_digits, normalise_sender_id

__all__ = [
    "CONTACTS_TABLE",
    "IdentityDecryptionError",
    "SenderKeys",
    "contact_address",
    "contacts_table",
    "is_sender_key",
    "sender_address",
    "sender_keys",
    "upsert_contact",
    "upsert_contacts",
]

CONTACTS_TABLE = "citizen_contacts"
_BLIND_INDEX_INFO = b"lalisa/reporter-blind-index/v1"
_KEY_PATTERN = re.compile(r"[0-9a-f]{64}")


class IdentityDecryptionError(ValueError):
    """Raised when a stored identity token cannot be decrypted with the configured key."""


def is_sender_key(value: str | None) -> bool:
    """True when ``value`` is a citizen key (64 lower-case hex characters), not a number."""
    return bool(value) and _KEY_PATTERN.fullmatch(value or "") is not None


def sender_address(sender_id: str) -> str:
    """What the Graph API needs to reach a sender: international digits, or the user id as is.

    Unlike :func:`normalise_sender_id` this keeps the case of a business-scoped user id.
    """
    text = sender_id.strip()
    digits = international_digits(text)
    return digits if digits is not None else text


class SenderKeys:
    """Computes citizen keys and encrypts/decrypts the numbers behind them.

    Args:
        key: Fernet key (``LALISA_IDENTITY_KEY``), as str or bytes.
    """

    def __init__(self, key: str | bytes) -> None:
        """Create the keys for ``key``."""
        raw_key = key.encode("ascii") if isinstance(key, str) else key
        self._fernet = Fernet(raw_key)
        # A separate derived key keeps the MAC key independent from the encryption key.
        self._index_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_BLIND_INDEX_INFO
        ).derive(raw_key)

    def blind_index(self, sender_id: str) -> str:
        """The citizen key of a sender id: the HMAC of its normalised form; a key stays as is.

        Args:
            sender_id: A phone number in any spelling, a WhatsApp user id, or a key.

        Returns:
            64 lower-case hex characters.

        Raises:
            ValueError: ``sender_id`` is empty.
        """
        text = sender_id.strip()
        if is_sender_key(text):
            return text
        normalised = normalise_sender_id(text)
        return hmac.new(self._index_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()

    key_for = blind_index

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token of ``plaintext`` (a new random token on every call)."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by :meth:`encrypt`.

        Raises:
            IdentityDecryptionError: The token is corrupt or was made with another key.
        """
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise IdentityDecryptionError(
                "cannot decrypt reporter identity (wrong LALISA_IDENTITY_KEY?)"
            ) from exc


@functools.lru_cache(maxsize=4)
def _keys_for(key: str) -> SenderKeys:
    return SenderKeys(key)


def sender_keys(env: Mapping[str, str | None]) -> SenderKeys:
    """The :class:`SenderKeys` of the identity key configured in ``env`` (cached per key)."""
    return _keys_for(identity_key(env))


# ------------------------------------------------------------------------ the contacts table


def contacts_table(metadata: sa.MetaData, timestamp: Any = None) -> sa.Table:
    """Describe ``citizen_contacts`` (revision ``0012_contacts``) on ``metadata``.

    Columns: ``sender_key`` (primary key), ``phone_encrypted`` (Fernet token of
    :func:`sender_address`), ``first_seen_at``, ``last_seen_at``.
    """
    moment = timestamp or sa.DateTime(timezone=True)
    return sa.Table(
        CONTACTS_TABLE,
        metadata,
        sa.Column("sender_key", sa.String(64), primary_key=True),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("first_seen_at", moment, nullable=False),
        sa.Column("last_seen_at", moment, nullable=False),
    )


def contact_values(keys: SenderKeys, sender_id: str, now: datetime | None = None) -> dict[str, Any]:
    """The row of a sender: their key and encrypted address, seen now."""
    moment = now or datetime.now(timezone.utc)
    return {
        "sender_key": keys.key_for(sender_id),
        "phone_encrypted": keys.encrypt(sender_address(sender_id)),
        "first_seen_at": moment,
        "last_seen_at": moment,
    }


def _dialect_name(conn: Any) -> str:
    dialect = getattr(conn, "dialect", None)
    if dialect is None:  # an AsyncSession
        dialect = conn.get_bind().dialect
    return str(dialect.name)


async def upsert_contact(conn: Any, table: sa.Table, values: dict[str, Any]) -> None:
    """Insert a contact row, or move ``last_seen_at`` of the existing one (idempotent).

    Args:
        conn: An ``AsyncConnection`` (or ``AsyncSession``) in a transaction.
        table: The contacts table.
        values: From :func:`contact_values`.
    """
    await upsert_contacts(conn, table, [values])


async def upsert_contacts(conn: Any, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """:func:`upsert_contact` for several citizens in one statement (distinct keys only)."""
    if not rows:
        return
    await conn.execute(_upsert_statement(table, _dialect_name(conn)), rows)


@functools.lru_cache(maxsize=8)
def _upsert_statement(table: sa.Table, dialect: str) -> Any:
    # Built once, and cacheable: SQLAlchemy compiled the plain construct on every delivery.
    return upsert(table, dialect, key=[table.c.sender_key], update=[table.c.last_seen_at])


async def contact_address(conn: Any, table: sa.Table, keys: SenderKeys, key: str) -> str | None:
    """The decrypted address (number or user id) behind ``key``, or None when unknown."""
    token = (
        await conn.execute(sa.select(table.c.phone_encrypted).where(table.c.sender_key == key))
    ).scalar()
    return keys.decrypt(token) if token else None
