"""The servers under test, one process each on loopback: our service (compiled; the
reference executor optionally), the raw asyncpg baseline and PostGraphile v5."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import graphile
from bench.queries import LOOKUP
from config.settings import PROJECT_ROOT

OURS = "ours"
REFERENCE = "ours (reference)"
RAW = "raw asyncpg"
GRAPHILE = "PostGraphile v5"
PGBENCH = "PostgreSQL alone (pgbench)"
PYTHON = sys.executable
# Ours and the raw baseline hold the same number of connections: twice the CPUs, which the
# database shares with them here. More make statements share the cores inside PostgreSQL and
# stretch the slow ones (on 2 cores at x100, search p99 34-35 ms with 4 against 55-61 ms with
# 10). PostGraphile keeps its own pool (node-postgres: 10).
POOL_SIZE = max(2, 2 * len(os.sched_getaffinity(0)))


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    graphile: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def servers(database_url: str, node: Path, reference: bool) -> list[Server]:
    base = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "warning",
        "DB_POOL_MAX_SIZE": str(POOL_SIZE),
    }
    ours = [PYTHON, "-m", "api", "serve", "--port", "{port}"]
    raw = [PYTHON, "-m", "uvicorn", "bench.raw_server:app", "--port", "{port}", "--loop", "uvloop",
           "--http", "httptools", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    found = [Server(OURS, ours, {**base, "COMPILER": "true"}, free_port())]
    if reference:
        found.append(Server(REFERENCE, ours, {**base, "COMPILER": "false"}, free_port()))
    found.append(Server(RAW, raw, base, free_port()))
    production = {**os.environ, "GRAPHILE_ENV": "production"}
    found.append(
        Server(GRAPHILE, graphile.command(node, database_url), production, free_port(), graphile=True)
    )
    return found


def start(server: Server, log: Path, timeout: float = 120) -> None:
    command = [part.replace("{port}", str(server.port)) for part in server.command]
    with log.open("ab") as errors:
        server.process = subprocess.Popen(
            command, env=server.env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=errors
        )
    body = LOOKUP.body(LOOKUP.repeated, server.graphile)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {log}")
        try:
            response = httpx.post(server.url, json=body, timeout=5)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s; see {log}")


def stop(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(15)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def rss_mb(server: Server) -> float:
    """Resident memory of the server's process and its children, in MB."""
    if server.process is None:
        return 0.0
    total = 0
    for pid in [server.process.pid, *_children(server.process.pid)]:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024
