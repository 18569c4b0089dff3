"""The bulk export over HTTP: the served release's files and those of every kept release.

- `/export` (release.json) and `/export/{name}`: the release the API serves now.
- `/export/{version}/` (release.json) and `/export/{version}/{name}`: any kept release, byte
  for byte as it was written when that release was loaded (with its CHANGELOG.md), cacheable
  for good: a kept release never changes.
"""

from __future__ import annotations

import hashlib

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from api.errors import DATABASE_ERRORS
from api.graphql_view import RETRY_AFTER_SECONDS
from db.release import EXPORT, latest_release, release_by_version, release_file, release_files_of
from seeds.export import build_export

SERVED_CACHE_CONTROL = "public, max-age=60"
KEPT_CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_TYPES = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}


def _media_type(name: str) -> str:
    return next(
        (media for suffix, media in MEDIA_TYPES.items() if name.endswith(suffix)), "application/octet-stream"
    )


def _unavailable() -> Response:
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


def _file_response(request: Request, name: str, content: bytes, cache_control: str) -> Response:
    etag = f'"{hashlib.sha256(content).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if etag in [
        tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")
    ]:
        return Response(status_code=304, headers=headers)
    if name != "release.json":
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(content, media_type=_media_type(name), headers=headers)


class ExportEndpoints:
    """Serves the files; those of the served release are held in memory (one release at a time)."""

    def __init__(self) -> None:
        self._served: tuple[int, dict[str, bytes]] | None = None  # release id, its files

    async def served_files(self, pool: asyncpg.Pool) -> dict[str, bytes]:
        release = await latest_release(pool)
        if release is None:
            return {}
        if self._served is None or self._served[0] != release.id:
            files = await release_files_of(pool, release.id, EXPORT)
            if not files:  # loaded before releases were kept: built from the tables
                files = (await build_export(pool)).files()
            self._served = (release.id, files)
        return self._served[1]

    async def index(self, request: Request) -> Response:
        return await self.file(request, "release.json")

    async def file(self, request: Request, name: str | None = None) -> Response:
        name = name or request.path_params["name"]
        pool: asyncpg.Pool = request.app.state.pool
        try:
            files = await self.served_files(pool)
            if name not in files and await release_by_version(pool, name) is not None:
                return RedirectResponse(f"/export/{name}/", status_code=308)
        except DATABASE_ERRORS:
            return _unavailable()
        if name not in files:
            return JSONResponse(
                {"error": f"no export file {name!r}", "files": sorted(files)}, status_code=404
            )
        return _file_response(request, name, files[name], SERVED_CACHE_CONTROL)

    async def kept_index(self, request: Request) -> Response:
        return await self.kept_file(request, "release.json")

    async def kept_file(self, request: Request, name: str | None = None) -> Response:
        version: str = request.path_params["version"]
        name = name or request.path_params["name"]
        try:
            content = await release_file(request.app.state.pool, version, EXPORT, name)
        except DATABASE_ERRORS:
            return _unavailable()
        if content is None:
            message = f"no export file {name!r} of a kept release {version!r}; `dataReleases` lists them"
            return JSONResponse({"error": message}, status_code=404)
        return _file_response(request, name, content, KEPT_CACHE_CONTROL)
