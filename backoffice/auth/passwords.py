"""Password hashing (argon2id) and generated passwords.

Hashing is deliberately slow (tens of milliseconds), so the async helpers run it in a worker
thread instead of blocking the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 10
# No look-alike characters (0/o, 1/l/i), so a password read off a screen is typed right.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_GROUPS = 4
_GROUP_LENGTH = 4

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified when the username is unknown, so a wrong username costs as long as a wrong
    # password and response times do not tell which usernames exist.
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password_sync(password: str) -> str:
    """Hash a password with argon2id (blocking).

    Args:
        password: The clear-text password.

    Returns:
        The PHC string (``$argon2id$v=19$…``).
    """
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    """Hash a password with argon2id in a worker thread.

    Args:
        password: The clear-text password.

    Returns:
        The PHC string (``$argon2id$v=19$…``).
    """
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password against a stored hash in a worker thread.

    Args:
        password_hash: The stored hash, or ``None`` when the user does not exist (a dummy hash
            is checked instead, so both cases take the same time).
        password: The password that was typed.

    Returns:
        True only when the hash exists and matches.
    """
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a hash was made with weaker parameters than the current ones.

    Args:
        password_hash: A stored hash.

    Returns:
        True when it should be replaced at the next successful login.
    """
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def generate_password() -> str:
    """Generate an initial password (4 groups of 4, about 79 bits), e.g. ``k7mq-x3tp-9hzr-w2fd``.

    Returns:
        The password, to be shown once.
    """
    groups = (
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )
    return "-".join(groups)


def password_problem(password: str, *, username: str) -> str | None:
    """Check a new password chosen by an officer.

    Args:
        password: The proposed password.
        username: The officer's username (the password may not contain it).

    Returns:
        A Bahasa Indonesia explanation of what is wrong, or ``None`` when it is acceptable.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter."
    if len(password) > 256:
        return "Kata sandi terlalu panjang (maksimal 256 karakter)."
    if username and username.lower() in password.lower():
        return "Kata sandi tidak boleh memuat nama pengguna."
    if len(set(password)) < 4:
        return "Kata sandi terlalu mudah ditebak."
    return None
