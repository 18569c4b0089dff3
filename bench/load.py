"""Bounded load test on loopback: N concurrent clients run a mix of realistic queries for a
fixed time, then throughput, p50/p99/max latency, answers by status (200, and the 503 /
429 of load shedding and rate limits with their own latency) and errors are printed.

    scripts/serve &                      # or any running instance on this machine
    .venv/bin/python bench/load.py --clients 16 --seconds 20

Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import socket
import statistics
import time
from collections import Counter
from urllib.parse import urlsplit

MIX: list[tuple[str, dict[str, object]]] = [
    ("lookup", {"query": '{ agent(name: "Enhertu") { name brandNames modality targets { symbol } } }'}),
    (
        "agent profile",
        {
            "query": """{ agent(name: "pertuzumab") {
                name approvals { date regulator indication { name } pivotalTrials { acronym } }
                trials { acronym phase outcomes { endpoint { code } analysis hazardRatio
                  armResults { arm { label } median rate } sources { slug } } }
                resistanceMechanisms { name overcoming { displayName } } } }"""
        },
    ),
    (
        "filtered list",
        {
            "query": """{ trials(first: 20, filter: {target: "ERBB2", phases: [PHASE_3]},
                orderBy: {field: START_DATE, direction: DESC}) { totalCount
                nodes { acronym nctId startDate agents { name } } pageInfo { hasNextPage endCursor } } }"""
        },
    ),
    ("search", {"query": '{ search(query: "trastuzamab", first: 5) { type label score matchedField } }'}),
    (
        "efficacy",
        {
            "query": """{ efficacy(first: 50, filter: {indication: "breast-cancer", endpoints: ["PFS", "OS"]}) {
                totalCount nodes { acronym endpoint analysis experimentalMedian controlMedian
                hazardRatio hazardRatioCiLower hazardRatioCiUpper sources { slug } } } }"""
        },
    ),
    ("facets", {"query": '{ trialFacets(filter: {target: "CD19"}) { field values { value count } } }'}),
]


def ensure_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"refusing to load {host!r}: only loopback targets are allowed")


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * share) - 1)] * 1000, 1)


KEEP_ALIVE_SECONDS = 4.0


class Connection:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol: the load
    generator shares the machine with the server, so it must cost little per request."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.host, self.port, self.path = host, port, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.idle_since: float | None = None

    async def post(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.idle_since is not None and time.perf_counter() - self.idle_since > KEEP_ALIVE_SECONDS:
            self.close()  # the server ends idle keep-alive connections (uvicorn: 5 s)
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            b"POST %s HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n%s" % (self.path.encode(), self.host.encode(), len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        payload = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        self.idle_since = time.perf_counter()
        return status, headers, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


async def run(url: str, clients: int, seconds: float) -> dict[str, object]:
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    bodies = [(name, json.dumps(payload).encode()) for name, payload in MIX]
    latencies: list[float] = []
    refused: list[float] = []  # 503 / 429: shed or limited, which must be quick
    statuses: Counter[int] = Counter()
    by_query: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        connection = Connection(host, port, path)
        turn = index
        while time.perf_counter() < deadline:
            name, body = bodies[turn % len(bodies)]
            turn += 1
            started = time.perf_counter()
            try:
                status, headers, payload = await connection.post(body)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[f"{name}: {type(exc).__name__}"] += 1
                connection.close()
                continue
            elapsed = time.perf_counter() - started
            statuses[status] += 1
            if status in (429, 503):
                refused.append(elapsed)
                retry = float(headers.get("retry-after", "1"))
                await asyncio.sleep(min(retry, max(0.0, deadline - time.perf_counter())))
                continue
            if status != 200 or b'"errors"' in payload:
                errors[f"{name}: HTTP {status}"] += 1
            latencies.append(elapsed)
            by_query[name] += 1
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": _percentile(latencies, 1.0),
        "statuses": dict(sorted(statuses.items())),
        "refused_p99_ms": _percentile(refused, 0.99),
        "refused_max_ms": _percentile(refused, 1.0),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "per_query": dict(by_query),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not 1 <= args.clients <= 256 or not 0 < args.seconds <= 600:
        raise SystemExit("clients must be 1..256 and seconds 0..600")
    ensure_loopback(args.url)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(run(args.url, args.clients, args.seconds)), indent=2))


if __name__ == "__main__":
    main()
