"""The statement runner every read goes through: one place to count and time SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg


class InvalidTextArgument(ValueError):
    """A statement argument PostgreSQL cannot store (text with a NUL character): a caller's mistake."""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


@dataclass
class QueryRunner:
    """Runs read-only SQL on the pool for one request, counting statements."""

    pool: asyncpg.Pool
    statements: list[str] = field(default_factory=list)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        if any(_has_nul(a) for a in args):
            # PostgreSQL text cannot hold NUL; say so instead of failing in the driver.
            raise InvalidTextArgument("Text arguments cannot contain the NUL character (\\u0000).")
        self.statements.append(sql)
        async with self.pool.acquire() as connection:
            rows: list[asyncpg.Record] = await connection.fetch(sql, *args)
        return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]
