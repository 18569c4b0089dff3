"""Sources: the publications, labels and registry records behind every fact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import ColumnElement, FromClause, case, or_

from db import tables
from db.sqlbuild import One, Page, Rows, constant
from db.vocabularies import SOURCE_KIND_TIER
from schema.enums import Regulator, SourceKind, SourceTier
from schema.expressions import any_of, lower, param, partial_date, stored, upper
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


def source_tier(row: FromClause) -> ColumnElement[object]:
    """A source's authority tier, from its kind (db/vocabularies.py SOURCE_KIND_TIER)."""
    return case(*[(row.c.kind == constant(kind), constant(tier)) for kind, tier in SOURCE_KIND_TIER.items()])


def kinds_of_tiers(tiers: list[SourceTier]) -> list[str]:
    wanted = set(stored(tiers) or [])
    return [kind for kind, tier in SOURCE_KIND_TIER.items() if tier in wanted]


@entity(source=tables.sources, order_by=lambda t: [t.c.slug], key=lambda t: t.c.slug)
@strawberry.type(
    description="A citation behind curated facts: a label or regulatory decision, a peer-reviewed article, a"
    " conference abstract, a registry record, a review, a press or news item or another page; with the URL"
    " it was actually read at (`retrievedFrom`), kept apart from the citation."
)
class Source(Node):
    slug: str = column(description="Stable key of the source, e.g. `pmid-25693012`.")
    kind: SourceKind = column(description="What kind of document this is.")
    tier: SourceTier = column(
        source_tier,
        description="Authority tier, from the kind: PRIMARY (label or decision, peer-reviewed article,"
        " registry record), PRELIMINARY (conference abstract), SECONDARY (review), UNVETTED (press, news and"
        " other pages, which never stand alone).",
    )
    title: str = column(description="Title of the document.")
    journal: str | None = column(
        description="Journal of an article or review, or the meeting of a conference abstract."
    )
    year: int | None = column(description="Year of publication or of the label version.")
    date: str | None = column(
        partial_date("date"),
        description="Date of the document (YYYY, YYYY-MM or YYYY-MM-DD): a label's revision, a decision's"
        " date, a publication's date.",
    )
    doi: str | None = column(description="Digital Object Identifier.")
    pmid: str | None = column(description="PubMed identifier.")
    nct_id: str | None = column(description="ClinicalTrials.gov identifier, for registry records.")
    regulator: Regulator | None = column(description="For a label or regulatory decision: the regulator.")
    document: str | None = column(
        description="For a label or regulatory decision: which document (e.g. prescribing information,"
        " approval letter, EPAR, summary of safety and effectiveness), with its application number."
    )
    retrieved_from: str | None = column(
        description="The URL the curators actually read, which may be a copy; not part of the citation."
    )
    url: str | None = column(
        "retrieved_from",
        description="The URL the curators actually read.",
        deprecation_reason="Use `retrievedFrom`; the citation is kind, title, journal, DOI, PMID, regulator"
        " and document.",
    )
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
        description="A source by slug, PMID, DOI, NCT ID (case-insensitive) or the URL it was read at.",
        graphql_type=Source | None,
    )
    def source(
        self, id: Annotated[str, strawberry.argument(description="Slug, PMID, DOI, NCT ID or URL.")]
    ) -> One:
        rows = entity_of(Source).all_rows()
        t, asked = rows.row, param(id)
        match = or_(
            lower(t.c.slug) == lower(asked), t.c.pmid == asked, lower(t.c.doi) == lower(asked),
            upper(t.c.nct_id) == upper(asked), t.c.retrieved_from == asked,
        )  # fmt: skip
        return One("Source", Rows(row=t, source=t, where=[match], order_by=rows.order_by))

    @root_field(description="Sources, newest first.", graphql_type=Connection[Source])
    def sources(
        self,
        kinds: Annotated[
            list[SourceKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        tiers: Annotated[
            list[SourceTier] | None, strawberry.argument(description="Only sources of these authority tiers.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.sources.alias()
        where = [] if kinds is None else [any_of(row.c.kind, stored(kinds) or [])]
        if tiers is not None:
            where.append(any_of(row.c.kind, kinds_of_tiers(tiers)))
        rows = Rows(row=row, source=row, where=where, order_by=_newest_first(row))
        return page(entity_of(Source), rows, first=first, after=after, last=last, before=before)
