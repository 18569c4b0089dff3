-- The data rules of the curated data (tests/test_data_rules.py) and the figures of
-- `python -m api data-report`. Each rule lists its violations as (key, detail) rows; a key
-- names the entry as curators write it (slug, trial/outcome, kind:slug).
-- A statement with a parameter gets the source kinds of one authority tier as $1
-- (db/vocabularies.py SOURCE_KIND_TIER; which tier: TIER_PARAMETER in db/quality.py).

-- name: outcome_without_primary_source
-- Every trial outcome cites at least one primary source: the results publication, the
-- registry record (results) or the label.
SELECT t.slug || '/' || o.slug AS key, e.code || ' ' || o.analysis AS detail
FROM outcomes o
JOIN trials t ON t.id = o.trial_id
JOIN endpoints e ON e.id = o.endpoint_id
WHERE NOT EXISTS (
    SELECT 1 FROM fact_sources f JOIN sources s ON s.id = f.source_id
    WHERE f.outcome_id = o.id AND s.kind = ANY ($1::text[])
)
ORDER BY 1;

-- name: approval_without_regulator_document
-- Every approval cites a label or decision of its own regulator.
SELECT a.slug AS key, a.regulator AS detail
FROM approvals a
WHERE NOT EXISTS (
    SELECT 1 FROM fact_sources f JOIN sources s ON s.id = f.source_id
    WHERE f.approval_id = a.id AND s.kind = 'regulatory_document' AND s.regulator = a.regulator
)
ORDER BY 1;

-- name: approval_without_pivotal_trial
-- Every approval links its pivotal trial(s) or states why none is linked.
SELECT a.slug AS key, a.regulator AS detail
FROM approvals a
WHERE NOT EXISTS (SELECT 1 FROM approval_trials l WHERE l.approval_id = a.id)
  AND a.no_pivotal_trial_reason IS NULL
ORDER BY 1;

-- name: approval_without_type
-- Every approval has its regulatory type (regular, accelerated, conditional, full).
SELECT a.slug AS key, a.regulator AS detail
FROM approvals a
WHERE a.approval_type IS NULL
ORDER BY 1;

-- name: hazard_ratio_without_interval
-- Every hazard ratio has both bounds of its confidence interval (the level is ci_level).
SELECT t.slug || '/' || o.slug AS key, o.hazard_ratio::text AS detail
FROM outcomes o
JOIN trials t ON t.id = o.trial_id
WHERE o.hazard_ratio IS NOT NULL
  AND (o.hazard_ratio_ci_lower IS NULL OR o.hazard_ratio_ci_upper IS NULL)
ORDER BY 1;

-- name: unvetted_source_alone
-- A news, press, blog, company or slide page never stands alone: every fact that cites
-- one also cites a source of another tier.
WITH subjects (key, source_id) AS (
    SELECT 'target:' || g.symbol, f.source_id FROM fact_sources f JOIN targets g ON g.id = f.target_id
    UNION ALL
    SELECT 'agent:' || a.slug, f.source_id FROM fact_sources f JOIN agents a ON a.id = f.agent_id
    UNION ALL
    SELECT 'indication:' || i.slug, f.source_id FROM fact_sources f JOIN indications i ON i.id = f.indication_id
    UNION ALL
    SELECT 'approval:' || a.slug, f.source_id FROM fact_sources f JOIN approvals a ON a.id = f.approval_id
    UNION ALL
    SELECT 'trial:' || t.slug, f.source_id FROM fact_sources f JOIN trials t ON t.id = f.trial_id
    UNION ALL
    SELECT 'outcome:' || t.slug || '/' || o.slug, f.source_id
    FROM fact_sources f JOIN outcomes o ON o.id = f.outcome_id JOIN trials t ON t.id = o.trial_id
    UNION ALL
    SELECT 'resistance_mechanism:' || m.slug, f.source_id
    FROM fact_sources f JOIN resistance_mechanisms m ON m.id = f.resistance_mechanism_id
    UNION ALL
    SELECT 'resistance_effect:' || m.slug || '/' || a.slug, f.source_id
    FROM fact_sources f
    JOIN resistance_effects r ON r.id = f.resistance_effect_id
    JOIN resistance_mechanisms m ON m.id = r.mechanism_id
    JOIN agents a ON a.id = r.agent_id
    UNION ALL
    SELECT 'resistance_overcoming:' || m.slug || '/' || (r.position + 1), f.source_id
    FROM fact_sources f
    JOIN resistance_overcoming r ON r.id = f.resistance_overcoming_id
    JOIN resistance_mechanisms m ON m.id = r.mechanism_id
    UNION ALL
    SELECT 'safety_warning:' || w.slug, f.source_id FROM fact_sources f JOIN safety_warnings w ON w.id = f.safety_warning_id
    UNION ALL
    SELECT 'biomarker:' || b.slug, f.source_id FROM fact_sources f JOIN biomarkers b ON b.id = f.biomarker_id
    UNION ALL
    SELECT 'companion_diagnostic:' || d.slug, f.source_id
    FROM fact_sources f JOIN companion_diagnostics d ON d.id = f.companion_diagnostic_id
    UNION ALL
    SELECT 'companion_diagnostic_approval:' || d.slug || '/' || (c.position + 1), f.source_id
    FROM fact_sources f
    JOIN companion_diagnostic_approvals c ON c.id = f.companion_diagnostic_approval_id
    JOIN companion_diagnostics d ON d.id = c.diagnostic_id
)
SELECT x.key, string_agg(s.slug, ' ' ORDER BY s.slug) AS detail
FROM subjects x JOIN sources s ON s.id = x.source_id
GROUP BY x.key
HAVING bool_and(s.kind = ANY ($1::text[]))
ORDER BY 1;

-- name: same_analysis_twice
-- One analysis is one outcome: outcomes of a trial with the same endpoint, analysis,
-- assessment, data cut-off, population, compared arms and landmarks look like one analysis
-- entered twice (merge them, listing every source) unless something they do not record
-- tells them apart (then record it, e.g. the population or the data cut-off).
WITH identity AS (
    SELECT o.id, o.trial_id, o.slug,
           concat_ws('|', o.endpoint_id, o.analysis, o.assessment, o.data_cutoff, o.population,
                     o.population_kind,
                     (SELECT string_agg(r.arm_id || ':' || coalesce(r.timepoint, ''), ',' ORDER BY r.arm_id)
                      FROM outcome_arm_results r WHERE r.outcome_id = o.id)) AS fingerprint
    FROM outcomes o
)
SELECT t.slug || '/' || min(i.slug) AS key, string_agg(i.slug, ' ' ORDER BY i.slug) AS detail
FROM identity i JOIN trials t ON t.id = i.trial_id
GROUP BY t.slug, i.trial_id, i.fingerprint
HAVING count(*) > 1
ORDER BY 1;

-- name: outcome_identifier_share
-- Outcomes, and those whose sources include a DOI, PMID or NCT ID.
SELECT count(*) AS total,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM fact_sources f JOIN sources s ON s.id = f.source_id
           WHERE f.outcome_id = o.id AND (s.doi IS NOT NULL OR s.pmid IS NOT NULL OR s.nct_id IS NOT NULL)
       )) AS matching
FROM outcomes o;

-- name: approval_regulator_document_share
-- Approvals, and those citing a label or decision of their own regulator.
SELECT count(*) AS total,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM fact_sources f JOIN sources s ON s.id = f.source_id
           WHERE f.approval_id = a.id AND s.kind = 'regulatory_document' AND s.regulator = a.regulator
       )) AS matching
FROM approvals a;

-- name: approvals_without_pivotal_trial_by_reason
-- Approvals linking no pivotal trial, by the reason given (null: none given).
SELECT a.no_pivotal_trial_reason AS reason, count(*) AS count,
       string_agg(a.slug, ' ' ORDER BY a.slug) AS approvals
FROM approvals a
WHERE NOT EXISTS (SELECT 1 FROM approval_trials l WHERE l.approval_id = a.id)
GROUP BY a.no_pivotal_trial_reason
ORDER BY a.no_pivotal_trial_reason NULLS FIRST;

-- name: sources_by_kind
-- Sources per kind.
SELECT kind, count(*) AS count FROM sources GROUP BY kind ORDER BY count(*) DESC, kind;
