"""The whatsapp_* table factory matches the migrated schema, in SQLAlchemy 1.4 and 2.0."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lalisa_common.whatsapp.tables import (
    INBOUND_TABLE,
    MENU_TABLE,
    OUTBOUND_TABLE,
    whatsapp_tables,
)


def _type_name(type_: Any) -> str:
    name = type(type_).__name__.upper()
    known = {"VARCHAR": "STRING", "TIMESTAMP": "DATETIME", "BIGINTEGER": "BIGINT"}
    return known.get(name, name)


def _described(table: sa.Table) -> dict[str, Any]:
    return {
        "columns": {
            c.name: (_type_name(c.type), getattr(c.type, "length", None), c.nullable)
            for c in table.columns
        },
        "primary_key": sorted(c.name for c in table.primary_key.columns),
        "unique": sorted(
            tuple(c.name for c in constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
        ),
        "indexes": {index.name: [c.name for c in index.columns] for index in table.indexes},
    }


def _reflected(inspector: Any, name: str) -> dict[str, Any]:
    return {
        "columns": {
            c["name"]: (_type_name(c["type"]), getattr(c["type"], "length", None), c["nullable"])
            for c in inspector.get_columns(name)
        },
        "primary_key": sorted(inspector.get_pk_constraint(name)["constrained_columns"]),
        "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)),
        "indexes": {i["name"]: i["column_names"] for i in inspector.get_indexes(name)},
    }


def test_factory_matches_the_migrated_database(migrated_sqlite: Path) -> None:
    tables = whatsapp_tables(sa.MetaData())
    engine = sa.create_engine(f"sqlite:///{migrated_sqlite}")
    try:
        inspector = sa.inspect(engine)
        for table in tables:
            assert _described(table) == _reflected(inspector, table.name), table.name
    finally:
        engine.dispose()


def test_factory_round_trip_in_this_sqlalchemy() -> None:
    metadata = sa.MetaData()
    inbound, outbound, menus = whatsapp_tables(metadata)
    assert (inbound.name, outbound.name, menus.name) == (INBOUND_TABLE, OUTBOUND_TABLE, MENU_TABLE)
    engine = sa.create_engine("sqlite://")
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                outbound.insert().values(
                    wamid="wamid.1",
                    recipient="6281234567890",
                    kind="text",
                    status="accepted",
                    created_at=sa.func.current_timestamp(),
                    updated_at=sa.func.current_timestamp(),
                )
            )
            row = connection.execute(sa.select(outbound.c.attempts, outbound.c.wamid)).one()
        assert tuple(row) == (0, "wamid.1")
    finally:
        engine.dispose()


def test_each_metadata_gets_its_own_tables() -> None:
    first, second = sa.MetaData(), sa.MetaData()
    whatsapp_tables(first)
    custom = whatsapp_tables(second, sa.DateTime())
    assert set(first.tables) == set(second.tables) == {INBOUND_TABLE, OUTBOUND_TABLE, MENU_TABLE}
    assert custom.inbound.c.received_at.type.timezone is False
