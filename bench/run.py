"""The benchmark, from one command: our service, the raw asyncpg baseline (its best
hand-written statements) and PostGraphile v5 (production mode), each one process over the
same embedded PostgreSQL on loopback, and PostgreSQL alone (pgbench running the very
statements our service sends); the reference executor too with --reference.

    .venv/bin/python -m bench.run --scale 1|100|1000 [--rounds 3] [--seconds 10] [--clients 16]

Steps: build the database (seeds, synthetic scale-up, VACUUM ANALYZE); draw the varied
values from it; start the servers; compare every server's answers whole with ours (the
repeated request and a sample of the varied ones); count SQL statements per request
(pg_stat_statements); then, round after round, measure every (query, mode) on every target
in turn, waiting before each measurement until PostgreSQL runs no other statement. Writes
bench/results/bench-x{scale}.md and .json and prints the Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import database, graphile, pgbench, servers, wrk
from bench.check import SAME, Target, post, statement_answer, verdict
from bench.queries import QUERIES, BenchQuery, Sample
from bench.report import MODES, Measurement, Results, markdown
from bench.servers import OURS, PGBENCH, REFERENCE, Server
from bench.statements import Compiler
from config.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
LOGS = RESULTS / "servers.log"
SEED = 20261202


def code_version() -> str:
    """The commit measured, and whether the service's code had uncommitted changes."""
    git = ["git", "-C", str(PROJECT_ROOT)]
    head = subprocess.run([*git, "log", "-1", "--format=%h %cd", "--date=format:%Y-%m-%d %H:%M"],
                          capture_output=True, text=True, timeout=30, check=False).stdout.strip()  # fmt: skip
    changed = subprocess.run([*git, "status", "--porcelain", "--", "api", "schema", "db", "config"],
                             capture_output=True, text=True, timeout=30, check=False).stdout.strip()  # fmt: skip
    return f"{head or 'unknown'}{' with uncommitted changes to api/schema/db/config' if changed else ''}"


class Run:
    """One benchmark run: the samples, the servers and what was measured."""

    def __init__(self, args: argparse.Namespace, url: str, rows: dict[str, int]) -> None:
        self.args = args
        self.url = url
        self.samples: dict[tuple[str, str], list[Sample]] = {}
        self.servers: list[Server] = []
        self.workloads: dict[tuple[str, str], pgbench.Workload] = {}
        self.results = Results(
            scale=args.scale,
            config={
                "started": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "cores": os.cpu_count(),
                "rounds": args.rounds,
                "seconds": args.seconds,
                "clients": args.clients,
                "pool": servers.POOL_SIZE,
                "samples": args.samples,
                "check_samples": args.check_samples,
                "check_seconds": args.check_seconds,
                "code": code_version(),
            },
            rows=rows,
            targets=[],
        )

    def queries(self) -> list[BenchQuery]:
        return [q for q in QUERIES if not self.args.queries or q.name in self.args.queries]

    def targets(self, query: BenchQuery) -> list[str]:
        names = [s.name for s in self.servers if not (query.ours_only and s.name not in (OURS, REFERENCE))]
        return [*names, PGBENCH]

    def server(self, name: str) -> Server:
        return next(s for s in self.servers if s.name == name)

    def bodies(self, server: Server, query: BenchQuery, mode: str) -> list[str]:
        return [json.dumps(query.body(s, server.graphile)) for s in self.samples[(query.name, mode)]]


async def draw_samples(run: Run, connection: asyncpg.Connection) -> None:
    for query in run.queries():
        varied = await query.sample(connection, random.Random(f"{SEED}/{query.name}"), run.args.samples)
        run.samples[(query.name, "varied")] = varied
        run.samples[(query.name, "repeated")] = [query.repeated]


async def prepare_pgbench(run: Run, connection: asyncpg.Connection, folder: Path) -> None:
    compiler = Compiler()
    for number, query in enumerate(run.queries()):
        for mode in MODES:
            samples = run.samples[(query.name, mode)]
            planned = compiler.schema.engine.planned
            statements = [compiler.statement(query.document, s.ours) for s in samples]
            distinct = len({json.dumps(s.ours, sort_keys=True) for s in samples})
            run.results.plans[(query.name, mode)] = (compiler.schema.engine.planned - planned, distinct)
            name = f"q{number}_{mode}"  # a fixed identifier for the helper tables
            run.workloads[(query.name, mode)] = await pgbench.prepare(connection, folder, name, statements)


async def check_query(
    run: Run, connection: asyncpg.Connection, http: httpx.AsyncClient, query: BenchQuery
) -> None:
    """Compare every other target's answers with ours; slow queries stop after the time budget
    (at least the repeated request and one varied body are compared)."""
    compiler = Compiler()
    ours = run.server(OURS)
    others = [run.server(n) for n in run.targets(query) if n not in (OURS, PGBENCH)]
    for mode in MODES:
        found: dict[str, str] = {name: SAME for name in run.targets(query) if name != OURS}
        deadline = time.monotonic() + run.args.check_seconds
        compared = 0
        for index, sample in enumerate(run.samples[(query.name, mode)][: run.args.check_samples]):
            if index > 0 and time.monotonic() > deadline:
                break
            expected = await post(http, Target(OURS, ours.url), query, sample)
            answers = {
                o.name: await post(http, Target(o.name, o.url, o.graphile), query, sample) for o in others
            }
            answers[PGBENCH] = await statement_answer(
                connection, compiler.statement(query.document, sample.ours)
            )
            for name, answer in answers.items():
                if found[name] == SAME:
                    found[name] = verdict(expected, answer, index)
            compared += 1
        run.results.compared[(query.name, mode)] = compared
        for name, text in found.items():
            run.results.verdicts[(name, query.name, mode)] = text
            if text != SAME:
                print(f"data check {name} / {query.name} / {mode}: {text}", flush=True)


async def count_statements(run: Run, connection: asyncpg.Connection, http: httpx.AsyncClient) -> None:
    """SQL statements per request (pg_stat_statements), after the same bodies were sent once
    (first-use work such as type introspection or statement preparation is not counted), leaving
    out what the servers also run when idle."""
    background = await database.background_statements(connection)
    for text in background.values():
        run.results.notes.append(
            f"not counted per request (also run by an idle server): `{' '.join(text.split())[:100]}`"
        )
    for query in run.queries():
        for mode in MODES:
            for server in [run.server(n) for n in run.targets(query) if n != PGBENCH]:
                bodies = run.bodies(server, query, mode)[:5]
                for _warm_up_then_counted in range(2):
                    await database.drain(connection)
                    await database.reset_statements(connection)
                    for body in bodies:
                        await http.post(
                            server.url, content=body, headers={"content-type": "application/json"}
                        )
                calls = await database.count_statements(connection, background)
                run.results.statements[(server.name, query.name, mode)] = calls / len(bodies)


async def measure(run: Run, target: str, query: BenchQuery, mode: str) -> tuple[float, float, float, int]:
    args = run.args
    if target == PGBENCH:
        workload = run.workloads[(query.name, mode)]
        alone = await asyncio.to_thread(pgbench.run, workload, run.url, args.seconds, args.clients)
        return alone.rps, alone.mean_ms, 0.0, alone.errors
    server = run.server(target)
    result = await asyncio.to_thread(
        wrk.run, server.url, run.bodies(server, query, mode), args.seconds, args.clients
    )
    return result.rps, result.p50_ms, result.p99_ms, result.errors


async def rounds(run: Run, connection: asyncpg.Connection) -> None:
    for number in range(run.args.rounds):
        for query in run.queries():
            for mode in MODES:
                for target in run.targets(query):  # interleaved: A B C D, A B C D, ...
                    waited = await database.drain(connection)
                    run.results.load.append(os.getloadavg()[0])
                    rps, p50, p99, errors = await measure(run, target, query, mode)
                    m = run.results.measurements.setdefault((target, query.name, mode), Measurement())
                    m.rps.append(rps)
                    m.p50.append(p50)
                    m.p99.append(p99)
                    m.errors += errors
                    print(f"round {number + 1} {query.name:21} {mode:8} {target:27} {rps:9.1f} req/s "
                          f"p50 {p50:8.1f} ms  errors {errors}  (drained {waited:.1f} s)", flush=True)  # fmt: skip


async def benchmark(run: Run, node: Path) -> None:
    connection = await asyncpg.connect(run.url)
    folder = Path(tempfile.mkdtemp(prefix="bench-scripts-"))
    try:
        await draw_samples(run, connection)
        await prepare_pgbench(run, connection, folder)
        run.servers = servers.servers(run.url, node, run.args.reference)
        for server in run.servers:
            await asyncio.to_thread(servers.start, server, LOGS)
        run.results.targets = [*(s.name for s in run.servers), PGBENCH]
        idle = {s.name: servers.rss_mb(s) for s in run.servers}
        async with httpx.AsyncClient(timeout=120) as http:
            for query in run.queries():
                await check_query(run, connection, http, query)
            await count_statements(run, connection, http)
        await rounds(run, connection)
        run.results.rss = {s.name: (idle[s.name], servers.rss_mb(s)) for s in run.servers}
    finally:
        for server in run.servers:
            servers.stop(server)
        await connection.close()
        shutil.rmtree(folder, ignore_errors=True)


def write(results: Results) -> str:
    report = markdown(results)
    (RESULTS / f"bench-x{results.scale}.json").write_text(json.dumps(results.as_json(), indent=1) + "\n")
    (RESULTS / f"bench-x{results.scale}.md").write_text(report)
    return report


async def main_async(args: argparse.Namespace) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    LOGS.write_text("")
    if shutil.which("wrk") is None:
        install = ["apt-get", "install", "-y", "-q", "wrk"]
        await asyncio.to_thread(subprocess.run, install, check=True, capture_output=True, timeout=600)
    node = await asyncio.to_thread(graphile.install)
    db_server: Any = await asyncio.to_thread(database.start_database, PROJECT_ROOT / ".pgdata-bench")
    try:
        url: str = db_server.get_uri("postgres")
        print(f"preparing the database (x{args.scale}) ...", flush=True)
        rows = await database.prepare_database(url, args.scale)
        run = Run(args, url, rows)
        await benchmark(run, node)
    finally:
        await asyncio.to_thread(db_server.cleanup)
    return write(run.results)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=int, default=1, choices=[1, 10, 100, 1000], help="synthetic scale-up factor"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (connections)")
    parser.add_argument("--samples", type=int, default=300, help="varied request bodies per query")
    parser.add_argument("--check-samples", type=int, default=30, help="varied bodies compared per query")
    parser.add_argument(
        "--check-seconds", type=float, default=120, help="time budget of the data check per query"
    )
    parser.add_argument("--reference", action="store_true", help="also measure the reference executor")
    parser.add_argument("--queries", nargs="*", help="only these queries (by name)")
    args = parser.parse_args(argv)
    if not (1 <= args.rounds <= 20 and 1 <= args.seconds <= 300 and 1 <= args.clients <= 256):
        parser.error("rounds 1..20, seconds 1..300, clients 1..256")
    if not (1 <= args.check_samples <= args.samples <= 2000):
        parser.error("1 <= check-samples <= samples <= 2000")
    return args


def main() -> None:
    print(asyncio.run(main_async(parse_args())))


if __name__ == "__main__":
    main()
