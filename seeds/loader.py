"""Write a validated dataset to PostgreSQL in one transaction.

The curated tables are emptied and refilled inside that transaction (identities restart,
insertion order is the sorted file order), so re-running with the same files leaves the
same database, an edited entry is updated and a removed one is gone. A failure anywhere
rolls everything back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from seeds.validate import Dataset, PartialDate, load_dataset

logger = logging.getLogger(__name__)

CURATED_TABLES = (
    "fact_sources",
    "safety_warnings",
    "resistance_overcoming",
    "resistance_effects",
    "resistance_biomarkers",
    "resistance_mechanisms",
    "approval_trials",
    "approvals",
    "outcome_arm_results",
    "outcomes",
    "arm_regimen_components",
    "trial_arms",
    "trial_indications",
    "trials",
    "indications",
    "agent_targets",
    "agent_regional_statuses",
    "agent_components",
    "cell_therapy_constructs",
    "adc_constructs",
    "agents",
    "targets",
    "sources",
)


@dataclass(frozen=True)
class SeedResult:
    version: str
    checksum: str
    loaded: bool  # False when this exact release was already loaded
    counts: dict[str, int]


def _date(value: PartialDate | None) -> tuple[Any, Any]:
    return (value.value, value.precision) if value is not None else (None, None)


class _Writer:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self.db = connection
        self.ids: dict[str, dict[str, int]] = {}

    async def insert(self, sql: str, *args: Any) -> int:
        row_id: int = await self.db.fetchval(sql, *args)
        return row_id

    async def link_sources(self, column: str, subject_id: int, slugs: list[str]) -> None:
        if not slugs:
            return
        source_ids = [self.ids["source"][slug] for slug in slugs]
        await self.db.executemany(
            f"INSERT INTO fact_sources (source_id, {column}) VALUES ($1, $2)",
            [(source_id, subject_id) for source_id in source_ids],
        )

    async def write(self, dataset: Dataset) -> dict[str, int]:
        await self.db.execute(f"TRUNCATE {', '.join(CURATED_TABLES)} RESTART IDENTITY")
        endpoint_ids = {r["code"]: r["id"] for r in await self.db.fetch("SELECT id, code FROM endpoints")}

        self.ids["source"] = {}
        for e in dataset.of("source"):
            d = e.data
            self.ids["source"][d["slug"]] = await self.insert(
                """
                INSERT INTO sources (slug, kind, title, year, pmid, doi, nct_id, url, citation, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                d["slug"],
                d["kind"],
                d["title"],
                d.get("year"),
                d.get("pmid"),
                d.get("doi"),
                d.get("nct_id"),
                d.get("url"),
                d.get("citation"),
                d.get("notes"),
            )

        self.ids["target"] = {}
        for e in dataset.of("target"):
            d = e.data
            target_id = await self.insert(
                """
                INSERT INTO targets (symbol, name, aliases, hgnc_id, ncbi_gene_id, uniprot_id,
                                     ensembl_id, locus, description, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                d["symbol"],
                d["name"],
                d.get("aliases", []),
                d.get("hgnc_id"),
                d.get("ncbi_gene_id"),
                d.get("uniprot_id"),
                d.get("ensembl_id"),
                d.get("locus"),
                d.get("description"),
                d.get("notes"),
            )
            self.ids["target"][d["symbol"]] = target_id
            await self.link_sources("target_id", target_id, d.get("sources", []))

        self.ids["agent"] = {}
        for e in dataset.of("agent"):
            d = e.data
            xrefs = d.get("xrefs", {})
            agent_id = await self.insert(
                """
                INSERT INTO agents (slug, name, synonyms, brand_names, code_names, modality, mechanism,
                                    binding_site, developer, development_status, chembl_id, ncit_id,
                                    drugbank_id, rxnorm_id, unii, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                RETURNING id
                """,
                d["slug"],
                d["name"],
                d.get("synonyms", []),
                d.get("brand_names", []),
                d.get("code_names", []),
                d["modality"],
                d.get("mechanism"),
                d.get("binding_site"),
                d.get("developer"),
                d["development_status"],
                xrefs.get("chembl"),
                xrefs.get("ncit"),
                xrefs.get("drugbank"),
                xrefs.get("rxnorm"),
                xrefs.get("unii"),
                d.get("notes"),
            )
            self.ids["agent"][d["slug"]] = agent_id
            await self.link_sources("agent_id", agent_id, d.get("sources", []))
            if "adc" in d:
                adc = d["adc"]
                await self.db.execute(
                    """
                    INSERT INTO adc_constructs (agent_id, payload, payload_class, linker,
                                                linker_cleavable, drug_to_antibody_ratio)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    """,
                    agent_id,
                    adc["payload"],
                    adc.get("payload_class"),
                    adc.get("linker"),
                    adc.get("linker_cleavable"),
                    adc.get("drug_to_antibody_ratio"),
                )
            if "cell_therapy" in d:
                cell = d["cell_therapy"]
                await self.db.execute(
                    """
                    INSERT INTO cell_therapy_constructs (agent_id, binder, binder_origin,
                        costimulatory_domain, signalling_domain, vector, manufacturing)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """,
                    agent_id,
                    cell["binder"],
                    cell.get("binder_origin"),
                    cell.get("costimulatory_domain"),
                    cell.get("signalling_domain"),
                    cell.get("vector"),
                    cell.get("manufacturing"),
                )
            for status in d.get("regional_status", []):
                await self.db.execute(
                    "INSERT INTO agent_regional_statuses (agent_id, region, status, note) VALUES ($1, $2, $3, $4)",
                    agent_id,
                    status["region"],
                    status["status"],
                    status.get("note"),
                )
            for symbol in d.get("targets", []):
                await self.db.execute(
                    "INSERT INTO agent_targets (agent_id, target_id) VALUES ($1, $2)",
                    agent_id,
                    self.ids["target"][symbol],
                )
        # Second pass: references between agents, now that every agent has an id.
        for e in dataset.of("agent"):
            d = e.data
            agent_id = self.ids["agent"][d["slug"]]
            if "biosimilar_of" in d:
                await self.db.execute(
                    "UPDATE agents SET biosimilar_of_id = $2 WHERE id = $1",
                    agent_id,
                    self.ids["agent"][d["biosimilar_of"]],
                )
            for component in d.get("components", []):
                await self.db.execute(
                    "INSERT INTO agent_components (agent_id, component_id) VALUES ($1, $2)",
                    agent_id,
                    self.ids["agent"][component],
                )

        self.ids["indication"] = {}
        for e in dataset.of("indication"):
            d = e.data
            biomarker = d.get("biomarker", {})
            xrefs = d.get("xrefs", {})
            indication_id = await self.insert(
                """
                INSERT INTO indications (slug, name, disease, biomarker_kind, biomarker_status,
                                         biomarker_definition, setting, ncit_id, doid_id, mondo_id, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id
                """,
                d["slug"],
                d["name"],
                d["disease"],
                biomarker.get("kind"),
                biomarker.get("status"),
                biomarker.get("definition"),
                d["setting"],
                xrefs.get("ncit"),
                xrefs.get("doid"),
                xrefs.get("mondo"),
                d.get("notes"),
            )
            self.ids["indication"][d["slug"]] = indication_id
            await self.link_sources("indication_id", indication_id, d.get("sources", []))
        for e in dataset.of("indication"):
            if "parent" in e.data:
                await self.db.execute(
                    "UPDATE indications SET parent_id = $2 WHERE id = $1",
                    self.ids["indication"][e.data["slug"]],
                    self.ids["indication"][e.data["parent"]],
                )

        self.ids["trial"] = {}
        for e in dataset.of("trial"):
            await self._write_trial(e.data, endpoint_ids)

        for e in dataset.of("approval"):
            d = e.data
            approval_id = await self.insert(
                """
                INSERT INTO approvals (slug, agent_id, indication_id, regulator, approval_date,
                                       approval_date_precision, approval_type, line, summary, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                """,
                d["slug"],
                self.ids["agent"][d["agent"]],
                self.ids["indication"][d["indication"]],
                d["regulator"],
                d["date"].value,
                d["date"].precision,
                d.get("type"),
                d.get("line"),
                d.get("summary"),
                d.get("notes"),
            )
            for trial in d.get("pivotal_trials", []):
                await self.db.execute(
                    "INSERT INTO approval_trials (approval_id, trial_id) VALUES ($1, $2)",
                    approval_id,
                    self.ids["trial"][trial],
                )
            await self.link_sources("approval_id", approval_id, d["sources"])

        for e in dataset.of("resistance_mechanism"):
            await self._write_mechanism(e.data)

        for e in dataset.of("safety_warning"):
            d = e.data
            added, added_precision = _date(d.get("date_added"))
            warning_id = await self.insert(
                """
                INSERT INTO safety_warnings (slug, agent_id, regulator, kind, event, summary, date_added,
                                             date_added_precision, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
                """,
                d["slug"],
                self.ids["agent"][d["agent"]],
                d["regulator"],
                d["kind"],
                d["event"],
                d["summary"],
                added,
                added_precision,
                d.get("notes"),
            )
            await self.link_sources("safety_warning_id", warning_id, d["sources"])

        return {
            "sources": len(dataset.of("source")),
            "targets": len(dataset.of("target")),
            "agents": len(dataset.of("agent")),
            "indications": len(dataset.of("indication")),
            "trials": len(dataset.of("trial")),
            "outcomes": sum(len(e.data.get("outcomes", [])) for e in dataset.of("trial")),
            "approvals": len(dataset.of("approval")),
            "resistanceMechanisms": len(dataset.of("resistance_mechanism")),
            "safetyWarnings": len(dataset.of("safety_warning")),
        }

    async def _write_trial(self, d: dict[str, Any], endpoint_ids: dict[str, int]) -> None:
        start, start_precision = _date(d.get("start_date"))
        completion, completion_precision = _date(d.get("primary_completion_date"))
        trial_id = await self.insert(
            """
            INSERT INTO trials (slug, nct_id, other_ids, acronym, title, phase, status, randomised,
                                blinding, population, setting, line, enrollment, start_date,
                                start_date_precision, primary_completion_date,
                                primary_completion_date_precision, sponsor, notes)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            RETURNING id
            """,
            d["slug"],
            d.get("nct_id"),
            d.get("other_ids", []),
            d.get("acronym"),
            d["title"],
            d["phase"],
            d.get("status"),
            d["randomised"],
            d.get("blinding"),
            d.get("population"),
            d["setting"],
            d.get("line"),
            d.get("enrollment"),
            start,
            start_precision,
            completion,
            completion_precision,
            d.get("sponsor"),
            d.get("notes"),
        )
        self.ids["trial"][d["slug"]] = trial_id
        await self.link_sources("trial_id", trial_id, d["sources"])
        for slug in d.get("indications", []):
            await self.db.execute(
                "INSERT INTO trial_indications (trial_id, indication_id) VALUES ($1, $2)",
                trial_id,
                self.ids["indication"][slug],
            )
        arm_ids: dict[str, int] = {}
        for position, arm in enumerate(d.get("arms", [])):
            arm_id = await self.insert(
                """
                INSERT INTO trial_arms (trial_id, slug, label, role, size, position, notes)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """,
                trial_id,
                arm["slug"],
                arm["label"],
                arm["role"],
                arm.get("size"),
                position,
                arm.get("notes"),
            )
            arm_ids[arm["slug"]] = arm_id
            for component_position, component in enumerate(arm.get("regimen", [])):
                agent = component.get("agent")
                await self.db.execute(
                    """
                    INSERT INTO arm_regimen_components (arm_id, position, agent_id, drug_name, role)
                    VALUES ($1, $2, $3, $4, $5)
                    """,
                    arm_id,
                    component_position,
                    self.ids["agent"][agent] if agent else None,
                    component.get("drug"),
                    component["role"],
                )
        for position, outcome in enumerate(d.get("outcomes", [])):
            cutoff, cutoff_precision = _date(outcome.get("data_cutoff"))
            hr_ci = outcome.get("hazard_ratio_ci") or (None, None)
            outcome_id = await self.insert(
                """
                INSERT INTO outcomes (trial_id, slug, endpoint_id, assessment, analysis, analysis_label,
                                      data_cutoff, data_cutoff_precision, population, hazard_ratio,
                                      hazard_ratio_ci_lower, hazard_ratio_ci_upper, p_value, notes, position)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id
                """,
                trial_id,
                outcome["slug"],
                endpoint_ids[outcome["endpoint"]],
                outcome.get("assessment"),
                outcome["analysis"],
                outcome.get("analysis_label"),
                cutoff,
                cutoff_precision,
                outcome.get("population"),
                outcome.get("hazard_ratio"),
                hr_ci[0],
                hr_ci[1],
                outcome.get("p_value"),
                outcome.get("notes"),
                position,
            )
            await self.link_sources("outcome_id", outcome_id, outcome["sources"])
            for result_position, result in enumerate(outcome.get("arms", [])):
                median_ci = result.get("median_ci") or (None, None)
                rate_ci = result.get("rate_ci") or (None, None)
                await self.db.execute(
                    """
                    INSERT INTO outcome_arm_results (outcome_id, arm_id, position, median, median_ci_lower,
                        median_ci_upper, median_not_reached, unit, rate, rate_ci_lower, rate_ci_upper,
                        timepoint, events, n, notes)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                    """,
                    outcome_id,
                    arm_ids[result["arm"]],
                    result_position,
                    result.get("median"),
                    median_ci[0],
                    median_ci[1],
                    result.get("median_not_reached", False),
                    result.get("unit"),
                    result.get("rate"),
                    rate_ci[0],
                    rate_ci[1],
                    result.get("timepoint"),
                    result.get("events"),
                    result.get("n"),
                    result.get("notes"),
                )

    async def _write_mechanism(self, d: dict[str, Any]) -> None:
        mechanism_id = await self.insert(
            """
            INSERT INTO resistance_mechanisms (slug, name, category, description, notes)
            VALUES ($1, $2, $3, $4, $5) RETURNING id
            """,
            d["slug"],
            d["name"],
            d["category"],
            d["description"],
            d.get("notes"),
        )
        await self.link_sources("resistance_mechanism_id", mechanism_id, d["sources"])
        for position, marker in enumerate(d.get("biomarkers", [])):
            await self.db.execute(
                """
                INSERT INTO resistance_biomarkers (mechanism_id, name, kind, position)
                VALUES ($1, $2, $3, $4)
                """,
                mechanism_id,
                marker["name"],
                marker["kind"],
                position,
            )
        for position, effect in enumerate(d.get("affected_agents", [])):
            effect_id = await self.insert(
                """
                INSERT INTO resistance_effects (mechanism_id, agent_id, direction, evidence, note, position)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """,
                mechanism_id,
                self.ids["agent"][effect["agent"]],
                effect["direction"],
                effect["evidence"],
                effect.get("note"),
                position,
            )
            await self.link_sources("resistance_effect_id", effect_id, effect.get("sources", []))
        for position, way in enumerate(d.get("overcoming", [])):
            agent = way.get("agent")
            way_id = await self.insert(
                """
                INSERT INTO resistance_overcoming (mechanism_id, agent_id, strategy, evidence, note, position)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """,
                mechanism_id,
                self.ids["agent"][agent] if agent else None,
                way.get("strategy"),
                way["evidence"],
                way.get("note"),
                position,
            )
            await self.link_sources("resistance_overcoming_id", way_id, way.get("sources", []))


async def latest_release_checksum(connection: asyncpg.Connection | asyncpg.Pool) -> str | None:
    checksum: str | None = await connection.fetchval(
        "SELECT checksum FROM data_releases ORDER BY id DESC LIMIT 1"
    )
    return checksum


async def seed(connection: asyncpg.Connection, seeds_dir: Path, *, force: bool = False) -> SeedResult:
    """Validate every file, then write them all in one transaction (or nothing)."""
    dataset = load_dataset(seeds_dir)
    async with connection.transaction():
        # One seeder at a time; readers wait for the commit and then see the new release.
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext('seed'))")
        if not force and await latest_release_checksum(connection) == dataset.checksum:
            counts = await _release_counts(connection)
            return SeedResult(dataset.version, dataset.checksum, loaded=False, counts=counts)
        counts = await _Writer(connection).write(dataset)
        await connection.execute(
            """
            INSERT INTO data_releases (version, checksum, file_count, counts)
            VALUES ($1, $2, $3, $4::jsonb)
            """,
            dataset.version,
            dataset.checksum,
            dataset.file_count,
            json.dumps(counts),
        )
    logger.info("seeded release %s (%s)", dataset.version, dataset.checksum[:12])
    return SeedResult(dataset.version, dataset.checksum, loaded=True, counts=counts)


async def _release_counts(connection: asyncpg.Connection) -> dict[str, int]:
    raw = await connection.fetchval("SELECT counts FROM data_releases ORDER BY id DESC LIMIT 1")
    counts: dict[str, int] = json.loads(raw) if isinstance(raw, str) else dict(raw or {})
    return counts
