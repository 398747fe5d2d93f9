"""Engine, session scope and URL mapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from lalisa.core.db import (
    create_engine_for_url,
    dispose_engine,
    get_engine,
    get_sessionmaker,
    insert_or_find,
    session_scope,
)
from lalisa.tickets.models import TicketSequence


async def test_sqlite_connection_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "x.db"
    engine = create_engine_for_url(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 30_000
    finally:
        await engine.dispose()


async def test_one_engine_per_process(lalisa_env: dict[str, str]) -> None:
    engine = get_engine()
    assert get_engine() is engine
    assert get_sessionmaker() is get_sessionmaker()
    await dispose_engine()
    assert get_engine() is not engine
    await dispose_engine()


async def _count_sequences() -> int:
    async with session_scope() as session:
        return int(
            (await session.execute(select(func.count()).select_from(TicketSequence))).scalar_one()
        )


async def test_session_scope_commits(db: str) -> None:
    async with session_scope() as session:
        session.add(TicketSequence(year=2026, last_value=5))
    assert await _count_sequences() == 1


async def test_session_scope_rolls_back_on_error(db: str) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with session_scope() as session:
            session.add(TicketSequence(year=2026, last_value=5))
            await session.flush()
            raise RuntimeError("boom")
    assert await _count_sequences() == 0


async def test_objects_stay_readable_after_commit(db: str) -> None:
    async with session_scope() as session:
        row = TicketSequence(year=2031, last_value=7)
        session.add(row)
    assert (row.year, row.last_value) == (2031, 7)


async def test_foreign_keys_are_enforced(db: str) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        async with session_scope() as session:
            await session.execute(
                text(
                    "INSERT INTO ticket_events (ticket_id, at, actor, event_type) "
                    "VALUES (999999, CURRENT_TIMESTAMP, 'x', 'created')"
                )
            )


async def test_insert_or_find_inserts_a_new_row(db: str) -> None:
    async with session_scope() as session:
        row = TicketSequence(year=2026, last_value=1)

        async def find() -> TicketSequence | None:
            raise AssertionError("find is only called after a conflict")

        assert await insert_or_find(session, row, find) == (row, True)
    assert await _count_sequences() == 1


async def test_insert_or_find_returns_the_winner_of_a_race(db: str) -> None:
    async with session_scope() as session:
        session.add(TicketSequence(year=2026, last_value=5))
    async with session_scope() as session:
        found, created = await insert_or_find(
            session,
            TicketSequence(year=2026, last_value=1),
            lambda: session.get(TicketSequence, 2026),
        )
        assert (created, found.last_value) == (False, 5)
        # The savepoint kept the outer transaction usable.
        session.add(TicketSequence(year=2027, last_value=0))
    assert await _count_sequences() == 2


async def test_insert_or_find_reraises_when_nothing_is_found(db: str) -> None:
    from sqlalchemy.exc import IntegrityError

    async with session_scope() as session:
        session.add(TicketSequence(year=2026, last_value=5))

    async def find() -> TicketSequence | None:
        return None

    async with session_scope() as session:
        with pytest.raises(IntegrityError):
            await insert_or_find(session, TicketSequence(year=2026, last_value=1), find)


async def test_units_of_work_reuse_pooled_connections(db: str) -> None:
    """The action server connects once and reuses the connection for every message."""
    engine = get_engine()
    connects = 0

    def count(*_: object) -> None:
        nonlocal connects
        connects += 1

    event.listen(engine.sync_engine, "connect", count)
    try:
        for _ in range(5):
            async with session_scope() as session:
                await session.execute(text("SELECT 1"))
    finally:
        event.remove(engine.sync_engine, "connect", count)
    assert connects <= 1
    assert get_engine() is engine
    assert engine.pool.checkedin() >= 1
