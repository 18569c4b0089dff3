"""Release diffs: lists of names and references compare as sets; approvals and safety
warnings get a label.

`json_changes` (migration 0011) reported a list of strings whose items only changed order
(a source list, synonyms) as a changed field; the export and the curated files treat such
lists as sets, so the same items in another order are no change. `release_changes` labels
an approval with its regulator, agent and date and a safety warning with its regulator,
agent and event (neither has a name).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- True for a list whose items are all strings (names, references): compared as a set.
CREATE FUNCTION json_text_list(value jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_typeof(value) = 'array' AND NOT EXISTS (
        SELECT FROM jsonb_array_elements(value) item WHERE jsonb_typeof(item) <> 'string'
    )
$$;

CREATE OR REPLACE FUNCTION json_changes(at_path text, before jsonb, after jsonb)
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
    ELSIF json_text_list(before) AND json_text_list(after)
          AND (SELECT array_agg(item ORDER BY item) FROM jsonb_array_elements_text(before) item)
              = (SELECT array_agg(item ORDER BY item) FROM jsonb_array_elements_text(after) item) THEN
        RETURN;  -- the same names or references in another order: such lists are sets
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

CREATE OR REPLACE FUNCTION release_changes(from_version text, to_version text, kinds text[])
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
           coalesce(
               r ->> 'name', r ->> 'acronym', r ->> 'symbol', r ->> 'title',
               CASE d.kind
                   WHEN 'approvals' THEN concat_ws(' ', r ->> 'regulator', r ->> 'agent', r ->> 'date')
                   WHEN 'safety_warnings' THEN concat_ws(' ', r ->> 'regulator', r ->> 'agent', r ->> 'event')
               END
           ),
           d.before, d.after
    FROM differing d CROSS JOIN pair CROSS JOIN LATERAL coalesce(d.after, d.before) r
    WHERE d.change <> 'changed' OR EXISTS (SELECT FROM json_changes('', d.before, d.after))
$$;
"""

# As migration 0011 created them.
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION json_changes(at_path text, before jsonb, after jsonb)
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

CREATE OR REPLACE FUNCTION release_changes(from_version text, to_version text, kinds text[])
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

DROP FUNCTION json_text_list(jsonb);
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
