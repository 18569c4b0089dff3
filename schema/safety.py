"""Label safety facts: boxed warnings, warnings and REMS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import ColumnElement

from db import tables
from db.sqlbuild import Page, Rows
from schema.enums import Regulator, SafetyEvent, SafetyWarningKind
from schema.expressions import agents_named, any_of, param, partial_date, stored
from schema.meta import column, entity, entity_of, many_to_one, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, page
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.agents import Agent


@entity(source=tables.safety_warnings, order_by=lambda t: [t.c.agent_id, t.c.slug], key=lambda t: t.c.slug)
@strawberry.type(
    description="A safety warning on an agent's label, e.g. a boxed warning for cytokine release syndrome."
)
class SafetyWarning(Node):
    slug: str = column(description="Stable key, e.g. `fda-kymriah-boxed-crs`.")
    regulator: Regulator = column(description="The regulator whose label carries the warning.")
    kind: SafetyWarningKind = column(description="Boxed warning, warning or REMS.")
    event: SafetyEvent = column(description="The adverse event warned about.")
    summary: str = column(description="What the label says, in brief.")
    date_added: str | None = column(
        partial_date("date_added"),
        description="When the warning entered the label (YYYY, YYYY-MM or YYYY-MM-DD).",
    )
    notes: str | None = column(description="Curation notes.")

    agent: Annotated[Agent, strawberry.lazy("schema.agents")] = many_to_one(
        "Agent", "agent_id", description="The agent whose label carries the warning."
    )
    sources: list[Source] = sources_field("safety_warning_id")


@strawberry.type
class SafetyQueries:
    @root_field(
        description="Label safety warnings, optionally of one agent or about given events.",
        graphql_type=Connection[SafetyWarning],
    )
    def safety_warnings(
        self,
        agent: Annotated[
            str | None, strawberry.argument(description="Only warnings of this agent (any name).")
        ] = None,
        events: Annotated[
            list[SafetyEvent] | None, strawberry.argument(description="Only these events.")
        ] = None,
        kinds: Annotated[
            list[SafetyWarningKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.safety_warnings.alias()
        where: list[ColumnElement[bool]] = []
        if agent is not None:
            where.append(row.c.agent_id.in_(agents_named(param(agent))))
        if events is not None:
            where.append(any_of(row.c.event, stored(events) or []))
        if kinds is not None:
            where.append(any_of(row.c.kind, stored(kinds) or []))
        rows = Rows(row, row, where, [row.c.agent_id, row.c.slug])
        return page(entity_of(SafetyWarning), rows, first=first, after=after, last=last, before=before)
