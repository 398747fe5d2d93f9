"""Starts the real servers (actions, Rasa, WhatsApp sandbox) for end-to-end tests.

The servers run as subprocesses on free ports with a fresh database: a SQLite
file always, and a freshly created PostgreSQL database as well when
DATABASE_URL points at PostgreSQL (as in CI). The set-up the test modules share
(databases, stacks with a back office, officers, browser login) is in
:mod:`tests.e2e.helpers`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.stack import Stack, backoffice  # noqa: E402
from tests.e2e.helpers import BACKENDS, stack_on  # noqa: E402

__all__ = ["Stack"]


@pytest.fixture(scope="session", params=BACKENDS)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The running servers on one database backend."""
    work = tmp_path_factory.mktemp(f"e2e-{request.param}")
    with stack_on(request.param, work, "stack") as running:
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def office(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A stack of the test module's own with the back office and the outbox worker.

    Actions, Rasa (HTTP API with a token), sandbox, back office and outbox worker on one
    database backend; module-scoped, so every module using it starts its own and the other
    end-to-end tests keep the smaller shared ``stack``.
    """
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    work = tmp_path_factory.mktemp(f"{module}-{request.param}")
    with stack_on(request.param, work, module, with_backoffice=True) as running:
        yield running


@pytest.fixture(scope="module")
def stack_backoffice(request: pytest.FixtureRequest, stack: Stack) -> Iterator[str]:
    """A back office and an outbox worker next to the shared ``stack``, on its database.

    Yields:
        The back office URL.
    """
    module = request.module.__name__.rsplit(".", 1)[-1]
    with backoffice(stack.env, stack.log_dir, log_suffix=f"-{module}") as url:
        yield url
