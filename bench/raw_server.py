"""The raw baseline: each benchmark query answered by its best hand-written statement
(bench/queries.py `raw`) through asyncpg, the request's variables as statement parameters,
one statement per request, the JSON built in PostgreSQL and sent unchanged. It knows only
the benchmark documents."""

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

from bench.queries import BY_DOCUMENT

POOL_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "10"))


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Single SELECTs leave no session state: no reset statement on release (as our service)."""


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=1, max_size=POOL_SIZE, reset=_keep_session
    )
    yield
    await app.state.pool.close()


def _error(message: str, status: int) -> Response:
    return Response(
        orjson.dumps({"errors": [{"message": message}]}), status_code=status, media_type="application/json"
    )


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    query = BY_DOCUMENT.get(body.get("query", ""))
    if query is None or query.raw is None:
        return _error("unknown query", 400)
    statement = query.raw(body.get("variables") or {})
    try:
        async with request.app.state.pool.acquire() as connection:
            text = await connection.fetchval(statement.sql, *statement.arguments)
    except asyncpg.PostgresError as error:
        return _error(str(error), 500)
    return Response(b'{"data":' + text.encode() + b"}", media_type="application/json")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)
