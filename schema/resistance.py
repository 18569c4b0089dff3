"""Resistance mechanisms, the agents they affect, and ways reported to overcome them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.enums import BiomarkerMarkerKind, EffectDirection, EvidenceLevel, ResistanceCategory
from schema.meta import Entity, column, entity, many_to_many, many_to_one, one_to_many, select_one
from schema.node import Node
from schema.pagination import (
    After,
    Before,
    Connection,
    First,
    Last,
    OrderDirection,
    Where,
    order_sql,
    paginate,
)
from schema.sources import Source, sources_field
from schema.sql import agent_named, enum_values, target_named

if TYPE_CHECKING:
    from schema.agents import Agent

_AGENTS = strawberry.lazy("schema.agents")


@entity(table="resistance_biomarkers", order_by="t.mechanism_id, t.position")
@strawberry.type(description="A biomarker that indicates a resistance mechanism.")
class ResistanceBiomarker(Entity):
    name: str = column(description="Biomarker name, e.g. p95HER2 or PIK3CA mutation.")
    kind: BiomarkerMarkerKind = column(description="Kind of biomarker.")


@entity(table="resistance_effects", order_by="t.mechanism_id, t.position")
@strawberry.type(description="How one resistance mechanism affects one agent, with the strength of evidence.")
class ResistanceEffect(Entity):
    direction: EffectDirection = column(description="Direction of the effect on the agent's activity.")
    evidence: EvidenceLevel = column(description="Strength of the evidence.")
    note: str | None = column(description="Details of the evidence.")

    agent: Annotated[Agent, _AGENTS] = many_to_one("Agent", "agent_id", description="The affected agent.")
    mechanism: Annotated[ResistanceMechanism, strawberry.lazy("schema.resistance")] = many_to_one(
        "ResistanceMechanism", "mechanism_id", description="The mechanism."
    )
    sources: list[Source] = sources_field("resistance_effect_id")


@entity(table="resistance_overcoming", order_by="t.mechanism_id, t.position")
@strawberry.type(description="An agent or strategy reported to overcome a resistance mechanism.")
class OvercomingStrategy(Entity):
    strategy: str | None = column(description="A strategy or non-curated drug, when not a curated agent.")
    evidence: EvidenceLevel = column(description="Strength of the evidence.")
    note: str | None = column(description="Details of the evidence.")
    display_name: str = column(
        "COALESCE(t.strategy, (SELECT a.name FROM agents a WHERE a.id = t.agent_id))",
        description="The agent's name or the strategy.",
    )

    agent: Annotated[Agent, _AGENTS] | None = many_to_one(
        "Agent", "agent_id", description="The curated agent, when the strategy is one."
    )
    mechanism: Annotated[ResistanceMechanism, strawberry.lazy("schema.resistance")] = many_to_one(
        "ResistanceMechanism", "mechanism_id", description="The mechanism overcome."
    )
    sources: list[Source] = sources_field("resistance_overcoming_id")


@entity(table="resistance_mechanisms", order_by="t.name", key_sql="t.slug")
@strawberry.type(description="A mechanism by which tumours resist therapy.")
class ResistanceMechanism(Entity, Node):
    slug: str = column(description="Stable key, e.g. `p95her2-truncation`.")
    name: str = column(description="Name of the mechanism.")
    category: ResistanceCategory = column(description="Biological category.")
    description: str = column(description="What happens and why it confers resistance.")
    notes: str | None = column(description="Curation notes: what is not yet sourced and why.")

    biomarkers: list[ResistanceBiomarker] = one_to_many(
        "ResistanceBiomarker",
        "mechanism_id",
        order_by="t.position",
        description="Biomarkers of the mechanism.",
    )
    effects: list[ResistanceEffect] = one_to_many(
        "ResistanceEffect",
        "mechanism_id",
        order_by="t.position",
        description="Agents affected, with direction and evidence.",
    )
    affected_agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        "resistance_effects",
        "mechanism_id",
        "agent_id",
        order_by="t.name",
        description="Agents affected by the mechanism.",
    )
    overcoming: list[OvercomingStrategy] = one_to_many(
        "OvercomingStrategy",
        "mechanism_id",
        order_by="t.position",
        description="Agents or strategies reported to overcome it.",
    )
    sources: list[Source] = sources_field("resistance_mechanism_id")


@strawberry.input(description="Conditions on resistance mechanisms; all given conditions must hold.")
class ResistanceFilter:
    categories: list[ResistanceCategory] | None = strawberry.field(
        default=None, description="In any of these categories."
    )
    agent: str | None = strawberry.field(default=None, description="Affecting this agent (any name or ID).")
    biomarker: str | None = strawberry.field(
        default=None, description="With a biomarker whose name contains this text."
    )
    target: str | None = strawberry.field(
        default=None, description="Affecting an agent directed at this target."
    )


@strawberry.type
class ResistanceQueries:
    @strawberry.field(description="A resistance mechanism by slug, e.g. `p95her2-truncation`.")
    async def resistance_mechanism(
        self,
        info: strawberry.Info[Context, None],
        slug: Annotated[str, strawberry.argument(description="Stable key of the mechanism.")],
    ) -> ResistanceMechanism | None:
        return await select_one(info.context, ResistanceMechanism, "t.slug = lower($1)", slug)

    @strawberry.field(description="Resistance mechanisms, filtered, by name.")
    async def resistance_mechanisms(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[
            ResistanceFilter | None, strawberry.argument(description="Conditions to meet.")
        ] = None,
        direction: Annotated[
            OrderDirection, strawberry.argument(description="Name order.")
        ] = OrderDirection.ASC,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ResistanceMechanism]:
        where = Where()
        if filter is not None:
            if filter.categories is not None:
                where.add("t.category = ANY({}::text[])", enum_values(filter.categories))
            if filter.agent is not None:
                where.add(
                    "t.id IN (SELECT e.mechanism_id FROM resistance_effects e JOIN agents a ON a.id = e.agent_id "
                    f"WHERE {agent_named('a', '{}')})",
                    filter.agent,
                )
            if filter.biomarker is not None:
                where.add(
                    "t.id IN (SELECT b.mechanism_id FROM resistance_biomarkers b WHERE b.name ILIKE '%' || {} || '%')",
                    filter.biomarker,
                )
            if filter.target is not None:
                where.add(
                    "t.id IN (SELECT e.mechanism_id FROM resistance_effects e JOIN agent_targets x ON x.agent_id = e.agent_id "
                    f"JOIN targets g ON g.id = x.target_id WHERE {target_named('g', '{}')})",
                    filter.target,
                )
        return await paginate(
            info.context, ResistanceMechanism, where, order_sql("lower(t.name)", direction),
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
