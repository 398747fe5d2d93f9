"""Encryption at rest of what citizens say, with keys derived from the identity key.

Rasa's ``events`` rows (every text a citizen typed, the ``reporter_name`` slot, message
metadata) and the queued WhatsApp payloads are readable by whoever reads the database or a
backup. They are stored as Fernet tokens under keys derived (HKDF-SHA256, one ``info`` per
purpose) from ``LALISA_IDENTITY_KEY``, so one key to keep safe protects them all, and a leaked
derived key reveals neither the reporter table nor another purpose's data.

Both environments import this module (Rasa's tracker store and WhatsApp workers on
SQLAlchemy 1.4, the receiver and the back office on 2.0); it needs only ``cryptography``.

Reading accepts the rows written before encryption: a stored value that starts with ``{`` (a
JSON object) is returned as it is, everything else must be a token of this key.
:func:`convert_tracker_events` encrypts such old rows in place.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lalisa_common.env import SettingsError, env_value, var_dir

__all__ = [
    "IDENTITY_KEY_FILENAME",
    "INBOUND_PAYLOAD",
    "TRACKER_EVENTS",
    "AtRestCipher",
    "AtRestDecryptionError",
    "at_rest_cipher",
    "identity_key",
    "is_plaintext",
    "load_or_create_dev_identity_key",
    "validate_fernet_key",
]

IDENTITY_KEY_FILENAME: Final = "identity.key"
"""Development key file under ``LALISA_VAR_DIR`` when ``LALISA_IDENTITY_KEY`` is unset."""

TRACKER_EVENTS: Final = b"lalisa/tracker-events/v1"
"""Purpose of the key that encrypts the ``data`` column of Rasa's ``events`` table."""
INBOUND_PAYLOAD: Final = b"lalisa/inbound-payload/v1"
"""Purpose of the key that encrypts queued WhatsApp messages (``whatsapp_inbound_messages``)."""


class AtRestDecryptionError(ValueError):
    """A stored value is neither plain JSON nor a token of the configured key."""


def validate_fernet_key(key: str, source: str) -> str:
    """Returns ``key`` when it is a Fernet key; else :class:`SettingsError` names ``source``."""
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise SettingsError(
            f"{source} is not a valid Fernet key (32 url-safe base64 bytes); "
            "create one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc
    return key


def load_or_create_dev_identity_key(var: Path) -> tuple[str, bool]:
    """The development key in ``<var>/identity.key``, created (0600) on first use.

    Returns:
        The key, and True when this call created the file. ``O_EXCL`` makes creation atomic,
        so processes starting together agree on one key.
    """
    key_path = var / IDENTITY_KEY_FILENAME
    var.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = key_path.read_text(encoding="ascii").strip()
        return validate_fernet_key(key, str(key_path)), False
    key = Fernet.generate_key().decode("ascii")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key, True


def identity_key(env: Mapping[str, str | None]) -> str:
    """``LALISA_IDENTITY_KEY``, or the development key file when it is unset.

    The app's settings (:mod:`lalisa.core.settings`) read the same two places and warn about
    the development key; the Rasa processes use this function.
    """
    raw_key = env_value(env, "LALISA_IDENTITY_KEY")
    if raw_key:
        return validate_fernet_key(raw_key, "LALISA_IDENTITY_KEY")
    return load_or_create_dev_identity_key(var_dir(env))[0]


def is_plaintext(stored: str) -> bool:
    """Whether a stored value predates encryption (a JSON object, not a Fernet token)."""
    return stored.lstrip().startswith("{")


class AtRestCipher:
    """Fernet under a key derived from the identity key for one purpose.

    Args:
        key: The identity key (Fernet key, url-safe base64 of 32 bytes).
        purpose: HKDF ``info``: :data:`TRACKER_EVENTS` or :data:`INBOUND_PAYLOAD`.
    """

    def __init__(self, key: str | bytes, purpose: bytes) -> None:
        """Derives the purpose's key."""
        raw_key = key.encode("ascii") if isinstance(key, str) else key
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            raw_key
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, text: str) -> str:
        """A new Fernet token (ASCII) of ``text``."""
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The text of a stored value; an old plain JSON value is returned unchanged.

        Raises:
            AtRestDecryptionError: Neither JSON nor a token of this key (another identity key).
        """
        if is_plaintext(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise AtRestDecryptionError(
                "cannot decrypt a stored conversation value (wrong LALISA_IDENTITY_KEY?)"
            ) from exc

    def dumps(self, data: Any) -> str:
        """``data`` as encrypted JSON."""
        return self.encrypt(json.dumps(data))

    def loads(self, stored: str) -> Any:
        """The JSON value of a stored (encrypted or old plain) value."""
        return json.loads(self.decrypt(stored))


@functools.lru_cache(maxsize=8)
def at_rest_cipher(key: str, purpose: bytes) -> AtRestCipher:
    """The cipher of ``purpose`` under identity key ``key`` (cached: HKDF once per key)."""
    return AtRestCipher(key, purpose)
