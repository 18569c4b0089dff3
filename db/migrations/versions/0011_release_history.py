"""Data release history: every release is kept with its entities, export files and seed files.

- `data_releases.version` becomes unique (earlier duplicates get `+2`, `+3`, ... in load
  order); `served_at` says when a release last became the one the API serves (a rollback
  serves an earlier release again); `previous_id` is the release that was served when
  this one was loaded (what its changes are counted from).
- `release_entities`: each entity of a release as the export wrote it (kind = export file,
  key = natural key).
- `release_files`: the files of a release, `export` (the bulk export with release.json and
  CHANGELOG.md, served under /export/{version}/) and `seed` (the curated files it was loaded
  from, which a rollback loads again), content-addressed in `release_blobs`.
- `json_changes(path, before, after)`: the fields that differ between two JSON values,
  walking objects and lists of objects keyed by `slug`; `release_changes(from, to, kinds)`:
  the entities added, removed and changed between two releases (by version; `to` null is
  the served release). The API and the CHANGELOG both read these two functions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE data_releases
    ADD COLUMN served_at timestamptz,
    ADD COLUMN previous_id integer REFERENCES data_releases (id) ON DELETE SET NULL;
UPDATE data_releases SET served_at = loaded_at;
UPDATE data_releases d SET previous_id = (SELECT max(p.id) FROM data_releases p WHERE p.id < d.id);
UPDATE data_releases d SET version = d.version || '+' || numbered.n
FROM (SELECT id, row_number() OVER (PARTITION BY version ORDER BY id) AS n FROM data_releases) numbered
WHERE numbered.id = d.id AND numbered.n > 1;
ALTER TABLE data_releases
    ALTER COLUMN served_at SET NOT NULL,
    ALTER COLUMN served_at SET DEFAULT now(),
    ADD CONSTRAINT data_releases_version_key UNIQUE (version);
CREATE INDEX data_releases_served_idx ON data_releases (served_at DESC, id DESC);
CREATE INDEX data_releases_checksum_idx ON data_releases (checksum);

CREATE TABLE release_blobs (
    sha256   text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content  bytea NOT NULL
);

CREATE TABLE release_files (
    release_id  integer NOT NULL REFERENCES data_releases (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('export', 'seed')),
    name        text NOT NULL CHECK (name <> ''),
    sha256      text NOT NULL REFERENCES release_blobs (sha256),
    PRIMARY KEY (release_id, kind, name)
);

CREATE TABLE release_entities (
    release_id  integer NOT NULL REFERENCES data_releases (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    key         text NOT NULL,
    record      jsonb NOT NULL,
    PRIMARY KEY (release_id, kind, key)
);

-- True for a list of objects that each carry a `slug` (arms, outcomes): compared item by item.
CREATE FUNCTION json_keyed_list(value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_typeof(value) = 'array' AND NOT EXISTS (
        SELECT FROM jsonb_array_elements(value) item
        WHERE jsonb_typeof(item) <> 'object' OR NOT item ? 'slug'
    )
$$;

-- The fields that differ between two JSON values, as (field path, old value, new value):
-- objects are walked key by key (`arms[a1].label`), lists of objects with a `slug` item by
-- item (`outcomes[db03-pfs]`), anything else is compared whole. At the top level the
-- derived `*_details` fields are skipped: the entity they derive from carries the change.
-- A value missing on one side is null there (the export leaves empty values out); an
-- entity missing on one side is an empty object there.
CREATE FUNCTION json_changes(at_path text, before jsonb, after jsonb)
RETURNS TABLE (field text, old_value jsonb, new_value jsonb)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    member text;
BEGIN
    IF at_path = '' THEN
        -- An entity only in one release: every field differs from nothing.
        before := coalesce(before, '{}');
        after := coalesce(after, '{}');
    END IF;
    IF before IS NOT DISTINCT FROM after THEN
        RETURN;
    END IF;
    IF jsonb_typeof(before) = 'object' AND jsonb_typeof(after) = 'object' THEN
        FOR member IN
            SELECT k FROM jsonb_object_keys(before) k UNION SELECT k FROM jsonb_object_keys(after) k ORDER BY 1
        LOOP
            CONTINUE WHEN at_path = '' AND member LIKE '%\_details';
            RETURN QUERY SELECT * FROM json_changes(
                CASE WHEN at_path = '' THEN member ELSE at_path || '.' || member END,
                before -> member,
                after -> member
            );
        END LOOP;
    ELSIF json_keyed_list(before) AND json_keyed_list(after) THEN
        FOR member IN
            SELECT item ->> 'slug' FROM jsonb_array_elements(before) item
            UNION SELECT item ->> 'slug' FROM jsonb_array_elements(after) item
            ORDER BY 1
        LOOP
            RETURN QUERY SELECT * FROM json_changes(
                at_path || '[' || member || ']',
                (SELECT item FROM jsonb_array_elements(before) item WHERE item ->> 'slug' = member LIMIT 1),
                (SELECT item FROM jsonb_array_elements(after) item WHERE item ->> 'slug' = member LIMIT 1)
            );
        END LOOP;
    ELSE
        RETURN QUERY SELECT at_path, before, after;
    END IF;
END
$$;

-- Entities added, removed and changed from one release to another (versions; a null `to`
-- is the served release; a null `kinds` is every kind), ordered by kind and key.
CREATE FUNCTION release_changes(from_version text, to_version text, kinds text[])
RETURNS TABLE (
    ordinal bigint, from_release_id integer, to_release_id integer, kind text, key text,
    change text, label text, before jsonb, after jsonb
)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH asked AS (
        SELECT (SELECT id FROM data_releases WHERE version = from_version) AS from_id,
               CASE WHEN to_version IS NULL
                    THEN (SELECT id FROM data_releases ORDER BY served_at DESC, id DESC LIMIT 1)
                    ELSE (SELECT id FROM data_releases WHERE version = to_version)
               END AS to_id
    ),
    pair AS (
        -- Only releases whose entities were kept (not those loaded before this history).
        SELECT asked.from_id, asked.to_id FROM asked
        WHERE EXISTS (SELECT FROM release_entities e WHERE e.release_id = asked.from_id)
          AND EXISTS (SELECT FROM release_entities e WHERE e.release_id = asked.to_id)
    ),
    a AS (
        SELECT e.kind, e.key, e.record FROM release_entities e JOIN pair ON e.release_id = pair.from_id
        WHERE kinds IS NULL OR e.kind = ANY (kinds)
    ),
    b AS (
        SELECT e.kind, e.key, e.record FROM release_entities e JOIN pair ON e.release_id = pair.to_id
        WHERE kinds IS NULL OR e.kind = ANY (kinds)
    ),
    differing AS (
        SELECT coalesce(a.kind, b.kind) AS kind, coalesce(a.key, b.key) AS key,
               CASE WHEN a.key IS NULL THEN 'added' WHEN b.key IS NULL THEN 'removed' ELSE 'changed' END
                   AS change,
               a.record AS before, b.record AS after
        FROM a FULL JOIN b ON a.kind = b.kind AND a.key = b.key
        WHERE a.record IS DISTINCT FROM b.record
    )
    SELECT row_number() OVER (ORDER BY d.kind, d.key), pair.from_id, pair.to_id, d.kind, d.key, d.change,
           coalesce(r ->> 'name', r ->> 'acronym', r ->> 'symbol', r ->> 'title', r ->> 'event'),
           d.before, d.after
    FROM differing d CROSS JOIN pair CROSS JOIN LATERAL coalesce(d.after, d.before) r
    WHERE d.change <> 'changed' OR EXISTS (SELECT FROM json_changes('', d.before, d.after))
$$;
"""

DOWNGRADE = r"""
DROP FUNCTION release_changes(text, text, text[]);
DROP FUNCTION json_changes(text, jsonb, jsonb);
DROP FUNCTION json_keyed_list(jsonb);
DROP TABLE release_entities;
DROP TABLE release_files;
DROP TABLE release_blobs;
DROP INDEX data_releases_checksum_idx;
DROP INDEX data_releases_served_idx;
ALTER TABLE data_releases
    DROP CONSTRAINT data_releases_version_key,
    DROP COLUMN previous_id,
    DROP COLUMN served_at;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
