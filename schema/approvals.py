"""Regulatory approvals: agent x indication x regulator x date."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.enums import ApprovalType, Regulator
from schema.meta import Entity, column, entity, many_to_many, many_to_one
from schema.sources import Source, sources_field
from schema.sql import partial_date

if TYPE_CHECKING:
    from schema.agents import Agent
    from schema.indications import Indication
    from schema.trials import Trial


@entity(table="approvals", order_by="t.approval_date, t.slug")
@strawberry.type(description="A regulatory approval or label extension of an agent for an indication.")
class Approval(Entity):
    slug: str = column(description="Stable key, e.g. `fda-enhertu-2019-12-20`.")
    regulator: Regulator = column(description="The regulator that approved.")
    date: str = column(
        partial_date("approval_date"),
        description="Date of the approval (YYYY-MM-DD; YYYY-MM where sources give only the month).",
    )
    type: ApprovalType | None = column(
        "t.approval_type", description="Regulatory pathway; null when not sourced."
    )
    line: str | None = column(description="Line of therapy or prior treatment the label requires.")
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
        "approval_trials",
        "approval_id",
        "trial_id",
        description="Trials the approval rests on.",
    )
    sources: list[Source] = sources_field("approval_id")
