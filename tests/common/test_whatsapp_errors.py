"""Graph API error classification shared by the channel and the outbox worker."""

from __future__ import annotations

import pytest

from lalisa_common.whatsapp.errors import (
    ACCOUNT_PROBLEM_CODES,
    PAIR_RATE_LIMIT,
    RETRYABLE_CODES,
    THROUGHPUT_REACHED,
    error_of,
    is_account_problem,
    is_retryable,
)


def test_the_retryable_codes_are_the_union_of_both_former_lists() -> None:
    channel_list = {130429, 131056, 131000, 131016, 131057, 1, 2, 133004}
    worker_list = channel_list | {2494100}
    assert RETRYABLE_CODES == worker_list
    assert {THROUGHPUT_REACHED, PAIR_RATE_LIMIT} <= RETRYABLE_CODES


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (0, None),  # no response
        (500, None),
        (503, 131000),
        (429, None),
        (429, 4),  # 429 is retryable whatever code comes with it
        (400, 130429),
        (400, 131056),
        (400, 131057),
        (400, 2494100),
        (400, 133004),
    ],
)
def test_retryable(status: int, code: int | None) -> None:
    assert is_retryable(status, code)


@pytest.mark.parametrize(
    ("status", "code"), [(400, 131026), (400, 100), (404, None), (400, 131047)]
)
def test_permanent(status: int, code: int | None) -> None:
    assert not is_retryable(status, code)


def test_account_problems() -> None:
    assert is_account_problem(401, None)
    assert not is_account_problem(400, None)
    for code in ACCOUNT_PROBLEM_CODES | {200, 250, 299}:
        assert is_account_problem(400, code)
    assert not is_account_problem(400, 131026)


def test_error_of() -> None:
    body = {"error": {"code": 131026, "message": "Undeliverable", "error_data": {"details": "x"}}}
    assert error_of(body) == (131026, "Undeliverable: x")
    assert error_of({"error": {"code": "130429", "type": "OAuthException"}}) == (
        130429,
        "OAuthException",
    )
    assert error_of({"error": {"error_data": {"details": "only details"}}}) == (
        None,
        "only details",
    )
    assert error_of({"error": {"code": True}}) == (None, None)
    assert error_of({"messages": []}) == (None, None)
    assert error_of(["not", "a", "dict"]) == (None, None)
