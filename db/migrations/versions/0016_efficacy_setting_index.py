"""Efficacy rows indexed by endpoint and setting.

The efficacy view's usual filter is an endpoint and a trial setting; with the setting
compared on the prepared row itself (it carries its trial's), this index finds and counts
the matching rows without a lookup of each row's trial.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE INDEX efficacy_rows_endpoint_setting_idx ON efficacy_rows (endpoint_id, setting);
"""

DOWNGRADE = r"""
DROP INDEX efficacy_rows_endpoint_setting_idx;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
