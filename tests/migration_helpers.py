"""Reading a migrated database back, for the tests of the Alembic revisions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Inspector

from lalisa.core.db import create_engine_for_url
from lalisa.models import Base

T = TypeVar("T")


async def inspect_async(url: str, read: Callable[[Inspector], T]) -> T:
    """Runs ``read`` on an inspector of the database at ``url``."""
    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: read(inspect(sync)))
    finally:
        await engine.dispose()


def inspect_database(url: str, read: Callable[[Inspector], T]) -> T:
    """:func:`inspect_async` from synchronous code."""
    return asyncio.run(inspect_async(url, read))


def table_names(url: str) -> set[str]:
    """The tables of the database at ``url``."""
    return inspect_database(url, lambda inspector: set(inspector.get_table_names()))


def column_names(url: str, table: str) -> set[str]:
    """The columns of ``table`` in the database at ``url``."""
    return inspect_database(
        url, lambda inspector: {column["name"] for column in inspector.get_columns(table)}
    )


async def schema_diff(url: str, tables: Collection[str]) -> list[Any]:
    """What differs between the migrated ``tables`` and the models declaring them.

    Only ``tables`` are compared: other revisions own the rest (some, like the WhatsApp channel
    tables, are not mapped in the models at all). The models must be imported (registered on
    ``Base.metadata``) before.
    """

    def include(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
        if type_ == "table":
            return name in tables
        table = getattr(obj, "table", None)
        return table is None or table.name in tables

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine_for_url(url, null_pool=True)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(diff)
    finally:
        await engine.dispose()
