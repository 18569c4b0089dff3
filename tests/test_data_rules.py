"""Data rules over both therapy areas (HER2 and anti-CD19 CAR-T), checked in the loaded
database with the statements of db/sql/quality.sql (the same ones `python -m api
data-report` counts).

Each rule fails on any violation that is not in its list of known failures at the end of
this file, and on any listed entry that no longer fails (remove it from the list), so the
lists only shrink. Keys are written as the curators write entries: `trial/outcome` for an
outcome, the slug for an approval, `kind:key` for any fact.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from db.quality import RULES, data_report, format_report, violations
from tests.conftest import graphql


@pytest.fixture(scope="module")
async def db(seeded_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(seeded_url)
    yield connection
    await connection.close()


def known_failures() -> dict[str, frozenset[str]]:
    return {
        "outcome_without_primary_source": KNOWN_OUTCOMES_WITHOUT_PRIMARY_SOURCE,
        "approval_without_regulator_document": KNOWN_APPROVALS_WITHOUT_REGULATOR_DOCUMENT,
        "approval_without_pivotal_trial": KNOWN_APPROVALS_WITHOUT_PIVOTAL_TRIAL_OR_REASON,
        "approval_without_type": KNOWN_APPROVALS_WITHOUT_TYPE,
        "hazard_ratio_without_interval": KNOWN_HAZARD_RATIOS_WITHOUT_INTERVAL,
        "unvetted_source_alone": KNOWN_FACTS_CITING_ONLY_UNVETTED_SOURCES,
        "same_analysis_twice": KNOWN_SAME_ANALYSIS_TWICE,
    }


def test_every_rule_has_its_list() -> None:
    assert set(known_failures()) == set(RULES)


@pytest.mark.parametrize("rule", list(RULES))
async def test_no_new_violation_and_no_stale_entry(db: asyncpg.Connection, rule: str) -> None:
    found = {v.key for v in await violations(db, rule)}
    known = known_failures()[rule]
    new = sorted(found - known)
    fixed = sorted(known - found)
    assert not new, f"new violations of the rule '{RULES[rule]}': {new}"
    assert not fixed, (
        f"these no longer break '{RULES[rule]}'; remove them from its known-failure list: {fixed}"
    )


UNSOURCED = {
    "biomarkers": """SELECT b.slug FROM biomarkers b
        WHERE NOT EXISTS (SELECT 1 FROM fact_sources f WHERE f.biomarker_id = b.id)""",
    "companion_diagnostics": """SELECT d.slug FROM companion_diagnostics d
        WHERE NOT EXISTS (SELECT 1 FROM fact_sources f WHERE f.companion_diagnostic_id = d.id)""",
    "companion_diagnostic_approvals": """SELECT a.id::text AS slug FROM companion_diagnostic_approvals a
        WHERE NOT EXISTS (SELECT 1 FROM fact_sources f WHERE f.companion_diagnostic_approval_id = a.id)""",
}


@pytest.mark.parametrize("table", list(UNSOURCED))
async def test_every_biomarker_fact_has_a_source(db: asyncpg.Connection, table: str) -> None:
    assert await db.fetch(UNSOURCED[table]) == []


async def test_the_report_gives_the_figures(db: asyncpg.Connection) -> None:
    report = await data_report(db)
    assert report.outcomes_with_identifier.total == report.counts["outcomes"]
    assert report.approvals_with_regulator_document.total == report.counts["approvals"]
    without_trial = sum(len(group.approvals) for group in report.approvals_without_pivotal_trial)
    assert without_trial >= len(KNOWN_APPROVALS_WITHOUT_PIVOTAL_TRIAL_OR_REASON)
    assert report.rule_violations["approval_without_type"] == len(KNOWN_APPROVALS_WITHOUT_TYPE)
    text = format_report(report)
    assert "Outcomes whose sources include a DOI, PMID or NCT ID" in text
    assert "biomarkers: " in text


async def test_approved_agents_for_a_biomarker_with_their_companion_diagnostic(
    client: httpx.AsyncClient,
) -> None:
    body = await graphql(
        client,
        """{ biomarker(id: "HER2-ultralow") { definition
               approvals { regulator agent { slug } companionDiagnostics { slug } } }
             approvals(filter: {biomarker: "HER2-positive"}) { nodes { slug biomarkers { slug } } }
             search(query: "PATHWAY 4B5", types: [COMPANION_DIAGNOSTIC]) { label }
             sources(tiers: [PRIMARY], first: 1) { nodes { tier } } }""",
    )
    assert "errors" not in body, body
    data = body["data"]
    assert isinstance(data, dict)
    marker = data["biomarker"]
    assert marker["definition"] == "IHC 0 with membrane staining."
    assert {"regulator": "FDA", "agent": {"slug": "fam-trastuzumab-deruxtecan"},
            "companionDiagnostics": [{"slug": "pathway-her2-4b5"}]} in marker["approvals"]  # fmt: skip
    # HER2-positive includes IHC 3+ (zanidatamab in biliary tract cancer) below it.
    slugs = {node["slug"] for node in data["approvals"]["nodes"]}
    assert {"fda-ziihera-2024-11-20", "fda-enhertu-2025-12-15"} <= slugs
    assert data["search"][0]["label"].startswith("PATHWAY")
    assert data["sources"]["nodes"] == [{"tier": "PRIMARY"}]


# -- Known failures: the data as it stood when each rule was introduced. -----------------------
# Curators fix an entry (cite the document of record, link the pivotal trial or state why
# there is none, add the approval type, merge a doubly entered analysis) and remove its key.

# Trial outcomes (trial/outcome) citing no results publication, registry record or label. (215 at the start; curators shrink this list.)
KNOWN_OUTCOMES_WITHOUT_PRIMARY_SOURCE: frozenset[str] = frozenset()

# Approvals citing no label or decision of their own regulator (a `regulatory_document` source whose `regulator` is the approval's). (76 at the start; curators shrink this list.)
KNOWN_APPROVALS_WITHOUT_REGULATOR_DOCUMENT: frozenset[str] = frozenset(
    {
        "ema-breyanzi-2022-lbcl-third-line",
        "ema-breyanzi-2023-05-05-2l",
        "ema-breyanzi-2025-03-fl",
        "ema-breyanzi-2025-11-mcl",
        "ema-herzuma-2018-02-07",
        "fda-bizengri-2024-12-04-nsclc",
        "fda-bizengri-2024-12-04-pancreatic",
        "fda-breyanzi-2022-06-24-early-relapse",
        "fda-breyanzi-2022-06-24-transplant-ineligible",
        "fda-breyanzi-2024-03-14",
        "fda-breyanzi-2024-05-30",
        "fda-enhertu-2022-08-11",
        "fda-enhertu-2025-12-15",
        "fda-kymriah-2022-05-27",
        "nmpa-aidixi-2021-06-gastric",
        "nmpa-aidixi-2021-12-31-urothelial",
        "nmpa-aidixi-2025-05-breast-liver-metastasis",
        "nmpa-carteyva-2021-09-lbcl",
        "nmpa-carteyva-2022-10-fl",
        "nmpa-inati-cel-2023-11-b-all",
        "nmpa-trastuzumab-rezetecan-2025-05-29",
    }
)

# Approvals linking no pivotal trial and giving no `no_pivotal_trial_reason`. (24 at the start; curators shrink this list.)
KNOWN_APPROVALS_WITHOUT_PIVOTAL_TRIAL_OR_REASON: frozenset[str] = frozenset()

# Approvals without `type`. (26 at the start; curators shrink this list.)
KNOWN_APPROVALS_WITHOUT_TYPE: frozenset[str] = frozenset(
    {
        "fda-aucatzyl-2024-11-08",
        "fda-breyanzi-2021-02-05",
        "fda-breyanzi-2022-06-24-early-relapse",
        "fda-breyanzi-2022-06-24-transplant-ineligible",
        "fda-breyanzi-2024-05-30",
        "fda-breyanzi-2025-12-04",
        "fda-kymriah-2018-05-01",
        "fda-tecartus-2021-10-01",
        "fda-yescarta-2022-04-01",
        "nmpa-aidixi-2021-12-31-urothelial",
        "nmpa-aidixi-2025-05-breast-liver-metastasis",
        "nmpa-carteyva-2021-09-lbcl",
        "nmpa-carteyva-2022-10-fl",
        "nmpa-enhertu-2023-02-21-breast",
        "nmpa-enhertu-2023-07-her2-low",
        "nmpa-inati-cel-2023-11-b-all",
        "pmda-enhertu-2020-09-25-gastric",
    }
)

# Outcomes (trial/outcome) whose hazard ratio lacks a confidence bound. (8 at the start; curators shrink this list.)
KNOWN_HAZARD_RATIOS_WITHOUT_INTERVAL: frozenset[str] = frozenset(
    {
        "destiny-gastric01/pfs-primary",
        "her2climb/pfs-final-2021-02-08",
        "hera/os-interim",
        "sophia/pfs-updated-investigator-2019-09-10",
    }
)

# Facts (kind:key) whose every source is press, news or another unvetted page. (267 at the start; curators shrink this list.)
KNOWN_FACTS_CITING_ONLY_UNVETTED_SOURCES: frozenset[str] = frozenset(
    {
        "approval:ema-breyanzi-2022-lbcl-third-line",
        "approval:ema-breyanzi-2023-05-05-2l",
        "approval:ema-breyanzi-2025-03-fl",
        "approval:ema-breyanzi-2025-11-mcl",
        "approval:fda-breyanzi-2024-03-14",
        "approval:fda-breyanzi-2024-05-30",
        "approval:fda-kymriah-2022-05-27",
        "companion_diagnostic_approval:guardant360-cdx/1",
        "companion_diagnostic_approval:pathway-her2-4b5/4",
    }
)

# Outcome groups (trial/first outcome) that look like one analysis entered twice. (4 at the start; curators shrink this list.)
KNOWN_SAME_ANALYSIS_TWICE: frozenset[str] = frozenset()
