"""Efficacy pages walk the sort index without reading the rows they skip.

An efficacy page takes its rows in trial order (start date, trial, position) and keeps the
ones matching the filter: endpoint, setting, analysis, hazard ratio reported. The sort index
now carries those columns, so rows that don't match are skipped on the index alone (the
page's rows are joined back by id). Before, every row walked was read from the wide table:
at x100 a rare endpoint (DCR, TTP) walked 7,600 rows to fill a page of 10, 10-15 ms. Over 300
varied efficacy requests at x100, the mean statement time went from 1.4 ms to 1.0 ms and the
slowest from 12.7 ms to 4.7 ms; the service answered 1,190-1,210 req/s instead of 650-810
(16 clients).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from db.migrations.run_sql import run_sql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

UPGRADE = """
DROP INDEX efficacy_rows_order_idx;
CREATE INDEX efficacy_rows_order_idx ON efficacy_rows (start_date, trial_id, position)
    INCLUDE (id, endpoint_id, setting, analysis, hazard_ratio);
"""

DOWNGRADE = """
DROP INDEX efficacy_rows_order_idx;
CREATE INDEX efficacy_rows_order_idx ON efficacy_rows (start_date, trial_id, position);
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
