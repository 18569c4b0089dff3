"""Fixtures: a real PostgreSQL (embedded, or TEST_DATABASE_URL), migrated and seeded once,
and the service running on a loopback port for real HTTP round trips."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import uvicorn

from api.app import create_app
from config.settings import PROJECT_ROOT, Settings
from db import migrate
from db.embedded import start_embedded
from db.pool import create_read_pool
from db.roles import reader_url
from seeds.loader import seed

SEEDS_DIR = Settings.from_env().seeds_dir


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database (embedded unless TEST_DATABASE_URL)."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    pgdata = Path(os.environ.get("TEST_EMBEDDED_PGDATA", str(PROJECT_ROOT / ".pgdata-test")))
    yield start_embedded(pgdata)


class Databases:
    """Creates throwaway databases on the test server and drops them at the end."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    async def create(self, prefix: str = "t") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        connection = await asyncpg.connect(self.server_url)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        self.created.append(name)
        return _with_database(self.server_url, name)

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(self.server_url)
        try:
            for name in self.created:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


@pytest.fixture(scope="session")
async def databases(server_url: str) -> AsyncIterator[Databases]:
    manager = Databases(server_url)
    yield manager
    await manager.drop_all()


async def migrated_database(databases: Databases, prefix: str) -> str:
    url = await databases.create(prefix)
    # Alembic's env runs its own event loop, so it runs in a worker thread.
    await asyncio.to_thread(migrate.upgrade, url)
    return url


@pytest.fixture(scope="session")
async def seeded_url(databases: Databases) -> str:
    """A database migrated to head and loaded with the real curated seed files."""
    url = await migrated_database(databases, "seeded")
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, SEEDS_DIR)
    finally:
        await connection.close()
    return url


@pytest.fixture(scope="session")
def settings() -> Settings:
    return replace(Settings.from_env({}), cors_origins=("https://app.example.org",))


async def close_pool(pool: asyncpg.Pool) -> None:
    """Close a test's pool; resolvers left running by an operation that failed early (graphql-core
    does not wait for them) may still hold a connection, which is then terminated."""
    try:
        await asyncio.wait_for(pool.close(), timeout=10)
    except TimeoutError:
        pool.terminate()


async def read_pool(url: str, settings: Settings) -> asyncpg.Pool:
    """The API's read-only pool, sized and timed as the settings say."""
    return await create_read_pool(
        url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        statement_timeout_ms=settings.statement_timeout_ms,
        statement_cache_size=settings.statement_cache_size,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in this event loop."""
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def base_url(seeded_url: str, settings: Settings) -> AsyncIterator[str]:
    """The service on a loopback port, served by uvicorn in this event loop, logged in as the
    SELECT-only reader role as in production."""
    async with serve(create_app(settings, reader_url(seeded_url))) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield http


async def graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, object] | None = None
) -> dict[str, object]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body
