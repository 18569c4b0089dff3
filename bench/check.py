"""Same data before timing: every server's answer to every benchmark request checked (the
repeated body and a sample of the varied ones) is compared whole with our service's `data`:
every field, order and duplicates included. PostGraphile's answer is first mapped onto our
shape (bench/queries.py `graphile_data`); PostgreSQL alone must return the very `data` text
our service sends when it runs our statement."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from bench.queries import BenchQuery, Sample
from bench.statements import OurStatement

SAME = "same"


@dataclass(frozen=True)
class Answer:
    data: Any = None
    error: str | None = None


def answer_of(response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        return Answer(error=f"HTTP {response.status_code}: not JSON")
    if response.status_code != 200 or "errors" in body or body.get("data") is None:
        return Answer(error=f"HTTP {response.status_code}: {str(body.get('errors'))[:300]}")
    return Answer(data=body["data"])


def first_difference(expected: Any, actual: Any, path: str = "data") -> str | None:
    """Where two JSON values first differ (None when equal), for the report."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in expected or key not in actual:
                return f"{path}.{key}: only in {'ours' if key in expected else 'theirs'}"
            found = first_difference(expected[key], actual[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for index, (e, a) in enumerate(zip(expected, actual, strict=False)):
            found = first_difference(e, a, f"{path}[{index}]")
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path}: {len(expected)} items in ours, {len(actual)} in theirs"
        return None
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return f"{path}: ours {json.dumps(expected)[:80]}, theirs {json.dumps(actual)[:80]}"
    return None


def verdict(ours: Answer, theirs: Answer, index: int) -> str:
    if ours.error is not None:
        return f"unchecked (sample {index}): our service failed: {ours.error}"
    if theirs.error is not None:
        return f"error (sample {index}): {theirs.error}"
    difference = first_difference(ours.data, theirs.data)
    return SAME if difference is None else f"DIFFERENT (sample {index}): {difference}"


async def statement_answer(connection: asyncpg.Connection, statement: OurStatement) -> Answer:
    try:
        text = await connection.fetchval(statement.sql, *statement.arguments)
    except asyncpg.PostgresError as error:
        return Answer(error=str(error))
    return Answer(data=json.loads(text))


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    graphile: bool = False


async def post(http: httpx.AsyncClient, target: Target, query: BenchQuery, sample: Sample) -> Answer:
    try:
        response = await http.post(target.url, json=query.body(sample, target.graphile))
    except httpx.HTTPError as error:
        return Answer(error=f"{type(error).__name__}: {error}")
    answer = answer_of(response)
    if target.graphile and answer.data is not None:
        return Answer(data=query.graphile_data(answer.data))
    return answer
