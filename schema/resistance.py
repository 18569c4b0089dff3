"""Resistance mechanisms, the agents they affect, and ways reported to overcome them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, FromClause, func, select
from sqlalchemy.dialects.postgresql import array

from db import tables
from db.sqlbuild import One, Page, Rows
from schema.enums import BiomarkerMarkerKind, EffectDirection, EvidenceLevel, ResistanceCategory
from schema.expressions import agents_named, any_of, contains, lower, param, stored, target_named
from schema.meta import column, entity, entity_of, many_to_many, many_to_one, one_to_many, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, OrderDirection, ordered, page
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.agents import Agent

_AGENTS = strawberry.lazy("schema.agents")


def _strategy_name(row: FromClause) -> ColumnElement[Any]:
    agent = tables.agents.alias()
    return func.coalesce(
        row.c.strategy, select(agent.c.name).where(agent.c.id == row.c.agent_id).scalar_subquery()
    )


@entity(source=tables.resistance_biomarkers, order_by=lambda t: [t.c.mechanism_id, t.c.position])
@strawberry.type(description="A biomarker that indicates a resistance mechanism.")
class ResistanceBiomarker:
    name: str = column(description="Biomarker name, e.g. p95HER2 or PIK3CA mutation.")
    kind: BiomarkerMarkerKind = column(description="Kind of biomarker.")


@entity(source=tables.resistance_effects, order_by=lambda t: [t.c.mechanism_id, t.c.position])
@strawberry.type(description="How one resistance mechanism affects one agent, with the strength of evidence.")
class ResistanceEffect:
    direction: EffectDirection = column(description="Direction of the effect on the agent's activity.")
    evidence: EvidenceLevel = column(description="Strength of the evidence.")
    note: str | None = column(description="Details of the evidence.")

    agent: Annotated[Agent, _AGENTS] = many_to_one("Agent", "agent_id", description="The affected agent.")
    mechanism: Annotated[ResistanceMechanism, strawberry.lazy("schema.resistance")] = many_to_one(
        "ResistanceMechanism", "mechanism_id", description="The mechanism."
    )
    sources: list[Source] = sources_field("resistance_effect_id")


@entity(source=tables.resistance_overcoming, order_by=lambda t: [t.c.mechanism_id, t.c.position])
@strawberry.type(description="An agent or strategy reported to overcome a resistance mechanism.")
class OvercomingStrategy:
    strategy: str | None = column(description="A strategy or non-curated drug, when not a curated agent.")
    evidence: EvidenceLevel = column(description="Strength of the evidence.")
    note: str | None = column(description="Details of the evidence.")
    display_name: str = column(
        _strategy_name,
        description="The agent's name or the strategy.",
    )

    agent: Annotated[Agent, _AGENTS] | None = many_to_one(
        "Agent", "agent_id", description="The curated agent, when the strategy is one."
    )
    mechanism: Annotated[ResistanceMechanism, strawberry.lazy("schema.resistance")] = many_to_one(
        "ResistanceMechanism", "mechanism_id", description="The mechanism overcome."
    )
    sources: list[Source] = sources_field("resistance_overcoming_id")


@entity(source=tables.resistance_mechanisms, order_by=lambda t: [t.c.name], key=lambda t: t.c.slug)
@strawberry.type(description="A mechanism by which tumours resist therapy.")
class ResistanceMechanism(Node):
    slug: str = column(description="Stable key, e.g. `p95her2-truncation`.")
    name: str = column(description="Name of the mechanism.")
    category: ResistanceCategory = column(description="Biological category.")
    description: str = column(description="What happens and why it confers resistance.")
    notes: str | None = column(description="Curation notes: what is not yet sourced and why.")

    biomarkers: list[ResistanceBiomarker] = one_to_many(
        "ResistanceBiomarker",
        "mechanism_id",
        order_by=lambda t: [t.c.position],
        description="Biomarkers of the mechanism.",
    )
    effects: list[ResistanceEffect] = one_to_many(
        "ResistanceEffect",
        "mechanism_id",
        order_by=lambda t: [t.c.position],
        description="Agents affected, with direction and evidence.",
    )
    affected_agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        tables.resistance_effects,
        "mechanism_id",
        "agent_id",
        order_by=lambda t: [t.c.name],
        description="Agents affected by the mechanism.",
    )
    overcoming: list[OvercomingStrategy] = one_to_many(
        "OvercomingStrategy",
        "mechanism_id",
        order_by=lambda t: [t.c.position],
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


def _mechanisms_affecting(agent_ids: Any) -> Any:
    effect = tables.resistance_effects.alias()
    return select(effect.c.mechanism_id).where(effect.c.agent_id.in_(agent_ids))


def _agents_with_target(name: str) -> Any:
    link, target = tables.agent_targets.alias(), tables.targets.alias()
    return (
        select(link.c.agent_id)
        .select_from(link.join(target, target.c.id == link.c.target_id))
        .where(target_named(target, param(name)))
    )


def _mechanisms_with_biomarker(fragment: str) -> Any:
    biomarker = tables.resistance_biomarkers.alias()
    return select(biomarker.c.mechanism_id).where(contains(array([biomarker.c.name]), fragment))


def resistance_where(row: FromClause, f: ResistanceFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if f.categories is not None:
        conditions.append(any_of(row.c.category, stored(f.categories) or []))
    if f.agent is not None:
        conditions.append(row.c.id.in_(_mechanisms_affecting(agents_named(param(f.agent)))))
    if f.biomarker is not None:
        conditions.append(row.c.id.in_(_mechanisms_with_biomarker(f.biomarker)))
    if f.target is not None:
        conditions.append(row.c.id.in_(_mechanisms_affecting(_agents_with_target(f.target))))
    return conditions


@strawberry.type
class ResistanceQueries:
    @root_field(
        description="A resistance mechanism by slug, e.g. `p95her2-truncation`.",
        graphql_type=ResistanceMechanism | None,
    )
    def resistance_mechanism(
        self, slug: Annotated[str, strawberry.argument(description="Stable key of the mechanism.")]
    ) -> One:
        rows = entity_of(ResistanceMechanism).all_rows()
        match = rows.row.c.slug == lower(param(slug))
        return One("ResistanceMechanism", Rows(rows.row, rows.source, [match], rows.order_by))

    @root_field(
        description="Resistance mechanisms, filtered, by name.", graphql_type=Connection[ResistanceMechanism]
    )
    def resistance_mechanisms(
        self,
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
    ) -> Page:
        row = tables.resistance_mechanisms.alias()
        rows = Rows(row, row, resistance_where(row, filter), [ordered(func.lower(row.c.name), direction)])
        return page(entity_of(ResistanceMechanism), rows, first=first, after=after, last=last, before=before)
