"""Reporter identity: encryption, blind index and sender id normalisation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from lalisa.core.crypto import (
    IdentityCipher,
    IdentityDecryptionError,
    blind_index,
    get_identity_cipher,
)


@pytest.fixture
def cipher() -> IdentityCipher:
    return IdentityCipher(Fernet.generate_key())


@pytest.mark.parametrize("plaintext", ["6281234567890", "Siti Aminah", "Ulun 'Acil' ✓", ""])
def test_round_trip(cipher: IdentityCipher, plaintext: str) -> None:
    token = cipher.encrypt(plaintext)
    assert plaintext == cipher.decrypt(token)
    if plaintext:
        assert plaintext not in token


def test_encryption_is_randomised(cipher: IdentityCipher) -> None:
    assert cipher.encrypt("6281234567890") != cipher.encrypt("6281234567890")


def test_decrypt_with_other_key_fails(cipher: IdentityCipher) -> None:
    token = cipher.encrypt("6281234567890")
    with pytest.raises(IdentityDecryptionError):
        IdentityCipher(Fernet.generate_key()).decrypt(token)


def test_decrypt_garbage_fails(cipher: IdentityCipher) -> None:
    with pytest.raises(IdentityDecryptionError):
        cipher.decrypt("not-a-token")


@pytest.mark.parametrize(
    "spelling", ["6281234567890", "+62 812-3456-7890", "081234567890", "0812 3456 7890"]
)
def test_blind_index_same_for_every_spelling(cipher: IdentityCipher, spelling: str) -> None:
    assert cipher.blind_index(spelling) == cipher.blind_index("6281234567890")


def test_blind_index_shape_and_secrecy(cipher: IdentityCipher) -> None:
    index = cipher.blind_index("6281234567890")
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert "6281234567890" not in index


def test_blind_index_depends_on_key_and_number(cipher: IdentityCipher) -> None:
    other = IdentityCipher(Fernet.generate_key())
    assert cipher.blind_index("6281234567890") != other.blind_index("6281234567890")
    assert cipher.blind_index("6281234567890") != cipher.blind_index("6281234567891")


def test_cipher_accepts_str_key() -> None:
    key = Fernet.generate_key()
    assert IdentityCipher(key.decode()).blind_index("1") == IdentityCipher(key).blind_index("1")


def test_module_functions_use_configured_key(lalisa_env: dict[str, str]) -> None:
    configured = IdentityCipher(lalisa_env["LALISA_IDENTITY_KEY"])
    assert blind_index("081234567890") == configured.blind_index("6281234567890")
    assert configured.decrypt(get_identity_cipher().encrypt("x")) == "x"
