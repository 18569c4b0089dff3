"""Bounded load test on loopback: N concurrent clients run a mix of realistic queries for a
fixed time, then throughput, p50/p99 latency and errors are printed.

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

import httpx

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


async def run(url: str, clients: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    by_query: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds

    async def client(index: int, http: httpx.AsyncClient) -> None:
        turn = index
        while time.perf_counter() < deadline:
            name, payload = MIX[turn % len(MIX)]
            turn += 1
            started = time.perf_counter()
            try:
                response = await http.post(url, json=payload)
                ok = response.status_code == 200 and "errors" not in response.json()
                if not ok:
                    errors[f"{name}: HTTP {response.status_code}"] += 1
            except httpx.HTTPError as exc:
                errors[f"{name}: {type(exc).__name__}"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            by_query[name] += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(i, http) for i in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1) if latencies else None,
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
    print(json.dumps(asyncio.run(run(args.url, args.clients, args.seconds)), indent=2))


if __name__ == "__main__":
    main()
