"""Label safety facts: boxed warnings, warnings and REMS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.enums import Regulator, SafetyEvent, SafetyWarningKind
from schema.meta import Entity, column, entity, many_to_one
from schema.sources import Source, sources_field
from schema.sql import partial_date

if TYPE_CHECKING:
    from schema.agents import Agent


@entity(table="safety_warnings", order_by="t.agent_id, t.slug")
@strawberry.type(
    description="A safety warning on an agent's label, e.g. a boxed warning for cytokine release syndrome."
)
class SafetyWarning(Entity):
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
