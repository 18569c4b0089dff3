"""Bulk export of the loaded release: denormalised JSON per entity kind, CSV for flat tables.

The inverse of the loader: records use the seed files' field names and order (read from
the same declarations, seeds/mapping.py), so a record reads on its own and can be
compared with the curated entry it came from; `*_details` fields add what other files
hold (an agent's approvals and trials, a trial's agents, ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Column, Numeric, Table

from db import tables
from db import vocabularies as v
from db.release import latest_release
from db.store import Database, read_rows
from db.vocabularies import SOURCE_KIND_TIER
from seeds.mapping import (
    ENTITIES,
    OBJECT,
    OBJECT_LIST,
    REF_LIST,
    TableMapping,
    absent_value,
    key_column,
    referenced_table,
    seed_columns,
)
from seeds.spec import SECTIONS

Record = dict[str, Any]
Rows = list[asyncpg.Record]

# The files written per entity kind (section name), in this order.
# The licence of the curated data (README "Licence and citation"); the code is Apache-2.0.
DATA_LICENSE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "note": "Facts and short summaries curated from the cited documents, which keep their own terms.",
}

AGENT_CSV_COLUMNS = (
    "slug",
    "name",
    "synonyms",
    "brand_names",
    "code_names",
    "modality",
    "targets",
    "developer",
    "development_status",
    "mechanism",
    "binding_site",
)
TRIAL_CSV_COLUMNS = (
    "slug",
    "nct_id",
    "acronym",
    "title",
    "phase",
    "status",
    "randomised",
    "blinding",
    "setting",
    "line",
    "enrollment",
    "start_date",
    "sponsor",
    "indications",
    "agent_details",
)
APPROVAL_CSV_COLUMNS = ("slug", "agent", "indication", "regulator", "date", "type", "line")
SAFETY_CSV_COLUMNS = ("slug", "agent", "regulator", "kind", "event", "date_added", "summary")
SOURCE_CSV_COLUMNS = (
    "slug",
    "kind",
    "tier",
    "title",
    "journal",
    "year",
    "date",
    "doi",
    "pmid",
    "nct_id",
    "regulator",
    "document",
    "retrieved_from",
    "citation",
)
# (CSV column, record field) for each outcome's arm result, then for the outcome itself.
RESULT_CSV_FIELDS = (
    ("arm", "arm"),
    ("median", "median"),
    ("median_ci_lower", "median_ci.0"),
    ("median_ci_upper", "median_ci.1"),
    ("unit", "unit"),
    ("rate", "rate"),
    ("rate_ci_lower", "rate_ci.0"),
    ("rate_ci_upper", "rate_ci.1"),
    ("timepoint", "timepoint"),
)
OUTCOME_CSV_FIELDS = (
    ("hazard_ratio", "hazard_ratio"),
    ("hazard_ratio_ci_lower", "hazard_ratio_ci.0"),
    ("hazard_ratio_ci_upper", "hazard_ratio_ci.1"),
    ("p_value", "p_value"),
)

PRECISION_LENGTH = {"year": 4, "month": 7, "day": 10}


def _partial(value: dt.date | None, precision: str | None) -> str | None:
    if value is None or precision is None:
        return None
    return value.isoformat()[: PRECISION_LENGTH[precision]]


def _number(value: Any) -> Any:
    """numeric -> int when whole (as curators write 8, not 8.0), else float."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _ci(lower: Any, upper: Any) -> list[Any] | None:
    if lower is None and upper is None:
        return None
    return [_number(lower), _number(upper)]


# A field stored in two columns, read back from its parts.
JOIN_PARTS: dict[frozenset[str], Callable[[dict[str, Any]], Any]] = {
    frozenset({"value", "precision"}): lambda parts: _partial(parts["value"], parts["precision"]),
    frozenset({"lower", "upper"}): lambda parts: _ci(parts["lower"], parts["upper"]),
}


def _clean(record: Record) -> Record:
    """Drop empty values so a record shows what is known, like the seed files."""
    return {k: v for k, v in record.items() if v is not None and v != [] and v != {}}


@dataclass
class Export:
    version: str
    loaded_at: str
    seed_checksum: str
    kinds: dict[str, list[Record]]
    tables: dict[str, list[Record]]

    def files(self, extra: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
        """File name -> content, including release.json with a checksum of each file (and of
        the `extra` files given, such as the release's CHANGELOG.md)."""
        out: dict[str, bytes] = dict(extra or {})
        for kind, records in self.kinds.items():
            out[f"{kind}.json"] = json.dumps(records, ensure_ascii=False, indent=1).encode()
        for table, rows in self.tables.items():
            out[f"{table}.csv"] = _csv(rows)
        release = {
            "version": self.version,
            "loaded_at": self.loaded_at,
            "seed_checksum": self.seed_checksum,
            "license": DATA_LICENSE
            | {"attribution": f"Therapy graph contributors, data release {self.version}; see CITATION.cff"},
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(out.items())},
        }
        out["release.json"] = json.dumps(release, indent=1).encode()
        return out


def _csv(rows: list[Record]) -> bytes:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()})
    return buffer.getvalue().encode()


class _Records:
    """Turns the rows of the curated tables back into seed-shaped records."""

    def __init__(self, rows: dict[str, Rows]) -> None:
        self.rows = rows
        self.keys = {
            table.name: {row["id"]: row[key_column(table)] for row in rows[table.name]}
            for table in tables.metadata.tables.values()
            if "key" in table.info
        }
        self._owned: dict[tuple[str, str], dict[int, Rows]] = {}

    def entity(self, mapping: TableMapping, row: asyncpg.Record) -> Record:
        return _clean({name: self._field(mapping, row, name) for name in mapping.spec})

    def _field(self, mapping: TableMapping, row: asyncpg.Record, name: str) -> Any:
        child = mapping.child(name)
        if child is not None:
            return self._nested(child, mapping.table, row["id"])
        field = mapping.spec[name]
        if field.kind == OBJECT:  # stored in the row's own columns (xrefs, biomarker)
            return _clean(
                {sub: self._column_value(mapping.table, row, f"{name}.{sub}") for sub in field.spec}
            )
        return self._column_value(mapping.table, row, name)

    def _nested(self, child: TableMapping, owner: Table, owner_id: int) -> Any:
        rows = self._rows_of(child.table, owner, owner_id)
        if child.shape == OBJECT:
            return self.entity(child, rows[0]) if rows else None
        if child.shape == OBJECT_LIST:
            return [self.entity(child, row) for row in rows]
        assert child.shape == REF_LIST
        return [self._column_value(child.table, row, child.field) for row in rows]

    def _rows_of(self, table: Table, owner: Table, owner_id: int) -> Rows:
        (column,) = [c for c in table.columns if c.info.get("owner") and referenced_table(c) is owner]
        key = (table.name, column.name)
        if key not in self._owned:
            grouped: dict[int, Rows] = defaultdict(list)
            for row in self.rows[table.name]:
                if row[column.name] is not None:
                    grouped[row[column.name]].append(row)
            self._owned[key] = grouped
        return self._owned[key].get(owner_id, [])

    def _column_value(self, table: Table, row: asyncpg.Record, field: str) -> Any:
        columns = seed_columns(table, field)
        if len(columns) == 2:
            return JOIN_PARTS[frozenset(c.info["part"] for c in columns)](
                {c.info["part"]: row[c.name] for c in columns}
            )
        (column,) = columns
        return self._single_value(column, row[column.name])

    def _single_value(self, column: Column[Any], value: Any) -> Any:
        if value is None or value == absent_value(column):
            return None  # as the curators leave it out
        if column.info.get("ref"):
            return self.keys[referenced_table(column).name][value]
        return _number(value) if isinstance(column.type, Numeric) else value


def _grouped(rows: Rows, by: str, value: Callable[[asyncpg.Record], Any]) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[by]].append(value(row))
    return groups


def _details(rows: dict[str, Rows], kinds: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """The `*_details` fields of each record: what other files say about the entry."""
    slug = {
        name: {r["id"]: r["slug"] for r in rows[name]}
        for name in ("agents", "trials", "resistance_mechanisms")
    }
    trial_by_id = {r["id"]: r for r in rows["trials"]}
    links = rows["agent_trials"]
    approvals_of_agent: dict[str, list[Record]] = defaultdict(list)
    for approval in kinds["approvals"]:
        approvals_of_agent[approval["agent"]].append(
            {k: approval.get(k) for k in ("slug", "regulator", "date", "type", "indication")}
        )
    agent_trials = _grouped(
        links,
        "agent_id",
        lambda r: {k: trial_by_id[r["trial_id"]][k] for k in ("slug", "acronym", "nct_id", "phase")},
    )
    effects = _grouped(
        rows["resistance_effects"],
        "agent_id",
        lambda r: {
            "mechanism": slug["resistance_mechanisms"][r["mechanism_id"]],
            "direction": r["direction"],
            "evidence": r["evidence"],
        },
    )
    warnings = _grouped(
        rows["safety_warnings"],
        "agent_id",
        lambda r: {k: r[k] for k in ("slug", "regulator", "kind", "event")},
    )
    target_agents = _grouped(rows["agent_targets"], "target_id", lambda r: slug["agents"][r["agent_id"]])
    children = _grouped([r for r in rows["indications"] if r["parent_id"]], "parent_id", lambda r: r["slug"])
    trial_agents = _grouped(links, "trial_id", lambda r: slug["agents"][r["agent_id"]])
    return {
        "targets": [{"agent_details": target_agents[r["id"]]} for r in rows["targets"]],
        "agents": [
            {
                "approval_details": approvals_of_agent[r["slug"]],
                "trial_details": agent_trials[r["id"]],
                "resistance_details": effects[r["id"]],
                "safety_details": warnings[r["id"]],
            }
            for r in rows["agents"]
        ],
        "indications": [{"child_details": children[r["id"]]} for r in rows["indications"]],
        "trials": [{"agent_details": sorted(trial_agents[r["id"]])} for r in rows["trials"]],
        # The authority tier follows from the kind; exported for readers without the vocabulary.
        "sources": [{"tier": SOURCE_KIND_TIER[r["kind"]]} for r in rows["sources"]],
    }


def _path(record: Record, field: str) -> Any:
    """A record's field, or one bound of an interval field ("median_ci.0")."""
    name, _, index = field.partition(".")
    value = record.get(name)
    if index:
        return (value or [None, None])[int(index)]
    return value


def _outcome_rows(trials: list[Record]) -> list[Record]:
    return [
        {
            "trial": trial["slug"],
            "nct_id": trial.get("nct_id"),
            "outcome": outcome["slug"],
            **{
                k: outcome.get(k)
                for k in (
                    "endpoint",
                    "analysis",
                    "assessment",
                    "data_cutoff",
                    "population",
                    "population_kind",
                )
            },
            "ci_level": outcome.get("ci_level", 95),
            **{column: _path(result, field) for column, field in RESULT_CSV_FIELDS},
            **{column: _path(outcome, field) for column, field in OUTCOME_CSV_FIELDS},
            "sources": outcome.get("sources", []),
        }
        for trial in trials
        for outcome in trial.get("outcomes", [])
        for result in outcome.get("arms", [{"arm": None}])
    ]


def _csv_tables(kinds: dict[str, list[Record]]) -> dict[str, list[Record]]:
    return {
        "agents": [{k: a.get(k) for k in AGENT_CSV_COLUMNS} for a in kinds["agents"]],
        "trials": [{k: t.get(k) for k in TRIAL_CSV_COLUMNS} for t in kinds["trials"]],
        "outcome_results": _outcome_rows(kinds["trials"]),
        "approvals": [
            {k: a.get(k) for k in APPROVAL_CSV_COLUMNS}
            | {"pivotal_trials": a.get("pivotal_trials", []), "sources": a.get("sources", [])}
            for a in kinds["approvals"]
        ],
        "indications": [
            {k: i.get(k) for k in ("slug", "name", "disease", "parent", "setting")}
            | {
                "biomarker_kind": i.get("biomarker", {}).get("kind"),
                "biomarker_status": i.get("biomarker", {}).get("status"),
                "ncit": i.get("xrefs", {}).get("ncit"),
            }
            for i in kinds["indications"]
        ],
        "resistance_effects": [
            {"mechanism": m["slug"], "category": m["category"]}
            | {k: e.get(k) for k in ("agent", "direction", "evidence", "note")}
            for m in kinds["resistance_mechanisms"]
            for e in m.get("affected_agents", [])
        ],
        "safety_warnings": [
            {k: w.get(k) for k in SAFETY_CSV_COLUMNS} | {"sources": w.get("sources", [])}
            for w in kinds["safety_warnings"]
        ],
        "sources": [{k: s.get(k) for k in SOURCE_CSV_COLUMNS} for s in kinds["sources"]],
    }


# The CSV files state enum values as the API names them (`PHASE_3`, not the stored `3`), so a
# CSV cell matches GraphQL; the JSON files keep the seed files' own values.
CSV_VOCABULARIES: dict[str, dict[str, v.Vocabulary]] = {
    "agents": {"modality": v.MODALITY, "development_status": v.DEVELOPMENT_STATUS},
    "trials": {
        "phase": v.PHASE,
        "status": v.TRIAL_STATUS,
        "blinding": v.BLINDING,
        "setting": v.TRIAL_SETTING,
    },
    "outcome_results": {
        "analysis": v.ANALYSIS,
        "assessment": v.ASSESSMENT,
        "population_kind": v.POPULATION_KIND,
        "unit": v.TIME_UNIT,
    },
    "approvals": {"regulator": v.REGULATOR, "type": v.APPROVAL_TYPE},
    "indications": {
        "setting": v.INDICATION_SETTING,
        "biomarker_kind": v.BIOMARKER_KIND,
        "biomarker_status": v.BIOMARKER_STATUS,
    },
    "resistance_effects": {
        "category": v.RESISTANCE_CATEGORY,
        "direction": v.EFFECT_DIRECTION,
        "evidence": v.EVIDENCE_LEVEL,
    },
    "safety_warnings": {"regulator": v.REGULATOR, "kind": v.SAFETY_WARNING_KIND, "event": v.SAFETY_EVENT},
    "sources": {"kind": v.SOURCE_KIND, "tier": v.SOURCE_TIER, "regulator": v.REGULATOR},
}


def _enum_names(csv_tables: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """Each enum column's stored values replaced by the API's names (CSV_VOCABULARIES)."""
    for table, columns in CSV_VOCABULARIES.items():
        names = {
            column: {t.value: t.name for t in vocabulary.terms} for column, vocabulary in columns.items()
        }
        for row in csv_tables.get(table, []):
            for column, name_of in names.items():
                if row.get(column) in name_of:
                    row[column] = name_of[row[column]]
    return csv_tables


async def build_export(db: Database) -> Export:
    release = await latest_release(db)
    if release is None:
        raise RuntimeError("no data release is loaded")
    rows = await read_rows(db, [*tables.CURATED_TABLES, tables.endpoints, tables.agent_trials])
    records = _Records(rows)
    kinds: dict[str, list[Record]] = {}
    for section, (kind, _key, _spec) in SECTIONS.items():
        mapping = ENTITIES[kind]
        kinds[section] = [records.entity(mapping, row) for row in rows[mapping.table.name]]
    for section, extras in _details(rows, kinds).items():
        kinds[section] = [
            record | _clean(extra) for record, extra in zip(kinds[section], extras, strict=True)
        ]
    return Export(
        version=release.version,
        loaded_at=release.loaded_at.isoformat(),
        seed_checksum=release.checksum,
        kinds=kinds,
        tables=_enum_names(_csv_tables(kinds)),
    )
