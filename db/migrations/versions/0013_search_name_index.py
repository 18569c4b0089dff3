"""Search candidates by trigram similarity come from names only.

Typo tolerance needs a low similarity threshold (0.1: "pertuzamab" -> "trastuzumab"
shares few trigrams); over every text, titles and descriptions included, that made
thousands of candidates whose recheck on long texts took seconds at 100x the data. A
partial trigram index over the short fields (names, codes, identifiers) keeps the typo
tolerance where it matters; prose is found by full-text search.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE INDEX search_index_name_trgm_idx ON search_index USING gin (compact gin_trgm_ops)
    WHERE field NOT IN ('title', 'description', 'mechanism', 'disease');
DROP INDEX search_index_compact_trgm_idx;
"""

DOWNGRADE = r"""
CREATE INDEX search_index_compact_trgm_idx ON search_index USING gin (compact gin_trgm_ops);
DROP INDEX search_index_name_trgm_idx;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
