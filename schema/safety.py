"""Label safety facts: boxed warnings, warnings and REMS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.enums import Regulator, SafetyEvent, SafetyWarningKind
from schema.meta import Entity, column, entity, many_to_one
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, Where, paginate
from schema.sources import Source, sources_field
from schema.sql import agent_named, enum_values, partial_date

if TYPE_CHECKING:
    from schema.agents import Agent


@entity(table="safety_warnings", order_by="t.agent_id, t.slug", key_sql="t.slug")
@strawberry.type(
    description="A safety warning on an agent's label, e.g. a boxed warning for cytokine release syndrome."
)
class SafetyWarning(Entity, Node):
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
    @strawberry.field(description="Label safety warnings, optionally of one agent or about given events.")
    async def safety_warnings(
        self,
        info: strawberry.Info[Context, None],
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
    ) -> Connection[SafetyWarning]:
        where = Where()
        if agent is not None:
            where.add(f"t.agent_id IN (SELECT a.id FROM agents a WHERE {agent_named('a', '{}')})", agent)
        if events is not None:
            where.add("t.event = ANY({}::text[])", enum_values(events))
        if kinds is not None:
            where.add("t.kind = ANY({}::text[])", enum_values(kinds))
        return await paginate(
            info.context, SafetyWarning, where, "t.agent_id, t.slug",
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
