"""Search index rows carry how many distinct trigrams their texts have.

Search scores a candidate by the trigram similarity of its lower-cased and compact forms to
the query. Two texts share at most as many trigrams as the smaller has, so the count of each
bounds the similarity (fewer / more); search skips a similarity where that bound is below a
part of the score already known. On titles, descriptions and mechanisms found by full text
(hundreds of trigrams against a query's ten) both similarities are skipped, and they were
most of the cost of scoring them.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TRIGRAM_COUNTS = """,
           cardinality(show_trgm(lower_text)) AS lower_trigrams,
           cardinality(show_trgm(compact)) AS compact_trigrams"""


def _search_index(counts: str) -> str:
    # The view and its indexes as migration 0015 left them, with the trigram counts or without.
    return rf"""
DROP MATERIALIZED VIEW search_index;
CREATE MATERIALIZED VIEW search_index AS
    SELECT type, id, key, label, field, text, weight, lower_text, compact, document{counts}
    FROM (
        SELECT type, id, key, label, field, text, weight::float8 AS weight,
               lower(text) AS lower_text,
               regexp_replace(lower(text), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g') AS compact,
               to_tsvector('english', text) AS document
        FROM search_documents
    ) AS documents;
CREATE INDEX search_index_document_idx ON search_index USING gin (document);
CREATE INDEX search_index_lower_trgm_idx ON search_index USING gin (lower_text gin_trgm_ops);
CREATE INDEX search_index_name_trgm_idx ON search_index USING gin (compact gin_trgm_ops)
    WHERE field NOT IN ('title', 'description', 'mechanism', 'disease');
CREATE INDEX search_index_compact_prefix_idx ON search_index (compact text_pattern_ops);
CREATE INDEX search_index_lower_prefix_idx ON search_index (lower_text text_pattern_ops);
CREATE INDEX search_index_key_idx ON search_index (lower(key));
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'therapy_reader') THEN
        GRANT SELECT ON search_index TO therapy_reader;
    END IF;
END $$;
"""


UPGRADE = _search_index(TRIGRAM_COUNTS)
DOWNGRADE = _search_index("")


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
