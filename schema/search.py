"""Search across entity kinds: ranked full-text and trigram search, typeahead, identifier lookup."""

from __future__ import annotations

import re
from collections import defaultdict
from enum import Enum
from typing import Annotated, Any

import strawberry

from schema.context import Context
from schema.errors import UserInputError
from schema.node import Node, encode_global_id
from schema.pagination import MAX_PAGE_SIZE
from schema.sql import enum_values

# Search-document type -> GraphQL type name.
TYPE_NAMES = {
    "AGENT": "Agent",
    "TRIAL": "Trial",
    "INDICATION": "Indication",
    "TARGET": "Target",
    "RESISTANCE_MECHANISM": "ResistanceMechanism",
}
MAX_QUERY_LENGTH = 200


@strawberry.enum(description="Kinds of entity that search covers.")
class SearchType(Enum):
    AGENT = strawberry.enum_value(
        "AGENT", description="Agents (names, synonyms, brands, codes, IDs, mechanism)."
    )
    TRIAL = strawberry.enum_value("TRIAL", description="Trials (acronym, NCT and other IDs, title).")
    INDICATION = strawberry.enum_value("INDICATION", description="Indications (name, disease, ontology IDs).")
    TARGET = strawberry.enum_value("TARGET", description="Targets (symbol, name, aliases, IDs).")
    RESISTANCE_MECHANISM = strawberry.enum_value(
        "RESISTANCE_MECHANISM", description="Resistance mechanisms (name, biomarkers, description)."
    )


@strawberry.type(description="One search result.")
class SearchHit:
    type: SearchType = strawberry.field(description="Kind of entity found.")
    id: strawberry.ID = strawberry.field(description="Global ID of the entity (use with `node(id:)`).")
    label: str = strawberry.field(description="Display name of the entity.")
    score: float = strawberry.field(description="Relevance from 0 to 1; higher is better.")
    matched_field: str = strawberry.field(description="Which field matched, e.g. `brandName` or `nctId`.")
    matched_text: str = strawberry.field(description="The text of that field.")
    entity_key: strawberry.Private[tuple[str, int]]

    @strawberry.field(description="The entity itself.")
    async def node(self, info: strawberry.Info[Context, None]) -> Node | None:
        node: Node | None = await info.context.loaders.load_entity(*self.entity_key)
        return node


@strawberry.type(description="The entity an identifier resolved to.")
class LookupResult:
    identifier: str = strawberry.field(description="The identifier as asked.")
    hits: list[SearchHit] = strawberry.field(description="Entities carrying exactly this identifier or name.")


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


SEARCH_SQL = """
    WITH q AS (
        SELECT lower($1::text) AS raw,
               regexp_replace(lower($1::text), '[^a-z0-9]+', '', 'g') AS compact,
               websearch_to_tsquery('english', $1::text) AS ts
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
        WHERE ($2::text[] IS NULL OR d.type = ANY($2::text[]))
    ),
    best AS (
        SELECT DISTINCT ON (type, id) * FROM scored
        WHERE score >= $3
        ORDER BY type, id, score DESC, length(text)
    )
    SELECT * FROM best ORDER BY score DESC, length(label), label LIMIT $4
"""

SUGGEST_SQL = """
    SELECT DISTINCT ON (d.type, d.id) d.type, d.id, d.key, d.label, d.field, d.text,
           CASE WHEN lower(d.text) LIKE lower($1) || '%' THEN 1.0 ELSE 0.8 END AS score
    FROM search_documents d
    WHERE d.field NOT IN ('title', 'description', 'mechanism')
      AND ($2::text[] IS NULL OR d.type = ANY($2::text[]))
      AND (lower(d.text) LIKE lower($1) || '%' OR lower(d.text) LIKE '% ' || lower($1) || '%'
           OR regexp_replace(lower(d.text), '[^a-z0-9]+', '', 'g')
              LIKE regexp_replace(lower($1), '[^a-z0-9]+', '', 'g') || '%')
    ORDER BY d.type, d.id, score DESC, length(d.text)
"""

LOOKUP_SQL = """
    SELECT q.identifier, d.type, d.id, d.key, d.label, d.field, d.text
    FROM unnest($1::text[]) AS q (identifier)
    JOIN search_documents d
      ON d.field NOT IN ('title', 'description', 'mechanism', 'disease')
     AND (lower(d.text) = lower(q.identifier) OR lower(d.key) = lower(q.identifier))
    ORDER BY q.identifier, d.type, d.id
"""


def _hit(row: Any, score: float) -> SearchHit:
    return SearchHit(
        type=SearchType(row["type"]),
        id=strawberry.ID(encode_global_id(TYPE_NAMES[row["type"]], row["key"])),
        label=row["label"],
        score=round(score, 4),
        matched_field=row["field"],
        matched_text=row["text"],
        entity_key=(TYPE_NAMES[row["type"]], row["id"]),
    )


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description="Ranked search across agents, trials, indications, targets and resistance mechanisms. "
        "Tolerates typos (`trastuzamab`), partial names (`destiny breast 03`) and ID prefixes (`NCT0352`)."
    )
    async def search(
        self,
        info: strawberry.Info[Context, None],
        query: Annotated[str, strawberry.argument(description="What to look for.")],
        types: Annotated[
            list[SearchType] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"Hits to return (at most {MAX_PAGE_SIZE}).")
        ] = 10,
        min_score: Annotated[
            float, strawberry.argument(description="Drop hits scoring below this (0 to 1).")
        ] = 0.3,
    ) -> list[SearchHit]:
        _check_query(query, first)
        rows = await info.context.db.fetch(SEARCH_SQL, query.strip(), enum_values(types), min_score, first)
        return [_hit(row, float(row["score"])) for row in rows]

    @strawberry.field(
        description="Typeahead: entities whose name, code or ID starts with `prefix`, in one short query."
    )
    async def suggest(
        self,
        info: strawberry.Info[Context, None],
        prefix: Annotated[str, strawberry.argument(description="What the user has typed so far.")],
        types: Annotated[
            list[SearchType] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"Suggestions to return (at most {MAX_PAGE_SIZE}).")
        ] = 8,
    ) -> list[SearchHit]:
        _check_query(prefix, first)
        rows = await info.context.db.fetch(SUGGEST_SQL, prefix.strip(), enum_values(types))
        ordered = sorted(rows, key=lambda r: (-float(r["score"]), len(r["label"]), r["label"]))
        return [_hit(row, float(row["score"])) for row in ordered[:first]]

    @strawberry.field(
        description="Resolve identifiers of any kind (NCT IDs, agent names, brand or code names, ChEMBL/NCIt/"
        "DrugBank IDs, gene symbols, HGNC/UniProt IDs, ontology IDs) to entities, exactly and case-insensitively."
    )
    async def lookup(
        self,
        info: strawberry.Info[Context, None],
        identifiers: Annotated[
            list[str], strawberry.argument(description=f"At most {MAX_PAGE_SIZE} identifiers.")
        ],
    ) -> list[LookupResult]:
        if len(identifiers) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} identifiers per request.")
        rows = await info.context.db.fetch(LOOKUP_SQL, identifiers)
        hits: dict[str, dict[tuple[str, int], SearchHit]] = defaultdict(dict)
        for row in rows:
            hits[row["identifier"]].setdefault((row["type"], row["id"]), _hit(row, 1.0))
        return [LookupResult(identifier=i, hits=list(hits[i].values())) for i in identifiers]


def _check_query(text: str, first: int) -> None:
    if not _compact(text):
        raise UserInputError("The search text needs at least one letter or digit.")
    if len(text) > MAX_QUERY_LENGTH:
        raise UserInputError(f"The search text is longer than {MAX_QUERY_LENGTH} characters.")
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise UserInputError(f"`first` must be between 1 and {MAX_PAGE_SIZE}; got {first}.")
