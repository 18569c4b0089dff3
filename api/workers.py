"""Worker processes on one host: `python -m api serve --workers N`.

The parent process prepares everything once (the embedded PostgreSQL when DATABASE_URL is
unset, migrations, seeding, the reader's login), sizes the pools, binds the listening
socket and hands it to N uvicorn workers under uvicorn's process manager
(`uvicorn.supervisors.Multiprocess`: a worker that dies is replaced; SIGTERM or SIGINT
stops every worker gracefully, each finishing its requests and closing its pools, then the
parent; SIGHUP replaces the workers one by one). Workers are spawned, not forked, and build
their app from the environment the parent prepared (`worker_app`).

Each worker opens a pool on every database it reads from (the primary and each standby), so
per database the API holds at most workers x DB_POOL_MAX_SIZE connections. `size_pools`
lowers DB_POOL_MAX_SIZE so that this fits each server's connection limit
(max_connections, less the reserved connections, less DB_RESERVED_CONNECTIONS kept free
for migrations, seeding and administration).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, replace
from typing import Any

from starlette.applications import Starlette
from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from api.app import create_app
from api.logs import configure_logging
from api.metrics import prepare_worker_metrics
from api.server import guarded_protocol
from config.settings import Settings
from db.readpool import UNAVAILABLE_ERRORS
from db.replicas import connection_limit
from db.roles import redacted

logger = logging.getLogger("api.workers")

# How the parent tells its workers which login to read with (the reader's URL it derived).
WORKER_READ_URL = "THERAPY_WORKER_READ_URL"


class PoolsDoNotFit(Exception):
    """Not even one connection per worker fits a server's connection limit."""


@dataclass(frozen=True)
class PoolSizing:
    workers: int
    per_worker: int  # connections each worker may open on each database
    limits: dict[str, int]  # connections available to the API per database, by URL

    def describe(self) -> str:
        databases = ", ".join(f"{limit} on {url}" for url, limit in self.limits.items())
        return f"{self.workers} x {self.per_worker} connections per database (of {databases})"


def pool_size(available: int, workers: int, configured: int) -> int:
    """DB_POOL_MAX_SIZE, or less so that `workers` pools fit in `available` connections."""
    per_worker = available // workers
    if per_worker < 1:
        raise PoolsDoNotFit(
            f"{workers} workers need at least {workers} connections; {available} are available"
        )
    return min(configured, per_worker)


async def _limits(urls: list[str], reserved: int) -> dict[str, int]:
    limits: dict[str, int] = {}
    for url in urls:
        try:
            limits[redacted(url)] = await connection_limit(url) - reserved
        except UNAVAILABLE_ERRORS as error:  # a standby that is down: sized when it is back
            logger.warning("cannot read the connection limit of %s (%s)", redacted(url), type(error).__name__)
    return limits


def size_pools(settings: Settings, api_url: str) -> tuple[Settings, PoolSizing]:
    """The settings with each worker's pool sized to fit every database's connection limit."""
    limits = asyncio.run(_limits([api_url, *settings.read_database_urls], settings.reserved_connections))
    per_worker = settings.pool_max_size
    for url, available in limits.items():
        try:
            per_worker = min(per_worker, pool_size(available, settings.workers, settings.pool_max_size))
        except PoolsDoNotFit as error:
            raise PoolsDoNotFit(f"{url}: {error}") from None
    sizing = PoolSizing(settings.workers, per_worker, limits)
    if per_worker < settings.pool_max_size:
        logger.warning("DB_POOL_MAX_SIZE %d lowered to fit: %s", settings.pool_max_size, sizing.describe())
    sized = replace(settings, pool_max_size=per_worker, pool_min_size=min(settings.pool_min_size, per_worker))
    return sized, sizing


def serve_workers(settings: Settings, api_url: str, sock: socket.socket) -> int:
    """Run `settings.workers` worker processes on `sock` until SIGTERM or SIGINT."""
    # Spawned workers read their settings from the environment: pass on what the parent decided.
    os.environ.update(
        {
            WORKER_READ_URL: api_url,
            "DB_POOL_MAX_SIZE": str(settings.pool_max_size),
            "DB_POOL_MIN_SIZE": str(settings.pool_min_size),
            "HOST": settings.host,
            "PORT": str(settings.port),
        }
    )
    if settings.metrics:
        prepare_worker_metrics()  # /metrics of any worker reports every worker's
    config = Config(
        "api.workers:worker_app",
        factory=True,
        http="api.workers:WorkerHttpProtocol",
        loop="uvloop",
        workers=settings.workers,
        lifespan="on",
        access_log=False,
        log_config=None,
        log_level=settings.log_level,
        timeout_keep_alive=5,
        # In-flight requests may finish (they time out at REQUEST_TIMEOUT_S anyway).
        timeout_graceful_shutdown=int(settings.request_timeout_s) + 1,
    )
    Multiprocess(config, sockets=[sock]).run()
    return 0


def worker_app() -> Starlette:
    """The app of one worker process, from the environment its parent prepared."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings, os.environ[WORKER_READ_URL])


def __getattr__(name: str) -> Any:
    # uvicorn imports the protocol class by name in each worker: built from that worker's settings.
    if name == "WorkerHttpProtocol":
        return guarded_protocol(Settings.from_env())
    raise AttributeError(name)
