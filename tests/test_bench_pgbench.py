"""The benchmark's PostgreSQL-alone column: pgbench runs every statement text it is given."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from bench import pgbench
from bench.statements import OurStatement


async def test_more_statement_texts_than_pgbench_takes_scripts_all_run(
    seeded_url: str, tmp_path: Path
) -> None:
    # Distinct texts (pgbench strips the comments, our grouping does not), two samples each.
    count = pgbench.MAX_SCRIPTS + 5
    statements = [
        OurStatement(f"SELECT count(*) FROM agents WHERE id <> $1 -- text {text}\n", (sample,))
        for text in range(count)
        for sample in (1, 2)
    ]
    connection = await asyncpg.connect(seeded_url)
    try:
        workload = await pgbench.prepare(connection, tmp_path, "many", statements)
        result = pgbench.run(workload, seeded_url, seconds=1, clients=2, threads=1)
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {pgbench.SCHEMA} CASCADE")
        await connection.close()
    assert len(workload.scripts) == 1
    script = workload.scripts[0][0].read_text()
    assert script.count("SELECT count(*) FROM agents") == count
    assert f"\\elif :pick < {2 * count}" in script
    assert result.errors == 0
    assert result.rps > 0
    assert result.mean_ms > 0
