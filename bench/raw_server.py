"""The raw baseline: the benchmark queries answered by hand-written SQL through asyncpg,
one statement each, the JSON built in PostgreSQL and sent unchanged."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.queries import QUERIES

SQL = {q.ours: q.raw_sql for q in QUERIES}


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=4, max_size=10)
    yield
    await app.state.pool.close()


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    sql = SQL.get(body.get("query", ""))
    if sql is None:
        return Response(
            b'{"errors":[{"message":"unknown query"}]}', status_code=400, media_type="application/json"
        )
    async with request.app.state.pool.acquire() as connection:
        text = await connection.fetchval(sql)
    return Response(text.encode(), media_type="application/json")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)
