"""Reporter identity protection: encryption at rest and a blind index for look-ups.

The phone number (WhatsApp id) and name of a reporter are stored only as Fernet tokens. To find
a reporter's tickets without decrypting every row, each reporter also carries a *blind index*:
an HMAC-SHA256 of the normalised sender id under a key derived from the identity key. The index
is deterministic (so it can be a unique column) but reveals nothing without the key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lalisa.core.settings import get_settings
from lalisa_common.phone import normalise_sender_id

_BLIND_INDEX_INFO = b"lalisa/reporter-blind-index/v1"
_SUBMISSION_KEY_INFO = b"lalisa/submission-key/v1"


class IdentityDecryptionError(ValueError):
    """Raised when a stored identity token cannot be decrypted with the configured key."""


class IdentityCipher:
    """Encrypts and decrypts reporter identity and computes the blind index.

    Args:
        key: Fernet key (url-safe base64 of 32 bytes), as str or bytes.
    """

    def __init__(self, key: str | bytes) -> None:
        """Create a cipher for ``key``."""
        raw_key = key.encode("ascii") if isinstance(key, str) else key
        self._fernet = Fernet(raw_key)
        # A separate derived key keeps the MAC key independent from the encryption key.
        self._index_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_BLIND_INDEX_INFO
        ).derive(raw_key)
        self._submission_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_SUBMISSION_KEY_INFO
        ).derive(raw_key)

    def submission_key(self, sender_id: str, reference: str) -> str:
        """The idempotency key of a complaint sent by ``sender_id`` in message ``reference``.

        An HMAC (64 hex characters), so the tickets table never holds the sender id, yet the
        same message submitted twice gives the same key.
        """
        message = f"{sender_id}\n{reference}".encode()
        return hmac.new(self._submission_key, message, hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        """Encrypt a string.

        Args:
            plaintext: Text to protect (phone number, name).

        Returns:
            A Fernet token (ASCII); a new random token on every call.
        """
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token produced by :meth:`encrypt`.

        Args:
            token: The stored Fernet token.

        Returns:
            The original text.

        Raises:
            IdentityDecryptionError: The token is corrupt or was made with another key.
        """
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise IdentityDecryptionError(
                "cannot decrypt reporter identity (wrong LALISA_IDENTITY_KEY?)"
            ) from exc

    def blind_index(self, sender_id: str) -> str:
        """Compute the blind index of a sender id.

        Args:
            sender_id: Sender id in any of the accepted spellings.

        Returns:
            64 lower-case hex characters.
        """
        normalised = normalise_sender_id(sender_id)
        return hmac.new(self._index_key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=4)
def _cipher_for_key(key: str) -> IdentityCipher:
    return IdentityCipher(key)


def get_identity_cipher() -> IdentityCipher:
    """Return the cipher for the configured ``LALISA_IDENTITY_KEY``.

    Returns:
        A cipher, cached per key so settings reloads in tests pick up a new key.
    """
    return _cipher_for_key(get_settings().identity.key)


def blind_index(sender_id: str) -> str:
    """Compute the blind index of a sender id with the configured identity key.

    Args:
        sender_id: Sender id as received from the channel.

    Returns:
        64 lower-case hex characters.
    """
    return get_identity_cipher().blind_index(sender_id)


PSEUDONYM_PREFIX = "Warga-"


def citizen_pseudonym(sender_index: str) -> str:
    """The one pseudonym staff pages show for a citizen instead of the phone number.

    Derived from the blind index (an HMAC), so it is stable across pages and runs and cannot be
    turned back into the number without the identity key.

    Args:
        sender_index: Blind index of the sender id (64 hex characters).

    Returns:
        E.g. ``"Warga-3FA2C1D9"``.
    """
    return PSEUDONYM_PREFIX + sender_index[:8].upper()
