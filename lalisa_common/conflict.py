"""``INSERT … ON CONFLICT`` statements that SQLAlchemy compiles once, not on every execution.

SQLAlchemy (1.4 in the Rasa env, 2.0 in the app env) gives the PostgreSQL and SQLite
``insert()`` constructs no cache key (``inherit_cache = False``, and the ON CONFLICT clause has
no traversal), so every execution compiles the statement again: ~0.45 ms of CPU for the
receiver's insert of a queue row, ~0.2 ms for the contact upsert, ~0.4 ms for the worker's
outbound row, on every delivery or reply. The statements built here are the same constructs
with a cache key made of what distinguishes them (the table, the conflict target, the
columns set from ``excluded``, the returned columns), so SQLAlchemy compiles each once per
dialect and reuses it; the values are always bound parameters.

Only the two shapes La-Lisa uses are offered (do nothing; set columns from the excluded row),
so the key is complete by construction: nothing else can vary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import dml as postgresql_dml
from sqlalchemy.dialects.sqlite import dml as sqlite_dml

__all__ = ["insert_ignore", "upsert"]


class _PostgresInsert(postgresql_dml.Insert):  # type: ignore[misc,unused-ignore]
    inherit_cache = True


class _SqliteInsert(sqlite_dml.Insert):  # type: ignore[misc,unused-ignore]
    inherit_cache = True


def _keyed(clause: Any, key: tuple[Any, ...]) -> Any:
    """Gives an ON CONFLICT clause (no traversal of its own in SQLAlchemy) a fixed cache key."""

    class Keyed(clause.__class__):  # type: ignore[misc,unused-ignore]
        inherit_cache = True

        def _gen_cache_key(self, anon_map: Any, bindparams: Any) -> tuple[Any, ...]:
            return key

    clause.__class__ = Keyed
    return clause


def _insert(table: sa.Table, dialect: str) -> Any:
    if dialect == "postgresql":
        return _PostgresInsert(table)
    if dialect == "sqlite":
        return _SqliteInsert(table)
    raise ValueError(f"ON CONFLICT is not supported on {dialect!r}")


def insert_ignore(table: sa.Table, dialect: str, returning: Sequence[sa.Column[Any]] = ()) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` on any unique key (values as parameters).

    Args:
        table: The table.
        dialect: ``postgresql`` or ``sqlite``.
        returning: Columns to return for the rows actually inserted.

    Raises:
        ValueError: For another dialect.
    """
    statement = _insert(table, dialect).on_conflict_do_nothing()
    _keyed(statement._post_values_clause, ("on_conflict_do_nothing", dialect, table.name))
    if returning:
        statement = statement.returning(*returning)
    return statement


def upsert(
    table: sa.Table,
    dialect: str,
    key: Sequence[sa.Column[Any]],
    update: Sequence[sa.Column[Any]],
) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET col = excluded.col`` for ``update``.

    Args:
        table: The table.
        dialect: ``postgresql`` or ``sqlite``.
        key: The unique columns of the conflict target.
        update: The columns a conflicting row takes from the inserted values.

    Raises:
        ValueError: For another dialect.
    """
    insert = _insert(table, dialect)
    statement = insert.on_conflict_do_update(
        index_elements=list(key),
        set_={column.name: insert.excluded[column.name] for column in update},
    )
    _keyed(
        statement._post_values_clause,
        (
            "on_conflict_do_update",
            dialect,
            table.name,
            tuple(column.name for column in key),
            tuple(column.name for column in update),
        ),
    )
    return statement
