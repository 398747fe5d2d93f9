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

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lalisa.core.settings import get_settings
from lalisa_common.identity import IdentityDecryptionError, SenderKeys, is_sender_key

__all__ = [
    "PSEUDONYM_PREFIX",
    "IdentityCipher",
    "IdentityDecryptionError",
    "blind_index",
    "citizen_pseudonym",
    "get_identity_cipher",
    "is_sender_key",
    "sender_key",
]

_SUBMISSION_KEY_INFO = b"lalisa/submission-key/v1"


class IdentityCipher(SenderKeys):
    """Encrypts and decrypts reporter identity and computes the blind index (the citizen key).

    The implementation is shared with the Rasa environment (:class:`SenderKeys`): the key a
    sender id gets at ingress is the blind index the tickets are found by.
    """

    def __init__(self, key: str | bytes) -> None:
        """Create a cipher for ``key``."""
        super().__init__(key)
        raw_key = key.encode("ascii") if isinstance(key, str) else key
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


@functools.lru_cache(maxsize=4)
def _cipher_for_key(key: str) -> IdentityCipher:
    return IdentityCipher(key)


def get_identity_cipher() -> IdentityCipher:
    """Return the cipher for the configured ``LALISA_IDENTITY_KEY``.

    Returns:
        A cipher, cached per key so settings reloads in tests pick up a new key.
    """
    return _cipher_for_key(get_settings().identity.key)


def sender_key(sender_id: str) -> str:
    """The citizen key of a sender id (a key stays as it is): see :mod:`lalisa_common.identity`.

    Args:
        sender_id: A phone number in any spelling, a WhatsApp user id, or a key.

    Returns:
        64 lower-case hex characters.
    """
    return get_identity_cipher().key_for(sender_id)


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
