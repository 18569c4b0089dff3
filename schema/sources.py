"""Sources: the publications, labels and registry records behind every fact."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.enums import SourceKind
from schema.meta import Entity, column, entity, many_to_many, select_one
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, Where, paginate

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


def sources_field(subject_column: str) -> list[Source]:
    """The `sources` field of a fact type, through the fact_sources link table."""
    field: list[Source] = many_to_many(
        "Source",
        "fact_sources",
        subject_column,
        "source_id",
        order_by="t.year DESC NULLS LAST, t.slug",
        description="The sources this fact was curated from.",
    )
    return field


@entity(table="sources", order_by="t.slug", key_sql="t.slug")
@strawberry.type(
    description="A publication, drug label, regulator notice or registry record that facts were curated from."
)
class Source(Entity, Node):
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
        "fact_sources",
        "source_id",
        "target_id",
        description="Targets this source supports.",
    )
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent", "fact_sources", "source_id", "agent_id", description="Agents this source supports."
    )
    indications: list[Annotated[Indication, _INDICATIONS]] = many_to_many(
        "Indication",
        "fact_sources",
        "source_id",
        "indication_id",
        description="Indications this source supports.",
    )
    approvals: list[Annotated[Approval, _APPROVALS]] = many_to_many(
        "Approval",
        "fact_sources",
        "source_id",
        "approval_id",
        description="Approvals this source supports.",
    )
    trials: list[Annotated[Trial, _TRIALS]] = many_to_many(
        "Trial",
        "fact_sources",
        "source_id",
        "trial_id",
        description="Trials this source describes.",
    )
    outcomes: list[Annotated[Outcome, _TRIALS]] = many_to_many(
        "Outcome",
        "fact_sources",
        "source_id",
        "outcome_id",
        description="Trial outcomes this source reports.",
    )
    safety_warnings: list[Annotated[SafetyWarning, strawberry.lazy("schema.safety")]] = many_to_many(
        "SafetyWarning",
        "fact_sources",
        "source_id",
        "safety_warning_id",
        description="Safety warnings this source supports.",
    )
    resistance_mechanisms: list[Annotated[ResistanceMechanism, _RESISTANCE]] = many_to_many(
        "ResistanceMechanism",
        "fact_sources",
        "source_id",
        "resistance_mechanism_id",
        description="Resistance mechanisms this source describes.",
    )


@strawberry.type
class SourceQueries:
    @strawberry.field(description="A source by slug, PMID, DOI or NCT ID (case-insensitive).")
    async def source(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[str, strawberry.argument(description="Slug, PMID, DOI or NCT ID.")],
    ) -> Source | None:
        return await select_one(
            info.context,
            Source,
            "lower(t.slug) = lower($1) OR t.pmid = $1 OR lower(t.doi) = lower($1) OR upper(t.nct_id) = upper($1)",
            id,
        )

    @strawberry.field(description="Sources, newest first.")
    async def sources(
        self,
        info: strawberry.Info[Context, None],
        kinds: Annotated[
            list[SourceKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Source]:
        where = Where()
        if kinds is not None:
            where.add("t.kind = ANY({}::text[])", [k.value for k in kinds])
        return await paginate(
            info.context, Source, where, "t.year DESC NULLS LAST, t.slug",
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
