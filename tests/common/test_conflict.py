"""ON CONFLICT statements with a cache key: the same SQL as SQLAlchemy's own, compiled once."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lalisa_common.conflict import insert_ignore, upsert

metadata = sa.MetaData()
table = sa.Table(
    "conflict_test",
    metadata,
    sa.Column("key", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(16)),
    sa.Column("seen_at", sa.DateTime(timezone=True)),
)
other = sa.Table("conflict_other", metadata, sa.Column("key", sa.String(16), primary_key=True))
DIALECTS: dict[str, Any] = {"postgresql": postgresql, "sqlite": sqlite}


def sql(statement: Any, dialect: str) -> str:
    return str(statement.compile(dialect=DIALECTS[dialect].dialect()))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_insert_ignore_is_sqlalchemy_s_statement_with_a_cache_key(dialect: str) -> None:
    plain = DIALECTS[dialect].insert(table).on_conflict_do_nothing()
    assert plain._generate_cache_key() is None  # why this module exists
    ours = insert_ignore(table, dialect)
    assert sql(ours, dialect) == sql(plain, dialect)
    key = ours._generate_cache_key()
    assert key is not None and key == insert_ignore(table, dialect)._generate_cache_key()
    assert key != insert_ignore(other, dialect)._generate_cache_key()
    other_dialect = "sqlite" if dialect == "postgresql" else "postgresql"
    assert key != insert_ignore(table, other_dialect)._generate_cache_key()


def test_insert_ignore_returning_differs_from_the_plain_one() -> None:
    returning = insert_ignore(table, "postgresql", returning=[table.c.key])
    plain = postgresql.insert(table).on_conflict_do_nothing().returning(table.c.key)
    assert sql(returning, "postgresql") == sql(plain, "postgresql")
    assert (
        returning._generate_cache_key() != insert_ignore(table, "postgresql")._generate_cache_key()
    )


@pytest.mark.parametrize("dialect", DIALECTS)
def test_upsert_is_sqlalchemy_s_statement_with_a_cache_key(dialect: str) -> None:
    insert = DIALECTS[dialect].insert(table)
    plain = insert.on_conflict_do_update(
        index_elements=[table.c.key], set_={"seen_at": insert.excluded.seen_at}
    )
    ours = upsert(table, dialect, key=[table.c.key], update=[table.c.seen_at])
    assert sql(ours, dialect) == sql(plain, dialect)
    assert "seen_at = excluded.seen_at" in sql(ours, dialect)
    key = ours._generate_cache_key()
    assert key is not None
    again = upsert(table, dialect, key=[table.c.key], update=[table.c.seen_at])
    assert key == again._generate_cache_key()
    # What the statement sets is part of the key: two upserts never share a compiled form.
    other_set = upsert(table, dialect, key=[table.c.key], update=[table.c.value])
    assert key != other_set._generate_cache_key()


async def test_the_statements_run_and_compile_once(tmp_path: Any) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    ignore = insert_ignore(table, "sqlite")
    touch = upsert(table, "sqlite", key=[table.c.key], update=[table.c.value])
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            for value in ("a", "b", "c"):
                await conn.execute(ignore, {"key": "k", "value": value, "seen_at": None})
            rows = (await conn.execute(sa.select(table.c.value))).scalars().all()
            assert rows == ["a"]
            await conn.execute(touch, {"key": "k", "value": "z", "seen_at": None})
            assert (await conn.execute(sa.select(table.c.value))).scalar_one() == "z"
            again = await conn.execute(ignore, {"key": "k", "value": "y", "seen_at": None})
            # Executed before: found compiled in SQLAlchemy's cache, not compiled again.
            assert again.context.cache_hit == engine.dialect.CACHE_HIT
            plain = await conn.execute(
                sqlite.insert(table).on_conflict_do_nothing(),
                {"key": "k", "value": "y", "seen_at": None},
            )
            assert plain.context.cache_hit == engine.dialect.NO_CACHE_KEY
    finally:
        await engine.dispose()
