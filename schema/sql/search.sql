-- Ranked search. Candidates come from the indexes of search_index (full text over every
-- text; trigram similarity and prefix over names, codes and identifiers); only they are
-- scored. :query is the search text, :types the kinds
-- asked for (null: all), :min_score the cut-off (at least 0.3),
-- :first the number of hits.
-- The text is trimmed here, not by the caller, so a bound value is too.
WITH q AS (
    SELECT lower(btrim(:query, E' \t\n\r\f\x0b')) AS raw,
           regexp_replace(lower(:query), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g') AS compact,
           websearch_to_tsquery('english', :query) AS ts,
           -- its trigrams, for the bound on word similarity below
           nullif(cardinality(show_trgm(lower(btrim(:query, E' \t\n\r\f\x0b')))), 0) AS trigrams
),
candidates AS (
    SELECT d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND (d.document @@ q.ts
           OR d.lower_text = q.raw
           -- names, codes and identifiers: typos and prefixes (partial trigram index)
           OR (d.compact % q.compact AND d.field NOT IN ('title', 'description', 'mechanism', 'disease'))
           OR (d.compact LIKE q.compact || '%' AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')))
),
-- The parts of the score, each computed once per candidate (MATERIALIZED: a column used
-- twice is not evaluated twice).
parts AS MATERIALIZED (
    SELECT d.type, d.id, d.key, d.label, d.field, d.text, d.weight, d.lower_text,
           CASE WHEN d.lower_text = q.raw OR d.compact = q.compact THEN 1.0
                WHEN length(q.compact) >= 3 AND d.compact LIKE q.compact || '%' THEN 0.9
                ELSE 0 END AS exact,
           -- one or two typos in a short name: 1 - edit distance / length
           CASE WHEN length(d.text) <= 60 AND length(q.compact) >= 4 THEN 0.95 * (1 - levenshtein(
                    d.compact, q.compact)::float / greatest(length(d.compact), length(q.compact)))
                ELSE 0 END AS typos,
           similarity(d.compact, q.compact) AS compact_similarity,
           CASE WHEN d.document @@ q.ts THEN 0.5 + 0.4 * ts_rank(d.document, q.ts) ELSE 0 END AS words,
           d.lower_text = d.compact AND q.raw = q.compact AS same_texts
    FROM candidates d, q
),
similarities AS MATERIALIZED (
    SELECT p.*,
           -- a one-word name and a one-word query: the same two texts as compact_similarity
           CASE WHEN p.same_texts THEN p.compact_similarity ELSE similarity(p.lower_text, q.raw) END
               AS lower_similarity
    FROM parts p, q
),
scored AS MATERIALIZED (
    SELECT s.type, s.id, s.key, s.label, s.field, s.text,
           s.weight * GREATEST(
               s.exact,
               s.lower_similarity,
               s.typos,
               s.compact_similarity,
               -- Word similarity, the costliest part, only where it can be the greatest (0 in
               -- its place otherwise: the same GREATEST). It is at most c / (trigrams of the
               -- query), c the trigrams the two texts share; from their similarity
               -- s = c / (query's + text's trigrams - c), with the text's at most its
               -- length + 1 (a word of n letters has n + 1), c <= s (query's + length + 1) / (1 + s).
               -- 0.001 covers the rounding of s (real).
               CASE WHEN 0.8 * (s.lower_similarity::float8 * (q.trigrams + length(s.lower_text) + 1)
                                / ((1 + s.lower_similarity::float8) * q.trigrams) + 0.001)
                         < GREATEST(s.exact, s.lower_similarity, s.typos, s.compact_similarity, s.words)
                    THEN 0
                    ELSE 0.8 * word_similarity(q.raw, s.lower_text) END,
               s.words
           ) AS score
    FROM similarities s, q
),
best AS (
    SELECT DISTINCT ON (type COLLATE "C", id) * FROM scored
    WHERE score >= :min_score
    -- field and text last: one entity's equally good matches always yield the same one
    -- (type in byte order here only groups; the ranking below orders)
    ORDER BY type COLLATE "C", id, score DESC, length(text), text COLLATE "C", field
)
-- the first hits in rank order (a top-N sort), then numbered
SELECT type, id, key, label, field, text, round(score::numeric, 4)::float8 AS score,
       row_number() OVER (ORDER BY score DESC, length(label), label COLLATE "C", type, id) AS rank
FROM (SELECT * FROM best ORDER BY score DESC, length(label), label COLLATE "C", type, id LIMIT :first) AS top
ORDER BY rank
