"""Approvals say why they link no pivotal trial (`no_pivotal_trial_reason`), e.g. a
biosimilar approved on comparative data, so an approval without a trial is a stated fact
rather than a gap.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from db.migrations.run_sql import run_sql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE approvals ADD COLUMN no_pivotal_trial_reason text CHECK (no_pivotal_trial_reason <> '');
"""

DOWNGRADE = r"""
ALTER TABLE approvals DROP COLUMN no_pivotal_trial_reason;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
