"""Sources as citations: what a source is (its kind, from which its authority tier
follows), the journal, date, regulator and document it is cited by, and the URL actually
read (`retrieved_from`, formerly `url`) kept apart from the citation. One row per
document: DOI, PMID, NCT ID and URL are unique.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from db.migrations.run_sql import run_sql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE sources DROP CONSTRAINT sources_kind_check;
UPDATE sources SET kind = CASE kind
    WHEN 'publication' THEN 'peer_reviewed_article'
    WHEN 'label' THEN 'regulatory_document'
    WHEN 'regulator' THEN 'regulatory_document'
    WHEN 'registry' THEN 'registry_record'
    WHEN 'web' THEN 'other'
    ELSE kind
END;
ALTER TABLE sources ADD CONSTRAINT sources_kind_check CHECK (kind IN
    ('regulatory_document', 'peer_reviewed_article', 'registry_record', 'conference_abstract',
     'review', 'press_or_news', 'other'));

ALTER TABLE sources RENAME COLUMN url TO retrieved_from;
ALTER TABLE sources RENAME CONSTRAINT sources_url_check TO sources_retrieved_from_check;

ALTER TABLE sources
    ADD COLUMN journal text CHECK (journal <> ''),
    ADD COLUMN date date,
    ADD COLUMN date_precision text CHECK (date_precision IN ('year', 'month', 'day')),
    ADD COLUMN regulator text CHECK (regulator IN ('FDA', 'EMA', 'NMPA', 'PMDA', 'MHRA', 'HC', 'TGA')),
    ADD COLUMN document text CHECK (document <> ''),
    ADD CONSTRAINT sources_date_precision_given CHECK ((date IS NULL) = (date_precision IS NULL));

-- One document, one source: the loader refuses a second entry with the same identifier.
CREATE UNIQUE INDEX sources_doi_key ON sources (lower(doi));
CREATE UNIQUE INDEX sources_pmid_key ON sources (pmid);
CREATE UNIQUE INDEX sources_nct_id_key ON sources (nct_id);
CREATE UNIQUE INDEX sources_retrieved_from_key ON sources (rtrim(retrieved_from, '/'));
"""

DOWNGRADE = r"""
DROP INDEX sources_retrieved_from_key;
DROP INDEX sources_nct_id_key;
DROP INDEX sources_pmid_key;
DROP INDEX sources_doi_key;
ALTER TABLE sources
    DROP CONSTRAINT sources_date_precision_given,
    DROP COLUMN document,
    DROP COLUMN regulator,
    DROP COLUMN date_precision,
    DROP COLUMN date,
    DROP COLUMN journal;
ALTER TABLE sources RENAME CONSTRAINT sources_retrieved_from_check TO sources_url_check;
ALTER TABLE sources RENAME COLUMN retrieved_from TO url;

ALTER TABLE sources DROP CONSTRAINT sources_kind_check;
UPDATE sources SET kind = CASE kind
    WHEN 'peer_reviewed_article' THEN 'publication'
    WHEN 'review' THEN 'publication'
    WHEN 'regulatory_document' THEN 'label'
    WHEN 'registry_record' THEN 'registry'
    WHEN 'press_or_news' THEN 'web'
    WHEN 'other' THEN 'web'
    ELSE kind
END;
ALTER TABLE sources ADD CONSTRAINT sources_kind_check CHECK (kind IN
    ('publication', 'label', 'registry', 'regulator', 'conference_abstract', 'web'));
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
