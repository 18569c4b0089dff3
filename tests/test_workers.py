"""`python -m api serve --workers N`: one embedded PostgreSQL started by the parent, N worker
processes on one port with pools that fit the server, a dead worker replaced, and SIGTERM
stopping them all (api.workers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.workers import PoolsDoNotFit, pool_size
from config.settings import PROJECT_ROOT

QUERY = {"query": '{ agent(name: "Enhertu") { name } }'}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process."""
    found: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat.rpartition(")")[2].split()[1]), command)
    return found


def _workers(parent: int) -> list[int]:
    return [
        pid for pid, (ppid, command) in _processes().items() if ppid == parent and "spawn_main" in command
    ]


def _postmasters(pgdata: Path) -> list[int]:
    marker = f"-D {pgdata}"
    return [pid for pid, (_, command) in _processes().items() if "postgres" in command and marker in command]


def _wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds:g} s: {what}")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`serve --workers 2` on the embedded server (its data in a temporary folder)."""
    port = _free_port()
    pgdata = tmp_path / "pgdata"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "WORKERS", "READ_DATABASE_URLS"}}
    env.update(EMBEDDED_PGDATA=str(pgdata), LOG_LEVEL="warning", DB_POOL_MAX_SIZE="4")
    command = [sys.executable, "-m", "api", "serve", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        said = []
        for line in process.stdout:  # everything before the workers start: migrate, seed
            if line.startswith("serving GraphQL on"):
                assert "2 x 4 connections per database" in line, line
                break
            said.append(line)
        else:
            raise AssertionError(f"serve exited with {process.wait()}: {''.join(said[-20:])}")
        yield process, f"http://127.0.0.1:{port}", pgdata
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_workers_share_one_port_and_stop_together(
    serving: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, url, pgdata = serving
    _wait_for(lambda: len(_workers(process.pid)) == 2, 30, "two workers")
    with httpx.Client(base_url=url, timeout=10) as http:
        _wait_for(lambda: _ready(http), 60, "/readyz")
        assert all(http.post("/graphql", json=QUERY).status_code == 200 for _ in range(10))
        assert len(_postmasters(pgdata)) == 1  # started once, by the parent

        # A worker that dies is replaced; the other answers meanwhile.
        first, second = _workers(process.pid)
        os.kill(first, signal.SIGKILL)
        # (on a new connection: a kept-alive one to the killed worker is gone with it)
        assert httpx.post(f"{url}/graphql", json=QUERY, timeout=10).status_code == 200
        _wait_for(lambda: set(_workers(process.pid)) - {first, second}, 30, "a new worker")
        _wait_for(lambda: _ready(http), 30, "/readyz after the restart")

    workers = _workers(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not set(workers) & set(_processes())
    _wait_for(lambda: not _postmasters(pgdata), 30, "the embedded server stopped")


def _ready(http: httpx.Client) -> bool:
    try:
        return http.get("/readyz").status_code == 200
    except httpx.TransportError:
        return False


def test_pools_are_sized_to_fit_the_connection_limit() -> None:
    assert pool_size(available=92, workers=2, configured=10) == 10
    assert pool_size(available=15, workers=4, configured=10) == 3
    with pytest.raises(PoolsDoNotFit):
        pool_size(available=3, workers=4, configured=10)
