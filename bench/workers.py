"""Throughput of `python -m api serve --workers N` (api.workers): requests per second at 1 and 2
worker processes (or those given) on the nested query and a small lookup, measured with wrk
on loopback against one database, plus the connections each worker holds.

    .venv/bin/python -m bench.workers                       # embedded PostgreSQL (.pgdata-bench-workers)
    DATABASE_URL=postgresql://... .venv/bin/python -m bench.workers --workers 1 2 4 --seconds 15

Every configuration is started once and warmed up; interleaved rounds measure each in turn
and the median round is reported, as Markdown. Only successful answers count as requests.
Only loopback is loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from config.settings import PROJECT_ROOT
from db.embedded import start_embedded

QUERIES = {
    # 20 agents -> their trials -> each trial's outcomes (the design notes' nested query).
    "nested": {
        "query": """query Nested($first: Int!) { agents(first: $first) { nodes { name trials { acronym
  outcomes { slug analysis hazardRatio armResults { median rate } } } } } }""",
        "variables": {"first": 20},
    },
    "small": {
        "query": "query Lookup($name: String!) { agent(name: $name) { name brandNames modality } }",
        "variables": {"name": "fam-trastuzumab-deruxtecan"},
    },
}
API_CONNECTIONS = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'therapy-graph-api'"


@dataclass(frozen=True)
class Measurement:
    query: str
    workers: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    per_cpu_second: float  # answers per second of CPU the API processes used (PostgreSQL excluded)
    database_cpu_ms: float | None  # PostgreSQL's CPU per answer (known for the embedded server)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wrk_script(body: str) -> str:
    return (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
    )


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, body: str, seconds: float, connections: int) -> tuple[int, float, float, float, int]:
    """(successful answers, seconds, p50 ms, p99 ms, non-2xx answers) of one wrk run (the answer
    itself is checked once before, by `_check_answer`: wrk only counts)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(wrk_script(body))
        script.flush()
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", script.name, url]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    total, elapsed, unit = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", output).groups()  # type: ignore[union-attr]
    duration = float(elapsed) * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit]
    p50 = _milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    found = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    failed = int(found.group(1)) if found else 0
    return int(total) - failed, duration, p50, p99, failed


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _check_answer(url: str, body: str) -> None:
    request = urllib.request.Request(
        url + "/graphql", data=body.encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    if answer.get("errors") or not answer.get("data"):
        raise SystemExit(f"the benchmark query fails: {answer}")


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) of process `root` and its children, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Service:
    """`serve --workers N` on a free loopback port, stopped with SIGTERM."""

    def __init__(self, database_url: str, workers: int, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning"}
        command = [sys.executable, "-m", "api", "serve", "--port", str(self.port), "--workers", str(workers)]
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def __enter__(self) -> Service:
        deadline = time.monotonic() + 120
        while not _ready(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise SystemExit(f"the service did not start; see {self.log.name}")
            time.sleep(0.2)
        return self

    def cpu_seconds(self) -> float:
        """CPU time of the service's processes: the parent and its workers."""
        return cpu_seconds(self.process.pid)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


async def _count(url: str, statement: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        count: int = await connection.fetchval(statement)
    finally:
        await connection.close()
    return count


def measure(
    database_url: str,
    workers: list[int],
    seconds: float,
    connections: int,
    rounds: int,
    postmaster: int | None,
) -> list[str]:
    """Every configuration runs at once (idle while another is measured); the rounds interleave
    them, so a slower minute on this machine does not fall on one configuration only. The
    median round of each is reported."""
    runs: dict[tuple[str, int], list[Measurement]] = {}
    log = Path(tempfile.gettempdir()) / "bench-workers.log"
    with contextlib.ExitStack() as stack:
        services = {count: stack.enter_context(Service(database_url, count, log)) for count in workers}
        for service in services.values():
            for request in QUERIES.values():
                _check_answer(service.url, json.dumps(request))
                run_wrk(service.url + "/graphql", json.dumps(request), 3, connections)  # warm-up
        for _ in range(rounds):
            for count, service in services.items():
                for name, request in QUERIES.items():
                    cpu, database_cpu = service.cpu_seconds(), cpu_seconds(postmaster) if postmaster else 0.0
                    answers, duration, p50, p99, failed = run_wrk(
                        service.url + "/graphql", json.dumps(request), seconds, connections
                    )
                    per_cpu = answers / max(service.cpu_seconds() - cpu, 1e-9)
                    per_answer = (
                        (cpu_seconds(postmaster) - database_cpu) * 1000 / max(answers, 1)
                        if postmaster
                        else None
                    )
                    measured = Measurement(
                        name, count, answers / duration, p50, p99, failed, per_cpu, per_answer
                    )
                    runs.setdefault((name, count), []).append(measured)
        held = asyncio.run(_count(database_url, API_CONNECTIONS)) / sum(workers)
    results = [sorted(found, key=lambda m: m.rps)[len(found) // 2] for found in runs.values()]
    return report(sorted(results, key=lambda m: (m.workers, m.query)), held, seconds, connections, rounds)


def report(
    results: list[Measurement], held: float, seconds: float, connections: int, rounds: int
) -> list[str]:
    fewest = min(r.workers for r in results)
    base = {r.query: r.rps for r in results if r.workers == fewest}
    lines = [
        f"`serve --workers N`, wrk -t2 -c{connections} -d{seconds:g}s on loopback, median of {rounds} "
        f"interleaved rounds, {os.cpu_count()} CPUs (PostgreSQL and wrk on the same machine)",
        "",
        "| query | workers | req/s | vs fewest workers | p50 ms | p99 ms | failed | answers per API CPU-second "
        "| PostgreSQL CPU ms per answer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = r.rps / base[r.query] if base.get(r.query) else 0.0
        lines.append(
            f"| {r.query} | {r.workers} | {r.rps:.0f} | {ratio:.2f}x | "
            f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {r.per_cpu_second:.0f} | "
            f"{'-' if r.database_cpu_ms is None else f'{r.database_cpu_ms:.2f}'} |"
        )
    lines += [
        "",
        f"Database connections held per worker after the load: {held:.1f} (the pool's bound: DB_POOL_MAX_SIZE)",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    args = parser.parse_args()
    if (
        not all(1 <= w <= 16 for w in args.workers)
        or not 1 <= args.seconds <= 120
        or not 1 <= args.rounds <= 10
    ):
        raise SystemExit("workers must be 1..16, seconds 1..120 and rounds 1..10")
    pgdata = PROJECT_ROOT / ".pgdata-bench-workers"
    database_url = os.environ.get("DATABASE_URL") or start_embedded(pgdata)
    # The embedded server's CPU is measured too (its postmaster and backends).
    postmaster = (
        None if os.environ.get("DATABASE_URL") else int((pgdata / "postmaster.pid").read_text().split()[0])
    )
    host = database_url.split("@")[-1].split("/")[0].split(":")[0]
    if host not in ("", "127.0.0.1", "localhost", "::1"):
        raise SystemExit("bench.workers loads loopback only: DATABASE_URL must be on this machine")
    print(
        "\n".join(
            measure(database_url, args.workers, args.seconds, args.connections, args.rounds, postmaster)
        )
    )


if __name__ == "__main__":
    main()
