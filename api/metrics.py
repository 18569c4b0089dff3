"""Prometheus metrics, served at /metrics (prometheus-client, text or OpenMetrics format).

Per request (from the request record, api.logs): GraphQL requests by operation and outcome,
latency, statements, query cost and the time spent waiting for a pooled connection; HTTP
responses by route and status, with the refusals (429, 503) counted apart. Sampled (at each
scrape, and every SAMPLE_SECONDS): the read pools (size, in use, idle, waiting per
database), the plan and document caches (entries, bytes, hits and misses), whether the
database answers and the data release served. MCP tool calls are counted by tool and
outcome (api.mcp_server).

Operation names are labels only while there are few of them: the GraphiQL examples' names,
METRICS_OPERATIONS, and the first METRICS_MAX_OPERATIONS other names seen; every later name
is `other`, an operation without a name `anonymous` (`unread` when the request was refused before
its body was read), so no client can grow the label set.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import contextlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any, Literal

import asyncpg
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder
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
SAMPLE_SECONDS = 5.0
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
Mode = Literal["livesum", "livemin", "livemax"]
UNAVAILABLE: tuple[type[BaseException], ...] = (TimeoutError, *DATABASE_ERRORS)


class PendingObservations:
    """Request observations as plain numbers until `flush` hands them to prometheus-client,
    whose counters and histograms take a lock per value (about 10 us per request, more with
    worker processes, where each value is written to a shared file). Flushed before every
    scrape and every SAMPLE_SECONDS, so a scrape answered by another worker is at most that
    much behind."""

    def __init__(self) -> None:
        self.counts: collections.Counter[Any] = collections.Counter()  # metric child -> increments
        self.histograms: dict[Any, list[float]] = {}  # histogram child -> [sum, per bucket...]

    def inc(self, child: Any) -> None:
        self.counts[child] += 1

    def observe(self, child: Any, value: float) -> None:
        pending = self.histograms.get(child)
        if pending is None:
            pending = self.histograms[child] = [0.0] * (len(child._upper_bounds) + 1)
        pending[0] += value
        # The first bucket whose bound is >= value, as Histogram.observe counts it.
        pending[1 + bisect.bisect_left(child._upper_bounds, value)] += 1

    def flush(self) -> None:
        counts, self.counts = self.counts, collections.Counter()
        for child, increments in counts.items():
            child.inc(increments)
        histograms, self.histograms = self.histograms, {}
        for child, pending in histograms.items():
            child._sum.inc(pending[0])
            for bucket, observed in zip(child._buckets, pending[1:], strict=True):
                if observed:
                    bucket.inc(observed)


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
    """The service's metrics; `observe` takes each finished request record.

    With worker processes (`serve --workers N`) every worker writes its metrics to the
    directory PROMETHEUS_MULTIPROC_DIR names (prometheus-client's multiprocess mode, set up
    by the parent: `prepare_worker_metrics`) and a scrape of any worker reports all of them:
    counters and histograms summed, pool and cache gauges summed over the live workers. Each
    worker samples its pools, caches and the served release every SAMPLE_SECONDS.
    """

    def __init__(self, settings: Settings, schema: TherapySchema) -> None:
        self.registry = CollectorRegistry()
        self.names = OperationNames(
            [*example_operation_names(), *settings.metrics_operations], settings.metrics_max_operations
        )
        self.engine = schema.engine
        self.documents = _document_cache(schema)
        self._declare_requests()
        self._declare_state()
        self.pool: asyncpg.Pool | None = None
        self.release: DataRelease | None = None
        self.release_checked = 0.0
        self._counted = {"plan": (0, 0), "document": (0, 0)}  # hits and misses reported so far
        self._children: dict[tuple[Counter | Histogram, tuple[str, ...]], Any] = {}
        self.pending = PendingObservations()

    def _counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(f"{PREFIX}_{name}", documentation, labels, registry=self.registry)

    def _histogram(
        self, name: str, documentation: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> Histogram:
        return Histogram(f"{PREFIX}_{name}", documentation, labels, buckets=buckets, registry=self.registry)

    def _gauge(
        self, name: str, documentation: str, labels: Sequence[str] = (), mode: Mode = "livesum"
    ) -> Gauge:
        return Gauge(
            f"{PREFIX}_{name}", documentation, labels, multiprocess_mode=mode, registry=self.registry
        )

    def _declare_requests(self) -> None:
        self.requests = self._counter(
            "graphql_requests",
            "GraphQL requests by operation name and outcome (ok, client_error, server_error, unavailable,"
            " rate_limited, timeout).",
            ["operation", "outcome"],
        )
        self.duration = self._histogram(
            "graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation name.",
            DURATION_BUCKETS,
            ["operation"],
        )
        self.statements = self._histogram(
            "graphql_statements_per_request",
            "SQL statements run for one GraphQL request (1 when the whole operation is one statement).",
            STATEMENT_BUCKETS,
        )
        self.cost = self._histogram(
            "graphql_query_cost", "Estimated cost of the GraphQL requests that were costed.", COST_BUCKETS
        )
        self.pool_wait = self._histogram(
            "db_pool_wait_seconds", "Time one request waited for pooled database connections.", WAIT_BUCKETS
        )
        self.responses = self._counter(
            "http_responses", "HTTP responses by route and status.", ["route", "status"]
        )
        self.refusals = self._counter(
            "http_refusals",
            "Requests refused: 429 (rate limit) and 503 (load shed, pool busy or database unavailable).",
            ["status"],
        )
        for status in ("429", "503"):
            self.refusals.labels(status)
        self.tool_calls = self._counter(
            "mcp_tool_calls", "MCP tool calls by tool and outcome (ok or error).", ["tool", "outcome"]
        )

    def _declare_state(self) -> None:
        self.pool_size = self._gauge("db_pool_size", "Connections the read pools hold.", ["database"])
        self.pool_max = self._gauge("db_pool_max_size", "Connections the read pools may hold.", ["database"])
        self.pool_connections = self._gauge(
            "db_pool_connections", "Pool connections by state.", ["database", "state"]
        )
        self.pool_waiting = self._gauge(
            "db_pool_waiting", "Requests waiting for a pooled connection now.", ["database"]
        )
        self.cache_entries = self._gauge("cache_entries", "Entries cached.", ["cache"])
        self.cache_bytes = self._gauge("cache_bytes", "Estimated size of a cache.", ["cache"])
        self.cache_lookups = self._counter(
            "cache_lookups", "Cache lookups by cache and result.", ["cache", "result"]
        )
        self.database_up = self._gauge(
            "database_up", "1 when the database answered the last check.", mode="livemin"
        )
        self.release_info = self._gauge(
            "data_release_info", "The data release served (value 1).", ["version", "checksum"], mode="livemax"
        )
        self.release_loaded = self._gauge(
            "data_release_loaded_timestamp_seconds",
            "When the served data release was loaded (Unix time).",
            mode="livemax",
        )

    def labelled(self, metric: Counter | Histogram, *values: str) -> Any:
        """`metric.labels(*values)`, kept: prometheus-client checks and locks on every call. The
        label values are bounded (routes, statuses, outcomes, OperationNames), and so is this."""
        key = (metric, values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def observe(self, record: RequestRecord) -> None:
        pending = self.pending
        pending.inc(self.labelled(self.responses, route_label(record.path), str(record.status)))
        if record.status in (429, 503):
            pending.inc(self.labelled(self.refusals, str(record.status)))
        if not record.is_graphql:
            return
        operation = self.names.label(record.operation)
        pending.inc(self.labelled(self.requests, operation, record.outcome()))
        pending.observe(self.labelled(self.duration, operation), record.duration_s)
        pending.observe(self.statements, record.tally.statements)
        if record.tally.statements:
            pending.observe(self.pool_wait, record.tally.pool_wait_s)
        if record.cost is not None:
            pending.observe(self.cost, record.cost)

    def tool_call(self, tool: str, ok: bool) -> None:
        self.tool_calls.labels(tool, "ok" if ok else "error").inc()

    # --- the state, sampled -------------------------------------------------------------------

    def sample(self) -> None:
        """This process's requests since the last sample, pools and caches, as gauges and counters."""
        self.pending.flush()
        for name, pool in _pools(self.pool):
            size, idle = pool.get_size(), pool.get_idle_size()
            self.pool_size.labels(name).set(size)
            self.pool_max.labels(name).set(pool.get_max_size())
            self.pool_connections.labels(name, "in_use").set(size - idle)
            self.pool_connections.labels(name, "idle").set(idle)
            self.pool_waiting.labels(name).set(pool.waiting if isinstance(pool, ReadPool) else 0)
        engine = self.engine
        self._cache("plan", len(engine), engine.cached_bytes, engine.reused, engine.planned)
        if self.documents is not None:
            documents = self.documents
            self._cache("document", len(documents), documents.bytes, documents.hits, documents.misses)

    def _cache(self, cache: str, entries: int, size: int, hits: int, misses: int) -> None:
        self.cache_entries.labels(cache).set(entries)
        self.cache_bytes.labels(cache).set(size)
        counted_hits, counted_misses = self._counted[cache]
        self.cache_lookups.labels(cache, "hit").inc(hits - counted_hits)
        self.cache_lookups.labels(cache, "miss").inc(misses - counted_misses)
        self._counted[cache] = (hits, misses)

    async def sample_release(self, pool: asyncpg.Pool) -> None:
        """The served release and whether the database answers, read at most once a second."""
        self.pool = pool
        if time.monotonic() - self.release_checked < RELEASE_CHECK_SECONDS:
            return
        self.release_checked = time.monotonic()
        try:
            async with asyncio.timeout(1.0):
                release = await latest_release(pool)
        except UNAVAILABLE:
            self.database_up.set(0)
            return
        self.database_up.set(1)
        if release is not None and release != self.release:
            if self.release is not None:
                self.release_info.labels(self.release.version, self.release.checksum).set(0)
            self.release_info.labels(release.version, release.checksum).set(1)
            self.release_loaded.set(release.loaded_at.timestamp())
            self.release = release

    @contextlib.asynccontextmanager
    async def sampling(self, pool: Callable[[], asyncpg.Pool]) -> AsyncIterator[None]:
        """While the app serves: sample every SAMPLE_SECONDS, so that a scrape answered by another
        worker process reports this one's state too; at the end this process's gauges go."""

        async def sample_forever() -> None:
            while True:
                with contextlib.suppress(*UNAVAILABLE):
                    await self.sample_release(pool())
                    self.sample()
                await asyncio.sleep(SAMPLE_SECONDS)

        task = asyncio.create_task(sample_forever(), name="metrics-sampler")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.pending.flush()
            if multiprocess_directory() is not None:
                multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    async def endpoint(self, request: Request) -> Response:
        await self.sample_release(request.app.state.pool)
        self.sample()
        registry = self.registry
        if multiprocess_directory() is not None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        encoder, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encoder(registry), media_type=content_type, headers={"Cache-Control": "no-store"})


def _pools(pool: Any) -> list[tuple[str, Any]]:
    """(database, pool): one pool, or one per database when reads also go to standbys (db.replicas)."""
    if pool is None:
        return []
    databases = getattr(pool, "databases", None)
    return [(d.name, d.pool) for d in databases] if databases is not None else [("primary", pool)]


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROCESS_DIRECTORY) or None


def prepare_worker_metrics() -> str:
    """In the parent, before worker processes start: an empty directory where they all write
    their metrics (prometheus-client's multiprocess mode; workers read it at import)."""
    directory = tempfile.mkdtemp(prefix="therapy-metrics-")
    os.environ[MULTIPROCESS_DIRECTORY] = directory
    return directory
