"""Bounded work before costly work: shape limits with memoised fragments, arguments checked
before costing, a parse cache bounded in bytes."""

from __future__ import annotations

import gc
import time
from typing import Any

import httpx
import pytest
from graphql import parse

from config.limits import Limits
from schema.limits import SATURATED, DocumentCache, ShapeMeter, shape_errors
from schema.schema import build_schema


def fragment_fan_out(levels: int, width: int) -> str:
    """Each fragment spreads the next one `width` times: width**levels fields once expanded."""
    fragments = []
    for level in range(levels):
        spreads = " ".join(f"...F{level + 1}" for _ in range(width)) if level + 1 < levels else ""
        fragments.append(f"fragment F{level} on DataRelease {{ version {spreads} }}")
    return "{ dataRelease { ...F0 } } " + " ".join(fragments)


async def post(client: httpx.AsyncClient, payload: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post("/graphql", json=payload)
    return response, time.perf_counter() - started


def code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


async def test_fragment_fan_out_is_refused_at_once(client: httpx.AsyncClient) -> None:
    # The 826-byte query of the attack report blocked the server for 7.75 s.
    query = fragment_fan_out(14, 3)
    assert len(query) < 1000
    response, seconds = await post(client, {"query": query})
    assert code(response) == "QUERY_TOO_COMPLEX", response.text
    assert "fields once fragments are expanded" in response.json()["errors"][0]["message"]
    assert seconds < 1.0
    # One level more costs one fragment more, not three times the work.
    deeper, deeper_seconds = await post(client, {"query": fragment_fan_out(40, 3)})
    assert code(deeper) == "QUERY_TOO_COMPLEX"
    assert deeper_seconds < 1.0


def test_each_fragment_is_measured_once() -> None:
    document = parse(fragment_fan_out(30, 4))
    meter = ShapeMeter(document)
    calls: list[str] = []
    measure = meter.fragment

    def counting(name: str) -> Any:
        if name not in meter.measured:
            calls.append(name)
        return measure(name)

    meter.fragment = counting  # type: ignore[method-assign]
    started = time.thread_time()
    shape = meter.fragment("F0")
    assert time.thread_time() - started < 0.05
    assert sorted(calls) == sorted(f"F{i}" for i in range(30))
    assert shape.fields == SATURATED  # 4**29 is never computed by expansion


def test_shape_checks_take_a_few_milliseconds_within_the_size_limit() -> None:
    limits = Limits()
    worst = {
        "fan-out": fragment_fan_out(90, 2),
        "repeated field": "{ dataRelease { " + "version " * 980 + "} }",
        "repeated subtree": "{ " + "dataRelease { version } " * 230 + "}",
        "aliases": "{ " + " ".join(f"a{i}: dataRelease {{ version }}" for i in range(150)) + " }",
    }
    for name, query in worst.items():
        document = parse(query, max_tokens=limits.max_tokens)
        # A collection of the whole suite's heap is not the check's cost: none runs meanwhile.
        gc.collect()
        gc.disable()
        try:
            started = time.thread_time()
            errors = shape_errors(document, limits)
            elapsed = time.thread_time() - started
        finally:
            gc.enable()
        assert errors, name
        assert elapsed < 0.01, f"{name}: {elapsed * 1000:.1f} ms"


async def test_repeated_fields_are_refused_before_validation(client: httpx.AsyncClient) -> None:
    # graphql-core's overlap check is quadratic in repeats of one field: 1,200 repeats took 2.3 s.
    response, seconds = await post(client, {"query": "{ " + "dataRelease { version } " * 100 + "}"})
    assert code(response) == "QUERY_TOO_COMPLEX"
    assert "times in one selection set" in response.json()["errors"][0]["message"]
    assert seconds < 1.0


@pytest.mark.parametrize(
    "query",
    [
        "{ agents(first: -2147483648) { nodes { slug } } }",
        "{ agents(first: -2147483648) @skip(if: true) { nodes { slug } } agents2: agents(first: 1) { totalCount } }",
        "{ agents(last: 101) { nodes { slug } } }",
        "{ agents(first: 1) { nodes { slug } } } fragment Unused on Query { agents(first: -5) { totalCount } }",
    ],
)
async def test_page_sizes_are_checked_before_costing(client: httpx.AsyncClient, query: str) -> None:
    response, _ = await post(client, {"query": query})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] in {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}, body
    assert "data" not in body or body["data"] is None
    assert "cost" not in (body.get("extensions") or {}), "a refused argument is never costed"


async def test_negative_page_size_cannot_lower_the_cost(client: httpx.AsyncClient) -> None:
    expensive = "agents(first: 100) { nodes { trials { agents { trials { agents { trials { slug } } } } } } }"
    query = "query($n: Int) { cheap: agents(first: $n) @skip(if: true) { totalCount } " + expensive + " }"
    response, _ = await post(client, {"query": query, "variables": {"n": -2147483648}})
    assert code(response) == "BAD_USER_INPUT"


async def test_variable_defaults_are_checked_and_costed_as_sent(client: httpx.AsyncClient) -> None:
    defaulted = "query($n: Int = 3) { agents(first: $n) { nodes { slug } } }"
    response, _ = await post(client, {"query": defaulted})
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    assert len(body["data"]["agents"]["nodes"]) == 3
    literal, _ = await post(client, {"query": "{ agents(first: 3) { nodes { slug } } }"})
    assert body["extensions"]["cost"] == literal.json()["extensions"]["cost"]
    left_out = "query($n: Int) { agents(first: $n) { nodes { slug } } }"  # no default: the field's own
    response, _ = await post(client, {"query": left_out})
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    assert len(response.json()["data"]["agents"]["nodes"]) == 20
    too_big = "query($n: Int = 101) { agents(first: $n) { nodes { slug } } }"
    response, _ = await post(client, {"query": too_big})
    assert code(response) == "BAD_USER_INPUT"


async def test_list_and_text_arguments_are_bounded(client: httpx.AsyncClient) -> None:
    phases = ", ".join(["PHASE_3"] * 101)
    listed, _ = await post(
        client, {"query": f"{{ trials(filter: {{phases: [{phases}]}}) {{ totalCount }} }}"}
    )
    assert code(listed) == "BAD_USER_INPUT"
    assert "at most 100 items" in listed.json()["errors"][0]["message"]
    ids = [f"id{i}" for i in range(101)]
    through_variables, _ = await post(
        client,
        {
            "query": "query($ids: [String!]!) { lookup(identifiers: $ids) { identifier } }",
            "variables": {"ids": ids},
        },
    )
    assert code(through_variables) == "BAD_USER_INPUT"
    long_text, _ = await post(
        client, {"query": "query($n: String!) { agent(name: $n) { slug } }", "variables": {"n": "x" * 201}}
    )
    assert code(long_text) == "BAD_USER_INPUT"
    assert "at most 200 characters" in long_text.json()["errors"][0]["message"]


async def test_overlong_query_text_is_not_parsed(client: httpx.AsyncClient) -> None:
    query = "#" + "x" * 30_000 + "\n{ dataRelease { version } }"
    response, _ = await post(client, {"query": query})
    assert code(response) == "QUERY_TOO_COMPLEX"
    assert "at most 20000 are allowed" in response.json()["errors"][0]["message"]


def test_document_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = DocumentCache(max_entries=100, max_bytes=1_000_000)
    document = parse("{ __typename }")
    for i in range(1000):
        cache.put(f"{{ __typename }} # {i:05d} " + "x" * 2000, document, [])
        assert cache.bytes <= cache.max_bytes
        assert len(cache) <= cache.max_entries
    assert len(cache) < 100  # the byte bound bit first
    cache.put("{ __typename } #" + "x" * 100_000, document, [])
    assert "{ __typename } #" + "x" * 100_000 not in cache._entries  # too big to keep at all
    small = DocumentCache(max_entries=3, max_bytes=10**9)
    for i in range(10):
        small.put(f"{{ __typename }} #{i}", document, [])
    assert len(small) == 3


async def test_schema_cache_stays_within_its_bounds() -> None:
    limits = Limits(cache_entries=50, cache_bytes=2_000_000)
    schema = build_schema(limits, compiler=False)
    for i in range(200):
        await schema.execute(f"{{ __typename }} # {i} " + "y" * 5000)
    (factory,) = [e for e in schema.extensions if callable(e)][:1]
    state = factory().state  # type: ignore[attr-defined]
    assert len(state.cache) <= 50
    assert state.cache.bytes <= 2_000_000
