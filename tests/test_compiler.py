"""The operation compiler against the reference executor: identical answers, one statement
per compiled root field. FUZZ_EXAMPLES sets the number of generated queries."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis_graphql import queries

from api.graphql_view import EXAMPLES
from config.settings import PROJECT_ROOT, Settings
from db.queries import QueryRunner
from schema.context import Context
from schema.schema import build_schema
from tests.conftest import close_pool, read_pool

COMPILED = build_schema(compiler=True)
REFERENCE = build_schema(compiler=False)
EXAMPLE_COUNT = int(os.environ.get("FUZZ_EXAMPLES", "150"))

HANDWRITTEN = [
    # aliases, fragments, inline fragments on an interface, __typename, enums, partial dates
    """query { a: agent(name: "Kadcyla") { ...AgentBits } b: agent(name: "Kymriah") { ...AgentBits ... on Node { id } } }
       fragment AgentBits on Agent { __typename id name modality developmentStatus brandNames
         cellTherapy { binder } adc { payload payloadClass drugToAntibodyRatio linkerCleavable }
         approvals { date type regulator indication { slug biomarkerStatus setting parent { slug } } } }""",
    # connections: every pageInfo field, edges with cursors, nodes, totalCount
    """{ trials(first: 3, filter: {phases: [PHASE_3]}, orderBy: {field: ENROLLMENT, direction: DESC}) {
         __typename totalCount pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
         edges { __typename cursor node { slug startDate primaryCompletionDate status blinding } } nodes { acronym } } }""",
    """{ agents(last: 2) { pageInfo { hasNextPage hasPreviousPage } nodes { slug } }
         empty: agents(filter: {nameContains: "no such name"}) { totalCount pageInfo { hasNextPage endCursor } nodes { slug } } }""",
    # deep nesting across every relationship kind
    """{ trial(id: "CLEOPATRA") { id arms { slug role regimen { displayName role agent { slug biosimilarOf { slug } } } agents { name } }
         outcomes { id slug endpoint { code kind } analysis dataCutoff hazardRatio pValue
           armResults { arm { trial { slug } } median medianNotReached rate unit } sources { slug year kind } }
         indications { name children { slug } } approvals { slug pivotalTrials { slug } } } }""",
    """{ resistanceMechanisms(first: 100) { nodes { slug category biomarkers { name kind }
         effects { direction evidence agent { slug } mechanism { slug } sources { slug } }
         overcoming { displayName evidence agent { slug } } } } }""",
    """{ efficacy(first: 100, filter: {endpoints: ["OS", "PFS"], withHazardRatio: true}) { totalCount nodes {
         acronym nctId phase setting endpoint endpointKind analysis assessment dataCutoff hazardRatio hazardRatioCiLower
         hazardRatioCiUpper pValue unit timepoint experimentalLabel experimentalMedian experimentalMedianNotReached
         experimentalRate controlLabel controlMedian controlRate trial { slug } outcome { slug } sources { slug } } } }""",
    """{ safetyWarnings(first: 100) { nodes { slug kind event dateAdded regulator agent { slug } } }
         approvals(first: 100, direction: DESC) { nodes { slug date type } } sources(first: 100) { nodes { slug pmid doi url } } }""",
    # mixed: compiled and normal root fields in one operation
    """{ dataRelease { version } target(symbol: "HER2") { symbol agents { slug } } search(query: "zuma", first: 2) { label } }""",
]


@pytest.fixture(scope="module")
async def pool(seeded_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await read_pool(seeded_url, settings)
    yield pool
    await close_pool(pool)


def exact_json(data: Any) -> bytes:
    """The response data as compact JSON text: number formatting (8 vs 8.0) and nulls kept."""
    return orjson.dumps(orjson.loads(orjson.dumps(data)))


async def both(pool: asyncpg.Pool, settings: Settings, query: str, operation: str | None = None,
               variables: dict[str, Any] | None = None) -> tuple[Any, Any, list[str]]:  # fmt: skip
    results = []
    statements: list[str] = []
    for schema in (COMPILED, REFERENCE):
        runner = QueryRunner(pool)
        result = await schema.execute(
            query,
            variable_values=variables,
            operation_name=operation,
            context_value=Context(db=runner),
        )
        errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
        results.append((exact_json(result.data), errors))
        if schema is COMPILED:
            statements = runner.statements
    return results[0], results[1], statements


async def test_handwritten_queries_match(pool: asyncpg.Pool, settings: Settings) -> None:
    for query in HANDWRITTEN:
        compiled, reference, _ = await both(pool, settings, query)
        assert compiled == reference, query


async def test_examples_match_and_compile_to_one_statement_per_root_field(
    pool: asyncpg.Pool, settings: Settings
) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    documents: list[tuple[str, str | None]] = [
        (q, None) for q in re.findall(r"```graphql\n(.*?)```", readme, re.S)
    ]
    documents += [(EXAMPLES, line.split()[1]) for line in EXAMPLES.splitlines() if line.startswith("query ")]
    assert len(documents) >= 10
    for query, operation in documents:
        compiled, reference, _ = await both(pool, settings, query, operation)
        assert compiled == reference, (operation, query)

    _, _, statements = await both(
        pool, settings,
        "{ agents(first: 20) { nodes { name trials { acronym outcomes { analysis armResults { median } sources { slug } } } } } }",
    )  # fmt: skip
    assert len(statements) == 1
    _, _, two = await both(pool, settings, '{ a: agent(name: "Enhertu") { name } trials { totalCount } }')
    assert len(two) == 1, "the whole operation is one statement"


async def test_variables_and_directives(pool: asyncpg.Pool, settings: Settings) -> None:
    query = """query($name: String!, $withTrials: Boolean!, $skipTargets: Boolean!, $f: TrialFilter, $n: Int) {
        agent(name: $name) { name trials @include(if: $withTrials) { slug } targets @skip(if: $skipTargets) { symbol } }
        trials(filter: $f, first: $n) { totalCount nodes { slug } } }"""
    for variables in (
        {"name": "Herceptin", "withTrials": True, "skipTargets": False, "f": {"phases": ["PHASE_3"]}, "n": 5},
        {"name": "tisa-cel", "withTrials": False, "skipTargets": True, "f": None, "n": None},
        {"name": "nothing", "withTrials": True, "skipTargets": True, "f": {"agent": "Yescarta"}, "n": 1},
    ):
        compiled, reference, _ = await both(pool, settings, query, variables=variables)
        assert compiled == reference, variables


async def test_errors_match(pool: asyncpg.Pool, settings: Settings) -> None:
    for query in ('{ trials(first: 500) { totalCount } }', '{ trials(after: "junk") { totalCount } }',
                  '{ trial(nctId: "a", acronym: "b") { slug } }', '{ node(id: "%%") { id } }'):  # fmt: skip
        compiled, reference, _ = await both(pool, settings, query)
        assert compiled == reference, query
        assert compiled[1], "an error is reported"


def _generate(count: int) -> list[str]:
    collected: list[str] = []

    @settings(max_examples=count, database=None, deadline=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(queries(REFERENCE.as_str()))
    def collect(query: str) -> None:
        collected.append(query)

    collect()
    return collected


async def test_generated_queries_match(pool: asyncpg.Pool, settings: Settings) -> None:
    documents = await asyncio.to_thread(_generate, EXAMPLE_COUNT)
    compiled_fields = 0
    for query in documents:
        compiled, reference, statements = await both(pool, settings, query)
        assert compiled == reference, query
        assert len(statements) <= 1, query
        compiled_fields += len(statements)
    print(
        f"\n{len(documents)} generated queries: identical on both paths; {compiled_fields} answered by one statement"
    )


async def test_http_replay_of_compiled_operations(
    client: Any, pool: asyncpg.Pool, settings: Settings
) -> None:
    query = (
        '{ agents(first: 5, filter: {target: "CD19"}) { totalCount nodes { id name approvals { date } } } }'
    )
    variables_query = "query($n: String!) { agent(name: $n) { name trials { acronym } } }"
    named_query = "query Named($n: String!) { agent(name: $n) { name } }"
    payloads: list[dict[str, Any]] = [
        {"query": query},
        {"query": variables_query, "variables": {"n": "Kymriah"}},
        # A named operation sent without operationName (as most clients do) is replayed too.
        {"query": named_query, "variables": {"n": "Breyanzi"}},
        {"query": named_query, "operationName": "Named", "variables": {"n": "Breyanzi"}},
    ]
    for payload in payloads:
        first = await client.post("/graphql", json=payload)
        second = await client.post("/graphql", json=payload)  # replayed from the compiled plan
        assert first.status_code == second.status_code == 200
        assert second.headers["x-graphql-execution"] == "replay"
        assert first.json() == second.json()
        reference = await REFERENCE.execute(
            payload["query"],
            variable_values=payload.get("variables"),
            context_value=Context(db=QueryRunner(pool)),
        )
        assert second.json()["data"] == orjson.loads(exact_json(reference.data))
        assert second.json()["extensions"]["cost"]["requested"] > 0
    other = await client.post("/graphql", json={"query": variables_query, "variables": {"n": "Yescarta"}})
    assert other.json()["data"]["agent"]["name"] == "axicabtagene ciloleucel"


@pytest.mark.parametrize("field", ["search(query: $q, first: 3)", "suggest(prefix: $q, first: 3)"])
async def test_search_texts_are_bound_and_still_checked(client: Any, field: str) -> None:
    """A new search text reuses the plan (a parameter, trimmed in SQL); a text its check
    refuses is refused however the plan was cached, and does not spoil the cache."""
    query = f"query($q: String!) {{ {field} {{ label matchedText }} }}"

    async def post(text: str) -> httpx.Response:
        response: httpx.Response = await client.post(
            "/graphql", json={"query": query, "variables": {"q": text}}
        )
        return response

    first = await post("trastuzumab")
    assert first.status_code == 200, first.text
    again = await post("trastuzumab")
    assert again.headers.get("x-graphql-execution") == "replay"
    other = await post("  Kadcyla\t")
    assert other.headers.get("x-graphql-execution") == "replay", "a new text is bound, not planned again"
    assert other.json()["data"] == (await post("kadcyla")).json()["data"]  # trimmed in SQL
    for refused in ("  --  ", "x" * 201):
        response = await post(refused)
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", response.text
        assert response.headers.get("x-graphql-execution") != "replay"
    after = await post("pertuzumab")
    assert after.headers.get("x-graphql-execution") == "replay"
    assert after.json()["data"], after.text
