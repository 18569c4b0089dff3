"""Agent trial groups prepared at seeding: each agent's trials by indication and phase.

`Agent.trialGroups` reads one index range of this table per agent instead of grouping the
agent's trials per request. Refreshed in the seeding transaction (db.prepared).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE MATERIALIZED VIEW agent_trial_groups AS
    SELECT x.agent_id, ti.indication_id, t.phase,
           coalesce(i.name, '') AS indication_name,
           CASE t.phase WHEN '1' THEN 1 WHEN '1/2' THEN 2 WHEN '2' THEN 3 WHEN '2/3' THEN 4
                        WHEN '3' THEN 5 WHEN '4' THEN 6 END AS phase_rank,
           array_agg(t.id ORDER BY t.start_date NULLS LAST, t.slug) AS trial_ids
    FROM agent_trials x
    JOIN trials t ON t.id = x.trial_id
    LEFT JOIN trial_indications ti ON ti.trial_id = t.id
    LEFT JOIN indications i ON i.id = ti.indication_id
    GROUP BY x.agent_id, ti.indication_id, t.phase, coalesce(i.name, '');
CREATE INDEX agent_trial_groups_order_idx ON agent_trial_groups (agent_id, indication_name, phase_rank DESC);
CREATE INDEX agent_trial_groups_key_idx ON agent_trial_groups (agent_id, phase, indication_id);
"""

DOWNGRADE = r"""
DROP MATERIALIZED VIEW agent_trial_groups;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
