"""Starlette application factory."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from api.errors import DATABASE_ERRORS
from api.graphql_view import GraphQLView
from api.logs import RequestIdMiddleware
from api.settings import Settings
from db.export import build_export
from db.migrate import head_revision
from db.pool import create_read_pool
from seeds.loader import latest_release_checksum

logger = logging.getLogger(__name__)


def create_app(settings: Settings, database_url: str, schema: strawberry.Schema | None = None) -> Starlette:
    """Build the app; the read-only pool is opened in the lifespan and kept in app.state."""
    if schema is None:
        from schema.schema import build_schema

        schema = build_schema(settings.limits, settings.max_batch, settings.compiler)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await create_read_pool(database_url, settings)
        try:
            yield
        finally:
            await app.state.pool.close()

    graphql = GraphQLView(schema, settings)
    head = head_revision()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        pool: asyncpg.Pool = request.app.state.pool
        checks: dict[str, Any] = {}
        try:
            async with pool.acquire(timeout=2) as connection:
                checks["database"] = True
                revision = await connection.fetchval("SELECT version_num FROM alembic_version")
                checks["migrations"] = revision == head
                release = await connection.fetchval(
                    "SELECT version FROM data_releases ORDER BY id DESC LIMIT 1"
                )
                checks["dataRelease"] = release
        except DATABASE_ERRORS as exc:
            checks.setdefault("database", False)
            checks["error"] = type(exc).__name__
        ready = bool(checks.get("database") and checks.get("migrations") and checks.get("dataRelease"))
        status = 200 if ready else 503
        headers = {} if ready else {"Retry-After": "5"}
        return JSONResponse({"ready": ready, "checks": checks}, status_code=status, headers=headers)

    export_cache: dict[str, dict[str, bytes]] = {}

    async def export_files(request: Request) -> dict[str, bytes]:
        """The export of the loaded release, built once per release."""
        pool: asyncpg.Pool = request.app.state.pool
        checksum = await latest_release_checksum(pool) or ""
        if checksum not in export_cache:
            export_cache.clear()
            export_cache[checksum] = (await build_export(pool)).files()
        return export_cache[checksum]

    async def export_index(request: Request) -> Response:
        files = await export_files(request)
        return Response(files["release.json"], media_type="application/json")

    async def export_file(request: Request) -> Response:
        name = request.path_params["name"]
        files = await export_files(request)
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

    async def root(request: Request) -> Response:
        return RedirectResponse("/graphql")

    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["content-type", "authorization", "x-request-id", "if-none-match"],
                expose_headers=["x-request-id", "etag"],
                max_age=600,
            )
        )
    routes = [
        Route("/", root),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/export", export_index),
        Route("/export/{name}", export_file),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
