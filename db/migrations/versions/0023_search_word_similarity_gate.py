"""Search counts a word match from word similarity 0.6, and its index condition lets through 0.6.

Search used to score any candidate's word similarity (0.8 x it, from 0.375 up) and its
edit distance to the query however many edits apart, so candidates came from trigram
similarity 0.1: at x100 a typical query rechecked about 3,000 rows and scored 600, most of
them names sharing two or three trigrams with the query. Now a word match counts from 0.6
(pg_trgm's default threshold: a word of the name close to the query) and a typo is one edit
or one swap of neighbouring letters up to 7 letters, two edits from 8 (schema/sql/search.sql).
The statement sets the trigram similarity its typos need (pg_trgm.similarity_threshold, for
its own transaction); the word-similarity index condition (`<%`) reads this database setting.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from db.migrations.run_sql import run_sql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

UPGRADE = """
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = 0.6', current_database());
END $$;
"""

DOWNGRADE = """
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = 0.375', current_database());
END $$;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
