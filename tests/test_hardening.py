"""Limits, attack probes, clean errors, timeouts and the read-only database role."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import GraphQLError

from api.app import create_app
from config.settings import Settings
from db.queries import InvalidTextArgument, QueryRunner
from schema.errors import error_code
from tests.conftest import read_pool, serve


async def post(client: httpx.AsyncClient, payload: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post("/graphql", json=payload)
    return response, time.perf_counter() - started


def nested_agents(depth: int) -> str:
    query = "name"
    for level in range(depth):
        query = f"trials {{ agents {{ {query} }} }}" if level % 2 == 0 else query
    return f'{{ agent(name: "trastuzumab") {{ {query} }} }}'


PROBES: dict[str, tuple[Any, str]] = {
    "alias overloading": (
        {"query": "{ " + " ".join(f"a{i}: dataRelease {{ version }}" for i in range(200)) + " }"},
        "QUERY_TOO_COMPLEX",
    ),
    "field duplication": ({"query": "{ dataRelease { " + "version " * 6000 + "} }"}, "QUERY_TOO_COMPLEX"),
    "directive overloading": (
        {"query": "{ dataRelease " + "@include(if: true) " * 50 + "{ version } }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "circular fragments": (
        {"query": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "deep nesting": ({"query": nested_agents(30)}, "QUERY_TOO_COMPLEX"),
    "cost explosion": (
        {
            "query": "{ agents(first: 100) { nodes { trials { agents { trials { agents { trials { slug } } } } } } } }"
        },
        "QUERY_TOO_COMPLEX",
    ),
}


@pytest.mark.parametrize("probe", list(PROBES))
async def test_attack_probes_are_refused(client: httpx.AsyncClient, probe: str) -> None:
    payload, code = PROBES[probe]
    response, seconds = await post(client, payload)
    body = response.json()
    print(f"\n{probe}: refused with {code} in {seconds * 1000:.1f} ms")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code, body["errors"][0]
    assert "Traceback" not in response.text


async def test_batches_are_bounded(client: httpx.AsyncClient) -> None:
    small, _ = await post(client, [{"query": "{ dataRelease { version } }"}] * 3)
    assert small.status_code == 200
    assert len(small.json()) == 3
    flood, seconds = await post(client, [{"query": "{ dataRelease { version } }"}] * 50)
    print(f"\nbatch of 50: refused with HTTP {flood.status_code} in {seconds * 1000:.1f} ms")
    assert flood.status_code == 400


async def test_cost_is_reported_and_explained(client: httpx.AsyncClient) -> None:
    response, _ = await post(client, {"query": "{ trials(first: 5) { nodes { outcomes { slug } } } }"})
    cost = response.json()["extensions"]["cost"]
    # trials: 1 + 5 per page x (nodes: 1 + (outcomes: 1 + 10 estimated x slug: 1))
    assert cost == {"requested": 1 + 5 * (1 + (1 + 10 * 1)), "limit": 250_000}
    refused, _ = await post(client, PROBES["cost explosion"][0])
    error = refused.json()["errors"][0]
    assert "exceeds the limit of 250000" in error["message"]
    assert error["extensions"]["cost"]["requested"] > 250_000


async def test_statement_timeout_ends_in_a_clear_error(seeded_url: str, settings: Settings) -> None:
    pool = await read_pool(seeded_url, replace(settings, statement_timeout_ms=100))
    try:
        with pytest.raises(asyncpg.QueryCanceledError) as raised:
            await QueryRunner(pool).fetch("SELECT pg_sleep(2)")
    finally:
        await pool.close()
    wrapped = GraphQLError("x", original_error=raised.value)
    assert error_code(wrapped) == "QUERY_TIMEOUT"


async def test_nul_is_refused_before_the_driver(seeded_url: str, settings: Settings) -> None:
    pool = await read_pool(seeded_url, settings)
    try:
        runner = QueryRunner(pool)
        with pytest.raises(InvalidTextArgument):
            await runner.fetch("SELECT $1::text[]", ["ok", "tras\u0000tuzumab"])
        assert runner.statements == []
    finally:
        await pool.close()
    wrapped = GraphQLError("x", original_error=InvalidTextArgument("NUL"))
    assert error_code(wrapped) == "BAD_USER_INPUT"


async def test_the_api_role_cannot_write(seeded_url: str, settings: Settings) -> None:
    pool = await read_pool(seeded_url, settings)
    try:
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await QueryRunner(pool).fetch("DELETE FROM trials RETURNING id")
        assert await pool.fetchval("SELECT count(*) FROM trials") > 0
    finally:
        await pool.close()


async def test_request_timeout_and_production_switches(seeded_url: str, settings: Settings) -> None:
    strict = replace(settings, request_timeout_s=0.000001, introspection=False, field_suggestions=False)
    async with serve(create_app(strict, seeded_url)) as url, httpx.AsyncClient(base_url=url) as http:
        slow = await http.post("/graphql", json={"query": "{ trials(first: 100) { nodes { slug } } }"})
        assert slow.status_code == 504
        assert slow.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    quiet = replace(settings, introspection=False, field_suggestions=False)
    async with serve(create_app(quiet, seeded_url)) as url, httpx.AsyncClient(base_url=url) as http:
        introspection = (
            await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        ).json()
        assert introspection["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        typo = (await http.post("/graphql", json={"query": '{ agnt(name: "x") { slug } }'})).json()
        assert "Did you mean" not in typo["errors"][0]["message"]
        ok = (await http.post("/graphql", json={"query": "{ dataRelease { version } }"})).json()
        assert ok["data"]["dataRelease"]["version"]


async def test_suggestions_are_on_by_default(client: httpx.AsyncClient) -> None:
    typo, _ = await post(client, {"query": '{ agnt(name: "x") { slug } }'})
    assert "Did you mean" in typo.json()["errors"][0]["message"]


async def test_nul_characters_are_a_client_error(client: httpx.AsyncClient) -> None:
    for query, variables in (
        ("query($n: String!) { agent(name: $n) { slug } }", {"n": "tras\u0000tuzumab"}),
        ("query($f: TrialFilter) { trials(filter: $f) { totalCount } }", {"f": {"agent": "x\u0000"}}),
    ):
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
