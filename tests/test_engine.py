"""The query engine: every field has a plan, every example is one statement, caches are bounded."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import pytest
from graphql import GraphQLObjectType, parse

from api.graphql_view import EXAMPLES
from bench.queries import QUERIES
from config.settings import PROJECT_ROOT, Settings
from db.queries import QueryRunner
from db.sqlbuild import ENTITIES
from schema.binding import enum_leaves
from schema.context import Context
from schema.engine import Engine
from schema.schema import TherapySchema, build_schema
from tests.conftest import close_pool, read_pool
from tests.test_compiler import exact_json

COMPILED = build_schema(compiler=True)
REFERENCE = build_schema(compiler=False)


@pytest.fixture(scope="module")
async def pool(seeded_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await read_pool(seeded_url, settings)
    yield pool
    await close_pool(pool)


def _documents() -> list[tuple[str, str | None]]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    documents: list[tuple[str, str | None]] = [
        (q, None) for q in re.findall(r"```graphql\n(.*?)```", readme, re.S)
    ]
    documents += [(EXAMPLES, line.split()[1]) for line in EXAMPLES.splitlines() if line.startswith("query ")]
    documents += [(q.ours, None) for q in QUERIES]
    return documents


def test_every_field_of_every_entity_has_a_plan() -> None:
    graphql_schema = COMPILED._schema
    for type_name, entity in ENTITIES.items():
        object_type = graphql_schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType), type_name
        python_names = {COMPILED.config.name_converter.get_graphql_name(f): f.python_name
                        for f in COMPILED.get_type_by_name(type_name).fields}  # type: ignore[union-attr]  # fmt: skip
        for name in object_type.fields:
            planned = (name == "id" and entity.key is not None) or (
                python_names[name] in entity.values or python_names[name] in entity.relations
            )
            assert planned, f"{type_name}.{name} has no plan"


def test_every_root_field_is_a_plan_function() -> None:
    definition = COMPILED.query.__strawberry_definition__  # type: ignore[attr-defined]
    unplanned = [f.python_name for f in definition.fields if not f.metadata.get("planned")]
    assert unplanned == []


async def test_every_example_is_one_statement_and_matches_the_reference(pool: asyncpg.Pool) -> None:
    documents = _documents()
    assert len(documents) >= 16
    for query, operation in documents:
        answers = []
        for schema in (COMPILED, REFERENCE):
            runner = QueryRunner(pool)
            result = await schema.execute(query, operation_name=operation, context_value=Context(db=runner))
            assert result.errors is None, (operation, query, result.errors)
            answers.append(exact_json(result.data))
            if schema is COMPILED:
                assert len(runner.statements) == 1, (operation, query)
                # The JSON text PostgreSQL built goes out as it is, and it is compact.
                assert isinstance(result.data, orjson.Fragment)
                assert orjson.dumps(result.data) == exact_json(result.data), (operation, query)
        assert answers[0] == answers[1], (operation, query)


async def test_whole_floats_and_enums_are_written_alike(pool: asyncpg.Pool) -> None:
    query = "{ outcomes(first: 100) { nodes { hazardRatio analysis armResults { median rate unit } } } }"
    texts = []
    for schema in (COMPILED, REFERENCE):
        result = await schema.execute(query, context_value=Context(db=QueryRunner(pool)))
        texts.append(exact_json(result.data))
    assert texts[0] == texts[1]
    assert re.search(rb'"rate":\d+\.0[,}]', texts[0]), "a whole-number rate is written as a Float (8.0)"


def test_plan_cache_is_bounded_in_entries_and_bytes() -> None:
    engine = Engine(max_entries=3, max_bytes=10_000_000)
    engine.schema = COMPILED
    for n in range(10):
        query = f'{{ agent(name: "a{n}") {{ name }} }}'
        assert engine.prepare(parse(query), query, None, {}) is not None
    assert len(engine) == 3
    one = Engine(max_entries=1000, max_bytes=10_000_000)
    one.schema = COMPILED
    query = "{ trials(first: 0) { nodes { slug acronym phase } } }"
    one.prepare(parse(query), query, None, {})
    budget = one.cached_bytes * 20  # room for about twenty such plans
    small = Engine(max_entries=1000, max_bytes=budget)
    small.schema = COMPILED
    for n in range(50):
        query = f"{{ trials(first: {n}) {{ nodes {{ slug acronym phase }} }} }}"
        small.prepare(parse(query), query, None, {})
    assert 0 < small.cached_bytes <= budget
    assert 10 <= len(small) <= 22


async def _same_as_reference(
    schema: TherapySchema, pool: asyncpg.Pool, query: str, variables: dict[str, Any]
) -> None:
    """The engine's answer is the reference executor's, exact JSON."""
    answers = []
    for each in (schema, REFERENCE):
        result = await each.execute(
            query, variable_values=variables, context_value=Context(db=QueryRunner(pool))
        )
        assert result.errors is None, result.errors
        answers.append(exact_json(result.data))
    assert answers[0] == answers[1], variables


async def test_new_string_values_are_bound_not_planned_again(pool: asyncpg.Pool) -> None:
    schema = build_schema(compiler=True)
    query = """query($name: String!, $trial: String, $endpoints: [String!]) {
        agent(name: $name) { name brandNames trials { acronym } }
        efficacy(first: 5, filter: {trial: $trial, endpoints: $endpoints}) { totalCount nodes { acronym endpoint } } }"""
    names = ["Enhertu", "T-DXd", "kymriah", "CHEMBL1201583", "nothing-by-this-name", "Herceptin"]
    for n, name in enumerate(names):
        variables = {
            "name": name,
            "trial": ["CLEOPATRA", "DESTINY-Breast03", "zuma-1"][n % 3],
            "endpoints": [["OS", "PFS"], ["pfs", "ORR"], ["ORR", "CRS_G3"]][n % 3],
        }
        await _same_as_reference(schema, pool, query, variables)
    assert schema.engine.planned == 1, "one plan for every value of the string variables"


async def test_strings_that_shape_the_statement_are_part_of_the_key(pool: asyncpg.Pool) -> None:
    schema = build_schema(compiler=True)
    query = "query($q: String!, $after: String) { search(query: $q, first: 3) { label } trials(first: 2, after: $after) { nodes { slug } pageInfo { endCursor } } }"
    first = await schema.execute(query, variable_values={"q": "trastuzamab", "after": None},
                                 context_value=Context(db=QueryRunner(pool)))  # fmt: skip
    assert first.errors is None
    cursor = orjson.loads(orjson.dumps(first.data))["trials"]["pageInfo"]["endCursor"]
    for variables in ({"q": " kymriah ", "after": cursor}, {"q": "zuma", "after": cursor}):
        await _same_as_reference(schema, pool, query, variables)
    # The search text is trimmed and the cursor decoded in Python: each value is its own plan.
    assert schema.engine.planned == 3
    # ... so a new text is checked again, never replayed into the statement unchecked.
    too_long = await schema.execute(query, variable_values={"q": "x" * 250, "after": None},
                                    context_value=Context(db=QueryRunner(pool)))  # fmt: skip
    assert too_long.errors
    assert too_long.errors[0].extensions == {"code": "BAD_USER_INPUT"}


async def test_structural_values_are_written_into_the_statement(pool: asyncpg.Pool) -> None:
    """Page sizes and enum values become part of the text (PostgreSQL plans with them);
    string values stay parameters, so a new string is not planned again."""
    schema = build_schema(compiler=True)
    query = """query($first: Int!, $phases: [Phase!], $name: String!) {
        trials(first: $first, filter: {phases: $phases}) { totalCount nodes { acronym phase } }
        agent(name: $name) { name } }"""
    cases = [
        (3, ["PHASE_3"], "Enhertu"),
        (3, ["PHASE_3"], "Kymriah"),
        (5, ["PHASE_2", "PHASE_3"], "Herceptin"),
        (1, ["PHASE_1"], "T-DXd"),
    ]
    texts = set()
    for first, phases, name in cases:
        variables = {"first": first, "phases": phases, "name": name}
        await _same_as_reference(schema, pool, query, variables)
        prepared = schema.engine.cached(query, None, variables)
        assert prepared is not None
        assert prepared.statement is not None
        texts.add(prepared.statement.sql)
        # One parameter is left: the agent's name; the page size and phases are in the text.
        assert len(prepared.statement.names) == 1
        assert [path for _, path in prepared.parameters] == [("name",)]
        assert f"LIMIT {first}" in prepared.statement.sql
    assert schema.engine.planned == 3, "a new name reuses the plan; new page sizes and phases do not"
    assert len(texts) == 3


async def test_values_decoded_from_strings_stay_parameters(pool: asyncpg.Pool) -> None:
    """A cursor is decoded in Python: each cursor is its own plan, but all share one text,
    so the row id it carries is never written in."""
    schema = build_schema(compiler=True)
    query = (
        "query($after: String) { trials(first: 2, after: $after) { nodes { slug } pageInfo { endCursor } } }"
    )
    runner = QueryRunner(pool)
    cursor = None
    texts = set()
    for _ in range(3):
        variables = {"after": cursor}
        result = await schema.execute(query, variable_values=variables, context_value=Context(db=runner))
        assert result.errors is None, result.errors
        prepared = schema.engine.cached(query, None, variables)
        assert prepared is not None
        assert prepared.statement is not None
        if cursor is not None:
            texts.add(prepared.statement.sql)
        cursor = orjson.loads(orjson.dumps(result.data))["trials"]["pageInfo"]["endCursor"]
    assert schema.engine.planned == 3
    assert len(texts) == 1


async def test_read_connections_plan_each_statement_once(pool: asyncpg.Pool) -> None:
    """PostgreSQL keeps one plan per statement for every value of its parameters (db.pool:
    plan_cache_mode), instead of planning again for each new value; the answers stay the
    reference executor's."""
    schema = build_schema(compiler=True)
    query = """query($first: Int!, $endpoints: [String!], $prefix: String!) {
        efficacy(first: $first, filter: {endpoints: $endpoints}) { totalCount nodes { acronym endpoint } }
        suggest(prefix: $prefix, first: 3) { label } }"""
    values = [(["PFS"], "tras"), (["OS"], "kym"), (["pfs"], "NCT0"), (["CRS_G3"], "her"),
              (["PFS"], "ta"), (["DOR"], "ax"), (["os"], "CLEO"), (["ORR"], "zum")]  # fmt: skip
    cases = [{"first": 4, "endpoints": endpoints, "prefix": prefix} for endpoints, prefix in values]
    for variables in cases:
        await _same_as_reference(schema, pool, query, variables)
    prepared = schema.engine.cached(query, None, cases[0])
    assert prepared is not None
    assert prepared.statement is not None
    assert schema.engine.planned == 1
    async with pool.acquire() as connection:
        for variables in cases:  # more runs than the 5 PostgreSQL plans for the values by default
            await connection.fetchval(prepared.statement.sql, *prepared.arguments(variables))
        mode = await connection.fetchval("SHOW plan_cache_mode")
        plans = await connection.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
            prepared.statement.sql,
        )
    assert mode == "force_generic_plan"
    assert plans is not None
    assert plans["custom_plans"] == 0
    assert plans["generic_plans"] >= len(cases)


def test_enum_leaves_are_found_by_the_declared_types() -> None:
    document = parse(
        """query($f: TrialFilter, $o: TrialOrder, $p: [Phase!], $s: String, $one: [Phase!]) {
        trials(filter: $f, orderBy: $o) { totalCount } }"""
    )
    operation = document.definitions[0]
    variables = {
        "f": {"phases": ["PHASE_3", "PHASE_2"], "target": "ERBB2", "modality": "ANTIBODY_DRUG_CONJUGATE"},
        "o": {"field": "ENROLLMENT"},
        "p": ["PHASE_1"],
        "s": "PHASE_1",
        "one": "PHASE_2",  # a single value where a list is declared
    }
    found = enum_leaves(COMPILED._schema, operation, variables)  # type: ignore[arg-type]
    assert found == {
        ("f", "phases", 0),
        ("f", "phases", 1),
        ("f", "modality"),
        ("o", "field"),
        ("p", 0),
        ("one",),
    }
