"""Settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from config.limits import Limits

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _urls(value: str | None) -> tuple[str, ...]:
    """READ_DATABASE_URLS: URLs separated by spaces or commas (a comma inside a multi-host URL,
    postgresql://a,b/db, stays part of it)."""
    if not value:
        return ()
    return tuple(url for url in re.split(r"\s+|,(?=\s*postgres(?:ql)?://)", value.strip()) if url)


def _origins(value: str | None) -> tuple[str, ...]:
    """CORS_ORIGINS: unset means any origin ("*"); "off" (or "none", "false") turns CORS off."""
    if value is None:
        return ("*",)
    if value.strip().lower() in {"", "off", "none", "false", "0"}:
        return ()
    return _list(value)


PERSISTED_QUERY_MODES = ("apq", "trusted", "off")


def _persisted_mode(value: str | None, manifest: str | None) -> str:
    """PERSISTED_QUERIES, or "trusted" when only a TRUSTED_DOCUMENTS manifest is given."""
    mode = (value or ("trusted" if manifest else "apq")).strip().lower()
    if mode not in PERSISTED_QUERY_MODES:
        raise ValueError(
            f"PERSISTED_QUERIES must be one of {', '.join(PERSISTED_QUERY_MODES)}; got {value!r}"
        )
    if mode == "trusted" and not manifest:
        raise ValueError("PERSISTED_QUERIES=trusted needs TRUSTED_DOCUMENTS (a manifest file)")
    return mode


def _log_format(value: str | None) -> str:
    """LOG_FORMAT: `text` (the default) or `json`."""
    log_format = (value or "text").strip().lower()
    if log_format not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json; got {value!r}")
    return log_format


@dataclass(frozen=True)
class Settings:
    """Everything the service can be configured with."""

    database_url: str | None
    embedded_pgdata: Path
    seeds_dir: Path
    host: str
    port: int
    log_level: str
    pool_min_size: int
    pool_max_size: int
    statement_timeout_ms: int
    graphiql: bool
    cors_origins: tuple[str, ...]
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_cost: int
    max_batch: int
    introspection: bool
    field_suggestions: bool
    request_timeout_s: float
    compiler: bool
    # Bounded work (schema.limits, api.guards) and load shedding.
    max_query_length: int = 20_000
    max_selections: int = 1000
    max_repeats: int = 10
    max_list_items: int = 100
    max_string_length: int = 200
    query_cache_entries: int = 1024
    query_cache_bytes: int = 32 * 1024 * 1024
    max_body_bytes: int = 100 * 1024
    max_variables_bytes: int = 64 * 1024
    header_timeout_s: float = 5.0
    body_timeout_s: float = 10.0
    max_in_flight: int = 32
    pool_max_waiting: int = 32
    pool_acquire_timeout_s: float = 1.0
    # Prepared statements each read connection keeps (PostgreSQL holds a plan for each, 150 KB
    # on average over the benchmark queries); one per planned operation, reused while it stays.
    statement_cache_size: int = 256
    rate_limit: str = "1200/minute"
    rate_limit_loopback: bool = False
    # The API's own, read-only login (db.roles); unset: DATABASE_URL with the reader role.
    reader_database_url: str | None = None
    reader_password: str | None = None
    # Responses larger than this are compressed (br, gzip, zstd) when the client accepts it.
    compress_min_bytes: int = 1024
    # Persisted queries (api.persisted): "apq" (automatic, bounded store), "trusted" (only the
    # operations of the TRUSTED_DOCUMENTS manifest) or "off".
    persisted_queries: str = "apq"
    persisted_query_entries: int = 2000
    persisted_query_bytes: int = 16 * 1024 * 1024
    trusted_documents: Path | None = None
    # Scaling out (api.workers, db.replicas): worker processes, streaming-replication standbys
    # to read from (the primary, DATABASE_URL, is the fallback), and shared HTTP caches.
    workers: int = 1
    read_database_urls: tuple[str, ...] = ()
    read_check_interval_s: float = 0.5  # how often each database's state and lag are checked
    read_max_lag_s: float = 30.0  # a standby further behind is not read from
    reserved_connections: int = 5  # left free on each server when sizing the worker pools
    shared_max_age_s: int = 1  # s-maxage of GET answers: how long a shared cache may reuse one
    # Observability (api.logs, api.metrics) and the MCP server (api.mcp_server).
    log_format: str = "text"  # or "json": one JSON object per line
    metrics: bool = True  # serve /metrics
    metrics_operations: tuple[str, ...] = ()  # operation names always kept as metric labels
    metrics_max_operations: int = 50  # other names: the first ones seen, then grouped as "other"
    mcp: bool = True  # serve the MCP server at /mcp
    public_url: str | None = None  # the service's address in links (default http://HOST:PORT)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_tokens=self.max_tokens,
            max_cost=self.max_cost,
            introspection=self.introspection,
            max_query_length=self.max_query_length,
            max_selections=self.max_selections,
            max_repeats=self.max_repeats,
            max_list_items=self.max_list_items,
            max_string_length=self.max_string_length,
            cache_entries=self.query_cache_entries,
            cache_bytes=self.query_cache_bytes,
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            embedded_pgdata=Path(env.get("EMBEDDED_PGDATA", str(PROJECT_ROOT / "pgdata"))),
            seeds_dir=Path(env.get("SEEDS_DIR", str(PROJECT_ROOT / "seeds"))),
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            log_level=env.get("LOG_LEVEL", "info"),
            pool_min_size=int(env.get("DB_POOL_MIN_SIZE", "1")),
            pool_max_size=int(env.get("DB_POOL_MAX_SIZE", "10")),
            statement_timeout_ms=int(env.get("DB_STATEMENT_TIMEOUT_MS", "5000")),
            graphiql=_bool(env.get("GRAPHIQL"), True),
            cors_origins=_origins(env.get("CORS_ORIGINS")),
            max_depth=int(env.get("MAX_QUERY_DEPTH", "12")),
            max_aliases=int(env.get("MAX_ALIASES", "30")),
            max_tokens=int(env.get("MAX_TOKENS", "1000")),
            max_cost=int(env.get("MAX_QUERY_COST", "250000")),
            max_batch=int(env.get("MAX_BATCH_OPERATIONS", "10")),
            introspection=_bool(env.get("INTROSPECTION"), True),
            field_suggestions=_bool(env.get("FIELD_SUGGESTIONS"), True),
            request_timeout_s=float(env.get("REQUEST_TIMEOUT_S", "10")),
            compiler=_bool(env.get("COMPILER"), True),
            max_query_length=int(env.get("MAX_QUERY_LENGTH", "20000")),
            max_selections=int(env.get("MAX_SELECTIONS", "1000")),
            max_repeats=int(env.get("MAX_REPEATED_FIELDS", "10")),
            max_list_items=int(env.get("MAX_LIST_ITEMS", "100")),
            max_string_length=int(env.get("MAX_STRING_LENGTH", "200")),
            query_cache_entries=int(env.get("QUERY_CACHE_ENTRIES", "1024")),
            query_cache_bytes=int(env.get("QUERY_CACHE_BYTES", str(32 * 1024 * 1024))),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", str(100 * 1024))),
            max_variables_bytes=int(env.get("MAX_VARIABLES_BYTES", str(64 * 1024))),
            header_timeout_s=float(env.get("HEADER_TIMEOUT_S", "5")),
            body_timeout_s=float(env.get("BODY_TIMEOUT_S", "10")),
            max_in_flight=int(env.get("MAX_IN_FLIGHT", "32")),
            pool_max_waiting=int(env.get("DB_POOL_MAX_WAITING", "32")),
            pool_acquire_timeout_s=float(env.get("DB_POOL_ACQUIRE_TIMEOUT_MS", "1000")) / 1000,
            statement_cache_size=int(env.get("DB_STATEMENT_CACHE_SIZE", "256")),
            rate_limit=env.get("RATE_LIMIT", "1200/minute").strip(),
            rate_limit_loopback=_bool(env.get("RATE_LIMIT_LOOPBACK"), False),
            reader_database_url=env.get("READER_DATABASE_URL") or None,
            reader_password=env.get("READER_PASSWORD") or None,
            compress_min_bytes=int(env.get("COMPRESS_MIN_BYTES", "1024")),
            persisted_queries=_persisted_mode(env.get("PERSISTED_QUERIES"), env.get("TRUSTED_DOCUMENTS")),
            persisted_query_entries=int(env.get("PERSISTED_QUERY_ENTRIES", "2000")),
            persisted_query_bytes=int(env.get("PERSISTED_QUERY_BYTES", str(16 * 1024 * 1024))),
            trusted_documents=Path(env["TRUSTED_DOCUMENTS"]) if env.get("TRUSTED_DOCUMENTS") else None,
            workers=int(env.get("WORKERS", "1")),
            read_database_urls=_urls(env.get("READ_DATABASE_URLS")),
            read_check_interval_s=float(env.get("READ_CHECK_INTERVAL_MS", "500")) / 1000,
            read_max_lag_s=float(env.get("READ_MAX_LAG_S", "30")),
            reserved_connections=int(env.get("DB_RESERVED_CONNECTIONS", "5")),
            shared_max_age_s=int(env.get("SHARED_MAX_AGE", "1")),
            log_format=_log_format(env.get("LOG_FORMAT")),
            metrics=_bool(env.get("METRICS"), True),
            metrics_operations=_list(env.get("METRICS_OPERATIONS")),
            metrics_max_operations=int(env.get("METRICS_MAX_OPERATIONS", "50")),
            mcp=_bool(env.get("MCP"), True),
            public_url=env.get("PUBLIC_URL") or None,
        )
