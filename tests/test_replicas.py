"""Reads from standbys with the primary as the fallback (db.replicas), on real databases.

A second database stands in for a standby here: it serves another data release (the seed
files with one value changed), so every answer says which database gave it. Streaming
replication itself, lag and failover under load are the cluster test's (tests/test_cluster.py).
"""

from __future__ import annotations

import hashlib
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.app import create_app
from config.settings import Settings
from db.release import latest_release
from db.replicas import (
    OneDatabaseScope,
    PrimaryPositions,
    ReadPools,
    moves_elsewhere,
    parse_lsn,
)
from db.roles import reader_url
from seeds.loader import seed
from tests.conftest import SEEDS_DIR, Databases, migrated_database, serve

RELEASE_QUERY = '{ dataRelease { version checksum } agent(name: "trastuzumab") { developer } }'
CHANGED_DEVELOPER = "Genentech (Roche) [replica test]"


def changed_seeds(source: Path, target: Path, version: str, developer: str) -> Path:
    """A copy of the seed files as another release: its version and one agent's developer changed."""
    shutil.copytree(source, target)
    release = target / "release.yaml"
    text = release.read_text()
    release.write_text(text.replace(text.split('version: "')[1].split('"')[0], version, 1))
    agents = target / "her2" / "agents.yaml"
    agents.write_text(
        agents.read_text().replace('developer: "Genentech (Roche)"', f'developer: "{developer}"', 1)
    )
    return target


@pytest.fixture(scope="module")
async def replica_url(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The owner's URL of a database serving another release than the primary's."""
    url = await migrated_database(databases, "replica")
    seeds = changed_seeds(
        SEEDS_DIR, tmp_path_factory.mktemp("replica") / "seeds", "2099.1.0", CHANGED_DEVELOPER
    )
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, seeds)
    finally:
        await connection.close()
    return url


@pytest.fixture(scope="module")
def replica_settings(settings: Settings, replica_url: str) -> Settings:
    return replace(settings, read_database_urls=(reader_url(replica_url),))


async def _checksum(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        release = await latest_release(connection)
    finally:
        await connection.close()
    assert release is not None
    return release.checksum


def _etag(checksum: str, query: str, accept: str) -> str:
    return '"' + hashlib.sha256(f"{checksum}\0{query}\0{accept}".encode()).hexdigest()[:32] + '"'


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
async def with_replica(seeded_url: str, replica_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(replica_settings, reader_url(seeded_url))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield http


async def test_reads_go_to_the_standby(with_replica: httpx.AsyncClient) -> None:
    response = await with_replica.post("/graphql", json={"query": RELEASE_QUERY})
    assert response.status_code == 200, response.text
    assert response.headers["x-database"] == "replica-1"
    data = response.json()["data"]
    assert data["dataRelease"]["version"] == "2099.1.0"
    assert data["agent"]["developer"] == CHANGED_DEVELOPER


async def test_readyz_reports_each_database(with_replica: httpx.AsyncClient, seeded_url: str) -> None:
    response = await with_replica.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert checks["dataRelease"] == "2099.1.0"  # the release of the database reads go to
    replica, primary = checks["databases"]
    assert replica["name"] == "replica-1"
    assert replica["reads"] is True
    assert primary["name"] == "primary"
    assert primary["reads"] is False
    assert replica["state"] == primary["state"] == "up"
    assert replica["dataRelease"] == "2099.1.0"
    assert primary["releaseChecksum"] == (await _checksum(seeded_url))[:12]
    assert replica["migrations"] is primary["migrations"] is True
    # Neither database is in recovery here, so both say "primary" and lag nothing.
    assert replica["lagSeconds"] == 0
    assert replica["lagBytes"] == 0


async def test_etag_is_the_release_of_the_database_that_answered(
    with_replica: httpx.AsyncClient, seeded_url: str, replica_url: str, settings: Settings
) -> None:
    params = {"query": RELEASE_QUERY}
    answer = await with_replica.get("/graphql", params=params, headers={"accept": "application/json"})
    assert answer.status_code == 200
    query = answer.request.url.query.decode()
    assert answer.headers["etag"] == _etag(await _checksum(replica_url), query, "application/json")
    assert answer.headers["cache-control"] == "public, max-age=60, s-maxage=1"
    revalidated = await with_replica.get(
        "/graphql",
        params=params,
        headers={"accept": "application/json", "if-none-match": answer.headers["etag"]},
    )
    assert revalidated.status_code == 304
    # The same query answered by the primary alone carries the primary's release.
    async with (
        serve(create_app(settings, reader_url(seeded_url))) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        primary = await http.get("/graphql", params=params, headers={"accept": "application/json"})
        stale = await http.get(
            "/graphql",
            params=params,
            headers={"accept": "application/json", "if-none-match": answer.headers["etag"]},
        )
    assert primary.headers["x-database"] == "primary"
    assert primary.headers["etag"] == _etag(await _checksum(seeded_url), query, "application/json")
    assert primary.headers["etag"] != answer.headers["etag"]
    assert stale.status_code == 200  # the replica's ETag names a release the primary does not serve


async def test_reads_fall_back_to_the_primary_when_no_standby_answers(
    seeded_url: str, settings: Settings
) -> None:
    down = f"postgresql://therapy_reader@127.0.0.1:{_closed_port()}/therapy"
    app = create_app(replace(settings, read_database_urls=(down,)), reader_url(seeded_url))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        answer = await http.post("/graphql", json={"query": RELEASE_QUERY})
        ready = await http.get("/readyz")
    assert answer.status_code == 200
    assert answer.headers["x-database"] == "primary"
    assert ready.status_code == 200
    replica, primary = ready.json()["checks"]["databases"]
    assert replica["state"] == "down"
    assert replica["reads"] is False
    assert primary["reads"] is True


async def _pools(primary_url: str, replica_url: str) -> ReadPools:
    return await ReadPools.open(
        reader_url(primary_url),
        [reader_url(replica_url)],
        check_interval_s=0.2,
        min_size=1,
        max_size=2,
        statement_timeout_ms=5000,
    )


async def test_a_statement_whose_standby_goes_away_runs_on_the_primary(
    seeded_url: str, replica_url: str
) -> None:
    pools = await _pools(seeded_url, replica_url)
    owner = await asyncpg.connect(replica_url)
    try:
        with OneDatabaseScope() as route:
            async with pools.acquire() as connection:
                assert connection.database.name == "replica-1"
                await owner.execute("SELECT pg_terminate_backend($1)", connection.get_server_pid())
                version = await connection.fetchval(
                    "SELECT version FROM data_releases ORDER BY id DESC LIMIT 1"
                )
        assert version != "2099.1.0"  # the primary's release: the statement moved
        assert [d.name for d in route.answered] == ["primary"]
        replica = pools.standbys[0]
        assert replica.down  # until the monitor finds it answering again
        with OneDatabaseScope():
            assert pools.choose().name == "primary"
        await pools.check()
        assert not replica.down
        with OneDatabaseScope():
            assert pools.choose().name == "replica-1"
    finally:
        await owner.close()
        await pools.close()


async def test_same_release_tells_when_the_release_moved_during_an_answer(
    seeded_url: str, replica_url: str
) -> None:
    pools = await _pools(seeded_url, replica_url)
    owner = await asyncpg.connect(replica_url)
    checksum = await _checksum(replica_url)
    moved = "0" * 64
    try:
        with OneDatabaseScope():
            before = await pools.release_checksum(fresh=False)
            await pools.fetch("SELECT 1")
            assert before == checksum
            assert await pools.same_release(before)
        with OneDatabaseScope():
            before = await pools.release_checksum(fresh=False)
            await pools.fetch("SELECT 1")
            # Another release becomes served on the database that answered, before the check.
            await owner.execute("UPDATE data_releases SET checksum = $2 WHERE checksum = $1", checksum, moved)
            assert not await pools.same_release(before)
    finally:
        await owner.execute("UPDATE data_releases SET checksum = $2 WHERE checksum = $1", moved, checksum)
        await owner.close()
        await pools.close()


def test_lag_is_measured_against_the_primary_positions() -> None:
    positions = PrimaryPositions(window=4)
    positions.add(100)
    positions.add(100)  # no new WAL: the first time it had 100 counts
    positions.add(200)
    assert positions.lag(200) == 0.0
    assert positions.lag(150) < positions.lag(50) < 1.0
    assert parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert parse_lsn(None) is None


def test_which_failures_move_a_statement() -> None:
    assert moves_elsewhere(ConnectionRefusedError())
    assert moves_elsewhere(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert moves_elsewhere(asyncpg.exceptions.SerializationError("conflict with recovery"))
    assert not moves_elsewhere(TimeoutError())  # as slow elsewhere
    assert not moves_elsewhere(asyncpg.exceptions.UndefinedTableError("no such table"))


def test_read_database_urls_setting() -> None:
    urls = Settings.from_env(
        {"READ_DATABASE_URLS": "postgresql://r@a/db, postgresql://r@b,c/db  postgres://r@d/db"}
    ).read_database_urls
    assert urls == ("postgresql://r@a/db", "postgresql://r@b,c/db", "postgres://r@d/db")
    assert Settings.from_env({}).read_database_urls == ()
