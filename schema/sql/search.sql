-- Ranked search. Candidates come from the indexes of search_index (full text over every
-- text; trigram similarity and prefix over names, codes and identifiers); only they are
-- scored. :query is the search text, :types the kinds
-- asked for (null: all), :min_score the cut-off (at least 0.3),
-- :first the number of hits.
-- The text is trimmed here, not by the caller, so a bound value is too.
WITH q AS (
    SELECT lower(btrim(:query, E' \t\n\r\f\x0b')) AS raw,
           regexp_replace(lower(:query), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g') AS compact,
           websearch_to_tsquery('english', :query) AS ts
),
candidates AS (
    SELECT d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND (d.document @@ q.ts
           OR d.lower_text = q.raw
           -- names, codes and identifiers: typos and prefixes (partial trigram index)
           OR (d.field NOT IN ('title', 'description', 'mechanism', 'disease')
               AND (d.compact % q.compact OR d.compact LIKE q.compact || '%')))
),
scored AS (
    SELECT d.type, d.id, d.key, d.label, d.field, d.text,
           d.weight * GREATEST(
               CASE WHEN d.lower_text = q.raw OR d.compact = q.compact THEN 1.0
                    WHEN length(q.compact) >= 3 AND d.compact LIKE q.compact || '%' THEN 0.9
                    ELSE 0 END,
               similarity(d.lower_text, q.raw),
               -- one or two typos in a short name: 1 - edit distance / length
               CASE WHEN length(d.text) <= 60 AND length(q.compact) >= 4 THEN 0.95 * (1 - levenshtein(
                        d.compact, q.compact)::float / greatest(length(d.compact), length(q.compact)))
                    ELSE 0 END,
               similarity(d.compact, q.compact),
               0.8 * word_similarity(q.raw, d.lower_text),
               CASE WHEN d.document @@ q.ts THEN 0.5 + 0.4 * ts_rank(d.document, q.ts) ELSE 0 END
           ) AS score
    FROM candidates d, q
),
best AS (
    SELECT DISTINCT ON (type, id) * FROM scored
    WHERE score >= :min_score
    -- field and text last: one entity's equally good matches always yield the same one
    ORDER BY type, id, score DESC, length(text), text COLLATE "C", field
)
SELECT type, id, key, label, field, text, round(score::numeric, 4)::float8 AS score,
       row_number() OVER (ORDER BY score DESC, length(label), label COLLATE "C", type, id) AS rank
FROM best
ORDER BY rank
LIMIT :first
