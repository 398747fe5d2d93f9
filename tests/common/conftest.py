"""Fixtures of the shared-package suite, which runs in both environments (``unit`` and ``rasa``).

Nothing here imports ``lalisa`` (absent from the Rasa environment's SQLAlchemy 1.4 world): the
migrated database is built by the app environment's interpreter in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_PYTHON = REPO / ".venv" / "bin" / "python"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision by ``python -m lalisa.migrate``."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "lalisa.db"
    env = {**os.environ, "LALISA_ENV_FILE": "", "LALISA_VAR_DIR": str(folder / "var")}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [str(APP_PYTHON), "-m", "lalisa.migrate", "--url", f"sqlite:///{path}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"python -m lalisa.migrate failed:\n{proc.stdout}\n{proc.stderr}")
    return path
