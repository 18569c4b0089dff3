-- Ranked search. Candidates come from the indexes of search_index (full text over every
-- text; trigram similarity, word similarity and prefix over names, codes and identifiers);
-- only they are scored. :query is the search text, :types the kinds asked for (null: all),
-- :min_score the cut-off (at least 0.3), :first the number of hits.
-- The text is trimmed here, not by the caller, so a bound value is too.
--
-- A name scores the greatest of: 1.0 for the whole text, 0.9 for a prefix of 3 or more
-- letters, its trigram similarity to the query, 0.8 x its word similarity where that is
-- at least 0.6 (a word of the name close to the query), a full-text match, and for a typo
-- 0.95 x (1 - edits / length). A typo is one edit (a letter added, dropped or changed) or
-- one swap of neighbouring letters in a query of 4 to 7 letters and digits, and up to two
-- edits from 8 on, as in the fuzzy matching of full-text engines; a name that differs by more
-- is no typo of the query.
WITH typed AS (
    SELECT lower(btrim(:query, E' \t\n\r\f\x0b')) AS raw,
           regexp_replace(lower(:query), '[^a-z0-9\u0080-\U0010ffff]+', '', 'g') AS compact,
           websearch_to_tsquery('english', :query) AS ts
),
counted AS (
    -- distinct trigrams of both forms of the query, for the bounds on similarity below
    SELECT t.*, cardinality(show_trgm(t.raw)) AS lower_trigrams,
           cardinality(show_trgm(t.compact)) AS compact_trigrams,
           CASE WHEN length(t.compact) < 4 THEN 0 WHEN length(t.compact) < 8 THEN 1 ELSE 2 END AS edits,
           -- the query with two neighbouring letters swapped, each way
           ARRAY(SELECT overlay(t.compact PLACING substr(t.compact, i + 1, 1) || substr(t.compact, i, 1) FROM i FOR 2)
                 FROM generate_series(1, length(t.compact) - 1) AS i) AS swaps
    FROM typed t
),
q AS (
    -- The trigram similarity a candidate name needs (the `%` index condition below reads it,
    -- set for this transaction): the least a name can have and still score. Its similarity
    -- part counts from :min_score. A typo keeps most trigrams: of a word's n + 1 (n letters
    -- and digits), one edit changes at most 3 and a swap 4, so a name within the typos allowed
    -- shares at least n + 1 - 3 x edits (n - 3 for a swap) with at most n + 1 + edits of its
    -- own, and similarity = shared / (both - shared). Never below 0.1 (a query that repeats
    -- its trigrams, as "aaaaaaaa" does, could ask for less: every name); a query of other
    -- letters (not one word to pg_trgm) takes 0.1.
    SELECT c.*, set_config('pg_trgm.similarity_threshold', CAST(CASE
               WHEN c.edits = 0 THEN :min_score
               WHEN c.compact !~ '^[a-z0-9]+$' THEN 0.1
               WHEN c.edits = 1 THEN greatest(0.1, least(:min_score,
                   (c.compact_trigrams - 4)::float8 / (length(c.compact) + 5)))
               ELSE greatest(0.1, least(:min_score,
                   (c.compact_trigrams - 6)::float8 / (length(c.compact) + 9)))
           END AS text), true) AS similarity_threshold
    FROM counted c
),
candidates AS (
    -- Each index condition on its own, without the rows an earlier one found: one OR of them
    -- would recheck every condition on every row (twice: as the index's recheck and as a
    -- filter), 30% of a typical search at x100.
    SELECT d.ctid AS row_address, d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND (d.document @@ q.ts OR d.lower_text = q.raw)
    UNION ALL
    -- names, codes and identifiers: prefixes and typos (partial trigram index)
    SELECT d.ctid AS row_address, d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND d.compact LIKE q.compact || '%' AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')
      AND NOT (d.document @@ q.ts OR d.lower_text = q.raw)
    UNION ALL
    SELECT d.ctid AS row_address, d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND d.compact % q.compact AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')
      AND NOT (d.document @@ q.ts OR d.lower_text = q.raw OR d.compact LIKE q.compact || '%')
    UNION ALL
    -- word similarity of at least 0.6 (pg_trgm.word_similarity_threshold)
    SELECT d.ctid AS row_address, d.* FROM search_index d, q
    WHERE (CAST(:types AS text[]) IS NULL OR d.type = ANY(CAST(:types AS text[])))
      AND q.raw <% d.lower_text AND d.field NOT IN ('title', 'description', 'mechanism', 'disease')
      AND NOT (d.document @@ q.ts OR d.lower_text = q.raw OR d.compact LIKE q.compact || '%' OR d.compact % q.compact)
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
           -- the best the row can score at most (word similarity, counted from 0.6: at most 1
           -- or its bound)
           d.weight * GREATEST(k.known, CASE WHEN k.word_bound < 0.48 THEN NULL ELSE LEAST(0.8, k.word_bound) END) AS high,
           k.word_bound
    FROM candidates d
    CROSS JOIN q
    CROSS JOIN LATERAL (
        -- the edits between the name and the query where they can be a typo (more than
        -- allowed: some number above), and whether the name is the query with a swap
        SELECT CASE WHEN q.edits = 0 OR abs(length(d.compact) - length(q.compact)) > q.edits THEN NULL
                    ELSE levenshtein_less_equal(d.compact, q.compact, q.edits) END AS edits,
               q.edits > 0 AND d.compact = ANY(q.swaps) AS swapped
        OFFSET 0
    ) AS e
    CROSS JOIN LATERAL (
        SELECT CASE WHEN d.lower_text = q.raw OR d.compact = q.compact THEN 1.0
                    WHEN length(q.compact) >= 3 AND d.compact LIKE q.compact || '%' THEN 0.9
                    ELSE 0 END AS exact,
               -- a typo: 1 - edits / length (a swap is two edits)
               CASE WHEN e.swapped THEN 0.95 * (1 - 2.0 / length(q.compact))
                    WHEN e.edits <= q.edits
                    THEN 0.95 * (1 - e.edits::float8 / greatest(length(d.compact), length(q.compact)))
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
        -- no part of the score, but a bound on word similarity below (a one-word name and a
        -- one-word query: the same two texts as compact_similarity)
        SELECT CASE WHEN d.lower_text = d.compact AND q.raw = q.compact THEN c.compact_similarity
                    WHEN p.lower_bound + 0.001 < GREATEST(p.exact, p.typos, p.words, c.compact_similarity) THEN NULL
                    ELSE similarity(d.lower_text, q.raw) END AS lower_similarity
        OFFSET 0
    ) AS l
    CROSS JOIN LATERAL (
        -- the greatest part but word similarity: at most the score
        SELECT GREATEST(p.exact, p.typos, c.compact_similarity, p.words) AS known,
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
           r.weight * GREATEST(r.known, CASE WHEN w.similarity >= 0.6 THEN 0.8 * w.similarity END) AS score
    FROM ranged r
    JOIN search_index d ON d.ctid = r.row_address
    CROSS JOIN q
    CROSS JOIN threshold t
    CROSS JOIN LATERAL (
        -- word similarity, the costliest part, only where it can be the greatest and reach 0.6
        -- (NULL otherwise)
        SELECT CASE WHEN r.word_bound < GREATEST(r.known, 0.48) THEN NULL
                    ELSE word_similarity(q.raw, d.lower_text) END AS similarity
        OFFSET 0
    ) AS w
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
