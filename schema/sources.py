"""Sources: the publications, labels and registry records behind every fact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import ColumnElement, FromClause, or_

from db import tables
from db.sqlbuild import One, Page, Rows
from schema.enums import SourceKind
from schema.expressions import any_of, lower, param, stored, upper
from schema.meta import column, entity, entity_of, many_to_many, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, page

if TYPE_CHECKING:
    from schema.agents import Agent
    from schema.approvals import Approval
    from schema.indications import Indication
    from schema.resistance import ResistanceMechanism
    from schema.safety import SafetyWarning
    from schema.targets import Target
    from schema.trials import Outcome, Trial

_AGENTS = strawberry.lazy("schema.agents")
_APPROVALS = strawberry.lazy("schema.approvals")
_INDICATIONS = strawberry.lazy("schema.indications")
_RESISTANCE = strawberry.lazy("schema.resistance")
_TARGETS = strawberry.lazy("schema.targets")
_TRIALS = strawberry.lazy("schema.trials")


def _newest_first(row: FromClause) -> list[ColumnElement[object]]:
    return [row.c.year.desc().nulls_last(), row.c.slug]


def sources_field(subject_column: str) -> list[Source]:
    """The `sources` field of a fact type, through the fact_sources link table."""
    field: list[Source] = many_to_many(
        "Source",
        tables.fact_sources,
        subject_column,
        "source_id",
        order_by=_newest_first,
        description="The sources this fact was curated from.",
    )
    return field


@entity(source=tables.sources, order_by=lambda t: [t.c.slug], key=lambda t: t.c.slug)
@strawberry.type(
    description="A publication, drug label, regulator notice or registry record that facts were curated from."
)
class Source(Node):
    slug: str = column(description="Stable key of the source, e.g. `pmid-25693012`.")
    kind: SourceKind = column(description="What kind of document this is.")
    title: str = column(description="Title of the document.")
    year: int | None = column(description="Year of publication or of the label version.")
    pmid: str | None = column(description="PubMed identifier.")
    doi: str | None = column(description="Digital Object Identifier.")
    nct_id: str | None = column(description="ClinicalTrials.gov identifier, for registry records.")
    url: str | None = column(description="Web address of the document.")
    citation: str | None = column(description="Short bibliographic citation.")
    notes: str | None = column(description="Curation notes about the source (e.g. which version was read).")

    targets: list[Annotated[Target, _TARGETS]] = many_to_many(
        "Target",
        tables.fact_sources,
        "source_id",
        "target_id",
        description="Targets this source supports.",
    )
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent", tables.fact_sources, "source_id", "agent_id", description="Agents this source supports."
    )
    indications: list[Annotated[Indication, _INDICATIONS]] = many_to_many(
        "Indication",
        tables.fact_sources,
        "source_id",
        "indication_id",
        description="Indications this source supports.",
    )
    approvals: list[Annotated[Approval, _APPROVALS]] = many_to_many(
        "Approval",
        tables.fact_sources,
        "source_id",
        "approval_id",
        description="Approvals this source supports.",
    )
    trials: list[Annotated[Trial, _TRIALS]] = many_to_many(
        "Trial",
        tables.fact_sources,
        "source_id",
        "trial_id",
        description="Trials this source describes.",
    )
    outcomes: list[Annotated[Outcome, _TRIALS]] = many_to_many(
        "Outcome",
        tables.fact_sources,
        "source_id",
        "outcome_id",
        description="Trial outcomes this source reports.",
    )
    safety_warnings: list[Annotated[SafetyWarning, strawberry.lazy("schema.safety")]] = many_to_many(
        "SafetyWarning",
        tables.fact_sources,
        "source_id",
        "safety_warning_id",
        description="Safety warnings this source supports.",
    )
    resistance_mechanisms: list[Annotated[ResistanceMechanism, _RESISTANCE]] = many_to_many(
        "ResistanceMechanism",
        tables.fact_sources,
        "source_id",
        "resistance_mechanism_id",
        description="Resistance mechanisms this source describes.",
    )


@strawberry.type
class SourceQueries:
    @root_field(
        description="A source by slug, PMID, DOI or NCT ID (case-insensitive).", graphql_type=Source | None
    )
    def source(
        self, id: Annotated[str, strawberry.argument(description="Slug, PMID, DOI or NCT ID.")]
    ) -> One:
        rows = entity_of(Source).all_rows()
        t, asked = rows.row, param(id)
        match = or_(
            lower(t.c.slug) == lower(asked), t.c.pmid == asked, lower(t.c.doi) == lower(asked),
            upper(t.c.nct_id) == upper(asked),
        )  # fmt: skip
        return One("Source", Rows(row=t, source=t, where=[match], order_by=rows.order_by))

    @root_field(description="Sources, newest first.", graphql_type=Connection[Source])
    def sources(
        self,
        kinds: Annotated[
            list[SourceKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.sources.alias()
        where = [] if kinds is None else [any_of(row.c.kind, stored(kinds) or [])]
        rows = Rows(row=row, source=row, where=where, order_by=_newest_first(row))
        return page(entity_of(Source), rows, first=first, after=after, last=last, before=before)
