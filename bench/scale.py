"""Deterministic synthetic scale-up for the benchmark: the curated graph (agents with their
trials, arms, regimens, outcomes, arm results, approvals, safety warnings and source links,
and the sources themselves) is copied `factor - 1` times, so every table of it grows by
`factor` while each row keeps its own fan-out (an agent copy has as many trials, a trial
copy as many outcomes, as the original).

Copies are not renamed originals: every copied agent gets its own name, synonyms, brand and
code names and cross-reference IDs, every trial its own acronym, NCT ID, other IDs and
title words, all built from deterministic pseudo-words (bench/sql/scale.sql) that keep the
original's kind of drug-class ending ("-mab", "-nib", "-cel", spread over real substems). Start dates and enrollments
vary between copies. Targets, indications, endpoints, biomarkers and resistance mechanisms
are shared by all copies, as vocabularies are.

Each table is filled by one INSERT ... SELECT over `generate_series(1, factor - 1)`; a copy's
row ids are the original's plus `copy * stride` (stride = the table's largest id + 1), and
its foreign keys into copied tables move by the referenced table's stride. The prepared
tables are then refreshed and the database analysed. Benchmark databases only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import BigInteger, ColumnElement, Table, Text, cast, func, insert, or_, select, true
from sqlalchemy.sql import FromClause

from db import tables as t
from db.prepared import refresh_prepared_tables
from db.store import compile_statement

SQL = Path(__file__).parent / "sql" / "scale.sql"

# Copied tables in foreign-key order; a table is listed after every copied table it refers to.
SCALED: tuple[Table, ...] = (
    t.sources,
    t.agents,
    t.adc_constructs,
    t.cell_therapy_constructs,
    t.agent_components,
    t.agent_regional_statuses,
    t.agent_targets,
    t.trials,
    t.trial_indications,
    t.trial_biomarkers,
    t.trial_arms,
    t.arm_regimen_components,
    t.outcomes,
    t.outcome_arm_results,
    t.approvals,
    t.approval_trials,
    t.approval_biomarkers,
    t.approval_companion_diagnostics,
    t.resistance_effects,
    t.safety_warnings,
    t.fact_sources,
)

# An override gets the original row's table and the copy's new id (as bigint).
Override = Callable[[Table, ColumnElement[Any]], ColumnElement[Any]]
W = func.pg_temp


def _suffixed(column: str) -> Override:
    """A unique key that is not a name anyone searches for (source, approval and warning
    slugs); `-copy<n>` so that no curated slug (`...-2024`) is ever produced again."""
    return lambda row, n: func.left(row.c[column], 40, type_=Text) + "-copy" + cast(n, Text)


OVERRIDES: dict[str, dict[str, Override]] = {
    "agents": {
        "slug": lambda row, n: (
            W.bench_word(n, 3, 1, type_=Text) + W.bench_class(row.c.name, n, type_=Text) + "-" + cast(n, Text)
        ),
        "name": lambda row, n: W.bench_agent_name(row.c.name, n),
        "synonyms": lambda row, n: W.bench_synonyms(row.c.synonyms, n),
        "brand_names": lambda row, n: W.bench_brands(row.c.brand_names, n),
        "code_names": lambda row, n: W.bench_codes(row.c.code_names, n),
        "chembl_id": lambda row, n: W.bench_xref(row.c.chembl_id, "CHEMBL", n + 9_000_000),
        "ncit_id": lambda row, n: W.bench_xref(row.c.ncit_id, "C", n + 900_000),
        "drugbank_id": lambda row, n: W.bench_xref(row.c.drugbank_id, "DB", n % 90_000 + 10_000),
        "rxnorm_id": lambda row, n: W.bench_xref(row.c.rxnorm_id, "", n + 8_000_000),
        "unii": lambda row, n: W.bench_unii(row.c.unii, n),
    },
    "trials": {
        "slug": lambda row, n: W.bench_word(n, 3, 8, type_=Text) + "-" + cast(n, Text),
        "nct_id": lambda row, n: W.bench_nct_id(row.c.nct_id, n),
        "acronym": lambda row, n: W.bench_acronym(row.c.acronym, n),
        "title": lambda row, n: W.bench_title(row.c.title, n),
        "other_ids": lambda row, n: W.bench_other_ids(row.c.other_ids, n),
        "enrollment": lambda row, n: W.bench_enrollment(row.c.enrollment, n),
        "start_date": lambda row, n: W.bench_date(row.c.start_date, n),
        "primary_completion_date": lambda row, n: W.bench_date(row.c.primary_completion_date, n),
    },
    "sources": {
        "slug": _suffixed("slug"),
        "pmid": lambda row, n: W.bench_xref(row.c.pmid, "", n + 900_000_000),
        "doi": lambda row, n: W.bench_xref(row.c.doi, "10.5555/bench.", n),
        "nct_id": lambda row, n: W.bench_nct_id(row.c.nct_id, n),
        "retrieved_from": lambda row, n: W.bench_xref(
            row.c.retrieved_from, func.rtrim(row.c.retrieved_from, "/", type_=Text) + "/copy-", n
        ),
    },
    "approvals": {"slug": _suffixed("slug")},
    "safety_warnings": {"slug": _suffixed("slug")},
}


def _copied_rows(table: Table) -> ColumnElement[bool]:
    """fact_sources: only the links of copied subjects (each row has exactly one subject)."""
    if table is not t.fact_sources:
        return true()
    scaled = {s.name for s in SCALED}
    subjects = [
        c.is_not(None)
        for c in table.c
        if c.name != "source_id" and any(fk.column.table.name in scaled for fk in c.foreign_keys)
    ]
    return or_(*subjects)


def copy_statement(table: Table, strides: dict[str, int], copies: int) -> Any:
    """INSERT INTO table SELECT <each column of each original row, for each copy>."""
    copy: FromClause = func.generate_series(1, copies).table_valued("k").render_derived(name="copy")
    k = copy.c.k
    new_id = cast(table.c.id + k * strides[table.name], BigInteger) if "id" in table.c else None
    overrides = OVERRIDES.get(table.name, {})
    values: list[ColumnElement[Any]] = []
    for column in table.c:
        targets = [fk.column.table.name for fk in column.foreign_keys if fk.column.table.name in strides]
        if column.name in overrides:
            assert new_id is not None
            value = overrides[column.name](table, new_id)
        elif column.primary_key and column.name == "id":
            value = column + k * strides[table.name]
        elif targets:
            value = column + k * strides[targets[0]]
        else:
            value = column
        values.append(value.label(column.name))
    rows = select(*values).select_from(table.join(copy, true())).where(_copied_rows(table))
    return insert(table).from_select([c.name for c in table.c], rows)


async def _strides(connection: asyncpg.Connection) -> dict[str, int]:
    strides: dict[str, int] = {}
    for table in SCALED:
        if "id" in table.c:
            statement = compile_statement(select(func.coalesce(func.max(table.c.id), 0) + 1))
            strides[table.name] = await connection.fetchval(statement.sql, *statement.arguments())
    return strides


async def scale_up(connection: asyncpg.Connection, factor: int) -> None:
    """Grow the curated graph `factor` times (1: leave it as it is)."""
    if factor <= 1:
        return
    async with connection.transaction():
        # Generated keys are consistent by construction: skip the per-row foreign-key triggers
        # when allowed (superuser); without that right the checks simply run.
        if await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            await connection.execute("SET LOCAL session_replication_role = replica")
        await connection.execute(SQL.read_text())
        strides = await _strides(connection)
        for table in SCALED:
            statement = compile_statement(copy_statement(table, strides, factor - 1))
            await connection.execute(statement.sql, *statement.arguments())
        for table in SCALED:
            if table.name in strides:  # identity columns continue after the copies
                last = select(func.max(table.c.id)).scalar_subquery()
                sequence = func.pg_get_serial_sequence(table.name, "id")
                statement = compile_statement(select(func.setval(sequence, last)))
                await connection.execute(statement.sql, *statement.arguments())
        await refresh_prepared_tables(connection)
        await connection.execute("ANALYZE")
