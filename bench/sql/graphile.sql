-- What PostGraphile v5 needs to answer the benchmark queries as our service does, in the
-- benchmark database only: the agent -> trial path through agent_trials (with the order
-- key of an agent's trials), the identifier table for lookups, and smart tags letting it
-- filter and order by the columns our queries filter and order by. The search and
-- typeahead functions are added from the service's own SQL (bench/graphile.py).

CREATE VIEW bench_agent_trials AS
    SELECT x.agent_id, x.trial_id, t.start_date, t.slug
    FROM agent_trials x
    JOIN trials t ON t.id = x.trial_id;

COMMENT ON VIEW bench_agent_trials IS
    E'@foreignKey (agent_id) references agents (id)\n@foreignKey (trial_id) references trials (id)';
COMMENT ON COLUMN bench_agent_trials.start_date IS '@behavior +orderBy';
COMMENT ON COLUMN bench_agent_trials.slug IS '@behavior +orderBy';

COMMENT ON MATERIALIZED VIEW entity_names IS E'@foreignKey (entity_id) references agents (id)';
COMMENT ON COLUMN entity_names.type IS '@behavior +filterBy';
COMMENT ON COLUMN entity_names.name IS '@behavior +filterBy';

COMMENT ON COLUMN agents.modality IS '@behavior +filterBy';
COMMENT ON COLUMN trials.phase IS '@behavior +filterBy';
COMMENT ON COLUMN trials.setting IS '@behavior +filterBy';
COMMENT ON COLUMN trials.status IS '@behavior +filterBy';
COMMENT ON COLUMN trials.enrollment IS '@behavior +orderBy';
COMMENT ON COLUMN trials.start_date IS '@behavior +orderBy';
COMMENT ON COLUMN outcomes.position IS '@behavior +orderBy';
COMMENT ON COLUMN outcome_arm_results.position IS '@behavior +orderBy';

COMMENT ON COLUMN efficacy_rows.endpoint IS '@behavior +filterBy';
COMMENT ON COLUMN efficacy_rows.setting IS '@behavior +filterBy';
COMMENT ON COLUMN efficacy_rows.analysis IS '@behavior +filterBy';
COMMENT ON COLUMN efficacy_rows.nct_id IS '@behavior +filterBy';
COMMENT ON COLUMN efficacy_rows.start_date IS '@behavior +orderBy';
COMMENT ON COLUMN efficacy_rows.trial_id IS '@behavior +orderBy';
COMMENT ON COLUMN efficacy_rows.position IS '@behavior +orderBy';
COMMENT ON COLUMN efficacy_rows.id IS '@behavior +orderBy';
