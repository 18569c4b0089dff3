"""The plan check (bench/plancheck.py) on an x100 synthetic copy of the curated data: every
statement our engine compiles for the benchmark queries, repeated and with varied values,
must scan no table of more than 10,000 rows sequentially and spill nothing to temp files."""

from __future__ import annotations

import asyncpg

from bench.plancheck import check, report
from bench.scale import scale_up
from seeds.loader import seed
from tests.conftest import SEEDS_DIR, Databases, migrated_database


async def test_benchmark_statements_use_indexes_and_memory_at_x100(databases: Databases) -> None:
    url = await migrated_database(databases, "plans")
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, SEEDS_DIR)
        await scale_up(connection, 100)
        # Visibility map and statistics as a settled database has them.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    results = await check(url)
    assert len(results) >= 20
    assert not [r for r in results if r.problems], report(results, show_plans=True)
