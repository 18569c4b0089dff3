"""Command line: serve, mcp, migrate, seed, export, releases, rollback, data-report, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import uvicorn

from api.app import create_app
from api.logs import configure_logging
from api.mcp_server import serve_stdio
from api.server import bind_socket, server_config
from api.workers import PoolsDoNotFit, serve_workers, size_pools
from config.settings import PROJECT_ROOT, Settings
from db import migrate
from db.embedded import start_embedded
from db.quality import data_report, format_report
from db.release import EXPORT, DataRelease, all_releases, latest_release, release_by_version, release_files_of
from db.roles import DatabaseUnreachable, check_database, reader_url, set_reader_password
from schema.schema import schema as graphql_schema
from seeds.export import build_export
from seeds.loader import seed
from seeds.rollback import RollbackRefused, rollback
from seeds.validate import SeedError, load_dataset

logger = logging.getLogger("api.cli")


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set (checked with one connection), else the embedded server
    (started on demand). Raises DatabaseUnreachable with a one-line reason."""
    if settings.database_url:
        asyncio.run(check_database(settings.database_url))
        return settings.database_url
    return start_embedded(settings.embedded_pgdata)


async def _prepare_reader(owner_url: str, password: str) -> None:
    connection = await asyncpg.connect(owner_url)
    try:
        await set_reader_password(connection, password)
    except asyncpg.PostgresError as exc:
        message = f"cannot set the password of the reader role (READER_PASSWORD): {exc}"
        raise DatabaseUnreachable(message) from None
    finally:
        await connection.close()


def api_database_url(settings: Settings, owner_url: str) -> str:
    """What the API logs in with: READER_DATABASE_URL, else the owner's server and database as
    the SELECT-only reader role (migration 0008), with READER_PASSWORD when one is given."""
    if settings.reader_database_url:
        return settings.reader_database_url
    if settings.reader_password:
        asyncio.run(_prepare_reader(owner_url, settings.reader_password))
    return reader_url(owner_url, settings.reader_password)


def _migrate(url: str) -> None:
    migrate.upgrade(url)


def _migrate_and_seed(url: str, seeds_dir: Path) -> bool:
    """Migrate, then load the seed files if they changed; False (the error printed) when a
    seed file is refused."""
    _migrate(url)
    try:
        asyncio.run(_seed(url, seeds_dir, force=False))
    except SeedError as exc:
        print(str(exc), file=sys.stderr)
        return False
    return True


async def _seed(url: str, seeds_dir: Path, force: bool) -> int:
    connection = await asyncpg.connect(url)
    try:
        result = await seed(connection, seeds_dir, force=force)
    finally:
        await connection.close()
    state = "loaded" if result.loaded else "already loaded"
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"data release {result.version} {state} ({result.checksum[:12]}): {counts}")
    if result.note:
        print(f"note: {result.note}")
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    url = resolve_database_url(settings)
    if args.revision.startswith("-") or args.revision == "base":
        migrate.downgrade(url, args.revision)
    else:
        migrate.upgrade(url, args.revision)
    print(f"migrated to {args.revision}")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    seeds_dir = Path(args.seeds_dir) if args.seeds_dir else settings.seeds_dir
    try:
        if args.check:
            dataset = load_dataset(seeds_dir)
            counts = ", ".join(f"{k} {len(v)}" for k, v in dataset.entries.items())
            print(f"seed files are valid: release {dataset.version}, {dataset.file_count} files; {counts}")
            return 0
        url = resolve_database_url(settings)
        return asyncio.run(_seed(url, seeds_dir, args.force))
    except SeedError as exc:
        print(str(exc), file=sys.stderr)
        return 1


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    settings = replace(
        settings,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
    )
    url = resolve_database_url(settings)
    # Without it, a separate `migrate` and `seed` prepare the database.
    if not args.no_migrate and not _migrate_and_seed(url, settings.seeds_dir):
        return 1
    api_url = api_database_url(settings, url)
    asyncio.run(check_database(api_url))
    try:
        settings, sizing = size_pools(settings, api_url)  # every worker's pools fit each server
    except PoolsDoNotFit as exc:
        print(f"the connection pools do not fit: {exc}", file=sys.stderr)
        return 1
    try:
        sock = bind_socket(settings.host, settings.port)
    except OSError as exc:
        print(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    if settings.workers > 1:
        where = f"http://{settings.host}:{settings.port}/graphql"
        print(f"serving GraphQL on {where} with {sizing.describe()}", flush=True)
        return serve_workers(settings, api_url, sock)
    app = create_app(settings, api_url)
    print(f"serving GraphQL on http://{settings.host}:{settings.port}/graphql", flush=True)
    server = uvicorn.Server(server_config(app, settings, loop="uvloop"))
    server.run(sockets=[sock])
    return 0


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> int:
    output = Path(args.output)
    output.write_text(graphql_schema.as_str() + "\n")
    print(f"wrote {output}")
    return 0


async def _export(url: str, version: str | None) -> dict[str, bytes]:
    """The kept export of release `version` (default: the served one), as /export serves it."""
    connection = await asyncpg.connect(url)
    try:
        release = await (
            latest_release(connection) if version is None else release_by_version(connection, version)
        )
        files = await release_files_of(connection, release.id, EXPORT) if release is not None else {}
        if not files and version is None:  # loaded before releases were kept: built from the tables
            files = (await build_export(connection)).files()
    finally:
        await connection.close()
    return files


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    url = resolve_database_url(settings)
    out = Path(args.out)
    files = asyncio.run(_export(url, args.release))
    if not files:
        print(f"no kept data release {args.release!r}; `python -m api releases` lists them", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {out}: {', '.join(sorted(files))}")
    return 0


async def _releases(url: str) -> list[DataRelease]:
    connection = await asyncpg.connect(url)
    try:
        return await all_releases(connection)
    finally:
        await connection.close()


def cmd_releases(settings: Settings, args: argparse.Namespace) -> int:
    releases = asyncio.run(_releases(resolve_database_url(settings)))
    served = max(releases, key=lambda r: (r.served_at, r.id), default=None)
    for release in releases:
        mark = "*" if release is served else " "
        loaded = release.loaded_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
        print(f"{mark} {release.version:<20} loaded {loaded} UTC  {release.checksum[:12]}")
    print("(* = served)" if releases else "no data release is loaded")
    return 0


async def _rollback(url: str, version: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        result = await rollback(connection, version)
    finally:
        await connection.close()
    print(f"data release {result.version} is served again ({result.checksum[:12]})")
    return 0


def cmd_rollback(settings: Settings, args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_rollback(resolve_database_url(settings), args.version))
    except (RollbackRefused, SeedError) as exc:
        print(str(exc), file=sys.stderr)
        return 1


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """While the database is prepared, everything written to stdout (by this process or a server
    it starts) goes to stderr: over stdio, stdout carries only the MCP protocol."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


async def _serves_a_release(url: str) -> bool:
    connection = await asyncpg.connect(url)
    try:
        return await latest_release(connection) is not None
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return False  # not migrated (far enough) yet
    finally:
        await connection.close()


def cmd_mcp(settings: Settings, args: argparse.Namespace) -> int:
    with _stdout_to_stderr():
        url = resolve_database_url(settings)
        # An assistant may start this often: the database is prepared only when it serves nothing yet.
        if not asyncio.run(_serves_a_release(url)) and not _migrate_and_seed(url, settings.seeds_dir):
            return 1
        api_url = api_database_url(settings, url)
        asyncio.run(check_database(api_url))
    asyncio.run(serve_stdio(settings, api_url))
    return 0


async def _data_report(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return format_report(await data_report(connection))
    finally:
        await connection.close()


def cmd_data_report(settings: Settings, args: argparse.Namespace) -> int:
    url = resolve_database_url(settings)
    if not _migrate_and_seed(url, settings.seeds_dir):
        return 1
    print(asyncio.run(_data_report(url)))
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m api",
        description="GraphQL service for targeted cancer therapy knowledge (HER2, anti-CD19 CAR-T).",
        epilog="Without DATABASE_URL an embedded PostgreSQL is started (data in EMBEDDED_PGDATA, default ./pgdata).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, seed if needed, then serve HTTP")
    serve.add_argument("--host", help="interface to bind (default HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=_positive,
        help="worker processes sharing the port (default WORKERS or 1); the pools are sized to fit",
    )
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="serve only: neither migrate nor seed (API replicas behind a load balancer, "
        "when a separate `migrate` and `seed` prepare the database)",
    )
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument(
        "revision",
        nargs="?",
        default="head",
        help="target revision (default head; 'base' or -N to go down)",
    )
    migrate.set_defaults(handler=cmd_migrate)

    seed = commands.add_parser("seed", help="validate and load the curated seed files in one transaction")
    seed.add_argument("--check", action="store_true", help="validate only; do not touch the database")
    seed.add_argument("--force", action="store_true", help="reload even if this exact release is loaded")
    seed.add_argument("--seeds-dir", help="directory of seed files (default SEEDS_DIR or ./seeds)")
    seed.set_defaults(handler=cmd_seed)

    export_data = commands.add_parser("export", help="write the loaded release as JSON and CSV files")
    export_data.add_argument("--out", required=True, help="directory to write into (created if missing)")
    export_data.add_argument("--release", help="a kept release's version (default: the served release)")
    export_data.set_defaults(handler=cmd_export)

    mcp = commands.add_parser(
        "mcp",
        help="serve the MCP server over stdin/stdout, for AI assistants (an empty database is migrated and seeded)",
    )
    mcp.set_defaults(handler=cmd_mcp)

    releases = commands.add_parser("releases", help="list the kept data releases, newest first")
    releases.set_defaults(handler=cmd_releases)

    roll_back = commands.add_parser(
        "rollback", help="serve a kept data release again (its seed files are loaded in one transaction)"
    )
    roll_back.add_argument("version", help="the release's version (see `releases`)")
    roll_back.set_defaults(handler=cmd_rollback)

    report = commands.add_parser(
        "data-report", help="migrate and seed if needed, then print citation coverage and data-rule figures"
    )
    report.set_defaults(handler=cmd_data_report)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument(
        "--output",
        default=str(PROJECT_ROOT / "schema.graphql"),
        help="file to write (default schema.graphql)",
    )
    export.set_defaults(handler=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    handler = args.handler
    try:
        code: int = handler(settings, args)
    except DatabaseUnreachable as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    raise SystemExit(main())
