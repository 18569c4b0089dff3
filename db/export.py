"""Bulk export of the loaded release: denormalised JSON per entity kind, CSV for flat tables.

Records use the seed files' field names, so a record reads on its own and can be compared
with the curated entry it came from; `*_details` fields add what other files hold (an
agent's approvals and trials, a trial's agents, ...).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg

Record = dict[str, Any]

CELL_THERAPY_FIELDS = (
    "binder",
    "binder_origin",
    "costimulatory_domain",
    "signalling_domain",
    "vector",
    "manufacturing",
)
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


def _partial(value: dt.date | None, precision: str | None) -> str | None:
    if value is None or precision is None:
        return None
    return value.isoformat()[: {"year": 4, "month": 7, "day": 10}[precision]]


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

    def files(self) -> dict[str, bytes]:
        """File name -> content, including release.json with a checksum of each file."""
        out: dict[str, bytes] = {}
        for kind, records in self.kinds.items():
            out[f"{kind}.json"] = json.dumps(records, ensure_ascii=False, indent=1).encode()
        for table, rows in self.tables.items():
            out[f"{table}.csv"] = _csv(rows)
        release = {
            "version": self.version,
            "loaded_at": self.loaded_at,
            "seed_checksum": self.seed_checksum,
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


async def build_export(db: asyncpg.Connection | asyncpg.Pool) -> Export:
    release = await db.fetchrow(
        "SELECT version, loaded_at, checksum FROM data_releases ORDER BY id DESC LIMIT 1"
    )
    if release is None:
        raise RuntimeError("no data release is loaded")

    async def rows(sql: str) -> list[asyncpg.Record]:
        result: list[asyncpg.Record] = await db.fetch(sql)
        return result

    source_slug = {r["id"]: r["slug"] for r in await rows("SELECT id, slug FROM sources")}
    sources_of: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in await rows(
        """
        SELECT f.*, s.year FROM fact_sources f JOIN sources s ON s.id = f.source_id ORDER BY f.id
        """
    ):
        for column in (
            "target_id", "agent_id", "indication_id", "approval_id", "trial_id", "outcome_id",
            "resistance_mechanism_id", "resistance_effect_id", "resistance_overcoming_id",
            "safety_warning_id",
        ):  # fmt: skip
            if r[column] is not None:
                sources_of[column][r[column]].append(source_slug[r["source_id"]])

    targets = await rows("SELECT * FROM targets ORDER BY id")
    target_symbol = {r["id"]: r["symbol"] for r in targets}
    agents = await rows("SELECT * FROM agents ORDER BY id")
    agent_slug = {r["id"]: r["slug"] for r in agents}
    indications = await rows("SELECT * FROM indications ORDER BY id")
    indication_slug = {r["id"]: r["slug"] for r in indications}
    trials = await rows("SELECT * FROM trials ORDER BY id")
    trial_slug = {r["id"]: r["slug"] for r in trials}
    endpoint_code = {r["id"]: r["code"] for r in await rows("SELECT id, code FROM endpoints")}

    agent_targets: dict[int, list[str]] = defaultdict(list)
    target_agents: dict[int, list[str]] = defaultdict(list)
    for r in await rows("SELECT * FROM agent_targets ORDER BY agent_id, target_id"):
        agent_targets[r["agent_id"]].append(target_symbol[r["target_id"]])
        target_agents[r["target_id"]].append(agent_slug[r["agent_id"]])
    components: dict[int, list[str]] = defaultdict(list)
    for r in await rows("SELECT * FROM agent_components ORDER BY agent_id, component_id"):
        components[r["agent_id"]].append(agent_slug[r["component_id"]])
    regional: dict[int, list[Record]] = defaultdict(list)
    for r in await rows("SELECT * FROM agent_regional_statuses ORDER BY id"):
        regional[r["agent_id"]].append(
            _clean({"region": r["region"], "status": r["status"], "note": r["note"]})
        )
    adc = {r["agent_id"]: r for r in await rows("SELECT * FROM adc_constructs")}
    cell = {r["agent_id"]: r for r in await rows("SELECT * FROM cell_therapy_constructs")}

    approvals = await rows("SELECT * FROM approvals ORDER BY id")
    approval_trials: dict[int, list[str]] = defaultdict(list)
    for r in await rows("SELECT * FROM approval_trials ORDER BY approval_id, trial_id"):
        approval_trials[r["approval_id"]].append(trial_slug[r["trial_id"]])
    trial_indications: dict[int, list[str]] = defaultdict(list)
    for r in await rows("SELECT * FROM trial_indications ORDER BY trial_id, indication_id"):
        trial_indications[r["trial_id"]].append(indication_slug[r["indication_id"]])
    agent_trials: dict[int, list[int]] = defaultdict(list)
    for r in await rows("SELECT agent_id, trial_id FROM agent_trials ORDER BY agent_id, trial_id"):
        agent_trials[r["agent_id"]].append(r["trial_id"])

    arms = await rows("SELECT * FROM trial_arms ORDER BY trial_id, position")
    arm_slug = {r["id"]: r["slug"] for r in arms}
    regimen: dict[int, list[Record]] = defaultdict(list)
    for r in await rows("SELECT * FROM arm_regimen_components ORDER BY arm_id, position"):
        part = {"agent": agent_slug[r["agent_id"]]} if r["agent_id"] else {"drug": r["drug_name"]}
        regimen[r["arm_id"]].append({**part, "role": r["role"]})
    arms_of: dict[int, list[Record]] = defaultdict(list)
    for r in arms:
        arms_of[r["trial_id"]].append(
            _clean(
                {
                    "slug": r["slug"],
                    "label": r["label"],
                    "role": r["role"],
                    "size": r["size"],
                    "regimen": regimen[r["id"]],
                    "notes": r["notes"],
                }
            )
        )
    results: dict[int, list[Record]] = defaultdict(list)
    for r in await rows("SELECT * FROM outcome_arm_results ORDER BY outcome_id, position"):
        results[r["outcome_id"]].append(
            _clean(
                {
                    "arm": arm_slug[r["arm_id"]],
                    "median": _number(r["median"]),
                    "median_ci": _ci(r["median_ci_lower"], r["median_ci_upper"]),
                    "median_not_reached": r["median_not_reached"] or None,
                    "unit": r["unit"],
                    "rate": _number(r["rate"]),
                    "rate_ci": _ci(r["rate_ci_lower"], r["rate_ci_upper"]),
                    "timepoint": r["timepoint"],
                    "events": r["events"],
                    "n": r["n"],
                    "notes": r["notes"],
                }
            )
        )
    outcomes = await rows("SELECT * FROM outcomes ORDER BY trial_id, position")
    outcomes_of: dict[int, list[Record]] = defaultdict(list)
    for r in outcomes:
        outcomes_of[r["trial_id"]].append(
            _clean(
                {
                    "slug": r["slug"],
                    "endpoint": endpoint_code[r["endpoint_id"]],
                    "assessment": r["assessment"],
                    "analysis": r["analysis"],
                    "analysis_label": r["analysis_label"],
                    "data_cutoff": _partial(r["data_cutoff"], r["data_cutoff_precision"]),
                    "population": r["population"],
                    "arms": results[r["id"]],
                    "hazard_ratio": _number(r["hazard_ratio"]),
                    "hazard_ratio_ci": _ci(r["hazard_ratio_ci_lower"], r["hazard_ratio_ci_upper"]),
                    "p_value": r["p_value"],
                    "sources": sources_of["outcome_id"][r["id"]],
                    "notes": r["notes"],
                }
            )
        )

    mechanisms = await rows("SELECT * FROM resistance_mechanisms ORDER BY id")
    biomarkers: dict[int, list[Record]] = defaultdict(list)
    for r in await rows("SELECT * FROM resistance_biomarkers ORDER BY mechanism_id, position"):
        biomarkers[r["mechanism_id"]].append({"name": r["name"], "kind": r["kind"]})
    effects = await rows("SELECT * FROM resistance_effects ORDER BY mechanism_id, position")
    effects_of: dict[int, list[Record]] = defaultdict(list)
    for r in effects:
        effects_of[r["mechanism_id"]].append(
            _clean(
                {
                    "agent": agent_slug[r["agent_id"]],
                    "direction": r["direction"],
                    "evidence": r["evidence"],
                    "note": r["note"],
                    "sources": sources_of["resistance_effect_id"][r["id"]],
                }
            )
        )
    overcoming_of: dict[int, list[Record]] = defaultdict(list)
    for r in await rows("SELECT * FROM resistance_overcoming ORDER BY mechanism_id, position"):
        part = {"agent": agent_slug[r["agent_id"]]} if r["agent_id"] else {"strategy": r["strategy"]}
        overcoming_of[r["mechanism_id"]].append(
            _clean(
                {
                    **part,
                    "evidence": r["evidence"],
                    "note": r["note"],
                    "sources": sources_of["resistance_overcoming_id"][r["id"]],
                }
            )
        )
    mechanism_slug = {r["id"]: r["slug"] for r in mechanisms}
    warnings = await rows("SELECT * FROM safety_warnings ORDER BY id")
    warnings_of_agent: dict[int, list[Record]] = defaultdict(list)
    for r in warnings:
        warnings_of_agent[r["agent_id"]].append(
            {"slug": r["slug"], "regulator": r["regulator"], "kind": r["kind"], "event": r["event"]}
        )

    kinds: dict[str, list[Record]] = {}
    kinds["sources"] = [
        _clean(
            {
                k: r[k]
                for k in (
                    "slug",
                    "kind",
                    "title",
                    "year",
                    "pmid",
                    "doi",
                    "nct_id",
                    "url",
                    "citation",
                    "notes",
                )
            }
        )
        for r in await rows("SELECT * FROM sources ORDER BY id")
    ]
    kinds["targets"] = [
        _clean(
            {
                **{k: r[k] for k in ("symbol", "name", "aliases", "hgnc_id", "ncbi_gene_id", "uniprot_id")},
                **{k: r[k] for k in ("ensembl_id", "locus", "description")},
                "sources": sources_of["target_id"][r["id"]],
                "notes": r["notes"],
                "agent_details": target_agents[r["id"]],
            }
        )
        for r in targets
    ]
    approvals_of_agent: dict[int, list[Record]] = defaultdict(list)
    approval_records = []
    for r in approvals:
        record = _clean(
            {
                "slug": r["slug"],
                "agent": agent_slug[r["agent_id"]],
                "indication": indication_slug[r["indication_id"]],
                "regulator": r["regulator"],
                "date": _partial(r["approval_date"], r["approval_date_precision"]),
                "type": r["approval_type"],
                "line": r["line"],
                "pivotal_trials": approval_trials[r["id"]],
                "summary": r["summary"],
                "sources": sources_of["approval_id"][r["id"]],
                "notes": r["notes"],
            }
        )
        approval_records.append(record)
        approvals_of_agent[r["agent_id"]].append(
            {k: record.get(k) for k in ("slug", "regulator", "date", "type", "indication")}
        )
    effects_of_agent: dict[int, list[Record]] = defaultdict(list)
    for r in effects:
        effects_of_agent[r["agent_id"]].append(
            {
                "mechanism": mechanism_slug[r["mechanism_id"]],
                "direction": r["direction"],
                "evidence": r["evidence"],
            }
        )
    trial_by_id = {r["id"]: r for r in trials}
    kinds["agents"] = []
    for r in agents:
        construct = adc.get(r["id"])
        therapy = cell.get(r["id"])
        kinds["agents"].append(
            _clean(
                {
                    **{
                        k: r[k] for k in ("slug", "name", "synonyms", "brand_names", "code_names", "modality")
                    },
                    "targets": agent_targets[r["id"]],
                    "biosimilar_of": agent_slug.get(r["biosimilar_of_id"]),
                    "components": components[r["id"]],
                    "mechanism": r["mechanism"],
                    "binding_site": r["binding_site"],
                    "adc": construct
                    and _clean(
                        {
                            "payload": construct["payload"],
                            "payload_class": construct["payload_class"],
                            "linker": construct["linker"],
                            "linker_cleavable": construct["linker_cleavable"],
                            "drug_to_antibody_ratio": _number(construct["drug_to_antibody_ratio"]),
                        }
                    ),
                    "cell_therapy": therapy and _clean({k: therapy[k] for k in CELL_THERAPY_FIELDS}),
                    "developer": r["developer"],
                    "development_status": r["development_status"],
                    "regional_status": regional[r["id"]],
                    "xrefs": _clean(
                        {
                            "chembl": r["chembl_id"],
                            "ncit": r["ncit_id"],
                            "drugbank": r["drugbank_id"],
                            "rxnorm": r["rxnorm_id"],
                            "unii": r["unii"],
                        }
                    ),
                    "sources": sources_of["agent_id"][r["id"]],
                    "notes": r["notes"],
                    "approval_details": approvals_of_agent[r["id"]],
                    "trial_details": [
                        {
                            "slug": trial_by_id[t]["slug"],
                            "acronym": trial_by_id[t]["acronym"],
                            "nct_id": trial_by_id[t]["nct_id"],
                            "phase": trial_by_id[t]["phase"],
                        }
                        for t in agent_trials[r["id"]]
                    ],
                    "resistance_details": effects_of_agent[r["id"]],
                    "safety_details": warnings_of_agent[r["id"]],
                }
            )
        )
    children: dict[int, list[str]] = defaultdict(list)
    for r in indications:
        if r["parent_id"]:
            children[r["parent_id"]].append(r["slug"])
    kinds["indications"] = [
        _clean(
            {
                "slug": r["slug"],
                "name": r["name"],
                "disease": r["disease"],
                "parent": indication_slug.get(r["parent_id"]),
                "biomarker": _clean(
                    {
                        "kind": r["biomarker_kind"],
                        "status": r["biomarker_status"],
                        "definition": r["biomarker_definition"],
                    }
                ),
                "setting": r["setting"],
                "xrefs": _clean({"ncit": r["ncit_id"], "doid": r["doid_id"], "mondo": r["mondo_id"]}),
                "sources": sources_of["indication_id"][r["id"]],
                "notes": r["notes"],
                "child_details": children[r["id"]],
            }
        )
        for r in indications
    ]
    kinds["approvals"] = approval_records
    agents_of_trial: dict[int, list[str]] = defaultdict(list)
    for agent_id, trial_ids in agent_trials.items():
        for t in trial_ids:
            agents_of_trial[t].append(agent_slug[agent_id])
    kinds["trials"] = [
        _clean(
            {
                **{k: r[k] for k in ("slug", "nct_id", "other_ids", "acronym", "title", "phase", "status")},
                **{k: r[k] for k in ("randomised", "blinding", "population", "setting", "line")},
                "indications": trial_indications[r["id"]],
                "enrollment": r["enrollment"],
                "start_date": _partial(r["start_date"], r["start_date_precision"]),
                "primary_completion_date": _partial(
                    r["primary_completion_date"], r["primary_completion_date_precision"]
                ),
                "sponsor": r["sponsor"],
                "sources": sources_of["trial_id"][r["id"]],
                "arms": arms_of[r["id"]],
                "outcomes": outcomes_of[r["id"]],
                "notes": r["notes"],
                "agent_details": sorted(agents_of_trial[r["id"]]),
            }
        )
        for r in trials
    ]
    kinds["resistance_mechanisms"] = [
        _clean(
            {
                "slug": r["slug"],
                "name": r["name"],
                "category": r["category"],
                "description": r["description"],
                "biomarkers": biomarkers[r["id"]],
                "affected_agents": effects_of[r["id"]],
                "overcoming": overcoming_of[r["id"]],
                "sources": sources_of["resistance_mechanism_id"][r["id"]],
                "notes": r["notes"],
            }
        )
        for r in mechanisms
    ]
    kinds["safety_warnings"] = [
        _clean(
            {
                "slug": r["slug"],
                "agent": agent_slug[r["agent_id"]],
                "regulator": r["regulator"],
                "kind": r["kind"],
                "event": r["event"],
                "summary": r["summary"],
                "date_added": _partial(r["date_added"], r["date_added_precision"]),
                "sources": sources_of["safety_warning_id"][r["id"]],
                "notes": r["notes"],
            }
        )
        for r in warnings
    ]

    tables = {
        "agents": [{k: a.get(k) for k in AGENT_CSV_COLUMNS} for a in kinds["agents"]],
        "trials": [{k: t.get(k) for k in TRIAL_CSV_COLUMNS} for t in kinds["trials"]],
        "outcome_results": [
            {
                "trial": t["slug"],
                "nct_id": t.get("nct_id"),
                "outcome": o["slug"],
                "endpoint": o["endpoint"],
                "analysis": o["analysis"],
                "assessment": o.get("assessment"),
                "data_cutoff": o.get("data_cutoff"),
                "population": o.get("population"),
                "arm": result["arm"],
                "median": result.get("median"),
                "median_ci_lower": (result.get("median_ci") or [None, None])[0],
                "median_ci_upper": (result.get("median_ci") or [None, None])[1],
                "unit": result.get("unit"),
                "rate": result.get("rate"),
                "rate_ci_lower": (result.get("rate_ci") or [None, None])[0],
                "rate_ci_upper": (result.get("rate_ci") or [None, None])[1],
                "timepoint": result.get("timepoint"),
                "hazard_ratio": o.get("hazard_ratio"),
                "hazard_ratio_ci_lower": (o.get("hazard_ratio_ci") or [None, None])[0],
                "hazard_ratio_ci_upper": (o.get("hazard_ratio_ci") or [None, None])[1],
                "p_value": o.get("p_value"),
                "sources": o.get("sources", []),
            }
            for t in kinds["trials"]
            for o in t.get("outcomes", [])
            for result in o.get("arms", [{"arm": None}])
        ],
        "approvals": [
            {k: a.get(k) for k in ("slug", "agent", "indication", "regulator", "date", "type", "line")}
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
            {k: w.get(k) for k in ("slug", "agent", "regulator", "kind", "event", "date_added", "summary")}
            | {"sources": w.get("sources", [])}
            for w in kinds["safety_warnings"]
        ],
        "sources": [
            {k: s.get(k) for k in ("slug", "kind", "title", "year", "pmid", "doi", "nct_id", "url")}
            for s in kinds["sources"]
        ],
    }
    return Export(
        version=release["version"],
        loaded_at=release["loaded_at"].isoformat(),
        seed_checksum=release["checksum"],
        kinds=kinds,
        tables=tables,
    )
