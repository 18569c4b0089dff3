"""Search across entity kinds: ranked full-text and trigram search, typeahead, identifier lookup."""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import strawberry
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Text,
    all_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import distinct_on

from db import tables
from db.sqlbuild import Many, Rows, constant, global_id
from schema.errors import UserInputError
from schema.expressions import lower, param, stored
from schema.meta import column as value_column
from schema.meta import entity, polymorphic, related, root_field
from schema.node import Node
from schema.pagination import MAX_PAGE_SIZE

# Search-document type -> GraphQL type name.
TYPE_NAMES = {
    "AGENT": "Agent",
    "TRIAL": "Trial",
    "INDICATION": "Indication",
    "TARGET": "Target",
    "RESISTANCE_MECHANISM": "ResistanceMechanism",
    "BIOMARKER": "Biomarker",
    "COMPANION_DIAGNOSTIC": "CompanionDiagnostic",
}
MAX_QUERY_LENGTH = 200
MIN_SCORE = 0.3
SQL = Path(__file__).parent / "sql"
HIT_COLUMNS = (
    column("type", Text),
    column("id", Integer),
    column("key", Text),
    column("label", Text),
    column("field", Text),
    column("text", Text),
    column("score", Float),
    column("rank", Integer),
)
PARAMETERS: dict[str, Any] = {
    "query": Text,
    "prefix": Text,
    "types": ARRAY(Text),
    "min_score": Float,
    "first": Integer,
}


def _statement(file_name: str) -> Any:
    """A readable .sql file as a typed SQLAlchemy statement."""
    sql = (SQL / file_name).read_text()
    binds: list[Any] = [
        bindparam(name, type_=sql_type) for name, sql_type in PARAMETERS.items() if f":{name}" in sql
    ]
    return text(sql).bindparams(*binds).columns(*HIT_COLUMNS)


SEARCH = _statement("search.sql")
SUGGEST = _statement("suggest.sql")


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
    BIOMARKER = strawberry.enum_value("BIOMARKER", description="Biomarkers (name, definition).")
    COMPANION_DIAGNOSTIC = strawberry.enum_value(
        "COMPANION_DIAGNOSTIC", description="Companion diagnostics (assay name, manufacturer)."
    )


def _hit_global_id(row: FromClause) -> ColumnElement[Any]:
    return case(*[(row.c.type == constant(t), global_id(name, row.c.key)) for t, name in TYPE_NAMES.items()])


def _hit_template() -> FromClause:
    """Typed columns of a hit (the search statement with no parameters bound)."""
    template: FromClause = SEARCH.subquery()
    return template


@entity(source=_hit_template, order_by=lambda t: [t.c.rank])
@strawberry.type(description="One search result.")
class SearchHit:
    type: SearchType = value_column(description="Kind of entity found.")
    id: strawberry.ID = value_column(
        _hit_global_id, description="Global ID of the entity (use with `node(id:)`)."
    )
    label: str = value_column(description="Display name of the entity.")
    score: float = value_column(description="Relevance from 0 to 1; higher is better.")
    matched_field: str = value_column(
        "field", description="Which field matched, e.g. `brandName` or `nctId`."
    )
    matched_text: str = value_column("text", description="The text of that field.")
    node: Node | None = polymorphic("type", "id", TYPE_NAMES, description="The entity itself.")


def _hits_of_identifier(asked: FromClause) -> Rows:
    document = tables.search_index.alias()
    identifier = asked.c.identifier
    matches = (
        select(
            document.c.type, document.c.id, document.c.key, document.c.label, document.c.field, document.c.text,
            cast(literal(1.0), Float).label("score"),
            func.row_number().over(order_by=[document.c.type, document.c.id]).label("rank"),
        )
        .ext(distinct_on(document.c.type, document.c.id))
        .where(
            document.c.field != all_(param(["title", "description", "mechanism", "disease"], ARRAY(Text))),
            (document.c.lower_text == lower(identifier)) | (lower(document.c.key) == lower(identifier)),
        )
        .order_by(document.c.type, document.c.id, document.c.field, document.c.text)
        .correlate(asked)
        .lateral("hit")
    )  # fmt: skip
    return Rows(row=matches, source=matches, order_by=[matches.c.type, matches.c.id])


def _asked(identifiers: list[str]) -> FromClause:
    return (
        func.unnest(param(identifiers, ARRAY(Text)))
        .table_valued(column("identifier", Text), with_ordinality="position")
        .render_derived(name="asked")
    )


@entity(source=lambda: _asked([]), order_by=lambda t: [t.c.position], id_column="position")
@strawberry.type(description="The entity an identifier resolved to.")
class LookupResult:
    identifier: str = value_column(description="The identifier as asked.")
    hits: list[SearchHit] = related(
        "SearchHit",
        _hits_of_identifier,
        ("identifier",),
        description="Entities carrying exactly this identifier or name.",
    )


def _has_letter_or_digit(query: str) -> bool:
    """A letter or digit of any script (what the compact form of search.sql keeps)."""
    return re.search(r"[^\W_]", query) is not None


def search_text_problem(query: str) -> str | None:
    """The search text is passed to SQL unchanged (trimmed there), so a cached plan can take
    a new one as a parameter after this check (schema.meta.root_field)."""
    if not _has_letter_or_digit(query):
        return "The search text needs at least one letter or digit."
    if len(query) > MAX_QUERY_LENGTH:
        return f"The search text is longer than {MAX_QUERY_LENGTH} characters."
    return None


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise UserInputError(f"`first` must be between 1 and {MAX_PAGE_SIZE}; got {first}.")


def _hits(statement: Any, **values: Any) -> Many:
    hits = statement.bindparams(**values).subquery()
    return Many("SearchHit", Rows(row=hits, source=hits, order_by=[hits.c.rank]))


@strawberry.type
class SearchQueries:
    @root_field(
        description="Ranked search across agents, trials, indications, targets, resistance mechanisms, "
        "biomarkers and companion diagnostics. "
        "Tolerates typos (`trastuzamab`), partial names (`destiny breast 03`) and ID prefixes (`NCT0352`).",
        graphql_type=list[SearchHit],
        checks={"query": search_text_problem},
    )
    def search(
        self,
        query: Annotated[str, strawberry.argument(description="What to look for.")],
        types: Annotated[
            list[SearchType] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"Hits to return (at most {MAX_PAGE_SIZE}).")
        ] = 10,
        min_score: Annotated[
            float, strawberry.argument(description="Drop hits scoring below this (0.3 to 1).")
        ] = 0.3,
    ) -> Many:
        _check_first(first)
        if not MIN_SCORE <= min_score <= 1:
            # Candidates are found by index conditions that keep every hit scoring 0.3 or more.
            raise UserInputError(f"`minScore` must be between {MIN_SCORE} and 1; got {min_score}.")
        return _hits(SEARCH, query=query, types=stored(types), min_score=min_score, first=first)

    @root_field(
        description="Typeahead: entities whose name, code or ID starts with `prefix`, in one short query.",
        graphql_type=list[SearchHit],
        checks={"prefix": search_text_problem},
    )
    def suggest(
        self,
        prefix: Annotated[str, strawberry.argument(description="What the user has typed so far.")],
        types: Annotated[
            list[SearchType] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: Annotated[
            int, strawberry.argument(description=f"Suggestions to return (at most {MAX_PAGE_SIZE}).")
        ] = 8,
    ) -> Many:
        _check_first(first)
        return _hits(SUGGEST, prefix=prefix, types=stored(types), first=first)

    @root_field(
        description="Resolve identifiers of any kind (NCT IDs, agent names, brand or code names, ChEMBL/NCIt/"
        "DrugBank IDs, gene symbols, HGNC/UniProt IDs, ontology IDs) to entities, exactly and case-insensitively.",
        graphql_type=list[LookupResult],
    )
    def lookup(
        self,
        identifiers: Annotated[
            list[str], strawberry.argument(description=f"At most {MAX_PAGE_SIZE} identifiers.")
        ],
    ) -> Many:
        if len(identifiers) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} identifiers per request.")
        asked = _asked(identifiers)
        return Many("LookupResult", Rows(row=asked, source=asked, order_by=[asked.c.position]))
