"""The read-only connection pool the API queries with."""

from __future__ import annotations

import asyncpg

from api.settings import Settings


async def create_read_pool(database_url: str, settings: Settings) -> asyncpg.Pool:
    """Every transaction on this pool is read-only, so a bug in the read path cannot write."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        command_timeout=settings.statement_timeout_ms / 1000 + 1,
        server_settings={
            "default_transaction_read_only": "on",
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "therapy-graph-api",
        },
    )
    return pool
