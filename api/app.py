"""Starlette application factory."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette_compress import CompressMiddleware, add_compress_type

from api.errors import DATABASE_ERRORS
from api.forest import ForestPlots
from api.graphiql import ASSETS, ASSETS_PATH
from api.graphql_view import RETRY_AFTER_SECONDS, GraphQLView
from api.guards import GraphQLRequestGuard, LoadShedder, RateLimit
from api.logs import RequestIdMiddleware
from api.persisted import PersistedQueries
from api.reads import OneDatabasePerRequest
from api.tabular import CsvAnswers, Downloads
from config.settings import PROJECT_ROOT, Settings
from db.migrate import head_revision
from db.release import latest_release
from db.replicas import ReadPools
from schema.schema import TherapySchema, build_schema
from seeds.export import build_export

logger = logging.getLogger(__name__)

EXAMPLES_DIR = PROJECT_ROOT / "examples"
for _media_type in ("application/graphql-response+json", "text/csv"):
    add_compress_type(_media_type)

Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]


def create_app(settings: Settings, database_url: str, schema: TherapySchema | None = None) -> Starlette:
    """Build the app; the read-only pool is opened in the lifespan and kept in app.state."""
    if schema is None:
        schema = build_schema(settings.limits, settings.max_batch, settings.compiler)
    readiness = Readiness(head_revision())
    exports = ExportEndpoints()
    routes = [
        Route("/", root),
        Route("/healthz", healthz),
        Route("/readyz", readiness.endpoint),
        Route("/graphql", GraphQLView(schema, settings), methods=["GET", "POST"]),
        Route("/export", exports.index),
        Route("/export/{name}", exports.file),
        Route("/csv/{field}", Downloads(schema).csv),
        Route("/plots/efficacy.{format}", ForestPlots(schema).endpoint),
        Mount(ASSETS_PATH, StaticFiles(directory=ASSETS)),
    ]
    if EXAMPLES_DIR.is_dir():  # a source checkout: the frontend example (examples/)
        routes.append(Mount("/examples", StaticFiles(directory=EXAMPLES_DIR, html=True)))
    return Starlette(
        routes=routes, middleware=middleware(settings), lifespan=read_pool_lifespan(settings, database_url)
    )


def read_pool_lifespan(settings: Settings, database_url: str) -> Lifespan:
    """Opens the read-only pool at startup (kept in app.state.pool) and closes it at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The primary's reader login, and the standbys reads go to first (db.replicas).
        app.state.pool = await ReadPools.open(
            database_url,
            settings.read_database_urls,
            max_lag_s=settings.read_max_lag_s,
            check_interval_s=settings.read_check_interval_s,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            statement_timeout_ms=settings.statement_timeout_ms,
            max_waiting=settings.pool_max_waiting,
            acquire_timeout=settings.pool_acquire_timeout_s,
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return lifespan


def middleware(settings: Settings) -> list[Middleware]:
    stack = [
        Middleware(RequestIdMiddleware),
        # br, gzip or zstd for answers over COMPRESS_MIN_BYTES, as the client accepts (Vary: Accept-Encoding).
        Middleware(CompressMiddleware, minimum_size=settings.compress_min_bytes),
        # Each request reads from one database: a standby, or the primary when none serves.
        Middleware(OneDatabasePerRequest),
    ]
    if settings.cors_origins:
        stack.append(cors(settings.cors_origins))
    # Cheapest refusals first: rate limit, then load, then the request's own size and shape
    # (a persisted query's document is put in before the guard checks it).
    stack += [
        Middleware(CsvAnswers),
        Middleware(RateLimit, settings=settings),
        Middleware(LoadShedder, settings=settings),
        Middleware(PersistedQueries, settings=settings),
        Middleware(GraphQLRequestGuard, settings=settings),
    ]
    return stack


def cors(origins: tuple[str, ...]) -> Middleware:
    """Anonymous reads from browser apps: GET and POST from these origins ("*": any), no
    credentials, preflight answers cached by the browser for a day."""
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_credentials=False,
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
        expose_headers=[
            "x-request-id",
            "etag",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "ratelimit-policy",
        ],
        max_age=86400,
    )


async def root(request: Request) -> Response:
    return RedirectResponse("/graphql")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


class Readiness:
    """Ready when the database answers, its migrations are at head and a data release is loaded."""

    def __init__(self, head_revision: str) -> None:
        self.head_revision = head_revision

    async def checks(self, pool: asyncpg.Pool) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            async with pool.acquire(timeout=2) as connection:
                checks["database"] = True
                revision = await connection.fetchval("SELECT version_num FROM alembic_version")
                checks["migrations"] = revision == self.head_revision
                release = await latest_release(connection)
                checks["dataRelease"] = release.version if release else None
        except DATABASE_ERRORS as exc:
            checks.setdefault("database", False)
            checks["error"] = type(exc).__name__
        if isinstance(pool, ReadPools):  # each database: state, lag, release (db.replicas)
            checks["databases"] = pool.report()
        return checks

    async def endpoint(self, request: Request) -> Response:
        checks = await self.checks(request.app.state.pool)
        ready = bool(checks.get("database") and checks.get("migrations") and checks.get("dataRelease"))
        status = 200 if ready else 503
        headers = {} if ready else {"Retry-After": "5"}
        return JSONResponse({"ready": ready, "checks": checks}, status_code=status, headers=headers)


class ExportEndpoints:
    """The bulk export of the loaded release as JSON and CSV files, built once per release."""

    def __init__(self) -> None:
        # One entry: the files of the release currently loaded, keyed by its checksum.
        self._cache: dict[str, dict[str, bytes]] = {}

    async def files(self, request: Request) -> dict[str, bytes]:
        pool: asyncpg.Pool = request.app.state.pool
        checksum = release.checksum if (release := await latest_release(pool)) else ""
        if checksum not in self._cache:
            self._cache.clear()
            self._cache[checksum] = (await build_export(pool)).files()
        return self._cache[checksum]

    async def available_files(self, request: Request) -> dict[str, bytes] | Response:
        """The files, or 503 + Retry-After while the database is unavailable."""
        try:
            return await self.files(request)
        except DATABASE_ERRORS:
            body = {
                "errors": [
                    {
                        "message": "The database is unavailable; retry shortly.",
                        "extensions": {"code": "DATABASE_UNAVAILABLE"},
                    }
                ]
            }
            headers = {"Retry-After": RETRY_AFTER_SECONDS, "Cache-Control": "no-store"}
            return JSONResponse(body, status_code=503, headers=headers)

    async def index(self, request: Request) -> Response:
        files = await self.available_files(request)
        if isinstance(files, Response):
            return files
        return Response(files["release.json"], media_type="application/json")

    async def file(self, request: Request) -> Response:
        name = request.path_params["name"]
        files = await self.available_files(request)
        if isinstance(files, Response):
            return files
        if name not in files:
            return JSONResponse(
                {"error": f"no export file {name!r}", "files": sorted(files)}, status_code=404
            )
        media_type = "application/json" if name.endswith(".json") else "text/csv; charset=utf-8"
        return Response(
            files[name],
            media_type=media_type,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
