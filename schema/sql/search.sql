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
counted AS (
    -- distinct trigrams of both forms of the query, for the bounds on similarity below
    SELECT q.*, cardinality(show_trgm(q.raw)) AS lower_trigrams,
           cardinality(show_trgm(q.compact)) AS compact_trigrams
    FROM q
),
candidates AS (
    SELECT d.ctid AS row_address, d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND (d.document @@ q.ts
           OR d.lower_text = q.raw
           -- names, codes and identifiers: typos and prefixes (partial trigram index)
           OR (d.compact % q.compact AND d.field NOT IN ('title', 'description', 'mechanism', 'disease'))
           OR (d.compact LIKE q.compact || '%' AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')))
),
-- Each candidate's score as far as it is known without word similarity, in one pass: every
-- part is computed once (a LATERAL subquery with OFFSET 0 is not merged into its parent, so a
-- part used twice is not evaluated twice) and only this one set is stored. A similarity of two
-- texts is at most (fewer trigrams) / (more trigrams) of the two (they share at most the
-- fewer); where that bound is below a part already known the similarity cannot be the
-- greatest and is left out (NULL: GREATEST skips it and still yields the same value). 0.001
-- covers the rounding of a similarity (real).
ranged AS MATERIALIZED (
    -- the row by its address, not its texts: this set holds every candidate, and the texts
    -- are read only for the few scored further
    SELECT d.row_address, d.type, d.id, d.weight, k.known, d.weight * k.known AS low,
           -- the best the row can score at most (word similarity at most 1 or its bound)
           d.weight * GREATEST(k.known, LEAST(0.8, k.word_bound)) AS high,
           k.word_bound
    FROM candidates d
    CROSS JOIN counted q
    CROSS JOIN LATERAL (
        SELECT CASE WHEN d.lower_text = q.raw OR d.compact = q.compact THEN 1.0
                    WHEN length(q.compact) >= 3 AND d.compact LIKE q.compact || '%' THEN 0.9
                    ELSE 0 END AS exact,
               -- one or two typos in a short name: 1 - edit distance / length
               CASE WHEN length(d.text) <= 60 AND length(q.compact) >= 4 THEN 0.95 * (1 - levenshtein(
                        d.compact, q.compact)::float / greatest(length(d.compact), length(q.compact)))
                    ELSE 0 END AS typos,
               CASE WHEN d.document @@ q.ts THEN 0.5 + 0.4 * ts_rank(d.document, q.ts) ELSE 0 END AS words,
               least(d.compact_trigrams, q.compact_trigrams)::float8
                   / nullif(greatest(d.compact_trigrams, q.compact_trigrams), 0) AS compact_bound,
               least(d.lower_trigrams, q.lower_trigrams)::float8
                   / nullif(greatest(d.lower_trigrams, q.lower_trigrams), 0) AS lower_bound
        OFFSET 0
    ) AS p
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.compact_bound + 0.001 < GREATEST(p.exact, p.typos, p.words) THEN NULL
                    ELSE similarity(d.compact, q.compact) END AS compact_similarity
        OFFSET 0
    ) AS c
    CROSS JOIN LATERAL (
        -- a one-word name and a one-word query: the same two texts as compact_similarity
        SELECT CASE WHEN d.lower_text = d.compact AND q.raw = q.compact THEN c.compact_similarity
                    WHEN p.lower_bound + 0.001 < GREATEST(p.exact, p.typos, p.words, c.compact_similarity) THEN NULL
                    ELSE similarity(d.lower_text, q.raw) END AS lower_similarity
        OFFSET 0
    ) AS l
    CROSS JOIN LATERAL (
        -- the greatest part but word similarity: at most the score
        SELECT GREATEST(p.exact, l.lower_similarity, p.typos, c.compact_similarity, p.words) AS known,
               -- Word similarity is at most c / (the query's trigrams), c the trigrams the two
               -- texts share; their similarity s = c / (query's + text's - c) is at most the one
               -- computed or its bound, so c <= s (query's + text's) / (1 + s). 0.8 x that
               -- (NULL: unknown).
               0.8 * (coalesce(l.lower_similarity, p.lower_bound) * (q.lower_trigrams + d.lower_trigrams)
                      / ((1 + coalesce(l.lower_similarity, p.lower_bound)) * nullif(q.lower_trigrams, 0))
                      + 0.001) AS word_bound
    ) AS k
),
-- The lowest of the :first best entities by the score they have at least: a row that cannot
-- reach it is no entity's best among the first hits (an entity with a better row is
-- better still), so it is not scored further.
threshold AS (
    SELECT min(low) AS low, count(*) AS entities
    FROM (SELECT max(low) AS low FROM ranged WHERE low >= :min_score
          GROUP BY type, id ORDER BY 1 DESC LIMIT :first) AS first_entities
),
scored AS MATERIALIZED (
    SELECT r.type, r.id, d.key, d.label, d.field, d.text,
           r.weight * GREATEST(
               r.known,
               -- word similarity, the costliest part, only where it can be the greatest (NULL
               -- otherwise)
               CASE WHEN r.word_bound < r.known THEN NULL ELSE 0.8 * word_similarity(q.raw, d.lower_text) END
           ) AS score
    FROM ranged r
    JOIN search_index d ON d.ctid = r.row_address
    CROSS JOIN counted q
    CROSS JOIN threshold t
    WHERE r.high >= :min_score AND (t.entities < :first OR r.high >= t.low)
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
