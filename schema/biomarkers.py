"""Biomarkers (HER2 expression categories, ERBB2 alterations, CD19 expression) and the
companion diagnostic assays approved to determine them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, FromClause, or_, select

from db import tables
from db.sqlbuild import One, Page, Rows
from schema.enums import BiomarkerKind, BiomarkerStatus, DiagnosticMethod, Regulator
from schema.expressions import any_of, lower, param, partial_date, stored
from schema.meta import column, entity, entity_of, many_to_many, many_to_one, one_to_many, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, page
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.agents import Agent
    from schema.approvals import Approval
    from schema.indications import Indication
    from schema.targets import Target
    from schema.trials import Trial

_AGENTS = strawberry.lazy("schema.agents")
_APPROVALS = strawberry.lazy("schema.approvals")


def biomarker_ids_named(name: str) -> Any:
    """Ids of the biomarker whose slug or name is `name` (case-insensitive) and of those
    directly below it (asking for HER2-positive finds IHC 3+ and IHC 2+/ISH+ too)."""
    named, child = tables.biomarkers.alias(), tables.biomarkers.alias()
    asked = lower(param(name))
    matched = or_(lower(named.c.slug) == asked, lower(named.c.name) == asked)
    direct = select(named.c.id).where(matched)
    below = select(child.c.id).select_from(child.join(named, child.c.parent_id == named.c.id)).where(matched)
    return direct.union(below)


def _by_name(row: FromClause) -> list[ColumnElement[Any]]:
    return [lower(row.c.name), row.c.slug]


@entity(source=tables.biomarkers, order_by=_by_name, key=lambda t: t.c.slug)
@strawberry.type(
    description="A biomarker category that indications, approvals and trial eligibility require, e.g. HER2-low"
    " (IHC 1+ or IHC 2+/ISH-), ERBB2 activating mutations or CD19 expression; with its definition and the"
    " companion diagnostics approved to determine it."
)
class Biomarker(Node):
    slug: str = column(description="Stable key, e.g. `her2-ultralow`.")
    name: str = column(description="Display name, e.g. HER2-ultralow.")
    kind: BiomarkerKind = column(
        description="What is measured: protein expression, amplification, mutation..."
    )
    status: BiomarkerStatus | None = column(description="The status this category stands for.")
    definition: str = column(
        description="The definition as the cited label or regulator states it, e.g. IHC 0 with membrane staining."
    )
    notes: str | None = column(description="Curation notes.")

    target: Annotated[Target, strawberry.lazy("schema.targets")] | None = many_to_one(
        "Target", "target_id", description="The gene or protein measured."
    )
    parent: Biomarker | None = many_to_one(
        "Biomarker", "parent_id", description="The broader category, e.g. HER2-positive for IHC 3+."
    )
    children: list[Biomarker] = one_to_many("Biomarker", "parent_id", description="Narrower categories.")
    diagnostic_approvals: list[CompanionDiagnosticApproval] = one_to_many(
        "CompanionDiagnosticApproval",
        "biomarker_id",
        order_by=lambda t: [t.c.approval_date.asc().nulls_last(), t.c.id],
        description="Approvals of companion diagnostics to determine this biomarker, oldest first.",
    )
    indications: list[Annotated[Indication, strawberry.lazy("schema.indications")]] = many_to_many(
        "Indication",
        tables.indication_biomarkers,
        "biomarker_id",
        "indication_id",
        description="Indications defined by this biomarker.",
    )
    approvals: list[Annotated[Approval, _APPROVALS]] = many_to_many(
        "Approval",
        tables.approval_biomarkers,
        "biomarker_id",
        "approval_id",
        order_by=lambda t: [t.c.approval_date, t.c.slug],
        description="Approvals whose label requires this biomarker, oldest first.",
    )
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = many_to_many(
        "Trial",
        tables.trial_biomarkers,
        "biomarker_id",
        "trial_id",
        description="Trials whose eligibility requires this biomarker.",
    )
    sources: list[Source] = sources_field("biomarker_id")


@entity(source=tables.companion_diagnostics, order_by=_by_name, key=lambda t: t.c.slug)
@strawberry.type(
    description="A diagnostic assay approved as the companion diagnostic of agents, e.g. PATHWAY anti-HER2/neu (4B5)."
)
class CompanionDiagnostic(Node):
    slug: str = column(description="Stable key, e.g. `pathway-her2-4b5`.")
    name: str = column(description="The assay's name as approved.")
    manufacturer: str | None = column(description="Manufacturer of the assay.")
    method: DiagnosticMethod = column(description="The technique the assay uses.")
    notes: str | None = column(description="Curation notes.")

    approvals: list[CompanionDiagnosticApproval] = one_to_many(
        "CompanionDiagnosticApproval",
        "diagnostic_id",
        order_by=lambda t: [t.c.position],
        description="The assay's approvals as a companion diagnostic.",
    )
    drug_approvals: list[Annotated[Approval, _APPROVALS]] = many_to_many(
        "Approval",
        tables.approval_companion_diagnostics,
        "diagnostic_id",
        "approval_id",
        order_by=lambda t: [t.c.approval_date, t.c.slug],
        description="Drug approvals that name this assay as their companion diagnostic, oldest first.",
    )
    sources: list[Source] = sources_field("companion_diagnostic_id")


@entity(source=tables.companion_diagnostic_approvals, order_by=lambda t: [t.c.diagnostic_id, t.c.position])
@strawberry.type(
    description="One approval of an assay as the companion diagnostic of agents for a biomarker, by one regulator."
)
class CompanionDiagnosticApproval:
    regulator: Regulator = column(description="The regulator that approved the assay for this use.")
    date: str | None = column(
        partial_date("approval_date"),
        description="Date of the approval (YYYY, YYYY-MM or YYYY-MM-DD); null when not sourced.",
    )
    application: str | None = column(description="The application approved, e.g. a PMA number.")
    note: str | None = column(description="What the approval covers, in brief.")

    diagnostic: CompanionDiagnostic = many_to_one(
        "CompanionDiagnostic", "diagnostic_id", description="The assay."
    )
    biomarker: Biomarker = many_to_one("Biomarker", "biomarker_id", description="The biomarker determined.")
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        tables.companion_diagnostic_approval_agents,
        "approval_id",
        "agent_id",
        description="The agents the assay selects patients for.",
    )
    sources: list[Source] = sources_field("companion_diagnostic_approval_id")


@strawberry.type
class BiomarkerQueries:
    @root_field(description="A biomarker by slug or name (case-insensitive).", graphql_type=Biomarker | None)
    def biomarker(
        self, id: Annotated[str, strawberry.argument(description="Slug or name, e.g. `HER2-ultralow`.")]
    ) -> One:
        rows = entity_of(Biomarker).all_rows()
        t, asked = rows.row, lower(param(id))
        match = or_(lower(t.c.slug) == asked, lower(t.c.name) == asked)
        return One("Biomarker", Rows(row=t, source=t, where=[match], order_by=rows.order_by))

    @root_field(description="Biomarkers, by name.", graphql_type=Connection[Biomarker])
    def biomarkers(
        self,
        kinds: Annotated[
            list[BiomarkerKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        target: Annotated[
            str | None, strawberry.argument(description="Only biomarkers of this target (gene symbol).")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.biomarkers.alias()
        where: list[ColumnElement[bool]] = []
        if kinds is not None:
            where.append(any_of(row.c.kind, stored(kinds) or []))
        if target is not None:
            gene = tables.targets.alias()
            where.append(
                row.c.target_id.in_(select(gene.c.id).where(lower(gene.c.symbol) == lower(param(target))))
            )
        rows = Rows(row=row, source=row, where=where, order_by=_by_name(row))
        return page(entity_of(Biomarker), rows, first=first, after=after, last=last, before=before)

    @root_field(
        description="A companion diagnostic by slug or name (case-insensitive).",
        graphql_type=CompanionDiagnostic | None,
    )
    def companion_diagnostic(
        self, id: Annotated[str, strawberry.argument(description="Slug or name of the assay.")]
    ) -> One:
        rows = entity_of(CompanionDiagnostic).all_rows()
        t, asked = rows.row, lower(param(id))
        match = or_(lower(t.c.slug) == asked, lower(t.c.name) == asked)
        return One("CompanionDiagnostic", Rows(row=t, source=t, where=[match], order_by=rows.order_by))

    @root_field(
        description="Companion diagnostics, by name; optionally only those determining a biomarker.",
        graphql_type=Connection[CompanionDiagnostic],
    )
    def companion_diagnostics(
        self,
        biomarker: Annotated[
            str | None,
            strawberry.argument(
                description="Only assays approved for this biomarker (slug or name) or one below it."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.companion_diagnostics.alias()
        where: list[ColumnElement[bool]] = []
        if biomarker is not None:
            approval = tables.companion_diagnostic_approvals.alias()
            for_biomarker = select(approval.c.diagnostic_id).where(
                approval.c.biomarker_id.in_(biomarker_ids_named(biomarker))
            )
            where.append(row.c.id.in_(for_biomarker))
        rows = Rows(row=row, source=row, where=where, order_by=_by_name(row))
        return page(entity_of(CompanionDiagnostic), rows, first=first, after=after, last=last, before=before)
