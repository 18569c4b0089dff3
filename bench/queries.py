"""The fixed benchmark query set: each query for our service, for PostGraphile v5 and as
hand-written SQL for the raw baseline, with a normaliser to check they return the same data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BenchQuery:
    name: str
    ours: str
    postgraphile: str
    raw_sql: str  # returns the response body (JSON text) of our service's shape
    normalise_ours: Callable[[Any], Any]
    normalise_postgraphile: Callable[[Any], Any]
    ours_only: bool = False  # measured on our two servers only (no equivalent elsewhere)


NESTED = BenchQuery(
    name="nested",
    ours="""{ agents(first: 20) { nodes { name trials { acronym
        outcomes { slug analysis hazardRatio armResults { median rate } } } } } }""",
    postgraphile="""{ allAgents(first: 20, orderBy: NAME_ASC) { nodes { name
        armRegimenComponentsByAgentId { nodes { trialArmByArmId { trialByTrialId { acronym
          outcomesByTrialId { nodes { slug analysis hazardRatio outcomeArmResultsByOutcomeId { nodes { median rate } } } }
        } } } } } } }""",
    raw_sql="""
        SELECT json_build_object('data', json_build_object('agents', json_build_object('nodes', coalesce(json_agg(
          json_build_object('name', a.name, 'trials', (
            SELECT coalesce(json_agg(json_build_object('acronym', t.acronym, 'outcomes', (
              SELECT coalesce(json_agg(json_build_object(
                'slug', o.slug,
                'analysis', upper(o.analysis),
                'hazardRatio', o.hazard_ratio::float8,
                'armResults', (SELECT coalesce(json_agg(json_build_object('median', r.median::float8, 'rate', r.rate::float8)
                                ORDER BY r.position), '[]') FROM outcome_arm_results r WHERE r.outcome_id = o.id)
              ) ORDER BY o.position), '[]') FROM outcomes o WHERE o.trial_id = t.id)
            ) ORDER BY t.start_date NULLS LAST, t.slug), '[]')
            FROM agent_trials x JOIN trials t ON t.id = x.trial_id WHERE x.agent_id = a.id)
          ) ORDER BY a.position), '[]'))))::text
        FROM (SELECT agents.*, row_number() OVER (ORDER BY lower(name), id) AS position
              FROM agents ORDER BY lower(name), id LIMIT 20) a
    """,
    normalise_ours=lambda d: sorted(
        {
            (a["name"], t["acronym"], o["slug"])
            for a in d["agents"]["nodes"]
            for t in a["trials"]
            for o in t["outcomes"]
        },
        key=str,
    ),
    normalise_postgraphile=lambda d: sorted(
        {
            (a["name"], c["trialArmByArmId"]["trialByTrialId"]["acronym"], o["slug"])
            for a in d["allAgents"]["nodes"]
            for c in a["armRegimenComponentsByAgentId"]["nodes"]
            for o in c["trialArmByArmId"]["trialByTrialId"]["outcomesByTrialId"]["nodes"]
        },
        key=str,
    ),
)

LIST = BenchQuery(
    name="filtered list",
    ours="""{ trials(first: 10, filter: {phases: [PHASE_3]}, orderBy: {field: ENROLLMENT}) {
        totalCount nodes { acronym nctId enrollment } } }""",
    postgraphile="""{ allTrials(first: 10, condition: {phase: "3"}, orderBy: ENROLLMENT_ASC) {
        totalCount nodes { acronym nctId enrollment } } }""",
    raw_sql="""
        SELECT json_build_object('data', json_build_object('trials', json_build_object(
          'totalCount', (SELECT count(*) FROM trials WHERE phase = '3'),
          'nodes', coalesce(json_agg(json_build_object('acronym', t.acronym, 'nctId', t.nct_id,
                                                       'enrollment', t.enrollment) ORDER BY t.position), '[]'))))::text
        FROM (SELECT trials.*, row_number() OVER (ORDER BY enrollment NULLS LAST, id) AS position
              FROM trials WHERE phase = '3' ORDER BY enrollment NULLS LAST, id LIMIT 10) t
    """,
    normalise_ours=lambda d: (d["trials"]["totalCount"], [t["acronym"] for t in d["trials"]["nodes"]]),
    normalise_postgraphile=lambda d: (
        d["allTrials"]["totalCount"],
        [t["acronym"] for t in d["allTrials"]["nodes"]],
    ),
)

LOOKUP = BenchQuery(
    name="lookup",
    ours='{ agent(name: "fam-trastuzumab-deruxtecan") { name brandNames modality } }',
    postgraphile='{ agentBySlug(slug: "fam-trastuzumab-deruxtecan") { name brandNames modality } }',
    raw_sql="""
        SELECT json_build_object('data', json_build_object('agent', (
          SELECT json_build_object('name', name, 'brandNames', brand_names, 'modality', upper(modality))
          FROM agents WHERE slug = 'fam-trastuzumab-deruxtecan')))::text
    """,
    normalise_ours=lambda d: (d["agent"]["name"], d["agent"]["brandNames"], d["agent"]["modality"].lower()),
    normalise_postgraphile=lambda d: (
        d["agentBySlug"]["name"],
        d["agentBySlug"]["brandNames"],
        d["agentBySlug"]["modality"],
    ),
)

SEARCH = BenchQuery(
    name="search",
    ours='{ search(query: "trastuzamab", first: 5) { label matchedField } }',
    postgraphile='{ benchSearch(q: "trastuzamab", n: 5) { nodes { label field } } }',
    raw_sql="""
        SELECT json_build_object('data', json_build_object('search', coalesce(json_agg(
          json_build_object('label', h.label, 'matchedField', h.field)), '[]')))::text
        FROM bench_search('trastuzamab', 5) h
    """,
    normalise_ours=lambda d: [h["label"] for h in d["search"]],
    normalise_postgraphile=lambda d: [h["label"] for h in d["benchSearch"]["nodes"]],
)

EFFICACY = BenchQuery(
    name="efficacy",
    ours="""{ efficacy(first: 50, filter: {endpoints: ["PFS"], setting: METASTATIC}) {
        totalCount nodes { acronym analysis hazardRatio experimentalMedian controlMedian } } }""",
    postgraphile="""{ allEfficacyRows(first: 50, condition: {endpoint: "PFS", setting: "metastatic"}) {
        totalCount nodes { acronym analysis hazardRatio experimentalMedian controlMedian } } }""",
    raw_sql="""
        SELECT json_build_object('data', json_build_object('efficacy', json_build_object(
          'totalCount', (SELECT count(*) FROM efficacy_rows WHERE endpoint = 'PFS' AND setting = 'metastatic'),
          'nodes', coalesce(json_agg(json_build_object('acronym', e.acronym, 'analysis', upper(e.analysis),
            'hazardRatio', e.hazard_ratio::float8, 'experimentalMedian', e.experimental_median::float8,
            'controlMedian', e.control_median::float8) ORDER BY e.__rank), '[]'))))::text
        FROM (SELECT efficacy_rows.*, row_number() OVER (ORDER BY start_date NULLS LAST, trial_id, position, id) AS __rank
              FROM efficacy_rows WHERE endpoint = 'PFS' AND setting = 'metastatic'
              ORDER BY start_date NULLS LAST, trial_id, position, id LIMIT 50) e
    """,
    normalise_ours=lambda d: (
        d["efficacy"]["totalCount"],
        sorted(
            {(r["acronym"], r["analysis"].lower(), r["hazardRatio"]) for r in d["efficacy"]["nodes"]}, key=str
        ),
    ),
    normalise_postgraphile=lambda d: (
        d["allEfficacyRows"]["totalCount"],
        sorted(
            {
                (r["acronym"], r["analysis"], None if r["hazardRatio"] is None else float(r["hazardRatio"]))
                for r in d["allEfficacyRows"]["nodes"]
            },
            key=str,
        ),
    ),
)

# The nested query with a computed field added: it must cost about the same (one statement).
NESTED_WITH_GROUPS = BenchQuery(
    name="nested + trialGroups",
    ours="""{ agents(first: 20) { nodes { name trials { acronym
        outcomes { slug analysis hazardRatio armResults { median rate } } }
        trialGroups { phase indication { name } trials { acronym } } } } }""",
    postgraphile="",
    raw_sql="",
    normalise_ours=lambda d: sorted(
        {
            (a["name"], g["phase"], t["acronym"])
            for a in d["agents"]["nodes"]
            for g in a["trialGroups"]
            for t in g["trials"]
        },
        key=str,
    ),
    normalise_postgraphile=lambda d: d,
    ours_only=True,
)

QUERIES = [NESTED, NESTED_WITH_GROUPS, LIST, LOOKUP, SEARCH, EFFICACY]
