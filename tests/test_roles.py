"""Least privilege: the API logs in as a SELECT-only role; start-up problems are one line."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from typing import Any

import asyncpg
import pytest

from api.app import create_app
from config.settings import PROJECT_ROOT, Settings
from db.roles import READER_ROLE, reader_url, redacted, set_reader_password
from tests.conftest import serve

WRITES = (
    "INSERT INTO sources (slug, kind, title, retrieved_from) VALUES ('x', 'other', 'x', 'https://x.org')",
    "UPDATE trials SET title = 'x'",
    "DELETE FROM trials",
    "TRUNCATE data_releases CASCADE",
    "CREATE TABLE intruder (id int)",
    "CREATE TEMP TABLE IF NOT EXISTS t AS SELECT 1; DROP TABLE trials",
)


async def write_in_a_read_write_transaction(connection: Any, statement: str) -> None:
    async with connection.transaction():
        await connection.execute("SET TRANSACTION READ WRITE")
        assert await connection.fetchval("SHOW transaction_read_only") == "off"
        await connection.execute(statement)


async def test_the_api_pool_cannot_write_even_in_a_read_write_transaction(
    seeded_url: str, settings: Settings
) -> None:
    app = create_app(settings, reader_url(seeded_url))
    async with serve(app):
        pool: asyncpg.Pool = app.state.pool
        async with pool.acquire() as connection:
            assert await connection.fetchval("SELECT current_user") == READER_ROLE
            assert not await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            for statement in WRITES:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await write_in_a_read_write_transaction(connection, statement)
            assert await connection.fetchval("SELECT count(*) FROM trials") > 0


async def test_the_reader_can_read_every_table_and_view(seeded_url: str) -> None:
    owner = await asyncpg.connect(seeded_url)
    reader = await asyncpg.connect(reader_url(seeded_url))
    try:
        relations = await owner.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        assert len(relations) > 10
        for relation in relations:
            await reader.fetch(f'SELECT * FROM "{relation["table_name"]}" LIMIT 1')
    finally:
        await owner.close()
        await reader.close()


async def test_reader_password(seeded_url: str) -> None:
    url = reader_url("postgresql://owner:secret@db.example.org:5433/therapy?sslmode=require", "p@ss w:rd")
    assert url == "postgresql://therapy_reader:p%40ss%20w%3Ard@db.example.org:5433/therapy?sslmode=require"
    assert reader_url("postgresql://owner@h/db") == "postgresql://therapy_reader@h/db"
    assert redacted("postgresql://owner:secret@h/db") == "postgresql://owner:***@h/db"
    owner = await asyncpg.connect(seeded_url)
    try:
        if not await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            pytest.skip("the test server's owner cannot read password hashes")
        await set_reader_password(owner, "it's a secret")
        stored = await owner.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", READER_ROLE)
        assert stored
        assert stored.startswith(("SCRAM-SHA-256$", "md5"))
    finally:
        await owner.execute(f"ALTER ROLE {READER_ROLE} PASSWORD NULL")
        await owner.close()


async def _run_cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api",
        *args,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://nobody:pw@127.0.0.1:1/therapy",
        "mysql://x@127.0.0.1/therapy",
        "postgresql://x@127.0.0.1:notaport/therapy",
        "postgresql://x@no-such-host.invalid/therapy",
    ],
)
async def test_a_bad_database_url_is_one_line(url: str) -> None:
    code, stdout, stderr = await _run_cli("seed", env={"DATABASE_URL": url, "LOG_LEVEL": "warning"})
    assert code == 2
    assert stderr.strip().count("\n") == 0, stderr
    assert stderr.startswith("cannot connect to the database at ")
    assert ":pw@" not in stderr
    assert "serving" not in stdout


async def test_a_taken_port_is_one_line_and_nothing_is_announced(seeded_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, stdout, stderr = await _run_cli(
            "serve", "--port", str(port), env={"DATABASE_URL": seeded_url, "LOG_LEVEL": "warning"}
        )
    assert code == 1
    assert stderr.strip() == f"cannot listen on 127.0.0.1:{port}: Address already in use", stderr
    assert "serving" not in stdout
