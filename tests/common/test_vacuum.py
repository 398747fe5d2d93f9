"""``lalisa_common.vacuum``: rewritten rows leave no old bytes behind (SQLAlchemy 1.4 and 2.0).

Runs in both environments, on SQLite files built with the standard library; PostgreSQL is
covered by tests/unit/test_pseudonymise.py and tests/unit/test_plaintext_conversions.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from lalisa_common import vacuum as vacuum_module
from lalisa_common.vacuum import vacuum, vacuum_rewritten

NAME = b"Siti Aminah Binti Rahmat"


def rewritten_file(path: Path) -> str:
    """A SQLite file whose rows held NAME and were rewritten, as a conversion leaves it."""
    connection = sqlite3.connect(path)
    try:
        # Whatever the build's default, freed space keeps its old bytes here.
        connection.execute("PRAGMA secure_delete=OFF")
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)")
        connection.executemany(
            "INSERT INTO events (data) VALUES (?)",
            [(f'{{"value": "{NAME.decode()}", "n": {n}}}',) for n in range(300)],
        )
        connection.commit()
        connection.execute("UPDATE events SET data = 'token'")
        connection.commit()
    finally:
        connection.close()
    return f"sqlite:///{path}"


def test_vacuum_rebuilds_each_rewritten_sqlite_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = rewritten_file(tmp_path / "tracker.db")
    untouched = tmp_path / "untouched.db"
    assert NAME in (tmp_path / "tracker.db").read_bytes()  # left in the free space

    with caplog.at_level(logging.INFO, logger="lalisa_common.vacuum"):
        done = asyncio.run(
            vacuum_rewritten(
                [
                    (url, ["events"]),
                    (url.replace("sqlite://", "sqlite+aiosqlite://"), ["events"]),
                    (f"sqlite:///{untouched}", []),  # nothing rewritten there
                ]
            )
        )

    assert done == [f"VACUUM of the SQLite file {tmp_path / 'tracker.db'}"]
    assert NAME not in (tmp_path / "tracker.db").read_bytes()
    assert not untouched.exists()
    assert "(rows rewritten in events)" in caplog.text


def test_a_failed_vacuum_is_logged_with_the_command_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "lalisa.db"
    url = rewritten_file(path)
    monkeypatch.setattr(vacuum_module, "SQLITE_TIMEOUT_SECONDS", 0.1)
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with caplog.at_level(logging.INFO, logger="lalisa_common.vacuum"):
            done = asyncio.run(vacuum_rewritten([(url, ["events"])]))
    finally:
        locker.close()

    assert done == []
    assert "VACUUM after the conversion failed" in caplog.text
    assert f"sqlite3 {path} VACUUM" in caplog.text


def test_an_in_memory_database_needs_no_vacuum() -> None:
    assert asyncio.run(vacuum("sqlite://", ["events"])) is None
