"""The HTTP guards: body and variables limits, header and body read timeouts, coded 4xx
answers for malformed requests, load shedding, per-client rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

from api.app import create_app
from api.server import CoalescingWriter, server_config
from config.settings import Settings
from db.queries import QueryRunner
from db.readpool import FairHolderQueue, PoolBusy, ReadPool
from tests.conftest import _free_port, read_pool

GRAPHQL_RESPONSE = "application/graphql-response+json"


@contextlib.asynccontextmanager
async def serve_guarded(settings: Settings, url: str) -> AsyncIterator[tuple[str, int]]:
    """The app behind the same uvicorn protocol as `serve` (api.server), on a loopback port."""
    port = _free_port()
    config = server_config(create_app(settings, url), settings, host="127.0.0.1", port=port, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        await task


def coded(response: httpx.Response) -> str:
    body = response.json()
    assert "Traceback" not in response.text
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_body_limit_answers_413_without_reading_the_body(client: httpx.AsyncClient) -> None:
    big = {"query": "{ dataRelease { version } }", "variables": {"pad": "x" * 200_000}}
    response = await client.post("/graphql", json=big)
    assert response.status_code == 413
    assert coded(response) == "PAYLOAD_TOO_LARGE"
    assert response.headers["content-type"].startswith("application/json")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"query": "{ dataRelease { version } }", "variables": {"pad": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'"}}'

    streamed = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    negotiated = await client.post("/graphql", json=big, headers={"accept": GRAPHQL_RESPONSE})
    assert negotiated.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_variables_limit(seeded_url: str, settings: Settings) -> None:
    roomy = replace(settings, max_body_bytes=10_000_000, max_variables_bytes=1000)
    async with (
        serve_guarded(roomy, seeded_url) as (host, port),
        httpx.AsyncClient(base_url=f"http://{host}:{port}") as http,
    ):
        unused = {f"v{i}": "x" * 100 for i in range(50)}
        payload = {"query": "{ dataRelease { version } }", "variables": unused}
        response = await http.post("/graphql", json=payload)
    assert response.status_code == 413
    assert coded(response) == "VARIABLES_TOO_LARGE"


MALFORMED: dict[str, tuple[bytes, str]] = {
    "null": (b"null", "BAD_REQUEST"),
    "array of numbers": (b"[1,2,3]", "BAD_REQUEST"),
    "empty batch": (b"[]", "BAD_REQUEST"),
    "query object": (b'{"query":{}}', "BAD_REQUEST"),
    "query array": (b'{"query":[]}', "BAD_REQUEST"),
    "operationName object": (b'{"query":"{ __typename }","operationName":{}}', "BAD_REQUEST"),
    "operationName array": (b'{"query":"{ __typename }","operationName":[]}', "BAD_REQUEST"),
    "variables array": (b'{"query":"{ __typename }","variables":[]}', "BAD_REQUEST"),
    "variables string": (b'{"query":"{ __typename }","variables":"x"}', "BAD_REQUEST"),
    "extensions number": (b'{"query":"{ __typename }","extensions":1}', "BAD_REQUEST"),
    "invalid UTF-8": (b'{"query":"{ __typename \xff }"}', "BAD_REQUEST"),
    "lone surrogate": (b'{"query":"{ __typename }","variables":{"a":"\\ud800"}}', "BAD_REQUEST"),
    "not JSON": (b"{query", "BAD_REQUEST"),
    "deeply nested variables": (
        b'{"query":"{ __typename }","variables":{"a":' + b"[" * 500 + b"]" * 500 + b"}}",
        "BAD_USER_INPUT",
    ),
    "very deeply nested": (
        b'{"query":"{ __typename }","variables":{"a":' + b"[" * 5000 + b"]" * 5000 + b"}}",
        "BAD_REQUEST",
    ),
    "unknown operation": (b'{"query":"query A { __typename }","operationName":"B"}', "BAD_REQUEST"),
    "two operations, no name": (b'{"query":"query A { __typename } query B { __typename }"}', "BAD_REQUEST"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_malformed_requests_get_coded_4xx(client: httpx.AsyncClient, name: str, accept: str) -> None:
    body, expected = MALFORMED[name]
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json", "accept": accept}
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(accept)
    assert coded(response) == expected


async def test_other_request_mistakes_get_coded_4xx(client: httpx.AsyncClient) -> None:
    wrong_type = await client.post(
        "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    assert coded(wrong_type) == "UNSUPPORTED_MEDIA_TYPE"
    method = await client.put("/graphql", json={"query": "{ __typename }"})
    assert method.status_code == 405
    assert coded(method) == "METHOD_NOT_ALLOWED"
    bad_get = await client.get("/graphql", params={"query": "{ __typename }", "variables": "[1"})
    assert bad_get.status_code == 400
    assert coded(bad_get) == "BAD_REQUEST"


async def test_replayed_operations_keep_the_argument_bounds(client: httpx.AsyncClient) -> None:
    """A plan answered once is replayed with new variable values without GraphQL: the HTTP
    guard holds the same text and list bounds as the argument check."""
    query = "query($q: String!) { search(query: $q, first: 2) { label } }"
    first = await client.post("/graphql", json={"query": query, "variables": {"q": "trastuzumab"}})
    assert first.status_code == 200, first.text
    for value in ("trastuzumab " * 100, "t" * 300):
        again = await client.post("/graphql", json={"query": query, "variables": {"q": value}})
        assert again.status_code < 500, again.text
        assert coded(again) == "BAD_USER_INPUT", again.text
    nul = await client.post("/graphql", json={"query": query, "variables": {"q": "tras\u0000tuzumab"}})
    assert coded(nul) == "BAD_USER_INPUT", nul.text
    many = ["x"] * 101
    listed = await client.post(
        "/graphql",
        json={
            "query": "query($i: [String!]!) { lookup(identifiers: $i) { identifier } }",
            "variables": {"i": many},
        },
    )
    assert coded(listed) == "BAD_USER_INPUT"


CLIENT_MISTAKES: dict[str, tuple[str, dict[str, Any]]] = {
    "cursor at 2^31": (
        "query($c: String) { agents(first: 1, after: $c) { totalCount } }",
        {"c": "Y3Vyc29yOnYxOjIxNDc0ODM2NDg="},  # cursor:v1:2147483648
    ),
    "cursor at 2^63": (
        "query($c: String) { agents(first: 1, after: $c) { totalCount } }",
        {"c": "Y3Vyc29yOnYxOjk5OTk5OTk5OTk5OTk5OTk5OTk5"},  # cursor:v1:99999999999999999999
    ),
    "huge year": ('{ approvals(filter: {dateFrom: "99999"}) { totalCount } }', {}),
    "huge year, month": ('{ approvals(filter: {dateTo: "9999-12"}) { totalCount } }', {}),
    "lone surrogate in a query string": ('{ agent(name: "\\ud800") { slug } }', {}),
    "NUL": ("query($n: String!) { agent(name: $n) { slug } }", {"n": "a\u0000"}),
}


@pytest.mark.parametrize("name", list(CLIENT_MISTAKES))
async def test_client_mistakes_are_never_internal_errors(client: httpx.AsyncClient, name: str) -> None:
    query, variables = CLIENT_MISTAKES[name]
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert coded(response) in {"BAD_USER_INPUT", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}, (
        response.text
    )


async def _slow_client(host: str, port: int, first: bytes, rest: bytes, pause: float) -> tuple[bytes, float]:
    """Sends `first`, then `rest` one byte every `pause` seconds; what came back and when."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(first)
    await writer.drain()
    received = b""

    async def read() -> None:
        nonlocal received
        while chunk := await reader.read(65536):
            received += chunk

    reading = asyncio.create_task(read())
    try:
        for byte in rest:
            if reading.done():
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause)
        await asyncio.wait_for(reading, timeout=10)
    except (ConnectionError, TimeoutError):
        pass
    finally:
        reading.cancel()
        writer.close()
    return received, time.perf_counter() - started


async def test_slow_drip_headers_and_body_are_cut_off(seeded_url: str, settings: Settings) -> None:
    quick = replace(settings, header_timeout_s=1.0, body_timeout_s=1.0)
    async with serve_guarded(quick, seeded_url) as (host, port):
        headers = (
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-padding: " + b"a" * 200
        )
        answer, seconds = await _slow_client(host, port, b"", headers, 0.05)
        assert b" 408 " in answer.split(b"\r\n")[0], answer[:200]
        assert b"HEADER_TIMEOUT" in answer
        assert seconds < 4

        body = b'{"query": "{ dataRelease { version } }"}'
        head = (
            b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
            % len(body)
        )
        answer, seconds = await _slow_client(host, port, head, body, 0.1)
        assert b" 408 " in answer.split(b"\r\n")[0], answer[:200]
        assert b"BODY_TIMEOUT" in answer
        assert seconds < 4

        huge = b"GET /graphql HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 40_000 + b"\r\n\r\n"
        answer, _ = await _slow_client(host, port, huge, b"", 0)
        assert b" 431 " in answer.split(b"\r\n")[0], answer[:200]

        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as http:
            ok = await http.post("/graphql", json={"query": "{ dataRelease { version } }"})
            assert ok.status_code == 200


class _RecordedTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


async def test_a_response_head_goes_out_with_its_body() -> None:
    """The status line and headers are held until the body's first bytes (one write); a
    "100 Continue" is not held; a head whose body is late goes out at the end of the turn."""
    sent = _RecordedTransport()
    writer = CoalescingWriter(sent, asyncio.get_running_loop())  # type: ignore[arg-type]
    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert sent.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    writer.write(b"{}")
    assert sent.writes[1:] == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
    assert len(sent.writes) == 2
    await asyncio.sleep(0)
    assert sent.writes[2:] == [b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"]
    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    writer.close()
    assert sent.writes[3:] == [b"HTTP/1.1 204 No Content\r\n\r\n"]
    assert sent.closed


async def test_a_client_expecting_100_continue_gets_it_before_sending_the_body(
    seeded_url: str, settings: Settings
) -> None:
    body = b'{"query": "{ dataRelease { version } }"}'
    head = (
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"expect: 100-continue\r\ncontent-length: %d\r\n\r\n" % len(body)
    )
    async with serve_guarded(settings, seeded_url) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(head)
            await writer.drain()
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            assert interim.startswith(b"HTTP/1.1 100 "), interim
            writer.write(body)
            await writer.drain()
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            assert answer.startswith(b"HTTP/1.1 200 "), answer
        finally:
            writer.close()


async def test_load_is_shed_with_503_at_once(seeded_url: str, settings: Settings) -> None:
    tight = replace(settings, max_in_flight=2)
    slow = {"query": "{ trials(first: 100) { nodes { slug outcomes { slug } } } }"}
    async with (
        serve_guarded(tight, seeded_url) as (host, port),
        httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30) as http,
    ):

        async def one() -> tuple[int, float, str | None, str]:
            started = time.perf_counter()
            response = await http.post("/graphql", json=slow)
            return (
                response.status_code,
                time.perf_counter() - started,
                response.headers.get("retry-after"),
                response.text,
            )

        results = await asyncio.gather(*(one() for _ in range(24)))
    statuses = Counter(status for status, *_ in results)
    shed = [r for r in results if r[0] == 503]
    assert statuses[200] >= 2, statuses
    assert shed, statuses
    assert set(statuses) <= {200, 503}, statuses
    assert all(retry == "1" and "SERVER_OVERLOADED" in text for _, _, retry, text in shed)


async def test_pool_wait_queue_is_bounded(seeded_url: str, settings: Settings) -> None:
    pool = await read_pool(seeded_url, replace(settings, pool_min_size=1, pool_max_size=1))
    assert isinstance(pool, ReadPool)
    pool.max_waiting = 2
    pool.acquire_timeout = 5.0
    try:
        runner = QueryRunner(pool)
        holder = asyncio.create_task(runner.fetch("SELECT pg_sleep(1)"))
        await asyncio.sleep(0.2)
        waiting = [asyncio.create_task(runner.fetch("SELECT 1")) for _ in range(2)]
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(PoolBusy):
            await runner.fetch("SELECT 1")
        assert time.perf_counter() - started < 0.1
        await asyncio.gather(holder, *waiting)
        pool.acquire_timeout = 0.2
        holder = asyncio.create_task(runner.fetch("SELECT pg_sleep(1)"))
        await asyncio.sleep(0.1)
        with pytest.raises(PoolBusy):
            await runner.fetch("SELECT 1")
        await holder
    finally:
        await pool.close()


async def test_pool_wait_cancelled_from_outside_is_a_cancellation(
    seeded_url: str, settings: Settings
) -> None:
    """A request cancelled while it waits for a connection (its client went away) ends
    cancelled, not PoolBusy; a wait that expires leaves its task with no cancellation pending,
    and the connection it did not get serves the next request."""
    pool = await read_pool(seeded_url, replace(settings, pool_min_size=1, pool_max_size=1))
    assert isinstance(pool, ReadPool)
    pool.acquire_timeout = 5.0
    try:
        runner = QueryRunner(pool)
        holder = asyncio.create_task(runner.fetch("SELECT pg_sleep(0.5)"))
        await asyncio.sleep(0.1)
        waiter = asyncio.create_task(runner.fetch("SELECT 1"))
        await asyncio.sleep(0.05)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert pool.waiting == 0

        pool.acquire_timeout = 0.1

        async def expires() -> int:
            with pytest.raises(PoolBusy):
                await runner.fetch("SELECT 1")
            task = asyncio.current_task()
            assert task is not None
            await asyncio.sleep(0)  # a cancellation still pending would be raised here
            return task.cancelling()

        assert await asyncio.create_task(expires()) == 0
        await holder
        assert await runner.fetchval("SELECT 2") == 2
        assert pool.waiting == 0
    finally:
        await pool.close()


async def test_pool_releases_keep_waiters_served(seeded_url: str, settings: Settings) -> None:
    """Released connections come back at once, an open transaction is still rolled back, and
    a task that acquires again right after releasing never starves the tasks waiting."""
    pool = await read_pool(seeded_url, replace(settings, pool_min_size=2, pool_max_size=2))
    assert isinstance(pool, ReadPool)
    pool.acquire_timeout = 0.2
    try:
        async with pool.acquire() as connection:
            await connection.execute("BEGIN")
        async with pool.acquire() as connection:
            assert not connection.is_in_transaction()
        assert pool.get_idle_size() == 2

        async def back_to_back(rounds: int) -> None:
            for _ in range(rounds):
                async with pool.acquire() as connection:
                    assert await connection.fetchval("SELECT 1") == 1

        started = time.perf_counter()
        # Each task alone runs longer than the 0.2 s a waiter may wait: PoolBusy if it hogged.
        await asyncio.gather(*(back_to_back(3000) for _ in range(8)))
        assert time.perf_counter() - started < 60
        assert pool.get_idle_size() == 2
        assert pool.waiting == 0
    finally:
        await pool.close()


class _Holder:
    """A free connection as the queue sees it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def is_connected(self) -> bool:
        return True


async def test_a_freed_connection_goes_to_the_request_waiting_longest() -> None:
    """Freed connections go to the waiting requests in arrival order and are never left in the
    queue for a newer request to take first; one handed to a request cancelled before it ran
    passes on to the next; a wait that expires raises PoolBusy, leaves the line and takes nothing."""
    queue = FairHolderQueue()
    got: list[tuple[str, str]] = []

    async def take(name: str, wait: float = 5.0) -> None:
        got.append((name, (await queue.take(wait)).name))

    first = asyncio.create_task(take("first"))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(take("cancelled"))
    await asyncio.sleep(0)
    second = asyncio.create_task(take("second"))
    await asyncio.sleep(0)
    queue.put_nowait(_Holder("a"))
    assert queue.empty()  # handed to "first", not left for whoever asks before it runs
    queue.put_nowait(_Holder("b"))
    cancelled.cancel()  # "b" was handed to it: it must reach "second"
    await asyncio.gather(first, second)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert got == [("first", "a"), ("second", "b")]

    with pytest.raises(PoolBusy):
        await take("expires", 0.01)
    assert not queue.waiters  # out of the line at once, not at the next release
    queue.put_nowait(_Holder("c"))  # nobody waits any more: it stays free
    assert not queue.empty()
    await take("newcomer")
    assert got[-1] == ("newcomer", "c")


async def test_pool_busy_answers_503(seeded_url: str, settings: Settings) -> None:
    one_connection = replace(settings, pool_min_size=1, pool_max_size=1, pool_acquire_timeout_s=0.05)
    async with (
        serve_guarded(one_connection, seeded_url) as (host, port),
        httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=30) as http,
    ):
        # A lock held from outside keeps the only connection busy however fast the machine is.
        blocker = await asyncpg.connect(seeded_url)
        try:
            locked = blocker.transaction()
            await locked.start()
            await blocker.execute("LOCK TABLE trials IN ACCESS EXCLUSIVE MODE")
            query = {"query": "{ trials(first: 100) { nodes { slug outcomes { slug sources { slug } } } } }"}
            requests = [asyncio.create_task(http.post("/graphql", json=query)) for _ in range(12)]
            # One request holds the connection behind the lock; the others are answered meanwhile.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(20):
                    for answered, next_answer in enumerate(asyncio.as_completed(requests), start=1):
                        await next_answer
                        if answered == 11:
                            break
            await locked.rollback()
            responses = await asyncio.gather(*requests)
        finally:
            await blocker.close()
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 503}, statuses
    busy = [r for r in responses if r.status_code == 503]
    assert len(busy) == 11, statuses
    assert statuses[200] == 1, statuses
    assert all(r.headers["retry-after"] == "1" and coded(r) == "SERVER_OVERLOADED" for r in busy)


async def test_rate_limit_per_client(seeded_url: str, settings: Settings) -> None:
    limited = replace(settings, rate_limit="5/minute", rate_limit_loopback=True)
    async with (
        serve_guarded(limited, seeded_url) as (host, port),
        httpx.AsyncClient(base_url=f"http://{host}:{port}") as http,
    ):
        responses = [await http.post("/graphql", json={"query": "{ __typename }"}) for _ in range(7)]
        health = await http.get("/healthz")
    assert [r.status_code for r in responses] == [200] * 5 + [429] * 2
    assert responses[0].headers["ratelimit-limit"] == "5"
    assert responses[0].headers["ratelimit-remaining"] == "4"
    refused = responses[-1]
    assert coded(refused) == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-remaining"] == "0"
    assert health.status_code == 200  # health checks are not limited


async def test_loopback_is_exempt_by_default(seeded_url: str, settings: Settings) -> None:
    default = replace(settings, rate_limit="2/minute")
    async with (
        serve_guarded(default, seeded_url) as (host, port),
        httpx.AsyncClient(base_url=f"http://{host}:{port}") as http,
    ):
        responses = [await http.post("/graphql", json={"query": "{ __typename }"}) for _ in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    assert "ratelimit-limit" not in responses[0].headers


def test_rate_limit_defaults() -> None:
    defaults = Settings.from_env({})
    assert defaults.rate_limit == "1200/minute"
    assert defaults.rate_limit_loopback is False
    assert Settings.from_env({"RATE_LIMIT": ""}).rate_limit == ""
