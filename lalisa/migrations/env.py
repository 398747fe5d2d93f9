"""Alembic environment for the La-Lisa schema, run through the async engine of lalisa.core.db."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from lalisa.core.db import create_engine_for_url
from lalisa.core.settings import get_settings
from lalisa.models import metadata
from lalisa_common.database import to_async_url

config = context.config

# Only the alembic CLI has an ini file; when lalisa.core.db.migrate() runs inside an application or
# the test suite, reconfiguring logging would silence the host's loggers.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata

RASA_TABLES = frozenset({"events"})
"""Rasa's tracker store shares a PostgreSQL database; its table is Rasa's, never Alembic's."""


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, other: object
) -> bool:
    """Leave the tables of other owners out of ``alembic revision --autogenerate``."""
    return not (type_ == "table" and reflected and other is None and name in RASA_TABLES)


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database.url


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        include_object=include_object,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead, so later
        # revisions written with op.batch_alter_table work on both databases.
        render_as_batch=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of connecting (``alembic upgrade head --sql``)."""
    _configure(url=to_async_url(_database_url()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    """Run the migrations on a sync connection (inside ``run_sync``)."""
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    """Open a dedicated engine (same connection hooks as the app) and migrate."""
    engine = create_engine_for_url(_database_url(), null_pool=True)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Migrate a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
