"""``X-Hub-Signature-256`` signing and verification (HMAC-SHA256 over the raw body)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def app_secrets(env: Mapping[str, str | None]) -> tuple[str, ...]:
    """The accepted app secrets: ``WHATSAPP_APP_SECRET``, then ``WHATSAPP_APP_SECRET_PREVIOUS``.

    The previous secret is accepted only while a rotation is under way (see docs/whatsapp.md).
    """
    secrets: list[str] = []
    for name in ("WHATSAPP_APP_SECRET", "WHATSAPP_APP_SECRET_PREVIOUS"):
        value = (env.get(name) or "").strip()
        if value and value not in secrets:
            secrets.append(value)
    return tuple(secrets)


def sign(body: bytes, secret: str) -> str:
    """Computes the header value Meta sends for ``body``.

    Args:
        body: Raw request body, exactly as sent.
        secret: The app secret.

    Returns:
        ``sha256=<lowercase hex digest>``.
    """
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(body: bytes, header: str | None, secrets: Iterable[str]) -> bool:
    """Checks a signature header against every accepted secret in constant time.

    Args:
        body: Raw request body bytes (never a re-serialised JSON).
        header: Value of ``X-Hub-Signature-256`` (None when absent).
        secrets: Accepted app secrets (current and, during a rotation, previous).

    Returns:
        True if the header matches one of the secrets; False otherwise (fails closed
        when there is no header or no secret).
    """
    if not header or not header.startswith(_PREFIX):
        return False
    received = header.strip().lower().encode("ascii", errors="replace")
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = sign(body, secret).encode("ascii")
        # No early exit: every secret is compared, so timing does not tell which matched.
        matched |= hmac.compare_digest(received, expected)
    return matched
