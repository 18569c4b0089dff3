"""Typeahead on word starts reads only the fields it suggests from.

The typeahead's word-start match (`lower_text LIKE '% <prefix>%'`) runs on a trigram index
of the fields it can suggest (names, codes, IDs: not titles, descriptions or mechanisms);
on the index of every field it fetched, then discarded, each title and description word
that starts with the prefix (at x100, 1,500 rows for a prefix like `tras`).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from db.migrations.run_sql import run_sql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE INDEX search_index_name_lower_trgm_idx ON search_index USING gin (lower_text gin_trgm_ops)
    WHERE field <> ALL (ARRAY['title', 'description', 'mechanism']);
"""

DOWNGRADE = """
DROP INDEX search_index_name_lower_trgm_idx;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
