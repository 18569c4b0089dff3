"""The statement runner every read goes through: one place to count and time SQL."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db.readpool import UNAVAILABLE_ERRORS, PoolBusy, ReadPool


class InvalidTextArgument(ValueError):
    """A statement argument PostgreSQL cannot store (text with a NUL character or a lone UTF-16
    surrogate): a caller's mistake."""


def text_problem(value: Any) -> str | None:
    """Why PostgreSQL cannot store this text argument, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "Text arguments cannot contain the NUL character (\\u0000)."
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "Text arguments cannot contain lone UTF-16 surrogates (\\ud800-\\udfff)."
    if isinstance(value, (list, tuple)):
        for item in value:
            if (problem := text_problem(item)) is not None:
                return problem
    return None


@dataclass
class StatementTally:
    """What one request asked of the database: statements run and time spent waiting for a
    connection (read by the request log and the metrics, api.logs)."""

    statements: int = 0
    pool_wait_s: float = 0.0


# The tally of the request being served, set by the HTTP layer; None outside a request.
statement_tally: ContextVar[StatementTally | None] = ContextVar("statement_tally", default=None)


@dataclass
class QueryRunner:
    """Runs read-only SQL on the pool for one request, counting statements."""

    pool: asyncpg.Pool
    statements: list[str] = field(default_factory=list)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        for argument in args:
            # PostgreSQL text cannot hold these; say so instead of failing in the driver.
            if (problem := text_problem(argument)) is not None:
                raise InvalidTextArgument(problem)
        self.statements.append(sql)
        health = self.pool.health if isinstance(self.pool, ReadPool) else None
        tally = statement_tally.get()
        asked = time.perf_counter()
        try:
            async with self.pool.acquire() as connection:
                if tally is not None:
                    tally.statements += 1
                    tally.pool_wait_s += time.perf_counter() - asked
                rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        except PoolBusy:
            raise
        except UNAVAILABLE_ERRORS as error:
            if health is not None:
                health.failed(error)
            raise
        if health is not None:
            health.answered()
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        rows = await self.fetch(sql, *args)  # not through fetchrow: one coroutine fewer a request
        return rows[0][0] if rows else None
