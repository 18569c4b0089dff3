"""The data rules and the data report, from the readable statements in db/sql/quality.sql.

`violations` lists what breaks each rule (tests/test_data_rules.py holds the known ones);
`data_report` gathers the figures `python -m api data-report` prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.release import latest_release
from db.store import Database
from db.vocabularies import SOURCE_KIND_TIER

STATEMENTS_FILE = Path(__file__).parent / "sql" / "quality.sql"
NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)

# The rules, in the order the report shows them: statement name -> what it asks.
RULES: dict[str, str] = {
    "outcome_without_primary_source": "trial outcomes citing no primary source (publication, registry, label)",
    "approval_without_regulator_document": "approvals citing no label or decision of their regulator",
    "approval_without_pivotal_trial": "approvals linking no pivotal trial and giving no reason",
    "approval_without_type": "approvals without a regulatory type",
    "hazard_ratio_without_interval": "hazard ratios without both confidence bounds",
    "unvetted_source_alone": "facts citing only news, press, company, blog or slide pages",
    "same_analysis_twice": "outcome groups that look like one analysis entered twice",
}


def _statements() -> dict[str, str]:
    parts = NAME.split(STATEMENTS_FILE.read_text())
    return {name: sql.strip() for name, sql in zip(parts[1::2], parts[2::2], strict=True)}


STATEMENTS = _statements()


def _kinds_of(tier: str) -> list[str]:
    return [kind for kind, of in SOURCE_KIND_TIER.items() if of == tier]


# Statements taking the source kinds of one tier as $1.
TIER_PARAMETER = {"outcome_without_primary_source": "primary", "unvetted_source_alone": "unvetted"}


async def _fetch(db: Database, name: str) -> list[Any]:
    tier = TIER_PARAMETER.get(name)
    arguments = [_kinds_of(tier)] if tier else []
    rows: list[Any] = await db.fetch(STATEMENTS[name], *arguments)
    return rows


@dataclass(frozen=True)
class Violation:
    key: str
    detail: str


async def violations(db: Database, rule: str) -> list[Violation]:
    """What breaks one rule of RULES, by entry key."""
    return [Violation(row["key"], row["detail"] or "") for row in await _fetch(db, rule)]


@dataclass(frozen=True)
class Share:
    matching: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.matching / self.total if self.total else 0.0


@dataclass(frozen=True)
class NoPivotalTrial:
    reason: str | None
    approvals: list[str]


@dataclass(frozen=True)
class DataReport:
    version: str | None
    counts: dict[str, int]
    outcomes_with_identifier: Share
    approvals_with_regulator_document: Share
    approvals_without_pivotal_trial: list[NoPivotalTrial]
    sources_by_kind: dict[str, int]
    rule_violations: dict[str, int]


async def _share(db: Database, name: str) -> Share:
    (row,) = await _fetch(db, name)
    return Share(row["matching"], row["total"])


async def data_report(db: Database) -> DataReport:
    release = await latest_release(db)
    no_trial = [
        NoPivotalTrial(row["reason"], row["approvals"].split())
        for row in await _fetch(db, "approvals_without_pivotal_trial_by_reason")
    ]
    return DataReport(
        version=release.version if release else None,
        counts=dict(release.counts) if release else {},
        outcomes_with_identifier=await _share(db, "outcome_identifier_share"),
        approvals_with_regulator_document=await _share(db, "approval_regulator_document_share"),
        approvals_without_pivotal_trial=no_trial,
        sources_by_kind={row["kind"]: row["count"] for row in await _fetch(db, "sources_by_kind")},
        rule_violations={rule: len(await violations(db, rule)) for rule in RULES},
    )


def format_report(report: DataReport) -> str:
    """The report as plain text, one figure a line."""
    outcomes, approvals = report.outcomes_with_identifier, report.approvals_with_regulator_document
    lines = [
        f"Data release {report.version or '(none loaded)'}",
        "",
        f"Outcomes whose sources include a DOI, PMID or NCT ID: {outcomes.matching} of {outcomes.total}"
        f" ({outcomes.percent:.1f}%)",
        f"Approvals citing a label or decision of their regulator: {approvals.matching} of {approvals.total}"
        f" ({approvals.percent:.1f}%)",
        f"Approvals without a pivotal-trial link: {sum(len(g.approvals) for g in report.approvals_without_pivotal_trial)}",
    ]
    for group in report.approvals_without_pivotal_trial:
        lines.append(f"  {len(group.approvals)}: {group.reason or 'no reason given'}")
        lines.extend(f"      {slug}" for slug in group.approvals)
    lines += ["", "Counts per entity:"]
    lines += [f"  {name}: {count}" for name, count in sorted(report.counts.items())]
    lines += ["", "Sources per kind:"]
    lines += [f"  {kind}: {count}" for kind, count in report.sources_by_kind.items()]
    lines += ["", "Data-rule violations (tests/test_data_rules.py lists the known ones):"]
    lines += [f"  {RULES[rule]}: {count}" for rule, count in report.rule_violations.items()]
    return "\n".join(lines)
