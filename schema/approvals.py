"""Regulatory approvals: agent x indication x regulator x date."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import ColumnElement, Date, FromClause, or_, select

from db import tables
from db.sqlbuild import Page, Rows
from schema.biomarkers import biomarker_ids_named
from schema.enums import ApprovalType, Regulator
from schema.errors import UserInputError
from schema.expressions import agents_named, any_of, indication_within, param, partial_date, stored
from schema.meta import column, entity, entity_of, many_to_many, many_to_one, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, OrderDirection, ordered, page
from schema.sources import Source, sources_field

_BIOMARKERS = strawberry.lazy("schema.biomarkers")

if TYPE_CHECKING:
    from schema.agents import Agent
    from schema.biomarkers import Biomarker, CompanionDiagnostic
    from schema.indications import Indication
    from schema.trials import Trial


@entity(source=tables.approvals, order_by=lambda t: [t.c.approval_date, t.c.slug], key=lambda t: t.c.slug)
@strawberry.type(description="A regulatory approval or label extension of an agent for an indication.")
class Approval(Node):
    slug: str = column(description="Stable key, e.g. `fda-enhertu-2019-12-20`.")
    regulator: Regulator = column(description="The regulator that approved.")
    date: str = column(
        partial_date("approval_date"),
        description="Date of the approval (YYYY-MM-DD; YYYY-MM where sources give only the month).",
    )
    type: ApprovalType | None = column(
        "approval_type", description="Regulatory pathway; null when not sourced."
    )
    line: str | None = column(description="Line of therapy or prior treatment the label requires.")
    no_pivotal_trial_reason: str | None = column(
        description="Why the approval links no pivotal trial (e.g. a biosimilar approved on comparative data);"
        " null when it links one or the reason is not yet curated."
    )
    summary: str | None = column(description="Summary of the approved indication text.")
    notes: str | None = column(description="Curation notes, e.g. how the date was established.")

    agent: Annotated[Agent, strawberry.lazy("schema.agents")] = many_to_one(
        "Agent", "agent_id", description="The approved agent."
    )
    indication: Annotated[Indication, strawberry.lazy("schema.indications")] = many_to_one(
        "Indication", "indication_id", description="The approved indication."
    )
    pivotal_trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = many_to_many(
        "Trial",
        tables.approval_trials,
        "approval_id",
        "trial_id",
        description="Trials the approval rests on.",
    )
    biomarkers: list[Annotated[Biomarker, _BIOMARKERS]] = many_to_many(
        "Biomarker",
        tables.approval_biomarkers,
        "approval_id",
        "biomarker_id",
        description="Biomarkers the approved label requires, e.g. HER2-ultralow.",
    )
    companion_diagnostics: list[Annotated[CompanionDiagnostic, _BIOMARKERS]] = many_to_many(
        "CompanionDiagnostic",
        tables.approval_companion_diagnostics,
        "approval_id",
        "diagnostic_id",
        description="Companion diagnostics approved to select patients for this approval.",
    )
    sources: list[Source] = sources_field("approval_id")


@strawberry.input(description="Conditions on approvals; all given conditions must hold.")
class ApprovalFilter:
    regulators: list[Regulator] | None = strawberry.field(
        default=None, description="By any of these regulators."
    )
    types: list[ApprovalType] | None = strawberry.field(default=None, description="Of any of these types.")
    date_from: str | None = strawberry.field(
        default=None, description="On or after this date (YYYY, YYYY-MM or YYYY-MM-DD)."
    )
    date_to: str | None = strawberry.field(
        default=None, description="On or before this date (YYYY, YYYY-MM or YYYY-MM-DD)."
    )
    agent: str | None = strawberry.field(default=None, description="Of this agent (any name or ID).")
    indication: str | None = strawberry.field(
        default=None, description="For this indication or a narrower one."
    )
    biomarker: str | None = strawberry.field(
        default=None,
        description="Requiring this biomarker (slug or name) or one below it, on the label or in the indication.",
    )


def _date_bound(value: str, end: bool) -> datetime.date:
    """'2019' -> 2019-01-01 (or 2019-12-31 as an upper bound); refuses anything else."""
    parts = value.split("-")
    try:
        if len(parts) == 1:
            return datetime.date(int(parts[0]), 12 if end else 1, 31 if end else 1)
        if len(parts) == 2:
            year, month = int(parts[0]), int(parts[1])
            if end:
                following = datetime.date(year + month // 12, month % 12 + 1, 1)
                return following - datetime.timedelta(days=1)
            return datetime.date(year, month, 1)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise UserInputError(f"{value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD).") from None


def approval_where(row: FromClause, f: ApprovalFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if f.regulators is not None:
        conditions.append(any_of(row.c.regulator, stored(f.regulators) or []))
    if f.types is not None:
        conditions.append(any_of(row.c.approval_type, stored(f.types) or []))
    if f.date_from is not None:
        conditions.append(row.c.approval_date >= param(_date_bound(f.date_from, end=False), Date))
    if f.date_to is not None:
        conditions.append(row.c.approval_date <= param(_date_bound(f.date_to, end=True), Date))
    if f.agent is not None:
        conditions.append(row.c.agent_id.in_(agents_named(param(f.agent))))
    if f.indication is not None:
        conditions.append(indication_within(row.c.indication_id, param(f.indication)))
    if f.biomarker is not None:
        conditions.append(_requires_biomarker(row, f.biomarker))
    return conditions


def _requires_biomarker(row: FromClause, name: str) -> ColumnElement[bool]:
    wanted = biomarker_ids_named(name)
    on_label, in_indication = tables.approval_biomarkers.alias(), tables.indication_biomarkers.alias()
    return or_(
        row.c.id.in_(select(on_label.c.approval_id).where(on_label.c.biomarker_id.in_(wanted))),
        row.c.indication_id.in_(
            select(in_indication.c.indication_id).where(in_indication.c.biomarker_id.in_(wanted))
        ),
    )


@strawberry.type
class ApprovalQueries:
    @root_field(
        description="Approvals, filtered, in date order (`direction: DESC` for newest first).",
        graphql_type=Connection[Approval],
    )
    def approvals(
        self,
        filter: Annotated[
            ApprovalFilter | None, strawberry.argument(description="Conditions to meet.")
        ] = None,
        direction: Annotated[
            OrderDirection, strawberry.argument(description="Date order.")
        ] = OrderDirection.ASC,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.approvals.alias()
        rows = Rows(
            row, row, approval_where(row, filter), [ordered(row.c.approval_date, direction), row.c.slug]
        )
        return page(entity_of(Approval), rows, first=first, after=after, last=last, before=before)
