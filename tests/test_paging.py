"""Keyset paging: walking a list page by page, forwards and backwards, gives the whole list once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
import pytest

from config.settings import Settings
from db.queries import QueryRunner
from schema.context import Context
from schema.schema import build_schema
from tests.conftest import close_pool, read_pool

COMPILED = build_schema(compiler=True)
REFERENCE = build_schema(compiler=False)

LISTS = [
    ("trials", "orderBy: {field: ENROLLMENT, direction: DESC}", "slug"),
    ("trials", "orderBy: {field: START_DATE}", "slug"),
    ("trials", "orderBy: {field: ACRONYM, direction: DESC}, filter: {phases: [PHASE_3, PHASE_2]}", "slug"),
    ("agents", "orderBy: {field: TRIAL_COUNT, direction: DESC}", "slug"),
    ("agents", "orderBy: {field: FIRST_APPROVAL_DATE}", "slug"),
    ("outcomes", "orderBy: {field: HAZARD_RATIO}", "id"),
    ("sources", "", "slug"),
    ("approvals", "direction: DESC", "slug"),
]


@pytest.fixture(scope="module")
async def pool(seeded_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await read_pool(seeded_url, settings)
    yield pool
    await close_pool(pool)


async def _page(
    pool: asyncpg.Pool, field: str, arguments: str, key: str
) -> tuple[list[str], dict[str, Any], int]:
    query = f"{{ {field}({arguments}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ {key} }} }} }} }}"
    answers = []
    for schema in (COMPILED, REFERENCE):
        result = await schema.execute(query, context_value=Context(db=QueryRunner(pool)))
        assert result.errors is None, (query, result.errors)
        answers.append(orjson.loads(orjson.dumps(result.data))[field])
    assert answers[0] == answers[1], query
    connection = answers[0]
    edges = connection["edges"]
    if edges:
        assert connection["pageInfo"]["startCursor"] == edges[0]["cursor"]
        assert connection["pageInfo"]["endCursor"] == edges[-1]["cursor"]
    return [e["node"][key] for e in edges], connection["pageInfo"], connection["totalCount"]


@pytest.mark.parametrize(("field", "order", "key"), LISTS)
async def test_pages_forwards_and_backwards_cover_the_list_once(
    pool: asyncpg.Pool, field: str, order: str, key: str
) -> None:
    separator = ", " if order else ""
    everything, info, full_total = await _page(pool, field, f"{order}{separator}first: 100", key)
    assert len(everything) == min(full_total, 100)
    assert len(set(everything)) == len(everything)
    assert (info["hasPreviousPage"], info["hasNextPage"]) == (False, full_total > 100)
    total = len(everything)

    walked: list[str] = []
    cursor = None
    while len(walked) < total:
        after = f', after: "{cursor}"' if cursor else ""
        items, info, _ = await _page(pool, field, f"{order}{separator}first: 7{after}", key)
        assert items, "a page while items remain"
        assert info["hasPreviousPage"] is bool(walked)
        walked += items
        cursor = info["endCursor"]
        if len(walked) >= total:
            break
        assert info["hasNextPage"] is True
    assert walked[:total] == everything
    if total < full_total:
        return
    if total == len(everything):  # the whole list fits in one page of 100: walk it backwards too
        backwards: list[str] = []
        cursor = None
        while True:
            before = f', before: "{cursor}"' if cursor else ""
            items, info, _ = await _page(pool, field, f"{order}{separator}last: 9{before}", key)
            backwards = items + backwards
            cursor = info["startCursor"]
            if not info["hasPreviousPage"]:
                break
        assert backwards == everything


async def test_first_and_last_together_and_empty_pages(pool: asyncpg.Pool) -> None:
    everything, _, _ = await _page(pool, "trials", "first: 100", "slug")
    middle, info, _ = await _page(pool, "trials", "first: 10, last: 3", "slug")
    assert middle == everything[7:10]
    assert (info["hasPreviousPage"], info["hasNextPage"]) == (True, True)
    _, last_info, _ = await _page(pool, "trials", "first: 100", "slug")
    end = last_info["endCursor"]
    items, info, _ = await _page(pool, "trials", f'first: 5, after: "{end}"', "slug")
    assert (items, info["hasNextPage"], info["hasPreviousPage"]) == ([], False, True)
    items, info, _ = await _page(pool, "trials", "first: 0", "slug")
    assert (items, info["hasNextPage"], info["hasPreviousPage"]) == ([], True, False)


async def test_a_cursor_of_another_list_is_a_client_error(pool: asyncpg.Pool) -> None:
    _, info, _ = await _page(pool, "agents", "first: 2", "slug")
    result = await COMPILED.execute(
        f'{{ trials(first: 2, after: "{info["endCursor"]}", orderBy: {{field: START_DATE}}) {{ totalCount }} }}',
        context_value=Context(db=QueryRunner(pool)),
    )
    assert result.errors, "refused"
    assert result.errors[0].extensions == {"code": "BAD_USER_INPUT"}
