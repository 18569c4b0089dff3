-- Names for the synthetic scale-up (bench/scale.py), as session-local functions.
-- Every copied agent, trial and source gets its own names from deterministic pseudo-words:
-- `n` is the copy's new row id (unique per table) and `salt` keeps the kinds of name apart,
-- so distinct rows get distinct words. A word is `syllables` two-letter syllables of a
-- bijective mix of `n` (odd multiplier modulo 64^syllables): no two rows below 64^syllables
-- share a word.

CREATE FUNCTION pg_temp.bench_word(n bigint, syllables integer, salt bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT string_agg(
               substr('badafagahajakalamanaparasatavazabedefegehejekelemenepereseteveze'
                      'bodofogohojokolomonoporosotovozobudufuguhujukulumunupurusutuvuzu',
                      1 + 2 * (((n * 40503 + salt) % (64::bigint ^ syllables)::bigint
                                / (64::bigint ^ i)::bigint) % 64)::integer, 2),
               '' ORDER BY i)
    FROM generate_series(0, syllables - 1) AS i
$$;

-- The class ending of a drug name: the last five letters of its longest letter run
-- ("trastuzumab" -> "zumab", "tisagenlecleucel" -> "eucel"), or nothing.
CREATE FUNCTION pg_temp.bench_stem(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(right((regexp_match(lower(name), '[a-z]{6,}'))[1], 5), '')
$$;

-- A class ending of the same kind for copy `n`: antibodies, kinase inhibitors and cell
-- therapies spread over several real substems, as a large catalogue's names do.
CREATE FUNCTION pg_temp.bench_class(name text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE
        WHEN stem LIKE '%mab' THEN (ARRAY['zumab', 'ximab', 'tumab', 'lumab', 'mumab', 'cimab', 'ramab',
                                          'tamab'])[1 + (n % 8)::integer]
        WHEN stem LIKE '%nib' THEN (ARRAY['tinib', 'rafenib', 'metinib', 'zotinib', 'lisinib',
                                          'ciclinib'])[1 + (n % 6)::integer]
        WHEN stem LIKE '%cel' THEN (ARRAY['leucel', 'geleucel', 'maleucel', 'toleucel'])[1 + (n % 4)::integer]
        ELSE stem END
    FROM (SELECT pg_temp.bench_stem(name) AS stem) AS s
$$;

-- An agent name: the first token replaced by a new word with a class ending of the same
-- kind, the rest kept ("fam-trastuzumab deruxtecan-nxki" -> "kelomoximab deruxtecan-nxki").
CREATE FUNCTION pg_temp.bench_agent_name(name text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT regexp_replace(name, '^\S+', pg_temp.bench_word(n, 3, 1) || pg_temp.bench_class(name, n))
$$;

-- Synonyms, brand and code names: as many as the original has, each new.
CREATE FUNCTION pg_temp.bench_synonyms(items text[], n bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(array_agg(
               CASE WHEN pg_temp.bench_stem(item) <> ''
                    THEN pg_temp.bench_word(n * 16 + i, 4, 2) || pg_temp.bench_class(item, n * 16 + i)
                    ELSE upper(pg_temp.bench_word(n * 16 + i, 1, 3)) || '-'
                         || initcap(pg_temp.bench_word(n * 16 + i, 4, 4)) END
               ORDER BY i), '{}')
    FROM unnest(items) WITH ORDINALITY AS s (item, i)
$$;

CREATE FUNCTION pg_temp.bench_brands(items text[], n bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(array_agg(initcap(pg_temp.bench_word(n * 16 + i, 4, 5)) ORDER BY i), '{}')
    FROM unnest(items) WITH ORDINALITY AS s (item, i)
$$;

CREATE FUNCTION pg_temp.bench_codes(items text[], n bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(array_agg(upper(pg_temp.bench_word(n * 16 + i, 1, 6))
                              || upper(left(pg_temp.bench_word(n * 16 + i, 1, 7), 1))
                              || '-' || (n * 16 + i)::text ORDER BY i), '{}')
    FROM unnest(items) WITH ORDINALITY AS s (item, i)
$$;

-- A trial's acronym keeps the original's trailing number ("DESTINY-Breast03" -> "KELOMO-03").
CREATE FUNCTION pg_temp.bench_acronym(acronym text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT upper(pg_temp.bench_word(n, 3, 8)) || coalesce('-' || (regexp_match(acronym, '([0-9]+)$'))[1], '')
$$;

-- A title names the copy's own drugs: words with a drug-class ending get a new stem.
CREATE FUNCTION pg_temp.bench_title(title text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT regexp_replace(title, '\m[A-Za-z]+(mab|nib|leucel|tecan|tansine|vedotin|mazine)\M',
                          initcap(pg_temp.bench_word(n, 3, 9)) || '\1', 'g')
$$;

CREATE FUNCTION pg_temp.bench_other_ids(items text[], n bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(array_agg('CTR' || (n * 16 + i)::text ORDER BY i), '{}')
    FROM unnest(items) WITH ORDINALITY AS s (item, i)
$$;

-- A cross-reference of the copy when the original has one: prefix and a unique number.
CREATE FUNCTION pg_temp.bench_xref(original text, prefix text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT prefix || n::text
$$;

CREATE FUNCTION pg_temp.bench_nct_id(original text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT 'NCT9' || lpad(((n * 7919) % 10000000)::text, 7, '0')
$$;

CREATE FUNCTION pg_temp.bench_unii(original text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT upper(left(md5('unii' || n::text), 10))
$$;

-- Copies start up to six years later than the original and enrol 50-149% as many patients.
CREATE FUNCTION pg_temp.bench_date(original date, n bigint) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT (original + make_interval(years => (n % 7)::integer))::date
$$;

CREATE FUNCTION pg_temp.bench_enrollment(original integer, n bigint) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT greatest(1, original * (50 + (n % 100)::integer) / 100)
$$;
