"""db/tables.py describes exactly what the migrations create: every table, view and
column, with its type, nullability, primary key and foreign keys."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from db.tables import metadata
from tests.conftest import Databases, migrated_database

COLUMNS_SQL = """
SELECT c.relname AS table_name, c.relkind IN ('v', 'm') AS is_view, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type, NOT a.attnotnull AS nullable
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
  AND c.relname <> 'alembic_version'
"""

KEYS_SQL = """
SELECT c.relname AS table_name, k.contype::text AS kind, k.conkey AS columns,
       f.relname AS referenced_table, k.confkey AS referenced_columns
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE n.nspname = 'public' AND k.contype IN ('p', 'f')
"""

ATTRIBUTE_NAMES_SQL = """
SELECT c.relname AS table_name, a.attnum AS number, a.attname AS name
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND a.attnum > 0
"""

Shape = dict[tuple[str, str], tuple[str, bool]]


@pytest.fixture(scope="module")
async def catalog(databases: Databases) -> dict[str, list[asyncpg.Record]]:
    url = await migrated_database(databases, "tables")
    connection = await asyncpg.connect(url)
    try:
        return {
            "columns": await connection.fetch(COLUMNS_SQL),
            "keys": await connection.fetch(KEYS_SQL),
            "names": await connection.fetch(ATTRIBUTE_NAMES_SQL),
        }
    finally:
        await connection.close()


DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


def _declared_type(table: Table, column: str) -> str:
    return table.c[column].type.compile(dialect=DIALECT).lower()


def test_every_table_and_column_matches_the_database(catalog: dict[str, list[asyncpg.Record]]) -> None:
    database: Shape = {}
    views: set[str] = set()
    for row in catalog["columns"]:
        database[(row["table_name"], row["column_name"])] = (row["data_type"], row["nullable"])
        if row["is_view"]:
            views.add(row["table_name"])
    declared: Shape = {
        (table.name, column.name): (_declared_type(table, column.name), bool(column.nullable))
        for table in metadata.tables.values()
        for column in table.columns
    }
    assert set(declared) == set(database)
    assert {name for name, table in metadata.tables.items() if table.info.get("view")} == views
    for key, (data_type, nullable) in declared.items():
        database_type, database_nullable = database[key]
        assert data_type == database_type, key
        # PostgreSQL reports every view column as nullable; the views declare what they guarantee.
        if key[0] not in views:
            assert nullable == database_nullable, key


def test_primary_and_foreign_keys_match_the_database(catalog: dict[str, list[asyncpg.Record]]) -> None:
    names = {(row["table_name"], row["number"]): row["name"] for row in catalog["names"]}
    primary: dict[str, set[str]] = {}
    foreign: set[tuple[str, str, str, str]] = set()
    for row in catalog["keys"]:
        table = row["table_name"]
        columns = [names[(table, number)] for number in row["columns"]]
        if row["kind"] == "p":
            primary[table] = set(columns)
        else:
            (column,) = columns
            (referenced_number,) = row["referenced_columns"]
            referenced = row["referenced_table"]
            foreign.add((table, column, referenced, names[(referenced, referenced_number)]))
    base_tables = [table for table in metadata.tables.values() if not table.info.get("view")]
    assert {table.name: {c.name for c in table.primary_key} for table in base_tables} == {
        table.name: primary.get(table.name, set()) for table in base_tables
    }
    assert {
        (table.name, key.parent.name, key.column.table.name, key.column.name)
        for table in base_tables
        for key in table.foreign_keys
    } == foreign


def test_seed_mapping_is_well_formed() -> None:
    """Parts come in pairs, refs and owners are foreign keys to keyed tables, so the loader
    and the export can invert the mapping."""
    for table in metadata.tables.values():
        assert set(table.info) <= {"seed", "key", "view"}, table.name
        if "key" in table.info:
            assert table.info["key"] in table.c, table.name
        parts: dict[str, set[str]] = {}
        for column in table.columns:
            info = column.info
            where = (table.name, column.name)
            assert set(info) <= {"seed", "part", "ref", "owner", "vocabulary"}, where
            if "part" in info or "ref" in info:
                assert "seed" in info, where
            if "part" in info:
                parts.setdefault(info["seed"], set()).add(info["part"])
            if "ref" in info or "owner" in info:
                (key,) = column.foreign_keys
                assert "ref" not in info or "key" in key.column.table.info, where
            if "seed" in info:
                assert "seed" in table.info, table.name
        assert all(found in ({"value", "precision"}, {"lower", "upper"}) for found in parts.values()), (
            table.name
        )
