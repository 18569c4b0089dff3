"""Command line: serve, migrate, seed, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg
import uvicorn

from api.app import create_app
from api.logs import configure_logging
from config.settings import PROJECT_ROOT, Settings
from db import migrate
from db.embedded import start_embedded
from schema.schema import schema as graphql_schema
from seeds.export import build_export
from seeds.loader import seed
from seeds.validate import SeedError, load_dataset

logger = logging.getLogger("api.cli")


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when set, else the embedded server (started on demand)."""
    if settings.database_url:
        return settings.database_url
    return start_embedded(settings.embedded_pgdata)


def _migrate(url: str) -> None:
    migrate.upgrade(url)


async def _seed(url: str, seeds_dir: Path, force: bool) -> int:
    connection = await asyncpg.connect(url)
    try:
        result = await seed(connection, seeds_dir, force=force)
    finally:
        await connection.close()
    state = "loaded" if result.loaded else "already loaded"
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"data release {result.version} {state} ({result.checksum[:12]}): {counts}")
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
    settings = replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    url = resolve_database_url(settings)
    _migrate(url)
    try:
        asyncio.run(_seed(url, settings.seeds_dir, force=False))
    except SeedError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    app = create_app(settings, url)
    print(f"serving GraphQL on http://{settings.host}:{settings.port}/graphql", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        loop="uvloop",
        http="httptools",
        log_config=None,
    )
    return 0


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> int:
    output = Path(args.output)
    output.write_text(graphql_schema.as_str() + "\n")
    print(f"wrote {output}")
    return 0


async def _export(url: str) -> dict[str, bytes]:
    connection = await asyncpg.connect(url)
    try:
        export = await build_export(connection)
    finally:
        await connection.close()
    return export.files()


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    url = resolve_database_url(settings)
    out = Path(args.out)
    files = asyncio.run(_export(url))
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {out}: {', '.join(sorted(files))}")
    return 0


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
    export_data.set_defaults(handler=cmd_export)

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
    configure_logging(settings.log_level)
    handler = args.handler
    code: int = handler(settings, args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
