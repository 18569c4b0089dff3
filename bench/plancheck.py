"""The plan check: on a database at x100, the plan (as `EXPLAIN (ANALYZE, BUFFERS)` gives it)
each statement our engine compiles for the benchmark queries (the repeated request and a few
varied values) runs with in our service: the generic plan of a prepared statement. It fails on

- a sequential scan of a table of more than 10,000 rows (every benchmark query returns a
  page: at most 100 items per list), and
- a spill to temporary files (temp blocks read or written by any plan node).

Besides those it checks two broad searches (BROAD: words thousands of texts hold).

    .venv/bin/python -m bench.plancheck postgresql://...   # a database already at x100
    .venv/bin/python -m bench.plancheck --build            # builds one (embedded, throwaway)

Exits 1 and names each failing statement, the plan node and the table; `--explain` prints
their plans, `--slower-than MS` also those of slow statements that pass.
tests/test_plans.py runs it on an x100 copy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.queries import QUERIES, Sample
from bench.statements import Compiler, OurStatement
from db.pool import PLAN_CACHE_MODE

MAX_SEQ_SCAN_ROWS = 10_000
VARIED = 3  # varied samples per query besides the repeated request
SEED = 20261202
# Searches for words thousands of texts hold (titles at x100): every full-text match is a
# candidate, so these are where the scoring of candidates could spill.
BROAD = [
    ("search", Sample({"query": "her2", "first": 50}, {"query": "her2", "first": 50})),
    ("search", Sample({"query": "breast cancer", "first": 10}, {"query": "breast cancer", "first": 10})),
]

TABLE_ROWS = """
SELECT c.relname, c.reltuples::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm', 'p')
"""


@dataclass
class Checked:
    query: str
    label: str
    variables: dict[str, Any]
    milliseconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    plan: str = ""


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def _temp(node: dict[str, Any]) -> int:
    blocks: int = node.get("Temp Read Blocks", 0) + node.get("Temp Written Blocks", 0)
    return blocks


def problems_of(plan: dict[str, Any], rows: dict[str, int]) -> list[str]:
    """Sequential scans of big tables and temp-file spills anywhere in the plan."""
    found = []
    for node in nodes(plan):
        relation = node.get("Relation Name")
        if (
            "Seq Scan" in node["Node Type"]
            and relation is not None
            and rows.get(relation, 0) > MAX_SEQ_SCAN_ROWS
        ):
            found.append(
                f"{node['Node Type']} on {relation} ({rows[relation]:,} rows; "
                f"{node.get('Actual Rows', '?')} rows out, loops {node.get('Actual Loops', '?')})"
            )
        own = _temp(node) - sum(_temp(child) for child in node.get("Plans", []))  # counts include children
        if own > 0:
            found.append(
                f"temp-file spill in {node['Node Type']} (temp read {node.get('Temp Read Blocks', 0)}, "
                f"written {node.get('Temp Written Blocks', 0)} blocks)"
            )
    return found


# The plan each statement runs with in our service: executed as the service does (a prepared
# statement, our read pool's plan cache mode: a generic plan), and reported by auto_explain to
# this session (EXPLAIN of a statement with parameters would plan it for their values instead).
AUTO_EXPLAIN = (
    "LOAD 'auto_explain'",
    "SET auto_explain.log_min_duration = 0",
    "SET auto_explain.log_analyze = on",
    "SET auto_explain.log_buffers = on",
    "SET auto_explain.log_timing = on",
    "SET auto_explain.log_level = notice",
    "SET client_min_messages = notice",
    f"SET plan_cache_mode = {PLAN_CACHE_MODE}",
)


# auto_explain's plan format: fixed words, not values (SET takes no parameter).
PLAN_FORMATS = {"json": "SET auto_explain.log_format = json", "text": "SET auto_explain.log_format = text"}
REPORTED_PLAN = re.compile(r"duration: (?P<milliseconds>[0-9.]+) ms\s+plan:\n(?P<plan>.*)", re.DOTALL)


async def explaining(connection: asyncpg.Connection, plan_format: str) -> None:
    """Make `connection` report the plan of each statement it runs (auto_explain, `plan_format`
    json or text); superuser only."""
    # One round trip: the simple query protocol takes several statements without parameters.
    await connection.execute(";\n".join([*AUTO_EXPLAIN, PLAN_FORMATS[plan_format]]))


async def _executed_plan(
    connection: asyncpg.Connection, statement: OurStatement, plan_format: str
) -> tuple[float, str]:
    """(milliseconds, plan) of `statement` run once."""
    reported: list[str] = []

    def listen(_: Any, message: asyncpg.PostgresLogMessage) -> None:
        reported.append(message.message)

    await explaining(connection, plan_format)
    connection.add_log_listener(listen)
    try:
        await connection.fetchval(statement.sql, *statement.arguments)
    finally:
        connection.remove_log_listener(listen)
        await connection.execute("SET auto_explain.log_min_duration = -1")
    plans = [found for text in reported if (found := REPORTED_PLAN.match(text))]
    if not plans:
        raise RuntimeError(f"auto_explain reported no plan: {reported}")
    return float(plans[-1]["milliseconds"]), plans[-1]["plan"]


async def explain(connection: asyncpg.Connection, statement: OurStatement) -> dict[str, Any]:
    """The executed plan as EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) gives it: its "Plan" and
    "Execution Time" (auto_explain's duration)."""
    milliseconds, text = await _executed_plan(connection, statement, "json")
    return {"Plan": json.loads(text)["Plan"], "Execution Time": milliseconds}


async def explain_text(connection: asyncpg.Connection, statement: OurStatement) -> str:
    milliseconds, text = await _executed_plan(connection, statement, "text")
    plan = text.removeprefix(f"Query Text: {statement.sql}\n")  # the statement is known
    if plan.startswith("Query Parameters:"):
        plan = plan.partition("\n")[2]
    return f"{plan}\nExecution Time: {milliseconds:.3f} ms"


async def samples(connection: asyncpg.Connection, varied: int) -> list[tuple[str, str, Sample]]:
    chosen = []
    for query in QUERIES:
        chosen.append((query.name, "repeated", query.repeated))
        drawn = await query.sample(connection, random.Random(f"{SEED}/{query.name}"), max(varied, 1) * 10)
        distinct = list({json.dumps(s.ours, sort_keys=True): s for s in drawn}.values())
        chosen += [(query.name, f"varied {i + 1}", s) for i, s in enumerate(distinct[:varied])]
    chosen += [(name, "broad", sample) for name, sample in BROAD]
    return chosen


async def check(url: str, varied: int = VARIED, slower_than_ms: float | None = None) -> list[Checked]:
    """Every benchmark statement checked; those with problems have `problems` set. The plans of
    those and of statements slower than `slower_than_ms` are kept as text."""
    compiler = Compiler()
    connection = await asyncpg.connect(url)
    try:
        rows = {r["relname"]: r["reltuples"] for r in await connection.fetch(TABLE_ROWS)}
        results = []
        for name, label, sample in await samples(connection, varied):
            query = next(q for q in QUERIES if q.name == name)
            statement = compiler.statement(query.document, sample.ours)
            plan = await explain(connection, statement)
            checked = Checked(name, label, sample.ours, plan.get("Execution Time", 0.0))
            checked.problems = problems_of(plan["Plan"], rows)
            slow = slower_than_ms is not None and checked.milliseconds > slower_than_ms
            if checked.problems or slow:
                checked.plan = await explain_text(connection, statement)
            results.append(checked)
    finally:
        await connection.close()
    return results


def report(results: list[Checked], show_plans: bool = False) -> str:
    lines = [f"{'query':22} {'statement':10} {'ms':>9}  result"]
    for r in results:
        lines.append(f"{r.query:22} {r.label:10} {r.milliseconds:9.1f}  {'; '.join(r.problems) or 'ok'}")
    failed = [r for r in results if r.problems]
    if failed:
        lines += ["", f"plan check FAILED: {len(failed)} of {len(results)} statements"]
        for r in failed:
            lines.append(
                f"- {r.query} ({r.label}, variables {json.dumps(r.variables)}): {'; '.join(r.problems)}"
            )
            if show_plans:
                lines += ["", r.plan, ""]
    else:
        lines += ["", f"plan check passed: {len(results)} statements"]
    slow = [r for r in results if r.plan and not r.problems]
    if show_plans and slow:
        lines += ["", "slow statements (not failing the check):"]
        for r in slow:
            lines += [
                f"- {r.query} ({r.label}, variables {json.dumps(r.variables)}): {r.milliseconds:.1f} ms",
                "",
                r.plan,
                "",
            ]
    return "\n".join(lines)


async def build(scale: int) -> tuple[str, Any]:
    """A throwaway embedded database at `scale` (the benchmark's own preparation)."""
    from bench.database import prepare_database, start_database
    from config.settings import PROJECT_ROOT

    server = await asyncio.to_thread(start_database, PROJECT_ROOT / ".pgdata-plancheck")
    url: str = server.get_uri("postgres")
    await prepare_database(url, scale)
    return url, server


async def main_async(args: argparse.Namespace) -> int:
    server = None
    url = args.database_url
    if args.build:
        url, server = await build(args.scale)
    try:
        results = await check(url, args.varied, args.slower_than)
    finally:
        if server is not None:
            await asyncio.to_thread(server.cleanup)
    print(report(results, args.explain or args.slower_than is not None))
    return 1 if any(r.problems for r in results) else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database_url", nargs="?", help="a database already scaled to x100")
    parser.add_argument("--build", action="store_true", help="build an embedded throwaway database first")
    parser.add_argument("--scale", type=int, default=100, help="scale of the built database (default 100)")
    parser.add_argument("--varied", type=int, default=VARIED, help="varied samples per query (default 3)")
    parser.add_argument("--explain", action="store_true", help="print the plans of failing statements")
    parser.add_argument(
        "--slower-than", type=float, metavar="MS", help="also print the plans of statements slower than MS"
    )
    args = parser.parse_args()
    if not args.build and not args.database_url:
        parser.error("give a database URL or --build")
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
