"""Classifying WhatsApp Cloud API (Graph API) errors: retry later, fix the account, or give up.

Both senders use it: the WhatsApp channel inside Rasa (replies in a conversation) and the outbox
worker (notifications). Codes from the Cloud API error reference:

* *retryable*: HTTP 0 (no response), HTTP 5xx, HTTP 429, and error codes 130429 (throughput),
  131056 (pair rate limit), 131000/131016 (unknown/service unavailable), 131057/2494100
  (maintenance), 1, 2, 133004;
* *account problem*: the business account cannot send at all: HTTP 401, codes 0, 190 and 10
  (token or permission), 200-299 (permissions), 131005 (access denied), 131042 (payment),
  368/131031 (account restricted or locked);
* everything else is permanent for that message, e.g. 131026 (undeliverable), 100 (invalid
  parameter), 132001 (template missing), 131047 (re-engagement: free text outside the 24-hour
  window).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ACCOUNT_PROBLEM_CODES",
    "MAINTENANCE_CODES",
    "PAIR_RATE_LIMIT",
    "REENGAGEMENT_REQUIRED",
    "RETRYABLE_CODES",
    "THROUGHPUT_REACHED",
    "error_of",
    "is_account_problem",
    "is_retryable",
]

THROUGHPUT_REACHED = 130429
PAIR_RATE_LIMIT = 131056
REENGAGEMENT_REQUIRED = 131047
MAINTENANCE_CODES: frozenset[int] = frozenset({131057, 2494100})
RETRYABLE_CODES: frozenset[int] = frozenset(
    {THROUGHPUT_REACHED, PAIR_RATE_LIMIT, 131000, 131016, *MAINTENANCE_CODES, 1, 2, 133004}
)
"""Graph error codes worth retrying."""
ACCOUNT_PROBLEM_CODES: frozenset[int] = frozenset({0, 190, 10, 131005, 131042, 368, 131031})
"""Graph error codes that stop every send until an operator acts (token, permission, payment)."""


def is_retryable(http_status: int, error_code: int | None) -> bool:
    """Tell whether a failed call may succeed when repeated later.

    Args:
        http_status: HTTP status (0 when no response came back).
        error_code: Graph ``error.code``, if any.

    Returns:
        True for the transient failures listed in the module documentation. HTTP 429 is
        retryable whatever error code comes with it.
    """
    if http_status == 0 or http_status >= 500 or http_status == 429:
        return True
    return error_code in RETRYABLE_CODES


def is_account_problem(http_status: int, error_code: int | None) -> bool:
    """Tell whether a failure means the account cannot send at all.

    Args:
        http_status: HTTP status.
        error_code: Graph ``error.code``, if any.

    Returns:
        True for token, permission, payment and account restriction errors.
    """
    if error_code is None:
        return http_status == 401
    return error_code in ACCOUNT_PROBLEM_CODES or 200 <= error_code <= 299


def error_of(payload: Any) -> tuple[int | None, str | None]:
    """Read the error code and a readable title from a Graph error body.

    Args:
        payload: The decoded JSON body (anything; a body without ``error`` gives no error).

    Returns:
        ``error.code`` (a numeric string counts too) and ``error.message`` (or the user title
        or type) followed by ``error_data.details`` when there are any.
    """
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        return None, None
    raw_code = error.get("code")
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
    if code is None and isinstance(raw_code, str) and raw_code.lstrip("-").isdigit():
        code = int(raw_code)
    title = error.get("message") or error.get("error_user_title") or error.get("type")
    data = error.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    text = str(title) if title else None
    if details:
        text = f"{text}: {details}" if text else str(details)
    return code, text
