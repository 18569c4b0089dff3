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
    SELECT d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND (d.document @@ q.ts
           OR d.lower_text = q.raw
           -- names, codes and identifiers: typos and prefixes (partial trigram index)
           OR (d.compact % q.compact AND d.field NOT IN ('title', 'description', 'mechanism', 'disease'))
           OR (d.compact LIKE q.compact || '%' AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')))
),
-- The parts of the score, each computed once per candidate (MATERIALIZED: a column used
-- twice is not evaluated twice). A similarity of two texts is at most (fewer trigrams) /
-- (more trigrams) of the two (they share at most the fewer); where that bound is below a part
-- already known the similarity cannot be the greatest and is left out (NULL: GREATEST skips
-- it and still yields the same value). 0.001 covers the rounding of a similarity (real).
parts AS MATERIALIZED (
    SELECT d.type, d.id, d.key, d.label, d.field, d.text, d.weight, d.lower_text, d.compact,
           CASE WHEN d.lower_text = q.raw OR d.compact = q.compact THEN 1.0
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
               / nullif(greatest(d.lower_trigrams, q.lower_trigrams), 0) AS lower_bound,
           d.lower_trigrams,
           d.lower_text = d.compact AND q.raw = q.compact AS same_texts
    FROM candidates d, counted q
),
compact_similarities AS MATERIALIZED (
    SELECT p.*,
           CASE WHEN p.compact_bound + 0.001 < GREATEST(p.exact, p.typos, p.words) THEN NULL
                ELSE similarity(p.compact, q.compact) END AS compact_similarity
    FROM parts p, q
),
similarities AS MATERIALIZED (
    SELECT p.*,
           -- a one-word name and a one-word query: the same two texts as compact_similarity
           CASE WHEN p.same_texts THEN p.compact_similarity
                WHEN p.lower_bound + 0.001 < GREATEST(p.exact, p.typos, p.words, p.compact_similarity) THEN NULL
                ELSE similarity(p.lower_text, q.raw) END AS lower_similarity
    FROM compact_similarities p, q
),
bounded AS MATERIALIZED (
    SELECT s.*,
           -- the greatest part but word similarity, and the score it gives: at most the score
           GREATEST(s.exact, s.lower_similarity, s.typos, s.compact_similarity, s.words) AS known,
           s.weight * GREATEST(s.exact, s.lower_similarity, s.typos, s.compact_similarity, s.words) AS low,
           -- Word similarity is at most c / (the query's trigrams), c the trigrams the two texts
           -- share; their similarity s = c / (query's + text's - c) is at most the one computed
           -- or its bound, so c <= s (query's + text's) / (1 + s). 0.8 x that (NULL: unknown).
           0.8 * (coalesce(s.lower_similarity, s.lower_bound) * (q.lower_trigrams + s.lower_trigrams)
                  / ((1 + coalesce(s.lower_similarity, s.lower_bound)) * nullif(q.lower_trigrams, 0))
                  + 0.001) AS word_bound
    FROM similarities s, counted q
),
-- the score of each hit at least, and the best a row can score at most (word similarity at
-- most 1 or its bound)
ranged AS MATERIALIZED (
    SELECT b.*, b.weight * GREATEST(b.known, LEAST(0.8, b.word_bound)) AS high
    FROM bounded b
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
    SELECT r.type, r.id, r.key, r.label, r.field, r.text,
           r.weight * GREATEST(
               r.known,
               -- word similarity, the costliest part, only where it can be the greatest (NULL
               -- otherwise)
               CASE WHEN r.word_bound < r.known THEN NULL ELSE 0.8 * word_similarity(q.raw, r.lower_text) END
           ) AS score
    FROM ranged r, counted q, threshold t
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
