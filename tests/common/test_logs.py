"""Phone numbers never reach a log line (lalisa_common.logs); runs in both environments."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lalisa_common.logs import install_log_masking, mask_phone_numbers

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sender 6281234567890 wrote", "sender **********890 wrote"),
        ("from +6281234567890.", "from **********890."),
        ("call 081234567890, please", "call *********890, please"),
        ("nomor 0812-3456-7890 aktif", "nomor *********890 aktif"),
        ("nomor +62 812 3456 7890", "nomor **********890"),
        ("params ('6281234567890', 'x')", "params ('**********890', 'x')"),
        ("wa_id=6281234567890&x=1", "wa_id=**********890&x=1"),
    ],
)
def test_phone_numbers_are_masked_to_their_last_three_digits(text: str, expected: str) -> None:
    assert mask_phone_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Spooled complaint saved as LLS-2026-000123",
        "2026-12-06 13:40:00,123 INFO started",
        "listening on 127.0.0.1:5055",
        "timestamp 1733490000.123456",
        "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFDNBMDdG",
        "Warga-3FA2C1D9 reported 12 tickets",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "order 12345678 and 5 photos",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_phone_numbers(text) == text


@pytest.fixture
def masking() -> Iterator[None]:
    previous = logging.getLogRecordFactory()
    install_log_masking()
    install_log_masking()  # idempotent: one layer only
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)


def test_every_record_is_masked_including_exceptions(
    masking: None, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("lalisa.test")
    with caplog.at_level(logging.INFO):
        logger.info("message from %s", "6281234567890")
        try:
            raise ValueError("duplicate reporter 6289876543210")
        except ValueError:
            logger.exception("saving failed for %s", "6289876543210")
    output = caplog.text
    assert "6281234567890" not in output and "6289876543210" not in output
    assert "**********890" in output and "**********210" in output
    assert "ValueError" in output


def test_configure_logging_masks_a_process_log() -> None:
    script = (
        "import logging\n"
        "from lalisa_common.logs import configure_logging\n"
        "configure_logging()\n"
        "logging.getLogger('uvicorn.error').warning('client %s', '6281234567890')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "6281234567890" not in result.stderr
    assert "**********890" in result.stderr


def test_entry_points_use_the_one_logging_set_up() -> None:
    """Processes configure logging through lalisa_common.logs, never basicConfig directly."""
    offenders = []
    for package in ("lalisa", "backoffice", "actions"):
        for path in (ROOT / package).rglob("*.py"):
            if re.search(r"logging\.basicConfig\(", path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert "install_log_masking()" in (ROOT / "actions" / "__init__.py").read_text(encoding="utf-8")


def test_arguments_keep_their_types_for_formatters_that_unpack_them(
    masking: None, caplog: pytest.LogCaptureFixture
) -> None:
    # uvicorn's access formatter unpacks (client, method, path, version, status) from args.
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/x?wa=6281234567890",
            "1.1",
            200,
        )
        logger.info("payload %(sender)s", {"sender": "6281234567890"})
        logger.info("details %s", {"from": "6281234567890"})
    (access, mapping, details) = caplog.records
    assert access.args == ("127.0.0.1:5000", "GET", "/x?wa=**********890", "1.1", 200)
    assert access.getMessage() == '127.0.0.1:5000 - "GET /x?wa=**********890 HTTP/1.1" 200'
    assert mapping.getMessage() == "payload **********890"
    assert details.getMessage() == "details {'from': '**********890'}"
