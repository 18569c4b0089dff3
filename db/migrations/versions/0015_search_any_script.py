"""Search and typeahead match names in any script.

The compact form of a searchable text (lower case, only letters and digits) kept a-z and
0-9 and dropped every other character, so a Chinese brand name compacted to nothing and
could not be found. It now drops only ASCII punctuation, spaces and symbols and keeps
every other character (the letters of other scripts); names written in Latin letters
compact as before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _search_index(compact_pattern: str) -> str:
    # The view and its indexes as migrations 0005 and 0013 left them, with the compact form given.
    return rf"""
DROP MATERIALIZED VIEW search_index;
CREATE MATERIALIZED VIEW search_index AS
    SELECT type, id, key, label, field, text, weight::float8 AS weight,
           lower(text) AS lower_text,
           regexp_replace(lower(text), '{compact_pattern}', '', 'g') AS compact,
           to_tsvector('english', text) AS document
    FROM search_documents;
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


# Everything but a-z, 0-9 and non-ASCII characters (the same class as schema/sql/*.sql).
UPGRADE = _search_index(r"[^a-z0-9\u0080-\U0010ffff]+")
DOWNGRADE = _search_index(r"[^a-z0-9]+")


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
