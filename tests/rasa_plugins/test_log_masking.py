"""The Rasa process masks phone numbers in its logs as soon as it loads lalisa_rasa."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_lalisa_rasa_masks_rasa_log_records() -> None:
    script = (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stderr, level=logging.INFO)\n"
        "import lalisa_rasa\n"
        "logging.getLogger('rasa.core.processor').info("
        "'Received user message from sender %s', '6281234567890')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "6281234567890" not in result.stderr
    assert "sender **********890" in result.stderr
