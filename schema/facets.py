"""Aggregate counts for filters ("Phase 3 (24)"), computed in the same statement as the rest."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from sqlalchemy import (
    JSON,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    String,
    Text,
    case,
    cast,
    column,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from db import tables
from db.sqlbuild import Many, Rows, constant
from schema.agents import AgentFilter, agent_where
from schema.enums import DevelopmentStatus, Modality, Phase, TrialSetting, TrialStatus
from schema.meta import column as value_column
from schema.meta import entity, related, root_field
from schema.trials import TrialFilter, trial_where

ENUMS: dict[str, type[Enum]] = {
    "phase": Phase,
    "status": TrialStatus,
    "setting": TrialSetting,
    "modality": Modality,
    "developmentStatus": DevelopmentStatus,
}


def _api_value(field: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """Enum facets speak the API's enum names; unknown stored values are shown upper-cased."""
    enum = ENUMS.get(field)
    if enum is None:
        return value
    names = {str(m.value): constant(m.name) for m in enum}
    return case(names, value=value, else_=func.upper(value))


def _count(
    field: str, order: int, value: ColumnElement[Any], source: Any, distinct_of: Any = None
) -> Select[Any]:
    counted = func.count() if distinct_of is None else func.count(distinct_of.distinct())
    return (
        select(
            literal(field, String).label("field"),
            literal(order, Integer).label("facet_order"),
            _api_value(field, cast(value, Text)).label("value"),
            counted.label("count"),
        )
        .select_from(source)
        .group_by(value)
    )


def _facet_rows(counts: Any) -> FromClause:
    """One row per facet: its field and its values, most frequent first, as JSON."""
    counted = counts.subquery("counted")
    item = func.json_build_object(constant("value"), counted.c.value, constant("count"), counted.c["count"])
    ordered_values = func.json_agg(
        aggregate_order_by(item, counted.c["count"].desc(), counted.c.value.collate("C"))
    )
    return (
        select(
            counted.c.field,
            cast(ordered_values, JSON).label("values"),
            func.min(counted.c.facet_order).label("facet_order"),
        )
        .group_by(counted.c.field)
        .subquery("facets")
    )


def _trial_counts(f: TrialFilter | None) -> Any:
    trial = tables.trials.alias()
    matched = select(trial).where(*trial_where(trial, f)).cte("matched")
    outcome, endpoint = tables.outcomes.alias(), tables.endpoints.alias()
    link, agent = tables.agent_trials.alias(), tables.agents.alias()
    link2, targeting, target = (
        tables.agent_trials.alias(),
        tables.agent_targets.alias(),
        tables.targets.alias(),
    )
    enrolled, indication = tables.trial_indications.alias(), tables.indications.alias()
    m = matched.c
    return union_all(
        _count("phase", 1, m.phase, matched),
        _count("status", 2, func.coalesce(m.status, "unknown"), matched),
        _count("setting", 3, m.setting, matched),
        _count("randomised", 4, m.randomised, matched),
        _count("endpoint", 5, endpoint.c.code, matched.join(outcome, outcome.c.trial_id == m.id).join(endpoint, endpoint.c.id == outcome.c.endpoint_id), m.id),
        _count("modality", 6, agent.c.modality, matched.join(link, link.c.trial_id == m.id).join(agent, agent.c.id == link.c.agent_id), m.id),
        _count("target", 7, target.c.symbol, matched.join(link2, link2.c.trial_id == m.id).join(targeting, targeting.c.agent_id == link2.c.agent_id).join(target, target.c.id == targeting.c.target_id), m.id),
        _count("indication", 8, indication.c.slug, matched.join(enrolled, enrolled.c.trial_id == m.id).join(indication, indication.c.id == enrolled.c.indication_id), m.id),
    )  # fmt: skip


def _agent_counts(f: AgentFilter | None) -> Any:
    agent = tables.agents.alias()
    matched = select(agent).where(*agent_where(agent, f)).cte("matched")
    targeting, target = tables.agent_targets.alias(), tables.targets.alias()
    approval, region = tables.approvals.alias(), tables.agent_regional_statuses.alias()
    m = matched.c
    return union_all(
        _count("modality", 1, m.modality, matched),
        _count("developmentStatus", 2, m.development_status, matched),
        _count("target", 3, target.c.symbol, matched.join(targeting, targeting.c.agent_id == m.id).join(target, target.c.id == targeting.c.target_id), m.id),
        _count("approvedBy", 4, approval.c.regulator, matched.join(approval, approval.c.agent_id == m.id), m.id),
        _count("approvedIn", 5, region.c.region, matched.join(region, (region.c.agent_id == m.id) & (region.c.status == "approved")), m.id),
    )  # fmt: skip


def _values_of_facet(facet: FromClause) -> Rows:
    items = (
        func.json_array_elements(facet.c["values"])
        .table_valued(column("item", JSON), with_ordinality="position")
        .render_derived(name="facet_values")
    )
    return Rows(row=items, source=items, order_by=[items.c.position])


@entity(source=lambda: func.json_array_elements(cast(literal("[]"), JSON)).table_valued(column("item", JSON), with_ordinality="position").render_derived(), order_by=lambda t: [t.c.position], id_column="position")  # fmt: skip
@strawberry.type(description="How many items have one value of a field.")
class FacetValue:
    value: str = value_column(lambda t: t.c.item.op("->>")("value"), description="The value, as a filter takes it (enum name, code or symbol).")  # fmt: skip
    count: int = value_column(lambda t: cast(t.c.item.op("->>")("count"), Integer), description="Number of matching items.")  # fmt: skip


@entity(
    source=lambda: _facet_rows(_agent_counts(None)),
    order_by=lambda t: [t.c.facet_order],
    id_column="facet_order",
)
@strawberry.type(description="Counts per value of one field.")
class Facet:
    field: str = value_column(description="The field, e.g. `phase`.")
    values: list[FacetValue] = related(
        "FacetValue",
        _values_of_facet,
        ("values",),
        description="Values with their counts, most frequent first.",
    )


def _facets(counts: Any) -> Many:
    facets = _facet_rows(counts)
    return Many("Facet", Rows(row=facets, source=facets, order_by=[facets.c.facet_order]))


@strawberry.type
class FacetQueries:
    @root_field(
        description="Counts of the trials matching `filter` per phase, status, setting, randomisation, "
        "endpoint reported, agent modality, target and indication.",
        graphql_type=list[Facet],
    )
    def trial_facets(
        self,
        filter: Annotated[TrialFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
    ) -> Many:
        return _facets(_trial_counts(filter))

    @root_field(
        description="Counts of the agents matching `filter` per modality, status, target, approving regulator "
        "and region of approval.",
        graphql_type=list[Facet],
    )
    def agent_facets(
        self,
        filter: Annotated[AgentFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
    ) -> Many:
        return _facets(_agent_counts(filter))
