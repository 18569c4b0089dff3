"""Trial lists page and count on indexes alone.

A trials connection filtered by phase, setting or status counts its matches on
(phase, setting, status) with an index-only scan, and finds its page's keys by walking the
sort index, whose entries now carry the filter columns: rows that don't match are skipped
without reading the table (a list selects only the sort keys; the page's rows are joined
back by id). Before, both read the wide table rows: at x100 a rare filter walked 5,000
rows to fill a page of 10.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from db.migrations.run_sql import run_sql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE INDEX trials_filter_idx ON trials (phase, setting, status);
DROP INDEX trials_enrollment_idx;
CREATE INDEX trials_enrollment_idx ON trials (enrollment, id) INCLUDE (phase, setting, status);
DROP INDEX trials_start_idx;
CREATE INDEX trials_start_idx ON trials (start_date, id) INCLUDE (phase, setting, status);
"""

DOWNGRADE = """
DROP INDEX trials_filter_idx;
DROP INDEX trials_enrollment_idx;
CREATE INDEX trials_enrollment_idx ON trials (enrollment, id);
DROP INDEX trials_start_idx;
CREATE INDEX trials_start_idx ON trials (start_date, id);
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
