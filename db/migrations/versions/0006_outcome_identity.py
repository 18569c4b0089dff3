"""Outcome identity: which patients an analysis counts (`population_kind`, beside the
source's own wording in `population`) and the confidence level of its intervals
(`ci_level`, 95 unless the source states another, e.g. 97.5).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from db.migrations.run_sql import run_sql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE outcomes
    ADD COLUMN population_kind text CHECK (population_kind IN
        ('intention_to_treat', 'per_protocol', 'modified_itt', 'safety', 'cohort', 'responders')),
    ADD COLUMN ci_level numeric NOT NULL DEFAULT 95 CHECK (ci_level >= 50 AND ci_level < 100);
"""

DOWNGRADE = r"""
ALTER TABLE outcomes DROP COLUMN ci_level, DROP COLUMN population_kind;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
