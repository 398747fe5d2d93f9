"""A production-profile stack on loopback for the attacker tests (one per session, SQLite).

The stack is :func:`scripts.stack.local_stack` with ``production=True``: every process runs with
``LALISA_ENV=production``, the WhatsApp sandbox stands in for Meta.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack  # noqa: E402
from tests.e2e.helpers import stack_on  # noqa: E402


@pytest.fixture(scope="session")
def production_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Actions, Rasa and the sandbox with ``LALISA_ENV=production``, on loopback."""
    work = tmp_path_factory.mktemp("security")
    with stack_on("sqlite", work, "security", production=True, with_backoffice=True) as running:
        yield running
