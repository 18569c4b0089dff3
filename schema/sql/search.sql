-- Ranked search over search_documents. :query is the search text, :types the kinds
-- asked for (null: all), :min_score the cut-off, :first the number of hits.
WITH q AS (
    SELECT lower(:query) AS raw,
           regexp_replace(lower(:query), '[^a-z0-9]+', '', 'g') AS compact,
           websearch_to_tsquery('english', :query) AS ts
),
scored AS (
    SELECT d.type, d.id, d.key, d.label, d.field, d.text,
           d.weight * GREATEST(
               CASE WHEN lower(d.text) = q.raw
                      OR regexp_replace(lower(d.text), '[^a-z0-9]+', '', 'g') = q.compact THEN 1.0
                    WHEN length(q.compact) >= 3
                     AND regexp_replace(lower(d.text), '[^a-z0-9]+', '', 'g') LIKE q.compact || '%' THEN 0.9
                    ELSE 0 END,
               similarity(lower(d.text), q.raw),
               -- one or two typos in a short name: 1 - edit distance / length
               CASE WHEN length(d.text) <= 60 AND length(q.compact) >= 4 THEN 0.95 * (1 - levenshtein(
                        regexp_replace(lower(d.text), '[^a-z0-9]+', '', 'g'), q.compact)::float
                    / greatest(length(regexp_replace(lower(d.text), '[^a-z0-9]+', '', 'g')), length(q.compact)))
                    ELSE 0 END,
               similarity(regexp_replace(lower(d.text), '[^a-z0-9]+', '', 'g'), q.compact),
               0.8 * word_similarity(q.raw, lower(d.text)),
               CASE WHEN to_tsvector('english', d.text) @@ q.ts
                    THEN 0.5 + 0.4 * ts_rank(to_tsvector('english', d.text), q.ts) ELSE 0 END
           ) AS score
    FROM search_documents d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
),
best AS (
    SELECT DISTINCT ON (type, id) * FROM scored
    WHERE score >= :min_score
    ORDER BY type, id, score DESC, length(text)
)
SELECT type, id, key, label, field, text, round(score::numeric, 4)::float8 AS score,
       row_number() OVER (ORDER BY score DESC, length(label), label) AS rank
FROM best
ORDER BY rank
LIMIT :first
