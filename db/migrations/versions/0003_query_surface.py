"""Views for the query surface: indication subtrees, search documents, efficacy rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from db.migrations.run_sql import run_sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Edit distance for typo-tolerant name search ("trastuzamab").
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- Every indication with each of its ancestors (and itself): filters by an indication
-- include the narrower ones below it.
CREATE VIEW indication_closure AS
    WITH RECURSIVE closure (ancestor_id, descendant_id) AS (
        SELECT id, id FROM indications
        UNION ALL
        SELECT c.ancestor_id, i.id
        FROM closure c JOIN indications i ON i.parent_id = c.descendant_id
    )
    SELECT ancestor_id, descendant_id FROM closure;

-- One row per searchable text of each entity: the field it comes from, a display label
-- and the natural key the global ID is built from. `weight` favours names over prose.
CREATE VIEW search_documents AS
    SELECT 'AGENT' AS type, a.id, a.slug AS key, a.name AS label, f.field, f.text, f.weight
    FROM agents a
    CROSS JOIN LATERAL (
        SELECT 'name', a.name, 1.0
        UNION ALL SELECT 'synonym', s, 1.0 FROM unnest(a.synonyms) s
        UNION ALL SELECT 'brandName', s, 1.0 FROM unnest(a.brand_names) s
        UNION ALL SELECT 'codeName', s, 1.0 FROM unnest(a.code_names) s
        UNION ALL SELECT 'chemblId', a.chembl_id, 1.0 WHERE a.chembl_id IS NOT NULL
        UNION ALL SELECT 'ncitId', a.ncit_id, 1.0 WHERE a.ncit_id IS NOT NULL
        UNION ALL SELECT 'drugbankId', a.drugbank_id, 1.0 WHERE a.drugbank_id IS NOT NULL
        UNION ALL SELECT 'unii', a.unii, 1.0 WHERE a.unii IS NOT NULL
        UNION ALL SELECT 'rxnormId', a.rxnorm_id, 1.0 WHERE a.rxnorm_id IS NOT NULL
        UNION ALL SELECT 'mechanism', a.mechanism, 0.5 WHERE a.mechanism IS NOT NULL
    ) AS f (field, text, weight)
    UNION ALL
    SELECT 'TRIAL', t.id, t.slug, coalesce(t.acronym, t.title), f.field, f.text, f.weight
    FROM trials t
    CROSS JOIN LATERAL (
        SELECT 'acronym', t.acronym, 1.0 WHERE t.acronym IS NOT NULL
        UNION ALL SELECT 'nctId', t.nct_id, 1.0 WHERE t.nct_id IS NOT NULL
        UNION ALL SELECT 'otherId', s, 1.0 FROM unnest(t.other_ids) s
        UNION ALL SELECT 'title', t.title, 0.8
    ) AS f (field, text, weight)
    UNION ALL
    SELECT 'INDICATION', i.id, i.slug, i.name, f.field, f.text, f.weight
    FROM indications i
    CROSS JOIN LATERAL (
        SELECT 'name', i.name, 1.0
        UNION ALL SELECT 'disease', i.disease, 0.7
        UNION ALL SELECT 'ncitId', i.ncit_id, 1.0 WHERE i.ncit_id IS NOT NULL
        UNION ALL SELECT 'doidId', i.doid_id, 1.0 WHERE i.doid_id IS NOT NULL
        UNION ALL SELECT 'mondoId', i.mondo_id, 1.0 WHERE i.mondo_id IS NOT NULL
    ) AS f (field, text, weight)
    UNION ALL
    SELECT 'TARGET', g.id, g.symbol, g.symbol, f.field, f.text, f.weight
    FROM targets g
    CROSS JOIN LATERAL (
        SELECT 'symbol', g.symbol, 1.0
        UNION ALL SELECT 'name', g.name, 1.0
        UNION ALL SELECT 'alias', s, 1.0 FROM unnest(g.aliases) s
        UNION ALL SELECT 'hgncId', g.hgnc_id, 1.0 WHERE g.hgnc_id IS NOT NULL
        UNION ALL SELECT 'uniprotId', g.uniprot_id, 1.0 WHERE g.uniprot_id IS NOT NULL
        UNION ALL SELECT 'ensemblId', g.ensembl_id, 1.0 WHERE g.ensembl_id IS NOT NULL
        UNION ALL SELECT 'ncbiGeneId', g.ncbi_gene_id, 1.0 WHERE g.ncbi_gene_id IS NOT NULL
    ) AS f (field, text, weight)
    UNION ALL
    SELECT 'RESISTANCE_MECHANISM', m.id, m.slug, m.name, f.field, f.text, f.weight
    FROM resistance_mechanisms m
    CROSS JOIN LATERAL (
        SELECT 'name', m.name, 1.0
        UNION ALL SELECT 'biomarker', b.name, 0.9 FROM resistance_biomarkers b WHERE b.mechanism_id = m.id
        UNION ALL SELECT 'description', m.description, 0.5
    ) AS f (field, text, weight);

-- One forest-plot-ready row per outcome: the trial, the endpoint and analysis, the first
-- experimental (or single-arm) result and the control result side by side.
CREATE VIEW efficacy_rows AS
    SELECT
        o.id, o.id AS outcome_id, o.trial_id, o.position, o.endpoint_id, e.code AS endpoint, e.kind AS endpoint_kind,
        o.analysis, o.assessment,
        o.data_cutoff, o.data_cutoff_precision, o.population,
        o.hazard_ratio, o.hazard_ratio_ci_lower, o.hazard_ratio_ci_upper, o.p_value,
        tr.acronym, tr.nct_id, tr.phase, tr.setting, tr.start_date,
        x.label AS experimental_label, x.median AS experimental_median,
        x.median_ci_lower AS experimental_median_ci_lower, x.median_ci_upper AS experimental_median_ci_upper,
        x.median_not_reached AS experimental_median_not_reached,
        x.rate AS experimental_rate, x.rate_ci_lower AS experimental_rate_ci_lower,
        x.rate_ci_upper AS experimental_rate_ci_upper, x.n AS experimental_n,
        c.label AS control_label, c.median AS control_median,
        c.median_ci_lower AS control_median_ci_lower, c.median_ci_upper AS control_median_ci_upper,
        c.median_not_reached AS control_median_not_reached,
        c.rate AS control_rate, c.rate_ci_lower AS control_rate_ci_lower,
        c.rate_ci_upper AS control_rate_ci_upper, c.n AS control_n,
        coalesce(x.unit, c.unit) AS unit, coalesce(x.timepoint, c.timepoint) AS timepoint
    FROM outcomes o
    JOIN endpoints e ON e.id = o.endpoint_id
    JOIN trials tr ON tr.id = o.trial_id
    LEFT JOIN LATERAL (
        SELECT r.*, a.label FROM outcome_arm_results r JOIN trial_arms a ON a.id = r.arm_id
        WHERE r.outcome_id = o.id AND a.role IN ('experimental', 'single_arm')
        ORDER BY r.position LIMIT 1
    ) x ON true
    LEFT JOIN LATERAL (
        SELECT r.*, a.label FROM outcome_arm_results r JOIN trial_arms a ON a.id = r.arm_id
        WHERE r.outcome_id = o.id AND a.role = 'control'
        ORDER BY r.position LIMIT 1
    ) c ON true;
"""

DOWNGRADE = r"""
DROP VIEW efficacy_rows;
DROP VIEW search_documents;
DROP VIEW indication_closure;
DROP EXTENSION IF EXISTS fuzzystrmatch;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
