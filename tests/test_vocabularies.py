"""db/vocabularies.py is the one list of allowed values: the migrations' CHECK lists, the
endpoint rows, the seed spec and the GraphQL enums all agree with it."""

from __future__ import annotations

import re
from enum import Enum

import asyncpg
import pytest

from db.tables import metadata
from db.vocabularies import ENDPOINT_CODE, VOCABULARIES, Vocabulary
from schema import enums
from seeds.spec import SECTIONS, F
from tests.conftest import Databases, migrated_database

# Every single-column CHECK; the ones listing values read `col = ANY (ARRAY['a'::text, ...])`.
CHECKS_SQL = """
SELECT c.relname AS table_name, a.attname AS column_name, pg_get_constraintdef(k.oid) AS definition
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
WHERE n.nspname = 'public' AND k.contype = 'c' AND cardinality(k.conkey) = 1
"""
VALUE_LIST = re.compile(r"^CHECK \(\((\w+) = ANY \(ARRAY\[(.*)\]\)\)\)$")
VALUE = re.compile(r"'((?:[^']|'')*)'::text")


@pytest.fixture(scope="module")
async def database(databases: Databases) -> dict[str, list[asyncpg.Record]]:
    url = await migrated_database(databases, "vocabularies")
    connection = await asyncpg.connect(url)
    try:
        return {
            "checks": await connection.fetch(CHECKS_SQL),
            "endpoints": await connection.fetch("SELECT code FROM endpoints ORDER BY id"),
        }
    finally:
        await connection.close()


def _declared() -> dict[tuple[str, str], Vocabulary]:
    return {
        (table.name, column.name): column.info["vocabulary"]
        for table in metadata.tables.values()
        for column in table.columns
        if "vocabulary" in column.info
    }


async def test_check_lists_are_the_vocabularies(database: dict[str, list[asyncpg.Record]]) -> None:
    in_database: dict[tuple[str, str], tuple[str, ...]] = {}
    for row in database["checks"]:
        match = VALUE_LIST.match(row["definition"])
        if match:
            assert match.group(1) == row["column_name"]
            values = tuple(value.replace("''", "'") for value in VALUE.findall(match.group(2)))
            in_database[(row["table_name"], row["column_name"])] = values
    declared = {key: vocabulary.values for key, vocabulary in _declared().items()}
    assert declared == in_database


async def test_endpoint_rows_are_the_endpoint_codes(database: dict[str, list[asyncpg.Record]]) -> None:
    assert tuple(row["code"] for row in database["endpoints"]) == ENDPOINT_CODE.values


def _enum_choices(spec: dict[str, F]) -> list[tuple[str, ...]]:
    found = []
    for field in spec.values():
        if field.kind == "enum":
            found.append(field.choices)
        found += _enum_choices(field.spec)
    return found


def test_seed_spec_choices_are_vocabularies() -> None:
    known = {vocabulary.values for vocabulary in VOCABULARIES.values()}
    for _kind, _key, spec in SECTIONS.values():
        for choices in _enum_choices(spec):
            assert choices in known


def test_graphql_enums_are_the_vocabularies() -> None:
    graphql_enums = [
        value for value in vars(enums).values() if isinstance(value, type) and issubclass(value, Enum)
    ]
    assert graphql_enums
    for enum in graphql_enums:
        if enum is Enum:
            continue
        vocabulary = VOCABULARIES[enum.__name__]
        assert [(member.name, member.value) for member in enum] == [
            (term.name, term.value) for term in vocabulary.terms
        ]


def test_vocabulary_names_are_unique() -> None:
    for vocabulary in VOCABULARIES.values():
        assert len(set(vocabulary.values)) == len(vocabulary.values), vocabulary.name
        assert len({term.name for term in vocabulary.terms}) == len(vocabulary.terms), vocabulary.name
