"""Statements at x100 (a synthetic copy of the curated data, 100 times over): the plan check
(bench/plancheck.py), where every statement our engine compiles for the benchmark queries,
repeated and with varied values, must scan no table of more than 10,000 rows sequentially
and spill nothing to temp files; and typeahead, whose broad prefixes take their own path
only at that size. At x1 (the curated data): small tables are read by index per outer row."""

from __future__ import annotations

import json

import asyncpg
import pytest

from bench.plancheck import check, explain, nodes, report
from bench.queries import NESTED_WITH_GROUPS
from bench.scale import scale_up
from bench.statements import Compiler
from seeds.loader import seed
from tests.conftest import SEEDS_DIR, Databases, migrated_database
from tests.search_oracle import assert_search_loses_no_hit
from tests.suggestions import SUGGESTION_ROWS, expected_suggestions, hit_key

SUGGEST = """query($p: String!, $first: Int!, $types: [SearchType!]) {
  suggest(prefix: $p, first: $first, types: $types) { type id label matchedField matchedText score } }"""


@pytest.fixture(scope="module")
async def x100_url(databases: Databases) -> str:
    url = await migrated_database(databases, "plans")
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, SEEDS_DIR)
        await scale_up(connection, 100)
        # Visibility map and statistics as a settled database has them.
        await connection.execute("VACUUM (ANALYZE)")
    finally:
        await connection.close()
    return url


async def test_benchmark_statements_use_indexes_and_memory_at_x100(x100_url: str) -> None:
    results = await check(x100_url)
    assert len(results) >= 20
    assert not [r for r in results if r.problems], report(results, show_plans=True)


async def test_search_at_x100_finds_what_scoring_every_name_finds(x100_url: str) -> None:
    """At x100 a query's trigrams reach thousands of names: the trigram similarity search asks
    of candidates (the least a typo within the rule can have) must still let through every hit."""
    picked = [{"query": "her2", "first": 10}, {"query": "pertuzamab", "first": 10}]
    await assert_search_loses_no_hit(x100_url, 20, 5, picked)


async def test_typeahead_at_x100_ranks_broad_and_narrow_prefixes_as_stated(x100_url: str) -> None:
    """Broad prefixes ("NCT": thousands of texts) are read from the label index in rank order
    (schema/sql/suggest.sql); their answers must be the ones ranking every match gives."""
    compiler = Compiler()
    connection = await asyncpg.connect(x100_url)
    try:
        rows = await connection.fetch(SUGGESTION_ROWS)
        cases: list[tuple[str, int, list[str] | None]] = [
            (p, n, None)
            for p in ("nct", "NCT9", "ctr", "c", "c90", "tav", "t", "tras", " HER2 ")
            for n in (5, 20)
        ]
        cases += [("nct0", 8, ["TRIAL"]), ("c", 8, ["AGENT", "TARGET"]), ("tav-", 8, ["AGENT"])]
        for prefix, first, types in cases:
            statement = compiler.statement(SUGGEST, {"p": prefix, "first": first, "types": types})
            answer = json.loads(await connection.fetchval(statement.sql, *statement.arguments))
            got = [hit_key(hit) for hit in answer["suggest"]]
            assert got == expected_suggestions(rows, prefix, first, types), (prefix, first, types)
        # "nct" took the rank-order path (so the comparisons above covered it).
        statement = compiler.statement(SUGGEST, {"p": "nct", "first": 8, "types": None})
        plan = "\n".join(
            r[0] for r in await connection.fetch("EXPLAIN ANALYZE " + statement.sql, *statement.arguments)
        )
    finally:
        await connection.close()
    used = [line for line in plan.splitlines() if "search_index_rank_order_idx" in line]
    assert used, plan
    assert "never executed" not in used[0], plan


async def test_trial_groups_are_read_by_index_per_agent_at_x1(seeded_url: str) -> None:
    """Each agent's groups, and each group's indication, are one index range: not the whole
    (small) table scanned and filtered once per agent or group, as the planner chose while
    it costed a random page read at 4 sequential ones (migration 0021)."""
    statement = Compiler().statement(NESTED_WITH_GROUPS.document, {"first": 20})
    connection = await asyncpg.connect(seeded_url)
    try:
        plan = await explain(connection, statement)
    finally:
        await connection.close()
    scans = {
        (node["Relation Name"], node["Node Type"])
        for node in nodes(plan["Plan"])
        if node.get("Relation Name") in ("agent_trial_groups", "indications")
    }
    assert {relation for relation, _ in scans} == {"agent_trial_groups", "indications"}, scans
    assert not [scan for scan in scans if scan[1] == "Seq Scan"], scans
