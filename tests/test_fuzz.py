"""Random queries from our schema (hypothesis-graphql): valid ones never cause an internal
error; invalid ones are all rejected with `data: null`. FUZZ_EXAMPLES sets the count
(a thorough run: FUZZ_EXAMPLES=1000)."""

from __future__ import annotations

import asyncio
import os
from collections import Counter

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis_graphql import Mode, queries

from schema.schema import schema

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
CLIENT_CODES = {
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_COMPLEX",
    "BAD_USER_INPUT",
    "BAD_REQUEST",
    "NOT_FOUND",
}


def generate(mode: Mode, count: int) -> list[str]:
    collected: list[str] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(queries(schema.as_str(), mode=mode))
    def collect(query: str) -> None:
        collected.append(query)

    collect()
    return collected


async def run_all(client: httpx.AsyncClient, documents: list[str]) -> list[httpx.Response]:
    semaphore = asyncio.Semaphore(8)

    async def one(query: str) -> httpx.Response:
        async with semaphore:
            return await client.post("/graphql", json={"query": query})

    return await asyncio.gather(*(one(q) for q in documents))


async def test_valid_random_queries_never_fail_internally(client: httpx.AsyncClient) -> None:
    documents = await asyncio.to_thread(generate, Mode.POSITIVE, EXAMPLES)
    responses = await run_all(client, documents)
    outcomes: Counter[str] = Counter()
    for query, response in zip(documents, responses, strict=True):
        assert response.status_code == 200, (query, response.text)
        body = response.json()
        codes = {e["extensions"]["code"] for e in body.get("errors", [])}
        assert codes <= CLIENT_CODES, (query, body["errors"])
        outcomes["answered" if not codes else "refused: " + ",".join(sorted(codes))] += 1
    print(f"\n{len(documents)} generated valid queries: {dict(outcomes)}")
    # Random argument values are mostly refused as bad input; some must get through to data.
    assert outcomes["answered"] > 0


async def test_invalid_random_queries_are_rejected(client: httpx.AsyncClient) -> None:
    documents = await asyncio.to_thread(generate, Mode.NEGATIVE, max(EXAMPLES // 3, 20))
    responses = await run_all(client, documents)
    for query, response in zip(documents, responses, strict=True):
        body = response.json()
        assert body["data"] is None, (query, body)
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes <= CLIENT_CODES, (query, body["errors"])
    print(f"\n{len(documents)} generated invalid queries: all rejected with data: null")
