-- Typeahead: entities with a name, code or ID starting with :prefix (or a word of it),
-- found through the indexes of search_index. The prefix is taken literally: its LIKE
-- wildcards (% _ \) are escaped here, next to the LIKEs, and surrounding white space
-- trimmed, so a bound value is too.
-- An entity scores 1.0 when one of its texts starts with the prefix, else 0.8 (a word of a
-- text, or the text without punctuation, starts with it); hits rank by score, then label
-- (shorter first), type and id.
-- A whole-text prefix is a range of the B-tree indexes (text_pattern_ops: byte order, up
-- to the prefix followed by the highest code point) checked exactly by left(): stated so,
-- it needs no constant pattern, and PostgreSQL can keep one generic plan for every prefix
-- instead of planning each request again (planning took 5x the execution at x1).
WITH broad AS (
    -- a prefix at least 2,000 texts start with (say "NCT"): ranking every match would read
    -- them all, while the first hits all start with it and are likely near the start of the
    -- rank order
    SELECT count(*) >= 2000 AS yes
    FROM (SELECT FROM search_index d
          WHERE d.field NOT IN ('title', 'description', 'mechanism')
            AND (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
            AND d.lower_text ~>=~ lower(btrim(:prefix, E' \t\n\r\f\x0b'))
            AND d.lower_text ~<~ (lower(btrim(:prefix, E' \t\n\r\f\x0b')) || U&'\+10FFFF')
          LIMIT 2000) AS starting
),
-- then the first 3,000 texts in rank order (the label index) give the first :first + 1
-- entities with a text starting with the prefix, each with its best such text. Found
-- there, the first :first are the hits: an entity's texts lie next to each other in that
-- order, so one more entity after them proves none of theirs was cut off.
first_starting AS MATERIALIZED (
    SELECT DISTINCT ON (length(w.label), w.label COLLATE "C", w.type, w.id)
           w.type, w.id, w.key, w.label, w.field, w.text
    FROM (SELECT d.type, d.id, d.key, d.label, d.field, d.text, d.lower_text
          FROM search_index d
          WHERE (SELECT yes FROM broad)
            AND d.field NOT IN ('title', 'description', 'mechanism')
            AND (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
          ORDER BY length(d.label), d.label COLLATE "C", d.type, d.id
          LIMIT 3000) AS w
    WHERE left(w.lower_text, char_length(lower(btrim(:prefix, E' \t\n\r\f\x0b')))) = lower(btrim(:prefix, E' \t\n\r\f\x0b'))
    ORDER BY length(w.label), w.label COLLATE "C", w.type, w.id, length(w.text), w.text COLLATE "C", w.field
    LIMIT :first + 1
),
starting_hits AS (
    SELECT type, id, key, label, field, text, 1.0::float8 AS score,
           row_number() OVER (ORDER BY length(label), label COLLATE "C", type, id) AS rank
    FROM first_starting
    WHERE (SELECT count(*) FROM first_starting) > :first
),
-- otherwise every match is ranked
matched AS (
    SELECT DISTINCT ON (d.type COLLATE "C", d.id) d.type, d.id, d.key, d.label, d.field, d.text,
           CASE WHEN d.lower_text
                     LIKE replace(replace(replace(lower(btrim(:prefix, E' \t\n\r\f\x0b')), '\', '\\'), '%', '\%'), '_', '\_') || '%'
                THEN 1.0 ELSE 0.8 END AS score
    FROM search_index d
    WHERE (SELECT count(*) FROM first_starting) <= :first
      AND d.field NOT IN ('title', 'description', 'mechanism')
      AND (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND ((d.lower_text ~>=~ lower(btrim(:prefix, E' \t\n\r\f\x0b'))
            AND d.lower_text ~<~ (lower(btrim(:prefix, E' \t\n\r\f\x0b')) || U&'\+10FFFF')
            AND left(d.lower_text, char_length(lower(btrim(:prefix, E' \t\n\r\f\x0b')))) = lower(btrim(:prefix, E' \t\n\r\f\x0b')))
           OR d.lower_text LIKE '% ' || replace(replace(replace(lower(btrim(:prefix, E' \t\n\r\f\x0b')), '\', '\\'), '%', '\%'), '_', '\_') || '%'
           OR (d.compact ~>=~ regexp_replace(lower(btrim(:prefix, E' \t\n\r\f\x0b')), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g')
               AND d.compact ~<~ (regexp_replace(lower(btrim(:prefix, E' \t\n\r\f\x0b')), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g') || U&'\+10FFFF')
               AND left(d.compact, char_length(regexp_replace(lower(btrim(:prefix, E' \t\n\r\f\x0b')), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g'))) = regexp_replace(lower(btrim(:prefix, E' \t\n\r\f\x0b')), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g')))
    -- field and text last: one entity's equally good matches always yield the same one
    -- (type in byte order here only groups; the ranking below orders)
    ORDER BY d.type COLLATE "C", d.id, score DESC, length(d.text), d.text COLLATE "C", d.field
),
-- the first hits in rank order (a top-N sort), then numbered
ranked_hits AS (
    SELECT type, id, key, label, field, text, round(score::numeric, 4)::float8 AS score,
           row_number() OVER (ORDER BY score DESC, length(label), label COLLATE "C", type, id) AS rank
    FROM (SELECT * FROM matched ORDER BY score DESC, length(label), label COLLATE "C", type, id LIMIT :first) AS top
)
SELECT * FROM starting_hits WHERE rank <= :first
UNION ALL
SELECT * FROM ranked_hits
ORDER BY rank
