"""Attack probes against a running service on loopback, with a bystander.

For each probe: the HTTP status, the error code, the server's time (its Server-Timing
header, else the client's wall time) and the p99 latency of a concurrent client that
keeps asking `{ __typename }` while the probe runs. Then the server's RSS before and
after 60 requests with 5 MB of variables and 60 distinct maximum-size queries.

    .venv/bin/python -m bench.probe                  # starts its own server (embedded PostgreSQL)
    .venv/bin/python -m bench.probe --url http://127.0.0.1:8000 --pid 1234

Only loopback targets are accepted; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bench.load import ensure_loopback

ROOT = Path(__file__).resolve().parent.parent
Payload = Any


@dataclass
class Outcome:
    status: int | str
    code: str
    server_ms: float


@dataclass
class Row:
    name: str
    outcome: Outcome
    median_ms: float
    bystander_p99_ms: float | None
    bystander_requests: int
    notes: str = ""


def fragment_fan_out(levels: int, width: int) -> str:
    fragments = []
    for level in range(levels):
        spreads = " ".join(f"...F{level + 1}" for _ in range(width)) if level + 1 < levels else ""
        fragments.append(f"fragment F{level} on DataRelease {{ version {spreads} }}")
    return "{ dataRelease { ...F0 } } " + " ".join(fragments)


def nested_agents(depth: int) -> str:
    query = "name"
    for level in range(depth):
        query = f"trials {{ agents {{ {query} }} }}" if level % 2 == 0 else query
    return f'{{ agent(name: "trastuzumab") {{ {query} }} }}'


EXPENSIVE = "agents(first: 100) { nodes { trials { agents { trials { agents { trials { slug } } } } } } }"

JSON_PROBES: dict[str, Payload] = {
    "fragment fan-out (826 bytes)": {"query": fragment_fan_out(14, 3)},
    "fragment fan-out, 40 levels": {"query": fragment_fan_out(40, 3)},
    "first: -2^31 under @skip": {
        "query": "{ cheap: agents(first: -2147483648) @skip(if: true) { totalCount } " + EXPENSIVE + " }"
    },
    "first: -2^31 in a variable": {
        "query": "query($n: Int) { agents(first: $n) { nodes { slug } } }",
        "variables": {"n": -2147483648},
    },
    "cost explosion": {"query": "{ " + EXPENSIVE + " }"},
    "alias overloading (200)": {
        "query": "{ " + " ".join(f"a{i}: dataRelease {{ version }}" for i in range(200)) + " }"
    },
    "field duplication (6000)": {"query": "{ dataRelease { " + "version " * 6000 + "} }"},
    "repeated subtree (1200)": {"query": "{ " + "dataRelease { version } " * 1200 + "}"},
    "repeated subtree (200, within tokens)": {"query": "{ " + "dataRelease { version } " * 200 + "}"},
    "directive overloading": {"query": "{ dataRelease " + "@include(if: true) " * 50 + "{ version } }"},
    "deep nesting (30)": {"query": nested_agents(30)},
    "circular fragments": {
        "query": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
    },
    "100 KB comment": {"query": "#" + "x" * 95_000 + "\n{ dataRelease { version } }"},
    "batch of 50": [{"query": "{ dataRelease { version } }"}] * 50,
    "lookup of 101 identifiers": {
        "query": "query($i: [String!]!) { lookup(identifiers: $i) { identifier } }",
        "variables": {"i": [f"NCT{i:08d}" for i in range(101)]},
    },
    "filter list of 101 phases": {
        "query": "{ trials(filter: {phases: [" + ", ".join(["PHASE_3"] * 101) + "]}) { totalCount } }"
    },
    "text argument of 300 characters": {
        "query": "query($q: String!) { search(query: $q) { label } }",
        "variables": {"q": "t" * 300},
    },
    "cursor at 2^31": {
        "query": "query($c: String) { agents(first: 1, after: $c) { totalCount } }",
        "variables": {"c": "Y3Vyc29yOnYxOjIxNDc0ODM2NDg="},
    },
    "year 99999 in a date filter": {"query": '{ approvals(filter: {dateFrom: "99999"}) { totalCount } }'},
    "lone surrogate in a query string": {"query": '{ agent(name: "\\ud800") { slug } }'},
    "NUL in a variable": {
        "query": "query($n: String!) { agent(name: $n) { slug } }",
        "variables": {"n": "tras\u0000tuzumab"},
    },
    "nameContains: %": {"query": '{ agents(filter: {nameContains: "%"}) { totalCount } }'},
    "two operations, no operationName": {"query": "query A { __typename } query B { __typename }"},
}

RAW_PROBES: dict[str, bytes] = {
    "body: null": b"null",
    "body: [1,2,3]": b"[1,2,3]",
    'body: {"query":{}}': b'{"query":{}}',
    'body: {"query":[]}': b'{"query":[]}',
    "body: operationName {}": b'{"query":"{ __typename }","operationName":{}}',
    "body: invalid UTF-8": b'{"query":"{ __typename \xff }"}',
    "body: lone surrogate escape": b'{"query":"{ __typename }","variables":{"a":"\\ud800"}}',
    "variables nested 5000 deep": b'{"query":"{ __typename }","variables":{"a":'
    + b"[" * 5000
    + b"]" * 5000
    + b"}}",
    "variables nested 100 deep": b'{"query":"{ __typename }","variables":{"a":'
    + b"[" * 100
    + b"]" * 100
    + b"}}",
}


def outcome_of(response: httpx.Response, started: float) -> Outcome:
    timing = response.headers.get("server-timing", "")
    server_ms = (time.perf_counter() - started) * 1000
    if "dur=" in timing:
        server_ms = float(timing.split("dur=")[1].split(",")[0])
    code = "-"
    try:
        body = response.json()
        answers = body if isinstance(body, list) else [body]
        codes = [e.get("extensions", {}).get("code", "?") for a in answers for e in a.get("errors") or []]
        code = codes[0] if codes else ("data" if any(a.get("data") is not None for a in answers) else "-")
    except ValueError:
        code = "non-JSON"
    return Outcome(response.status_code, code, server_ms)


class Bystander:
    """Sends `{ __typename }` back to back on its own connection and keeps every latency."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.samples: list[tuple[float, float]] = []  # (finished at, seconds)
        self.stop = asyncio.Event()

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as http:
            while not self.stop.is_set():
                started = time.perf_counter()
                with contextlib.suppress(httpx.HTTPError):
                    await http.post("/graphql", json={"query": "{ __typename }"})
                self.samples.append((time.perf_counter(), time.perf_counter() - started))
                await asyncio.sleep(0.005)

    def p99(self, since: float, until: float) -> tuple[float | None, int]:
        window = sorted(s for t, s in self.samples if since <= t <= until + 0.05)
        if not window:
            return None, 0
        return round(window[max(0, int(len(window) * 0.99) - 1)] * 1000, 1), len(window)


async def slow_drip(host: str, port: int, first: bytes, rest: bytes, pause: float, limit: float) -> Outcome:
    """Sends `rest` one byte every `pause` seconds; the status line that came back and when."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(first)
    received = b""

    async def read() -> None:
        nonlocal received
        while chunk := await reader.read(65536):
            received += chunk

    reading = asyncio.create_task(read())
    try:
        for byte in rest:
            if reading.done() or time.perf_counter() - started > limit:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause)
        await asyncio.wait_for(reading, timeout=limit)
    except (ConnectionError, TimeoutError):
        pass
    finally:
        reading.cancel()
        writer.close()
    seconds = time.perf_counter() - started
    status_line = received.split(b"\r\n", 1)[0].decode(errors="replace")
    status: int | str = int(status_line.split()[1]) if status_line.startswith("HTTP/") else "closed"
    code = "-"
    if b'"code":"' in received:
        code = received.split(b'"code":"', 1)[1].split(b'"', 1)[0].decode()
    return Outcome(status, code, seconds * 1000)


async def huge_body(host: str, port: int) -> Outcome:
    """A 200 MB body announced and sent: refused before it is read."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    size = 200_000_000
    writer.write(
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % size
    )
    answer = asyncio.create_task(reader.read(65536))
    sent = 0
    try:
        while sent < size and not answer.done():
            writer.write(b"x" * 1_000_000)
            await writer.drain()
            sent += 1_000_000
        received = await asyncio.wait_for(answer, timeout=10)
    except (ConnectionError, TimeoutError):
        received = answer.result() if answer.done() and not answer.exception() else b""
    finally:
        writer.close()
    seconds = time.perf_counter() - started
    status_line = received.split(b"\r\n", 1)[0].decode(errors="replace")
    status: int | str = int(status_line.split()[1]) if status_line.startswith("HTTP/") else "closed"
    code = received.split(b'"code":"', 1)[1].split(b'"', 1)[0].decode() if b'"code":"' in received else "-"
    timing = [line for line in received.split(b"\r\n") if line.lower().startswith(b"server-timing:")]
    server_ms = float(timing[0].split(b"dur=")[1]) if timing else seconds * 1000
    return Outcome(status, code, server_ms)


async def concurrent_lookups(base: str) -> Outcome:
    """Twelve clients at once, each with a 500 KB lookup (the pool-starvation attack)."""
    identifiers = [f"{'x' * 5000}{i}" for i in range(100)]
    payload = {
        "query": "query($i: [String!]!) { lookup(identifiers: $i) { identifier } }",
        "variables": {"i": identifiers},
    }
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        started = time.perf_counter()
        responses = await asyncio.gather(*(http.post("/graphql", json=payload) for _ in range(12)))
    outcomes = [outcome_of(r, started) for r in responses]
    worst = max(outcomes, key=lambda o: o.server_ms)
    statuses = sorted({str(o.status) for o in outcomes})
    return Outcome("/".join(statuses), worst.code, worst.server_ms)


async def concurrent_max_lookups(base: str) -> Outcome:
    """Twelve clients at once, each with the largest lookup allowed (100 short identifiers)."""
    identifiers = [f"NCT{i:08d}" for i in range(100)]
    payload = {
        "query": "query($i: [String!]!) { lookup(identifiers: $i) { identifier hits { label } } }",
        "variables": {"i": identifiers},
    }
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        started = time.perf_counter()
        responses = await asyncio.gather(*(http.post("/graphql", json=payload) for _ in range(12)))
    outcomes = [outcome_of(r, started) for r in responses]
    worst = max(outcomes, key=lambda o: o.server_ms)
    return Outcome("/".join(sorted({str(o.status) for o in outcomes})), worst.code, worst.server_ms)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def memory(base: str, pid: int) -> dict[str, float]:
    """RSS before and after 60 requests with 5 MB of (unused) variables, then 60 distinct
    queries of the largest size allowed (each parsed, validated and cached)."""
    figures = {"rss_before_mb": round(rss_mb(pid), 1)}
    big = json.dumps(
        {"query": "{ dataRelease { version } }", "variables": {"unused": "x" * 5_000_000}}
    ).encode()
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(60):
            await http.post("/graphql", content=big, headers={"content-type": "application/json"})
        figures["rss_after_5mb_variables_mb"] = round(rss_mb(pid), 1)
        for i in range(60):
            query = f"# {i}" + " " * 19_900 + "\n{ dataRelease { version } }"
            await http.post("/graphql", json={"query": query})
        figures["rss_after_distinct_queries_mb"] = round(rss_mb(pid), 1)
    return figures


async def probe_all(base: str, pid: int | None) -> tuple[list[Row], dict[str, float]]:
    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
    bystander = Bystander(base)
    background = asyncio.create_task(bystander.run())
    await asyncio.sleep(0.5)
    rows: list[Row] = []

    async def measure(
        name: str, attempt: Callable[[], Awaitable[Outcome]], notes: str = "", repeat: bool = True
    ) -> None:
        """The probe again and again for about a second (at most 40 times), so that the
        bystander's p99 has samples; the slowest answer is reported."""
        since = time.perf_counter()
        outcomes = [await attempt()]
        while repeat and len(outcomes) < 40 and time.perf_counter() - since < 1.0:
            outcomes.append(await attempt())
        worst = max(outcomes, key=lambda o: o.server_ms)
        median = sorted(o.server_ms for o in outcomes)[len(outcomes) // 2]
        p99, count = bystander.p99(since, time.perf_counter())
        rows.append(Row(name, worst, median, p99, count, notes or f"{len(outcomes)} times"))
        await asyncio.sleep(0.1)

    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for name, payload in JSON_PROBES.items():

            async def post(payload: Payload = payload) -> Outcome:
                started = time.perf_counter()
                return outcome_of(await http.post("/graphql", json=payload), started)

            await measure(name, post)
        for name, body in RAW_PROBES.items():

            async def post_raw(body: bytes = body) -> Outcome:
                started = time.perf_counter()
                response = await http.post(
                    "/graphql", content=body, headers={"content-type": "application/json"}
                )
                return outcome_of(response, started)

            await measure(name, post_raw)
        await measure("200 MB body", lambda: huge_body(host, port), "sent until the answer came")

        async def five_mb() -> Outcome:
            started = time.perf_counter()
            payload = {"query": "{ dataRelease { version } }", "variables": {"unused": "x" * 5_000_000}}
            return outcome_of(await http.post("/graphql", json=payload), started)

        await measure("5 MB of variables", five_mb)
    await measure("12 x 500 KB lookups at once", lambda: concurrent_lookups(base))
    await measure("12 x largest allowed lookup at once", lambda: concurrent_max_lookups(base))
    drip = b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-padding: " + b"a" * 400
    await measure(
        "slow-drip headers (1 byte / 50 ms)",
        lambda: slow_drip(host, port, b"", drip, 0.05, 30),
        "time to the cut-off = HEADER_TIMEOUT_S",
        repeat=False,
    )
    body = b'{"query": "{ dataRelease { version } }"}'
    head = (
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
        % len(body)
    )
    await measure(
        "slow-drip body (1 byte / 500 ms)",
        lambda: slow_drip(host, port, head, body, 0.5, 30),
        "time to the cut-off = BODY_TIMEOUT_S",
        repeat=False,
    )
    huge_headers = b"GET /graphql HTTP/1.1\r\nhost: x\r\nx-big: " + b"a" * 100_000 + b"\r\n\r\n"
    await measure("100 KB of headers", lambda: slow_drip(host, port, huge_headers, b"", 0, 10))
    figures = await memory(base, pid) if pid is not None else {}
    bystander.stop.set()
    await background
    return rows, figures


def table(rows: list[Row]) -> str:
    lines = [
        "| probe | status | code | server ms, median / max | bystander p99 ms (n) | notes |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        o = row.outcome
        p99 = "-" if row.bystander_p99_ms is None else f"{row.bystander_p99_ms:.1f}"
        lines.append(
            f"| {row.name} | {o.status} | {o.code} | {row.median_ms:.1f} / {o.server_ms:.1f} "
            f"| {p99} ({row.bystander_requests}) | {row.notes} |"
        )
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "LOG_LEVEL": "warning", **extra_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("the server did not become ready within 180 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running service (default: start one)")
    parser.add_argument("--pid", type=int, help="its process id, for the RSS figures")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    process = None
    if args.url:
        base, pid = args.url.rstrip("/"), args.pid
    else:
        process, base = start_server({})
        pid = process.pid
    ensure_loopback(base)
    try:
        rows, figures = asyncio.run(probe_all(base, pid))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    print(table(rows))
    print()
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "probes": [row.__dict__ | {"outcome": row.outcome.__dict__} for row in rows],
                    "memory": figures,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
