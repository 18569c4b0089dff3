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
KNOWN_OUTCOMES_WITHOUT_PRIMARY_SOURCE: frozenset[str] = frozenset(
    {
        "aphinity/dfs-primary",
        "aphinity/idfs-updated-2022-01-10",
        "aphinity/os-interim-2016-12-19",
        "beamion-lung-1/dcr-interim",
        "beamion-lung-1/orr-interim",
        "beamion-lung-1/orr-primary-3",
        "beamion-lung-1/orr-primary-4",
        "beamion-lung-1/pfs-interim",
        "cleopatra/os-end-of-study",
        "cleopatra/os-end-of-study-2",
        "cleopatra/pfs-primary-investigator",
        "ct-p6-3-2/orr-primary-pps",
        "ct-p6-3-2/pcr-primary-itt",
        "ct-p6-3-2/pcr-primary-pps",
        "destiny-breast01/dcr-primary",
        "destiny-breast03/os-interim-2022-07-25",
        "destiny-breast03/pfs-exploratory-independent-review-2022-07-25",
        "destiny-breast03/pfs-primary-investigator",
        "destiny-breast04/os-exploratory-2022-01-11",
        "destiny-breast04/pfs-exploratory-independent-review-2022-01-11",
        "destiny-breast06/pfs-primary-independent-review-2",
        "destiny-breast09/dor-interim-2025-02-26",
        "destiny-breast09/pfs-interim-investigator-2025-02-26",
        "destiny-crc02/dcr-primary",
        "destiny-crc02/dor-primary-independent-review",
        "destiny-crc02/orr-primary-independent-review",
        "destiny-crc02/os-primary",
        "destiny-crc02/pfs-primary",
        "destiny-gastric01/dcr-primary",
        "destiny-gastric01/dor-primary",
        "destiny-gastric01/orr-primary-independent-review-2019-11-08",
        "destiny-gastric01/orr-updated-independent-review-2020-06-03",
        "destiny-gastric01/orr-updated-independent-review-2020-06-03-2",
        "destiny-gastric01/os-final-2020-06-03",
        "destiny-gastric01/os-final-2020-06-03-2",
        "destiny-gastric01/os-interim-2019-11-08-2",
        "destiny-gastric01/pfs-primary",
        "destiny-lung01/dcr-primary-2021-05-03",
        "destiny-lung01/dor-interim",
        "destiny-lung01/orr-interim",
        "destiny-lung01/orr-interim-independent-review",
        "destiny-lung01/pfs-interim",
        "destiny-lung02/dcr-primary-2022-12-23",
        "destiny-lung02/orr-interim-independent-review",
        "destiny-pantumor02/dcr-primary",
        "eliana/crs-g3-label",
        "eliana/neurotox-g3-primary",
        "eliana/orr-updated-2018-04-13",
        "eliana/os-updated-2018-04-13",
        "enrgy/dor-primary-independent-review",
        "enrgy/orr-primary-independent-review",
        "extenet/dfs-primary",
        "federica/efs-updated-2023-06-02",
        "federica/idfs-updated-2023-06-02",
        "felix/crr-primary-2",
        "felix/crs-g3-primary-2",
        "felix/dor-updated",
        "felix/neurotox-g3-primary-2",
        "felix/os-updated",
        "hannah/pcr-primary",
        "her2climb-02/orr-primary",
        "her2climb/orr-primary-2019-09-04",
        "herizon-btc-01/dor-updated",
        "herizon-btc-01/orr-updated-independent-review",
        "herizon-btc-01/os-updated",
        "herizon-btc-01/os-updated-2",
        "horizon-lung/dcr-primary-2024-06",
        "horizon-lung/dor-primary-2024-06",
        "horizon-lung/dor-updated",
        "horizon-lung/orr-updated-independent-review",
        "horizon-lung/os-updated",
        "horizon-lung/pfs-primary-2024-06",
        "horizon-lung/pfs-updated-independent-review",
        "juliet/crr-final-5-year",
        "juliet/crs-g3-label",
        "juliet/neurotox-g3-primary",
        "juliet/orr-final-5-year",
        "juliet/os-final-5-year",
        "juliet/pfs-final-5-year",
        "katherine/dfs-primary",
        "lilac/pcr-primary-central-review",
        "lilac/pcr-primary-local-review",
        "mountaineer/dor-final",
        "mountaineer/dor-primary",
        "mountaineer/orr-final-independent-review",
        "mountaineer/orr-primary",
        "mountaineer/os-final",
        "mountaineer/os-primary",
        "mountaineer/pfs-final-independent-review",
        "mountaineer/pfs-primary",
        "nala/cbr-primary",
        "phoebe/os-updated",
        "phoebe/os-updated-2",
        "phoebe/pfs-updated-investigator",
        "pilot/crr-primary-independent-review-2021-09",
        "rc48-c006/os-interim",
        "rc48-c006/pfs-final-independent-review-2023-12-31",
        "rc48-c006/pfs-final-investigator-2023-12-31",
        "reflections-b327-02/os-primary",
        "reflections-b327-02/pfs-primary",
        "reliance/crr-updated",
        "reliance/crr-updated-2020-12-31",
        "reliance/crs-g3-updated-2020-12-31",
        "reliance/neurotox-g3-updated-2020-12-31",
        "reliance/orr-updated",
        "reliance/orr-updated-2020-12-31",
        "reliance/os-updated",
        "reliance/os-updated-2020-12-31",
        "reliance/os-updated-2023-12-18",
        "reliance/os-updated-2023-12-18-2",
        "reliance/pfs-updated",
        "sb3-neoadjuvant/efs-updated-4-year-follow-up",
        "sb3-neoadjuvant/os-updated-3-year-follow-up",
        "sb3-neoadjuvant/os-updated-4-year-follow-up",
        "soho-01/dcr-interim",
        "soho-01/dor-primary-independent-review",
        "soho-01/dor-primary-independent-review-2",
        "soho-01/orr-interim",
        "soho-01/orr-interim-2",
        "soho-01/orr-primary-independent-review",
        "soho-01/orr-primary-independent-review-2",
        "soho-01/pfs-interim",
        "sophia/os-interim",
        "toga/dcr-primary",
        "toga/orr-primary",
        "toga/pfs-primary",
        "transcend-cll-004/crr-primary",
        "transcend-cll-004/crr-primary-independent-review-2",
        "transcend-cll-004/crr-updated-independent-review",
        "transcend-cll-004/crs-g3-primary-2",
        "transcend-cll-004/neurotox-g3-primary-2",
        "transcend-cll-004/orr-primary",
        "transcend-cll-004/orr-primary-independent-review",
        "transcend-fl/crr-updated",
        "transcend-fl/crr-updated-independent-review-2024-01-10",
        "transcend-fl/dor-updated",
        "transcend-fl/dor-updated-independent-review-2024-01-10",
        "transcend-fl/orr-updated",
        "transcend-fl/orr-updated-independent-review-2024-01-10",
        "transcend-nhl-001/crr-final-independent-review-2024-05-16",
        "transcend-nhl-001/crr-primary-independent-review",
        "transcend-nhl-001/crs-g3-primary",
        "transcend-nhl-001/dor-final-independent-review-2024-05-16",
        "transcend-nhl-001/dor-primary-independent-review",
        "transcend-nhl-001/neurotox-g3-primary",
        "transcend-nhl-001/orr-final-independent-review-2024-05-16",
        "transcend-nhl-001/os-final-2024-05-16",
        "transcend-nhl-001/pfs-final-2024-05-16",
        "transform/efs-primary-independent-review-2",
        "transform/orr-primary-independent-review",
        "zuma-2/crr-primary-label",
        "zuma-2/crr-updated-3-year",
        "zuma-2/crr-updated-label-24-month",
        "zuma-2/crs-g3-primary-label",
        "zuma-2/dor-updated-3-year",
        "zuma-2/neurotox-g3-primary-label",
        "zuma-2/orr-primary-label",
        "zuma-2/orr-updated-3-year",
        "zuma-2/orr-updated-label-24-month",
        "zuma-2/os-updated-3-year",
        "zuma-2/pfs-updated-3-year",
        "zuma-5/crr-interim-2019-08-20",
        "zuma-5/crs-g3-interim-2019-08-20",
        "zuma-5/neurotox-g3-interim-2019-08-20",
        "zuma-5/orr-interim-2019-08-20",
    }
)

# Approvals citing no label or decision of their own regulator (a `regulatory_document` source whose `regulator` is the approval's). (76 at the start; curators shrink this list.)
KNOWN_APPROVALS_WITHOUT_REGULATOR_DOCUMENT: frozenset[str] = frozenset(
    {
        "ema-breyanzi-2022-lbcl-third-line",
        "ema-breyanzi-2023-05-05-2l",
        "ema-breyanzi-2025-03-fl",
        "ema-breyanzi-2025-11-mcl",
        "ema-herzuma-2018-02-07",
        "ema-yescarta-2022-10-17-2l",
        "fda-bizengri-2024-12-04-nsclc",
        "fda-bizengri-2024-12-04-pancreatic",
        "fda-breyanzi-2021-02-05",
        "fda-breyanzi-2022-06-24-early-relapse",
        "fda-breyanzi-2022-06-24-transplant-ineligible",
        "fda-breyanzi-2024-03-14",
        "fda-breyanzi-2024-05-15",
        "fda-breyanzi-2024-05-30",
        "fda-enhertu-2022-08-11",
        "fda-enhertu-2024-04-05",
        "fda-enhertu-2025-12-15",
        "fda-kadcyla-2019-05-03",
        "fda-kymriah-2022-05-27",
        "fda-tecartus-2021-10-01",
        "nmpa-aidixi-2021-06-gastric",
        "nmpa-aidixi-2025-05-breast-liver-metastasis",
        "nmpa-carteyva-2021-09-lbcl",
        "nmpa-carteyva-2022-10-fl",
        "nmpa-pyrotinib-2020-07-full",
        "nmpa-trastuzumab-rezetecan-2025-05-29",
    }
)

# Approvals linking no pivotal trial and giving no `no_pivotal_trial_reason`. (24 at the start; curators shrink this list.)
KNOWN_APPROVALS_WITHOUT_PIVOTAL_TRIAL_OR_REASON: frozenset[str] = frozenset({})

# Approvals without `type`. (26 at the start; curators shrink this list.)
KNOWN_APPROVALS_WITHOUT_TYPE: frozenset[str] = frozenset(
    {
        "ema-yescarta-2022-10-17-2l",
        "fda-aucatzyl-2024-11-08",
        "fda-breyanzi-2021-02-05",
        "fda-breyanzi-2022-06-24-early-relapse",
        "fda-breyanzi-2022-06-24-transplant-ineligible",
        "fda-breyanzi-2024-05-30",
        "fda-breyanzi-2025-12-04",
        "fda-kymriah-2018-05-01",
        "fda-tecartus-2021-10-01",
        "fda-yescarta-2022-04-01",
        "nmpa-aidixi-2025-05-breast-liver-metastasis",
        "nmpa-carteyva-2021-09-lbcl",
        "nmpa-carteyva-2022-10-fl",
    }
)

# Outcomes (trial/outcome) whose hazard ratio lacks a confidence bound. (8 at the start; curators shrink this list.)
KNOWN_HAZARD_RATIOS_WITHOUT_INTERVAL: frozenset[str] = frozenset(
    {
        "cleopatra/pfs-primary-investigator",
        "destiny-gastric01/pfs-primary",
        "extenet/dfs-primary",
        "her2climb/pfs-final-2021-02-08",
        "hera/os-interim",
        "nsabp-b31-n9831/os-primary",
        "sophia/pfs-updated-investigator-2019-09-10",
    }
)

# Facts (kind:key) whose every source is press, news or another unvetted page. (267 at the start; curators shrink this list.)
KNOWN_FACTS_CITING_ONLY_UNVETTED_SOURCES: frozenset[str] = frozenset(
    {
        "agent:trastuzumab-duocarmazine",
        "approval:ema-breyanzi-2022-lbcl-third-line",
        "approval:ema-breyanzi-2023-05-05-2l",
        "approval:ema-breyanzi-2025-03-fl",
        "approval:ema-breyanzi-2025-11-mcl",
        "approval:ema-herzuma-2018-02-07",
        "approval:ema-yescarta-2022-10-17-2l",
        "approval:fda-bizengri-2024-12-04-nsclc",
        "approval:fda-bizengri-2024-12-04-pancreatic",
        "approval:fda-breyanzi-2021-02-05",
        "approval:fda-breyanzi-2024-03-14",
        "approval:fda-breyanzi-2024-05-15",
        "approval:fda-breyanzi-2024-05-30",
        "approval:fda-enhertu-2022-08-11",
        "approval:fda-enhertu-2024-04-05",
        "approval:fda-enhertu-2025-12-15",
        "approval:fda-kadcyla-2019-05-03",
        "approval:fda-kymriah-2022-05-27",
        "approval:nmpa-aidixi-2021-06-gastric",
        "approval:nmpa-aidixi-2025-05-breast-liver-metastasis",
        "approval:nmpa-pyrotinib-2020-07-full",
        "approval:nmpa-trastuzumab-rezetecan-2025-05-29",
        "companion_diagnostic:guardant360-cdx",
        "companion_diagnostic:oncomine-dx-target-test",
        "companion_diagnostic_approval:guardant360-cdx/1",
        "companion_diagnostic_approval:oncomine-dx-target-test/1",
        "companion_diagnostic_approval:pathway-her2-4b5/4",
        "indication:b-cell-acute-lymphoblastic-leukaemia",
        "indication:chronic-lymphocytic-leukaemia",
        "indication:her2-mutant-non-small-cell-lung-cancer",
        "indication:her2-positive-early-breast-cancer",
        "indication:her2-positive-metastatic-breast-cancer",
        "indication:her2-positive-solid-tumours",
        "indication:large-b-cell-lymphoma",
        "indication:lbcl-relapsed-refractory-after-two-or-more-lines",
        "indication:mantle-cell-lymphoma",
        "indication:marginal-zone-lymphoma",
        "indication:non-small-cell-lung-cancer",
        "indication:nrg1-fusion-non-small-cell-lung-cancer",
        "indication:nrg1-fusion-pancreatic-adenocarcinoma",
        "indication:relapsed-refractory-cll-sll",
        "indication:relapsed-refractory-mantle-cell-lymphoma",
        "indication:relapsed-refractory-marginal-zone-lymphoma",
        "outcome:aphinity/dfs-primary",
        "outcome:beamion-lung-1/dcr-interim",
        "outcome:beamion-lung-1/orr-interim",
        "outcome:beamion-lung-1/orr-primary-3",
        "outcome:beamion-lung-1/orr-primary-4",
        "outcome:beamion-lung-1/pfs-interim",
        "outcome:cleopatra/os-end-of-study",
        "outcome:cleopatra/os-end-of-study-2",
        "outcome:destiny-breast01/dcr-primary",
        "outcome:destiny-breast03/pfs-primary-investigator",
        "outcome:destiny-breast06/pfs-primary-independent-review-2",
        "outcome:destiny-breast09/dor-interim-2025-02-26",
        "outcome:destiny-breast09/pfs-interim-investigator-2025-02-26",
        "outcome:destiny-crc02/dcr-primary",
        "outcome:destiny-crc02/dor-primary-independent-review",
        "outcome:destiny-crc02/orr-primary-independent-review",
        "outcome:destiny-crc02/os-primary",
        "outcome:destiny-crc02/pfs-primary",
        "outcome:destiny-gastric01/dcr-primary",
        "outcome:destiny-gastric01/dor-primary",
        "outcome:destiny-gastric01/orr-primary-independent-review-2019-11-08",
        "outcome:destiny-gastric01/os-interim-2019-11-08-2",
        "outcome:destiny-gastric01/pfs-primary",
        "outcome:destiny-lung01/dcr-primary-2021-05-03",
        "outcome:destiny-lung01/dor-interim",
        "outcome:destiny-lung01/orr-interim",
        "outcome:destiny-lung01/orr-interim-independent-review",
        "outcome:destiny-lung01/pfs-interim",
        "outcome:destiny-lung02/dcr-primary-2022-12-23",
        "outcome:destiny-lung02/orr-interim-independent-review",
        "outcome:destiny-pantumor02/dcr-primary",
        "outcome:eliana/crs-g3-label",
        "outcome:eliana/neurotox-g3-primary",
        "outcome:enrgy/dor-primary-independent-review",
        "outcome:enrgy/orr-primary-independent-review",
        "outcome:extenet/dfs-primary",
        "outcome:felix/crr-primary-2",
        "outcome:felix/crs-g3-primary-2",
        "outcome:felix/dor-updated",
        "outcome:felix/neurotox-g3-primary-2",
        "outcome:felix/os-updated",
        "outcome:hannah/pcr-primary",
        "outcome:her2climb-02/orr-primary",
        "outcome:her2climb/orr-primary-2019-09-04",
        "outcome:herizon-btc-01/dor-updated",
        "outcome:herizon-btc-01/orr-updated-independent-review",
        "outcome:herizon-btc-01/os-updated",
        "outcome:herizon-btc-01/os-updated-2",
        "outcome:horizon-lung/dcr-primary-2024-06",
        "outcome:horizon-lung/dor-primary-2024-06",
        "outcome:horizon-lung/dor-updated",
        "outcome:horizon-lung/orr-updated-independent-review",
        "outcome:horizon-lung/os-updated",
        "outcome:horizon-lung/pfs-primary-2024-06",
        "outcome:horizon-lung/pfs-updated-independent-review",
        "outcome:juliet/crr-final-5-year",
        "outcome:juliet/crs-g3-label",
        "outcome:juliet/neurotox-g3-primary",
        "outcome:juliet/orr-final-5-year",
        "outcome:juliet/os-final-5-year",
        "outcome:juliet/pfs-final-5-year",
        "outcome:katherine/dfs-primary",
        "outcome:lilac/pcr-primary-central-review",
        "outcome:lilac/pcr-primary-local-review",
        "outcome:mountaineer/dor-final",
        "outcome:mountaineer/dor-primary",
        "outcome:mountaineer/orr-final-independent-review",
        "outcome:mountaineer/orr-primary",
        "outcome:mountaineer/os-final",
        "outcome:mountaineer/os-primary",
        "outcome:mountaineer/pfs-final-independent-review",
        "outcome:mountaineer/pfs-primary",
        "outcome:phoebe/os-updated",
        "outcome:phoebe/os-updated-2",
        "outcome:phoebe/pfs-updated-investigator",
        "outcome:pilot/crr-primary-independent-review-2021-09",
        "outcome:rc48-c006/os-interim",
        "outcome:rc48-c006/pfs-final-independent-review-2023-12-31",
        "outcome:rc48-c006/pfs-final-investigator-2023-12-31",
        "outcome:reflections-b327-02/os-primary",
        "outcome:reflections-b327-02/pfs-primary",
        "outcome:reliance/crr-updated-2020-12-31",
        "outcome:reliance/crs-g3-updated-2020-12-31",
        "outcome:reliance/neurotox-g3-updated-2020-12-31",
        "outcome:reliance/orr-updated-2020-12-31",
        "outcome:reliance/os-updated-2020-12-31",
        "outcome:sb3-neoadjuvant/efs-updated-4-year-follow-up",
        "outcome:sb3-neoadjuvant/os-updated-3-year-follow-up",
        "outcome:sb3-neoadjuvant/os-updated-4-year-follow-up",
        "outcome:soho-01/dcr-interim",
        "outcome:soho-01/dor-primary-independent-review",
        "outcome:soho-01/dor-primary-independent-review-2",
        "outcome:soho-01/orr-interim",
        "outcome:soho-01/orr-interim-2",
        "outcome:soho-01/orr-primary-independent-review",
        "outcome:soho-01/orr-primary-independent-review-2",
        "outcome:soho-01/pfs-interim",
        "outcome:sophia/os-interim",
        "outcome:toga/dcr-primary",
        "outcome:toga/orr-primary",
        "outcome:toga/pfs-primary",
        "outcome:transcend-cll-004/crr-primary",
        "outcome:transcend-cll-004/crr-primary-independent-review-2",
        "outcome:transcend-cll-004/crs-g3-primary-2",
        "outcome:transcend-cll-004/neurotox-g3-primary-2",
        "outcome:transcend-cll-004/orr-primary",
        "outcome:transcend-cll-004/orr-primary-independent-review",
        "outcome:transcend-fl/crr-updated",
        "outcome:transcend-fl/dor-updated",
        "outcome:transcend-fl/dor-updated-independent-review-2024-01-10",
        "outcome:transcend-fl/orr-updated",
        "outcome:transcend-nhl-001/crr-primary-independent-review",
        "outcome:transcend-nhl-001/crs-g3-primary",
        "outcome:transcend-nhl-001/dor-primary-independent-review",
        "outcome:transcend-nhl-001/neurotox-g3-primary",
        "outcome:transform/efs-primary-independent-review-2",
        "outcome:transform/orr-primary-independent-review",
        "outcome:zuma-2/crr-primary-label",
        "outcome:zuma-2/crr-updated-3-year",
        "outcome:zuma-2/crr-updated-label-24-month",
        "outcome:zuma-2/crs-g3-primary-label",
        "outcome:zuma-2/dor-updated-3-year",
        "outcome:zuma-2/neurotox-g3-primary-label",
        "outcome:zuma-2/orr-primary-label",
        "outcome:zuma-2/orr-updated-3-year",
        "outcome:zuma-2/orr-updated-label-24-month",
        "outcome:zuma-2/os-updated-3-year",
        "outcome:zuma-2/pfs-updated-3-year",
        "resistance_overcoming:cd58-loss/1",
        "safety_warning:fda-kymriah-rems",
        "safety_warning:fda-tecartus-boxed-crs",
        "safety_warning:fda-tecartus-boxed-neurotox",
        "safety_warning:fda-tecartus-rems",
        "trial:rc48-c006",
        "trial:soho-01",
    }
)

# Outcome groups (trial/first outcome) that look like one analysis entered twice. (4 at the start; curators shrink this list.)
KNOWN_SAME_ANALYSIS_TWICE: frozenset[str] = frozenset(
    {
        "tryphaena/pcr-primary",
    }
)
