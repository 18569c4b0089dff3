"""Prepared query tables: what requests used to compute per request is computed at seeding.

- `search_index`: every searchable text with its lower-cased and compacted forms and its
  tsvector, under GIN (tsvector, trigram) and B-tree prefix indexes, so search filters
  candidates on an index before scoring them.
- `entity_names`: every name, synonym, brand, code and cross-reference of agents, trials,
  targets and indications, lower-cased, under a B-tree: lookups by any name are one index
  probe.
- `agent_trials`, `indication_closure`, `efficacy_rows`: the former views, materialised
  with the indexes their filters and orders use.
- Indexes on the sort keys of every root list, so a page is an index range with LIMIT.

The seed loader refreshes them in the seeding transaction (db.prepared).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Search scores a word match as 0.8 x word_similarity and keeps hits scoring 0.3 or more:
-- the word-similarity index condition (`<%`) must let through word_similarity >= 0.375.
-- Names within a few typos ("pertuzamab" -> "trastuzumab", scored by edit distance) can
-- share few trigrams: candidates by trigram similarity start at 0.1.
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = 0.375', current_database());
    EXECUTE format('ALTER DATABASE %I SET pg_trgm.similarity_threshold = 0.1', current_database());
END $$;

CREATE MATERIALIZED VIEW search_index AS
    SELECT type, id, key, label, field, text, weight::float8 AS weight,
           lower(text) AS lower_text,
           regexp_replace(lower(text), '[^a-z0-9]+', '', 'g') AS compact,
           to_tsvector('english', text) AS document
    FROM search_documents;
CREATE INDEX search_index_document_idx ON search_index USING gin (document);
CREATE INDEX search_index_lower_trgm_idx ON search_index USING gin (lower_text gin_trgm_ops);
CREATE INDEX search_index_compact_trgm_idx ON search_index USING gin (compact gin_trgm_ops);
CREATE INDEX search_index_compact_prefix_idx ON search_index (compact text_pattern_ops);
CREATE INDEX search_index_lower_prefix_idx ON search_index (lower_text text_pattern_ops);
CREATE INDEX search_index_key_idx ON search_index (lower(key));

CREATE MATERIALIZED VIEW entity_names AS
    SELECT DISTINCT type, entity_id, name FROM (
        SELECT 'AGENT' AS type, a.id AS entity_id, lower(n) AS name
        FROM agents a CROSS JOIN LATERAL unnest(
            ARRAY[a.slug, a.name, a.chembl_id, a.ncit_id, a.drugbank_id, a.unii, a.rxnorm_id]
            || a.synonyms || a.brand_names || a.code_names) AS n
        UNION ALL
        SELECT 'TRIAL', t.id, lower(n)
        FROM trials t CROSS JOIN LATERAL unnest(ARRAY[t.slug, t.nct_id, t.acronym] || t.other_ids) AS n
        UNION ALL
        SELECT 'TARGET', g.id, lower(n)
        FROM targets g CROSS JOIN LATERAL unnest(
            ARRAY[g.symbol, g.hgnc_id, g.uniprot_id, g.ensembl_id, g.ncbi_gene_id] || g.aliases) AS n
        UNION ALL
        SELECT 'INDICATION', i.id, lower(n)
        FROM indications i CROSS JOIN LATERAL unnest(ARRAY[i.slug, i.name, i.ncit_id, i.doid_id, i.mondo_id]) AS n
    ) names
    WHERE name IS NOT NULL;
CREATE INDEX entity_names_name_idx ON entity_names (type, name, entity_id);

DROP VIEW agent_trials;
CREATE MATERIALIZED VIEW agent_trials AS
    SELECT DISTINCT c.agent_id, a.trial_id
    FROM arm_regimen_components c
    JOIN trial_arms a ON a.id = c.arm_id
    WHERE c.agent_id IS NOT NULL;
CREATE UNIQUE INDEX agent_trials_agent_trial_idx ON agent_trials (agent_id, trial_id);
CREATE INDEX agent_trials_trial_idx ON agent_trials (trial_id, agent_id);

DROP VIEW indication_closure;
CREATE MATERIALIZED VIEW indication_closure AS
    WITH RECURSIVE closure (ancestor_id, descendant_id) AS (
        SELECT id, id FROM indications
        UNION ALL
        SELECT c.ancestor_id, i.id
        FROM closure c JOIN indications i ON i.parent_id = c.descendant_id
    )
    SELECT ancestor_id, descendant_id FROM closure;
CREATE INDEX indication_closure_ancestor_idx ON indication_closure (ancestor_id, descendant_id);

DROP VIEW efficacy_rows;
CREATE MATERIALIZED VIEW efficacy_rows AS
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
CREATE UNIQUE INDEX efficacy_rows_id_idx ON efficacy_rows (id);
CREATE INDEX efficacy_rows_order_idx ON efficacy_rows (start_date, trial_id, position);
CREATE INDEX efficacy_rows_trial_idx ON efficacy_rows (trial_id);
CREATE INDEX efficacy_rows_endpoint_idx ON efficacy_rows (endpoint_id);

CREATE INDEX agents_name_idx ON agents (lower(name), id);
CREATE INDEX trials_start_idx ON trials (start_date, id);
CREATE INDEX trials_start_slug_idx ON trials (start_date, slug);
CREATE INDEX trials_phase_idx ON trials (phase, id);
CREATE INDEX trials_enrollment_idx ON trials (enrollment, id);
CREATE INDEX outcomes_order_idx ON outcomes (trial_id, position, id);
CREATE INDEX approvals_date_idx ON approvals (approval_date, slug, id);
CREATE INDEX sources_year_idx ON sources (year DESC NULLS LAST, slug, id);
CREATE INDEX indications_name_idx ON indications (lower(name), id);
CREATE INDEX resistance_mechanisms_name_idx ON resistance_mechanisms (lower(name), id);
CREATE INDEX safety_warnings_order_idx ON safety_warnings (agent_id, slug, id);
CREATE INDEX fact_sources_outcome_idx ON fact_sources (outcome_id) WHERE outcome_id IS NOT NULL;
CREATE INDEX fact_sources_trial_idx ON fact_sources (trial_id) WHERE trial_id IS NOT NULL;
CREATE INDEX fact_sources_agent_idx ON fact_sources (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX fact_sources_approval_idx ON fact_sources (approval_id) WHERE approval_id IS NOT NULL;
CREATE INDEX trial_arms_trial_idx ON trial_arms (trial_id, position);
CREATE INDEX outcome_arm_results_outcome_idx ON outcome_arm_results (outcome_id, position);
"""

DOWNGRADE = r"""
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I RESET pg_trgm.word_similarity_threshold', current_database());
    EXECUTE format('ALTER DATABASE %I RESET pg_trgm.similarity_threshold', current_database());
END $$;
DROP INDEX outcome_arm_results_outcome_idx, trial_arms_trial_idx, fact_sources_approval_idx,
    fact_sources_agent_idx, fact_sources_trial_idx, fact_sources_outcome_idx, safety_warnings_order_idx,
    resistance_mechanisms_name_idx, indications_name_idx, sources_year_idx, approvals_date_idx,
    outcomes_order_idx, trials_enrollment_idx, trials_phase_idx, trials_start_slug_idx, trials_start_idx,
    agents_name_idx;
DROP MATERIALIZED VIEW efficacy_rows;
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
DROP MATERIALIZED VIEW indication_closure;
CREATE VIEW indication_closure AS
    WITH RECURSIVE closure (ancestor_id, descendant_id) AS (
        SELECT id, id FROM indications
        UNION ALL
        SELECT c.ancestor_id, i.id
        FROM closure c JOIN indications i ON i.parent_id = c.descendant_id
    )
    SELECT ancestor_id, descendant_id FROM closure;
DROP MATERIALIZED VIEW agent_trials;
CREATE VIEW agent_trials AS
    SELECT DISTINCT c.agent_id, a.trial_id
    FROM arm_regimen_components c
    JOIN trial_arms a ON a.id = c.arm_id
    WHERE c.agent_id IS NOT NULL;
DROP MATERIALIZED VIEW entity_names;
DROP MATERIALIZED VIEW search_index;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
