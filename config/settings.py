"""Settings, read once from the environment and passed down explicitly."""

from __future__ import annotations

import os
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

    @property
    def limits(self) -> Limits:
        return Limits(
            max_depth=self.max_depth,
            max_aliases=self.max_aliases,
            max_tokens=self.max_tokens,
            max_cost=self.max_cost,
            introspection=self.introspection,
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
            cors_origins=_list(env.get("CORS_ORIGINS")),
            max_depth=int(env.get("MAX_QUERY_DEPTH", "12")),
            max_aliases=int(env.get("MAX_ALIASES", "30")),
            max_tokens=int(env.get("MAX_TOKENS", "5000")),
            max_cost=int(env.get("MAX_QUERY_COST", "250000")),
            max_batch=int(env.get("MAX_BATCH_OPERATIONS", "10")),
            introspection=_bool(env.get("INTROSPECTION"), True),
            field_suggestions=_bool(env.get("FIELD_SUGGESTIONS"), True),
            request_timeout_s=float(env.get("REQUEST_TIMEOUT_S", "10")),
            compiler=_bool(env.get("COMPILER"), True),
        )
