"""The read-only connection pool the API queries with."""

from __future__ import annotations

from db.readpool import ReadPool, keep_session

CONNECT_TIMEOUT_S = 5.0
# Each statement is planned once, for every value (a generic plan). The engine writes the
# values a plan depends on (page sizes, enums, flags) into the statement's text; what stays a
# parameter is a name, a code or a search text. By default PostgreSQL plans again for each
# run whenever a plan for the values is estimated cheaper, which depends on the first runs
# of each connection: at x100 typeahead's plan took 0.5-0.9 ms to make, more than running it
# (service req/s at x100, varied values: typeahead +15-20%, efficacy +8%, others unchanged).
PLAN_CACHE_MODE = "force_generic_plan"


async def create_read_pool(
    database_url: str,
    *,
    min_size: int,
    max_size: int,
    statement_timeout_ms: int,
    max_waiting: int | None = None,
    acquire_timeout: float | None = None,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
    statement_cache_size: int = 256,
) -> ReadPool:
    """Every transaction on this pool is read-only, so a bug in the read path cannot write
    (and the API's role may only SELECT: db.roles). Past `max_waiting` requests waiting for a
    connection, or after `acquire_timeout` seconds, `acquire` raises PoolBusy (db.readpool);
    None: no such bound (the API passes its settings)."""
    pool = ReadPool(
        database_url,
        max_waiting=max_waiting,
        acquire_timeout=acquire_timeout,
        min_size=min_size,
        max_size=max_size,
        # A server that accepts but never answers fails a new connection in seconds, not
        # asyncpg's default minute, so requests get their 503 while it lasts.
        timeout=connect_timeout_s,
        # The client gives up a little after the server's own statement timeout.
        command_timeout=statement_timeout_ms / 1000 + 1,
        reset=keep_session,
        # Each planned operation has a text of its own (schema.engine writes its structural
        # values in): room for more of them than asyncpg's default 100.
        statement_cache_size=statement_cache_size,
        server_settings={
            "default_transaction_read_only": "on",
            "statement_timeout": str(statement_timeout_ms),
            "plan_cache_mode": PLAN_CACHE_MODE,
            "application_name": "therapy-graph-api",
        },
    )
    await pool
    return pool
