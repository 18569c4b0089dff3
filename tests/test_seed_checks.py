"""`seed --check` refuses everything the load would refuse.

For every column filled from a seed field (db/tables.py says which), values that the
validator accepts for that field are given to PostgreSQL: each must fit the column's type
(no NUL, no integer overflow) and pass every CHECK constraint that reads only that
column. Candidates are boundary values per field kind plus strings generated from each
pattern. A CHECK over several columns is matched by a validator rule named in
CROSS_FIELD_RULES; a new one without a rule fails the test.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql

from db import tables
from seeds.spec import SECTIONS, F
from seeds.validate import SeedError, _check_value, load_dataset
from tests.conftest import Databases, migrated_database

INTS = [-1, 0, 1, 1899, 1900, 2100, 2101, 2**31 - 1, 2**31, 2**63, 10**30]
NUMBERS = [-1, -1e-9, 0, 1e-9, 0.5, 1, 19.99, 20, 20.01, 49.99, 50, 99.99, 100, 100.01, 1e20, 1e300]
DATES = ["0001-01-01", "1899-12-31", "1979-12-31", "1980-01-01", "1989-12-31", "1990-01-01", "2024",
         "2024-05", "2024-05-06", "9999-12-31", dt.date(1, 1, 1), dt.date(1985, 1, 1)]  # fmt: skip
TEXTS = ["", " ", "x", "a b", "\u00a0", "tras\u0000tuzumab", "\ud800", "x" * 10_000]
CIS = [[0, 1], [-1, 1], [0.5, 2], [None, 1], [1, None], [0, 0], [1, 101], [49, 99.9], [1e-9, 1e9]]
CANDIDATES: dict[str, list[Any]] = {
    "int": INTS,
    "number": NUMBERS,
    "date": DATES,
    "partial_date": DATES,
    "str": TEXTS,
    "text": TEXTS,
    "ci": CIS,
    "bool": [True, False],
    "str_list": [[t] for t in TEXTS],
    "p_value": ["0.05", "<0.001", "P<0.001", "p = 0.5", "1E-5", "1e-5", "≤0.05", ".5", "0..5", "<", ""],
}

# CHECK constraints over several columns, and the validator rule that refuses what they refuse.
CROSS_FIELD_RULES = {
    "agents_check": "an agent cannot be its own biosimilar",
    "agent_components_check": "an agent cannot be its own component",
    "arm_regimen_components_check": "give exactly one of agent or drug",
    "biomarkers_check": "a biomarker's parent chain loops back",
    "companion_diagnostic_approvals_check": "a partial date is stored with its precision",
    "fact_sources_check": "the loader fills one subject per fact_sources row",
    "indications_check": "the parent chain loops back",
    "indications_check1": "required with a biomarker kind other than none",
    "outcome_arm_results_check": "given together with median_not_reached: true",
    "outcome_arm_results_check1": "a median needs its unit",
    "outcome_arm_results_check2": "lower bound above the median",
    "outcome_arm_results_check3": "upper bound below the median",
    "outcome_arm_results_check4": "lower bound above the rate",
    "outcome_arm_results_check5": "upper bound below the rate",
    "outcome_arm_results_check6": "events among n patients",
    "outcomes_check": "a partial date is stored with its precision",
    "outcomes_check1": "hazard_ratio_ci needs both bounds",
    "outcomes_check2": "hazard_ratio_ci given without hazard_ratio",
    "outcomes_check3": "hazard ratio outside its confidence interval",
    "resistance_overcoming_check": "give exactly one of agent or strategy",
    "safety_warnings_check": "a partial date is stored with its precision",
    "sources_check": "a source needs a PMID, DOI, NCT ID or retrieved_from",
    "sources_date_precision_given": "a partial date is stored with its precision",
    "trials_check": "a partial date is stored with its precision",
    "trials_check1": "a partial date is stored with its precision",
    "trials_check2": "is before start_date",
}


def _field_spec(table: Table, column: Column[Any]) -> F | None:
    """The seed spec of the field a column is filled from, or None."""
    seed = table.info.get("seed")
    field_name = column.info.get("seed")
    if not isinstance(seed, str) or not isinstance(field_name, str):
        return None
    kind, *path = seed.split(".")
    specs = {k: spec for k, _, spec in SECTIONS.values()}
    if kind not in specs:
        return None
    spec: dict[str, F] = specs[kind]
    for step in [*path, *field_name.split(".")[:-1]]:
        if step not in spec:
            return None
        spec = spec[step].spec
    return spec.get(field_name.split(".")[-1])


def _seeded_columns() -> Iterator[tuple[Table, Column[Any], F]]:
    for table in tables.metadata.tables.values():
        for column in table.columns:
            spec = _field_spec(table, column)
            if spec is not None and "ref" not in column.info:  # references are resolved by the loader
                yield table, column, spec


def _accepted(value: Any, spec: F) -> tuple[bool, Any]:
    problems: list[tuple[str, str]] = []
    try:
        ok, normalised = _check_value(value, spec, "field", problems)
    except Exception as exc:  # a validator crash is as bad as a miss
        raise AssertionError(f"the validator raised {exc!r} on {value!r}") from exc
    return ok and not problems, normalised


def _stored(column: Column[Any], normalised: Any) -> Any:
    """The value the loader writes into this column."""
    part = column.info.get("part")
    if part in ("value", "precision"):
        return normalised.value if part == "value" else normalised.precision
    if part in ("lower", "upper"):
        return normalised[0 if part == "lower" else 1]
    if isinstance(normalised, list) and not isinstance(column.type, postgresql.ARRAY):
        return None
    return normalised


class Checker:
    """Asks PostgreSQL whether a value fits a column: its type and its one-column CHECKs."""

    def __init__(
        self, connection: asyncpg.Connection, checks: dict[tuple[str, str], list[tuple[str, str]]]
    ) -> None:
        self.connection = connection
        self.checks = checks

    async def refusal(self, table: Table, column: Column[Any], value: Any) -> str | None:
        sql_type = column.type.compile(dialect=postgresql.dialect())  # type: ignore[no-untyped-call]
        try:
            await self.connection.fetchval(f"SELECT $1::{sql_type}", value)
            for name, definition in self.checks.get((table.name, column.name), []):
                expression = re.sub(rf"\b{re.escape(column.name)}\b", f"($1::{sql_type})", definition)
                if await self.connection.fetchval(f"SELECT {expression}", value) is False:
                    return f"CHECK {name}"
        except (
            asyncpg.PostgresError,
            asyncpg.DataError,
            ValueError,
            UnicodeEncodeError,
            OverflowError,
        ) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None


@pytest.fixture(scope="module")
async def checker(databases: Databases) -> Any:
    url = await migrated_database(databases, "seedcheck")
    connection = await asyncpg.connect(url)
    rows = await connection.fetch(
        """SELECT c.conrelid::regclass::text AS table_name, c.conname, a.attname,
                  regexp_replace(pg_get_constraintdef(c.oid), '^CHECK ', '') AS expression
           FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           WHERE c.contype = 'c' AND c.connamespace = 'public'::regnamespace AND cardinality(c.conkey) = 1"""
    )
    checks: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in rows:
        checks.setdefault((row["table_name"], row["attname"]), []).append((row["conname"], row["expression"]))
    cross = await connection.fetch(
        """SELECT conname FROM pg_constraint
           WHERE contype = 'c' AND connamespace = 'public'::regnamespace AND cardinality(conkey) > 1"""
    )
    yield Checker(connection, checks), {row["conname"] for row in cross}
    await connection.close()


async def test_boundary_values_the_validator_accepts_are_stored(checker: Any) -> None:
    check, _ = checker
    misses = []
    for table, column, spec in _seeded_columns():
        for value in CANDIDATES.get(spec.kind, []):
            ok, normalised = _accepted(value, spec)
            if not ok:
                continue
            stored = _stored(column, normalised)
            if stored is None:
                continue
            refusal = await check.refusal(table, column, stored)
            if refusal is not None:
                misses.append(f"{table.name}.{column.name} = {value!r:.40}: {refusal[:120]}")
    assert not misses, "seed --check accepts what the load refuses:\n" + "\n".join(misses)


PATTERN_FIELDS = sorted(
    {(t.name, c.name, s.pattern) for t, c, s in _seeded_columns() if s.kind == "pattern"}, key=str
)


@pytest.mark.parametrize(("table_name", "column_name", "pattern"), PATTERN_FIELDS)
async def test_strings_matching_a_pattern_are_stored(
    checker: Any, table_name: str, column_name: str, pattern: str
) -> None:
    check, _ = checker
    table = tables.metadata.tables[table_name]
    column, spec = table.c[column_name], F("pattern", pattern=pattern)
    examples: list[str] = []

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(st.from_regex(pattern, fullmatch=True))
    def collect(text: str) -> None:
        examples.append(text)

    collect()
    misses = []
    for text in examples:
        ok, normalised = _accepted(text, spec)
        if ok and (refusal := await check.refusal(table, column, normalised)) is not None:
            misses.append(f"{text!r}: {refusal[:100]}")
    assert not misses, f"{table_name}.{column_name} ({pattern}):\n" + "\n".join(misses[:10])


async def test_every_cross_column_check_has_a_validator_rule(checker: Any) -> None:
    _, cross = checker
    assert not cross - set(CROSS_FIELD_RULES), "no validator rule named for " + ", ".join(
        sorted(cross - set(CROSS_FIELD_RULES))
    )


def _copy_of_seeds(tmp_path: Path) -> Path:
    """The curated files copied under tmp_path, to be spoiled by a test."""
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    copy = tmp_path / "seeds"
    for path in seeds.rglob("*.yaml"):
        target = copy / path.relative_to(seeds)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return copy


def test_nul_characters_are_problems(tmp_path: Path) -> None:
    copy = _copy_of_seeds(tmp_path)
    agents = copy / "her2" / "agents.yaml"
    text = agents.read_text()
    # (YAML itself refuses lone surrogates such as "\\uD800"; the validator would too.)
    text = text.replace("    synonyms: [", '    synonyms: ["has a \\0 NUL", ', 1)
    text = text.replace(
        "    mechanism: >-", '    mechanism: "another \\x00 NUL"\n    replaced_mechanism: >-', 1
    )
    agents.write_text(text)
    with pytest.raises(SeedError) as raised:
        load_dataset(copy)
    message = str(raised.value)
    assert "synonyms[0]: text cannot contain the NUL character" in message
    assert "mechanism: text cannot contain the NUL character" in message


def test_an_indication_biomarker_kind_needs_its_status(tmp_path: Path) -> None:
    """The validator refuses what the indications table's CHECK would, naming the entry."""
    copy = _copy_of_seeds(tmp_path)
    indications = copy / "her2" / "indications.yaml"
    text = indications.read_text()
    assert "      kind: protein_expression\n      status: positive\n" in text
    indications.write_text(
        text.replace(
            "      kind: protein_expression\n      status: positive\n", "      kind: protein_expression\n", 1
        )
    )
    with pytest.raises(SeedError) as raised:
        load_dataset(copy)
    assert "biomarker.status: required with a biomarker kind other than none" in str(raised.value)


def test_file_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    big = seeds / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: no memory, no disk
    read: list[Path] = []
    original = Path.read_bytes

    def spying_read_bytes(self: Path) -> bytes:
        read.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", spying_read_bytes)
    with pytest.raises(SeedError) as raised:
        load_dataset(seeds)
    assert "larger than" in str(raised.value)
    assert big not in read
