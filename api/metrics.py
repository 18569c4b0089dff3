"""Prometheus metrics, served at /metrics (prometheus-client, text or OpenMetrics format).

Per request (from the request record, api.logs): GraphQL requests by operation and outcome,
latency, statements, query cost and the time spent waiting for a pooled connection; HTTP
responses by route and status, with the refusals (429, 503) counted apart. At each scrape:
the read pool (size, in use, idle, waiting), the plan and document caches (entries, bytes,
hits and misses), the database's state and the data release served. MCP tool calls are
counted by tool and outcome (api.mcp_server).

Operation names are labels only while there are few of them: the GraphiQL examples' names,
METRICS_OPERATIONS, and the first METRICS_MAX_OPERATIONS other names seen; every later name
is `other`, an operation without a name `anonymous` (`unread` when the request was refused before
its body was read), so no client can grow the label set.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from api.errors import DATABASE_ERRORS
from api.graphql_view import EXAMPLES
from api.logs import UNREAD, RequestRecord
from config.settings import Settings
from db.readpool import ReadPool
from db.release import DataRelease, latest_release
from schema.limits import DocumentCache, QueryLimits
from schema.schema import TherapySchema

PREFIX = "therapy"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
ROUTES = frozenset({"graphql", "export", "csv", "plots", "mcp", "metrics", "healthz", "readyz", "graphiql"})
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 10, 25, 50, 100)
WAIT_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
COST_BUCKETS = (10, 100, 1_000, 10_000, 100_000, 1_000_000)
RELEASE_CHECK_SECONDS = 1.0
UNAVAILABLE: tuple[type[BaseException], ...] = (TimeoutError, *DATABASE_ERRORS)


class OperationNames:
    """Operation names as metric labels, from a bounded set."""

    def __init__(self, known: Iterable[str], max_others: int) -> None:
        self.known = {name for name in known if _NAME.match(name)}
        self.others: set[str] = set()
        self.max_others = max_others

    def label(self, name: str | None) -> str:
        if name is None:
            return "anonymous"
        if name == UNREAD:
            return "unread"
        if name in self.known or name in self.others:
            return name
        if _NAME.match(name) and len(self.others) < self.max_others:
            self.others.add(name)
            return name
        return "other"


def example_operation_names() -> list[str]:
    """The names of the operations GraphiQL opens with."""
    return re.findall(r"^(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)", EXAMPLES, re.M)


def route_label(path: str) -> str:
    """The route a path belongs to (`/graphql`, `/export`, ...), else `other`."""
    first = path.strip("/").split("/", 1)[0]
    return "/" + first if first in ROUTES else ("/" if path == "/" else "other")


def _document_cache(schema: TherapySchema) -> DocumentCache | None:
    """The parse and validation cache the schema's limit extension shares (schema.limits)."""
    for factory in schema.extensions:
        if callable(factory) and not isinstance(factory, type):
            made = factory()
            if isinstance(made, QueryLimits):
                return made.state.cache
    return None


class Metrics:
    """The service's metrics; `observe` takes each finished request record."""

    def __init__(self, settings: Settings, schema: TherapySchema) -> None:
        self.registry = CollectorRegistry()
        self.names = OperationNames(
            [*example_operation_names(), *settings.metrics_operations], settings.metrics_max_operations
        )
        self.requests = Counter(
            f"{PREFIX}_graphql_requests",
            "GraphQL requests by operation name and outcome (ok, client_error, server_error, unavailable,"
            " rate_limited, timeout).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            f"{PREFIX}_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name.",
            ["operation"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.statements = Histogram(
            f"{PREFIX}_graphql_statements_per_request",
            "SQL statements run for one GraphQL request (1 when the whole operation is one statement).",
            buckets=STATEMENT_BUCKETS,
            registry=self.registry,
        )
        self.cost = Histogram(
            f"{PREFIX}_graphql_query_cost",
            "Estimated cost of the GraphQL requests that were costed.",
            buckets=COST_BUCKETS,
            registry=self.registry,
        )
        self.pool_wait = Histogram(
            f"{PREFIX}_db_pool_wait_seconds",
            "Time one request waited for pooled database connections.",
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self.responses = Counter(
            f"{PREFIX}_http_responses",
            "HTTP responses by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.refusals = Counter(
            f"{PREFIX}_http_refusals",
            "Requests refused: 429 (rate limit) and 503 (load shed, pool busy or database unavailable).",
            ["status"],
            registry=self.registry,
        )
        self.tool_calls = Counter(
            f"{PREFIX}_mcp_tool_calls",
            "MCP tool calls by tool and outcome (ok or error).",
            ["tool", "outcome"],
            registry=self.registry,
        )
        for status in ("429", "503"):
            self.refusals.labels(status)
        self.registry.register(_StateCollector(self, schema))
        self.pool: asyncpg.Pool | None = None
        self.release: DataRelease | None = None
        self.release_checked = 0.0
        self.database_up: bool | None = None

    def observe(self, record: RequestRecord) -> None:
        self.responses.labels(route_label(record.path), str(record.status)).inc()
        if record.status in (429, 503):
            self.refusals.labels(str(record.status)).inc()
        if not record.is_graphql:
            return
        operation = self.names.label(record.operation)
        self.requests.labels(operation, record.outcome()).inc()
        self.duration.labels(operation).observe(record.duration_s)
        self.statements.observe(record.tally.statements)
        if record.tally.statements:
            self.pool_wait.observe(record.tally.pool_wait_s)
        if record.cost is not None:
            self.cost.observe(record.cost)

    def tool_call(self, tool: str, ok: bool) -> None:
        self.tool_calls.labels(tool, "ok" if ok else "error").inc()

    async def refresh(self, pool: asyncpg.Pool) -> None:
        """What a scrape reports beside the counters: the served release, read at most once a second."""
        self.pool = pool
        if time.monotonic() - self.release_checked < RELEASE_CHECK_SECONDS:
            return
        self.release_checked = time.monotonic()
        try:
            async with asyncio.timeout(1.0):
                self.release = await latest_release(pool)
            self.database_up = True
        except UNAVAILABLE:
            self.database_up = False

    async def endpoint(self, request: Request) -> Response:
        await self.refresh(request.app.state.pool)
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(
            encoder(self.registry), media_type=content_type, headers={"Cache-Control": "no-store"}
        )


def _gauge(name: str, documentation: str, value: float, labels: dict[str, str] | None = None) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


def _lookups(name: str, documentation: str, hits: int, misses: int) -> Iterator[Metric]:
    family = CounterMetricFamily(name, documentation, labels=["result"])
    family.add_metric(["hit"], hits)
    family.add_metric(["miss"], misses)
    yield family
    total = hits + misses
    yield _gauge(
        name.removesuffix("_lookups") + "_hit_ratio", "Hits per lookup so far.", hits / total if total else 0
    )


class _StateCollector(Collector):
    """Read at each scrape: the pool, the caches, the database and the data release."""

    def __init__(self, metrics: Metrics, schema: TherapySchema) -> None:
        self.metrics = metrics
        self.engine = schema.engine
        self.documents = _document_cache(schema)

    def collect(self) -> Iterator[Metric]:
        yield from self._pool()
        yield from self._caches()
        yield from self._release()

    def _pool(self) -> Iterator[Metric]:
        pool: Any = self.metrics.pool
        if pool is None:
            return
        # One pool, or one per database when reads also go to standbys (db.replicas).
        databases = getattr(pool, "databases", None)
        pools = [(d.name, d.pool) for d in databases] if databases is not None else [("primary", pool)]
        families = {
            "size": GaugeMetricFamily(
                f"{PREFIX}_db_pool_size", "Connections the pool holds.", labels=["database"]
            ),
            "max": GaugeMetricFamily(
                f"{PREFIX}_db_pool_max_size", "Connections the pool may hold.", labels=["database"]
            ),
            "state": GaugeMetricFamily(
                f"{PREFIX}_db_pool_connections", "Pool connections by state.", labels=["database", "state"]
            ),
            "waiting": GaugeMetricFamily(
                f"{PREFIX}_db_pool_waiting",
                "Requests waiting for a pooled connection now.",
                labels=["database"],
            ),
        }
        for name, each in pools:
            size, idle = each.get_size(), each.get_idle_size()
            families["size"].add_metric([name], size)
            families["max"].add_metric([name], each.get_max_size())
            families["state"].add_metric([name, "in_use"], size - idle)
            families["state"].add_metric([name, "idle"], idle)
            families["waiting"].add_metric([name], each.waiting if isinstance(each, ReadPool) else 0)
        yield from families.values()

    def _caches(self) -> Iterator[Metric]:
        engine = self.engine
        yield _gauge(
            f"{PREFIX}_plan_cache_entries", "Planned operations cached (schema.engine).", len(engine)
        )
        yield _gauge(f"{PREFIX}_plan_cache_bytes", "Estimated size of the plan cache.", engine.cached_bytes)
        yield from _lookups(
            f"{PREFIX}_plan_cache_lookups", "Plan cache lookups by result.", engine.reused, engine.planned
        )
        if self.documents is not None:
            documents = self.documents
            yield _gauge(
                f"{PREFIX}_document_cache_entries", "Parsed and validated documents cached.", len(documents)
            )
            yield _gauge(
                f"{PREFIX}_document_cache_bytes", "Estimated size of the document cache.", documents.bytes
            )
            yield from _lookups(
                f"{PREFIX}_document_cache_lookups",
                "Document cache lookups by result.",
                documents.hits,
                documents.misses,
            )

    def _release(self) -> Iterator[Metric]:
        metrics = self.metrics
        if metrics.database_up is not None:
            yield _gauge(
                f"{PREFIX}_database_up",
                "1 when the database answered the last check.",
                float(metrics.database_up),
            )
        release = metrics.release
        if release is not None:
            yield _gauge(
                f"{PREFIX}_data_release_info",
                "The data release served (value 1).",
                1,
                {"version": release.version, "checksum": release.checksum},
            )
            yield _gauge(
                f"{PREFIX}_data_release_loaded_timestamp_seconds",
                "When the served data release was loaded (Unix time).",
                release.loaded_at.timestamp(),
            )
