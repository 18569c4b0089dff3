"""Therapeutic agents: antibodies, ADCs, kinase inhibitors, cell therapies."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import ColumnElement, FromClause, any_, exists, func, select
from sqlalchemy.dialects.postgresql import array

from db import tables
from db.sqlbuild import Each, One, Page, Rows
from schema.enums import DevelopmentStatus, Modality, PayloadClass, Phase, Regulator
from schema.errors import UserInputError
from schema.expressions import (
    agent_named,
    any_of,
    contains,
    indication_within,
    number,
    param,
    stored,
    target_named,
)
from schema.meta import (
    column,
    entity,
    entity_of,
    many_to_many,
    many_to_one,
    one_to_many,
    one_to_one,
    related,
    root_field,
)
from schema.node import Node
from schema.pagination import (
    MAX_PAGE_SIZE,
    After,
    Before,
    Connection,
    First,
    Last,
    OrderDirection,
    ordered,
    page,
)
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.approvals import Approval
    from schema.indications import Indication
    from schema.resistance import OvercomingStrategy, ResistanceEffect, ResistanceMechanism
    from schema.safety import SafetyWarning
    from schema.targets import Target
    from schema.trials import Trial

_RESISTANCE = strawberry.lazy("schema.resistance")


@entity(source=tables.adc_constructs, order_by=lambda t: [t.c.agent_id], id_column="agent_id")
@strawberry.type(description="The construct of an antibody-drug conjugate.")
class AdcConstruct:
    payload: str = column(description="The cytotoxic payload.")
    payload_class: PayloadClass | None = column(description="Pharmacological class of the payload.")
    linker: str | None = column(description="The linker joining payload and antibody.")
    linker_cleavable: bool | None = column(
        description="Whether the linker is cleavable (allowing a bystander effect with membrane-permeable payloads)."
    )
    drug_to_antibody_ratio: float | None = column(
        number("drug_to_antibody_ratio"),
        description="Average number of payload molecules per antibody.",
    )


@entity(source=tables.cell_therapy_constructs, order_by=lambda t: [t.c.agent_id], id_column="agent_id")
@strawberry.type(description="The construct of a cell therapy such as a CAR-T product.")
class CellTherapyConstruct:
    binder: str = column(description="The antigen-binding domain, e.g. the FMC63 scFv.")
    binder_origin: str | None = column(description="Species origin of the binder (murine, human, ...).")
    costimulatory_domain: str | None = column(description="Costimulatory domain, e.g. 4-1BB or CD28.")
    signalling_domain: str | None = column(description="Activation (signalling) domain, e.g. CD3-zeta.")
    vector: str | None = column(description="Gene-transfer vector, e.g. lentiviral or gamma-retroviral.")
    manufacturing: str | None = column(description="Manufacturing notes.")


@entity(source=tables.agent_regional_statuses, order_by=lambda t: [t.c.region])
@strawberry.type(description="An agent's development status in one region.")
class RegionalStatus:
    region: str = column(description="Region code: US, EU, CN, JP, UK, ...")
    status: DevelopmentStatus = column(description="Status in that region.")
    note: str | None = column(description="Details, e.g. the year or the scope of approval.")


def trial_order(row: FromClause) -> list[ColumnElement[Any]]:
    return [row.c.start_date.asc().nulls_last(), row.c.slug]


def _groups_of_agent(agent: FromClause) -> Rows:
    group = tables.agent_trial_groups.alias()
    return Rows(
        row=group,
        source=group,
        where=[group.c.agent_id == agent.c.id],
        order_by=[group.c.indication_name, group.c.phase_rank.desc()],
    )


def _trials_of_group(group: FromClause) -> Rows:
    """The group's trials, in the order prepared at seeding (`trial_ids`).

    In one statement `group` is the group's own row: its trials are index probes of its
    `trial_ids`, without finding the group again. A batch of group keys (the reference
    executor) finds each group's row by its key first.
    """
    trial = tables.trials.alias()
    if "trial_ids" in group.c:
        listed = group.c.trial_ids
        return Rows(
            row=trial,
            source=trial,
            where=[trial.c.id == any_(listed)],
            order_by=[func.array_position(listed, trial.c.id)],
        )
    prepared = tables.agent_trial_groups.alias()
    listed = prepared.c.trial_ids
    return Rows(
        row=trial,
        source=prepared.join(trial, trial.c.id == any_(listed)),
        where=[
            prepared.c.agent_id == group.c.agent_id,
            prepared.c.phase == group.c.phase,
            prepared.c.indication_id.is_not_distinct_from(group.c.indication_id),
        ],
        order_by=[func.array_position(listed, trial.c.id)],
    )


def _indication_of_group(group: FromClause) -> Rows:
    indication = tables.indications.alias()
    return Rows(row=indication, source=indication, where=[indication.c.id == group.c.indication_id])


@entity(source=tables.agent_trial_groups, order_by=lambda t: [t.c.indication_name], id_column="agent_id")
@strawberry.type(description="Trials of one agent in one indication and phase.")
class TrialGroup:
    indication: Annotated[Indication, strawberry.lazy("schema.indications")] | None = related(
        "Indication",
        _indication_of_group,
        ("indication_id",),
        single=True,
        description="The indication (null for trials without one).",
    )
    phase: Phase = column(description="The phase.")
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = related(
        "Trial",
        _trials_of_group,
        ("agent_id", "indication_id", "phase"),
        description="The trials.",
    )


@entity(source=tables.agents, order_by=lambda t: [t.c.name], key=lambda t: t.c.slug)
@strawberry.type(
    description="A therapeutic agent: an antibody, antibody-drug conjugate, kinase inhibitor or cell therapy."
)
class Agent(Node):
    slug: str = column(description="Stable key of the agent, e.g. `fam-trastuzumab-deruxtecan`.")
    name: str = column(description="Name as on the FDA label (else the INN).")
    synonyms: list[str] = column(description="Other names and abbreviations, e.g. `T-DXd`.")
    brand_names: list[str] = column(description="Brand (trade) names, e.g. `Enhertu`.")
    code_names: list[str] = column(description="Development code names, e.g. `DS-8201a`.")
    modality: Modality = column(description="The kind of agent.")
    mechanism: str | None = column(description="Mechanism of action.")
    binding_site: str | None = column(
        description="Where the agent binds its target, e.g. HER2 extracellular subdomain IV."
    )
    developer: str | None = column(description="Company or companies developing the agent.")
    development_status: DevelopmentStatus = column(description="Overall development status.")
    chembl_id: str | None = column(description="ChEMBL identifier.")
    ncit_id: str | None = column(description="NCI Thesaurus code.")
    drugbank_id: str | None = column(description="DrugBank identifier.")
    rxnorm_id: str | None = column(description="RxNorm concept identifier.")
    unii: str | None = column(description="FDA Unique Ingredient Identifier.")
    notes: str | None = column(description="Curation notes: what is not yet sourced and why.")

    targets: list[Annotated[Target, strawberry.lazy("schema.targets")]] = many_to_many(
        "Target",
        tables.agent_targets,
        "agent_id",
        "target_id",
        description="Molecular targets of the agent.",
    )
    adc: AdcConstruct | None = one_to_one(
        "AdcConstruct",
        "agent_id",
        description="ADC construct (payload, linker, DAR), for antibody-drug conjugates.",
    )
    cell_therapy: CellTherapyConstruct | None = one_to_one(
        "CellTherapyConstruct",
        "agent_id",
        description="Cell-therapy construct, for CAR-T products.",
    )
    regional_statuses: list[RegionalStatus] = one_to_many(
        "RegionalStatus", "agent_id", description="Development status by region."
    )
    biosimilar_of: Agent | None = many_to_one(
        "Agent",
        "biosimilar_of_id",
        description="The reference product, when this agent is a biosimilar.",
    )
    biosimilars: list[Agent] = one_to_many(
        "Agent", "biosimilar_of_id", description="Biosimilars of this agent."
    )
    components: list[Agent] = many_to_many(
        "Agent",
        tables.agent_components,
        "agent_id",
        "component_id",
        description="Component agents, when this agent is a fixed combination.",
    )
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = many_to_many(
        "Trial",
        tables.agent_trials,
        "agent_id",
        "trial_id",
        order_by=trial_order,
        description="Trials in which the agent is part of any arm's regimen.",
    )
    approvals: list[Annotated[Approval, strawberry.lazy("schema.approvals")]] = one_to_many(
        "Approval",
        "agent_id",
        order_by=lambda t: [t.c.approval_date, t.c.slug],
        description="Regulatory approvals of the agent, oldest first.",
    )
    resistance_effects: list[Annotated[ResistanceEffect, _RESISTANCE]] = one_to_many(
        "ResistanceEffect", "agent_id", description="How resistance mechanisms affect this agent."
    )
    resistance_mechanisms: list[Annotated[ResistanceMechanism, _RESISTANCE]] = many_to_many(
        "ResistanceMechanism",
        tables.resistance_effects,
        "agent_id",
        "mechanism_id",
        description="Resistance mechanisms reported to affect this agent.",
    )
    overcomes: list[Annotated[OvercomingStrategy, _RESISTANCE]] = one_to_many(
        "OvercomingStrategy",
        "agent_id",
        description="Resistance mechanisms this agent is reported to overcome.",
    )

    safety_warnings: list[Annotated[SafetyWarning, strawberry.lazy("schema.safety")]] = one_to_many(
        "SafetyWarning", "agent_id", description="Label safety warnings (boxed warnings, warnings, REMS)."
    )
    sources: list[Source] = sources_field("agent_id")
    trial_groups: list[TrialGroup] = related(
        "TrialGroup",
        _groups_of_agent,
        ("id",),
        description="The agent's trials grouped by indication and phase (latest phase first).",
    )


@strawberry.enum(description="What to sort agents by.")
class AgentOrderField(Enum):
    NAME = strawberry.enum_value("name", description="Name, A to Z.")
    FIRST_APPROVAL_DATE = strawberry.enum_value(
        "first_approval_date", description="Date of the agent's first approval by any regulator."
    )
    TRIAL_COUNT = strawberry.enum_value("trial_count", description="Number of curated trials.")


def _sort_key(field: AgentOrderField, agent: FromClause) -> ColumnElement[Any]:
    if field == AgentOrderField.NAME:
        return func.lower(agent.c.name)
    if field == AgentOrderField.FIRST_APPROVAL_DATE:
        approval = tables.approvals.alias()
        return (
            select(func.min(approval.c.approval_date))
            .where(approval.c.agent_id == agent.c.id)
            .scalar_subquery()
        )
    link = tables.agent_trials.alias()
    return select(func.count()).select_from(link).where(link.c.agent_id == agent.c.id).scalar_subquery()


@strawberry.input(description="How to sort agents.")
class AgentOrder:
    field: AgentOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Sort direction.")


@strawberry.input(description="Conditions on agents; all given conditions must hold.")
class AgentFilter:
    target: str | None = strawberry.field(
        default=None, description="Directed at this target (symbol, alias or ID)."
    )
    modalities: list[Modality] | None = strawberry.field(
        default=None, description="Of any of these modalities."
    )
    development_status: DevelopmentStatus | None = strawberry.field(
        default=None, description="With this overall status."
    )
    approved_by: Regulator | None = strawberry.field(
        default=None, description="Approved by this regulator at least once."
    )
    approved_in: str | None = strawberry.field(
        default=None, description="With status approved in this region (US, EU, CN, JP, ...)."
    )
    approved_for: str | None = strawberry.field(
        default=None, description="With an approval for this indication or a narrower one (slug, name or ID)."
    )
    affected_by: str | None = strawberry.field(
        default=None, description="Affected by this resistance mechanism (slug)."
    )
    name_contains: str | None = strawberry.field(
        default=None, description="Any name contains this text (case-insensitive)."
    )


def _has_target(agent: FromClause, name: str) -> ColumnElement[bool]:
    link, target = tables.agent_targets.alias(), tables.targets.alias()
    return exists(
        select(link.c.agent_id)
        .select_from(link.join(target, target.c.id == link.c.target_id))
        .where(link.c.agent_id == agent.c.id, target_named(target, param(name)))
    )


def _approved(agent: FromClause, f: AgentFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.approved_by is not None:
        approval = tables.approvals.alias()
        conditions.append(
            exists(
                select(approval.c.id).where(
                    approval.c.agent_id == agent.c.id, approval.c.regulator == param(f.approved_by.value)
                )
            )
        )
    if f.approved_in is not None:
        region = tables.agent_regional_statuses.alias()
        conditions.append(
            exists(
                select(region.c.agent_id).where(
                    region.c.agent_id == agent.c.id,
                    region.c.region == func.upper(param(f.approved_in)),
                    region.c.status == "approved",
                )
            )
        )
    if f.approved_for is not None:
        approval = tables.approvals.alias()
        conditions.append(
            exists(
                select(approval.c.id).where(
                    approval.c.agent_id == agent.c.id,
                    indication_within(approval.c.indication_id, param(f.approved_for)),
                )
            )
        )
    return conditions


def _affected_by(agent: FromClause, slug: str) -> ColumnElement[bool]:
    effect, mechanism = tables.resistance_effects.alias(), tables.resistance_mechanisms.alias()
    return exists(
        select(effect.c.agent_id)
        .select_from(effect.join(mechanism, mechanism.c.id == effect.c.mechanism_id))
        .where(effect.c.agent_id == agent.c.id, mechanism.c.slug == func.lower(param(slug)))
    )


def agent_where(agent: FromClause, f: AgentFilter | None) -> list[ColumnElement[bool]]:
    """The filter's conditions on the agent row `agent`."""
    if f is None:
        return []
    conditions = _approved(agent, f)
    if f.target is not None:
        conditions.append(_has_target(agent, f.target))
    if f.modalities is not None:
        conditions.append(any_of(agent.c.modality, stored(f.modalities) or []))
    if f.development_status is not None:
        conditions.append(agent.c.development_status == param(f.development_status.value))
    if f.affected_by is not None:
        conditions.append(_affected_by(agent, f.affected_by))
    if f.name_contains is not None:
        names = array([agent.c.name]).op("||")(agent.c.synonyms).op("||")(agent.c.brand_names)
        conditions.append(contains(names.op("||")(agent.c.code_names), f.name_contains))
    return conditions


def agent_by_name(name: str) -> One:
    rows = entity_of(Agent).all_rows()
    return One("Agent", Rows(rows.row, rows.source, [agent_named(rows.row, param(name))], rows.order_by))


@strawberry.type
class AgentQueries:
    @root_field(
        description="An agent by any name — name, synonym, brand or code name — or by ChEMBL, NCIt, DrugBank, "
        "UNII or RxNorm ID, case-insensitive: `Enhertu`, `T-DXd` and `DS-8201a` are the same agent.",
        graphql_type=Agent | None,
    )
    def agent(
        self, name: Annotated[str, strawberry.argument(description="Any name or identifier of the agent.")]
    ) -> One:
        return agent_by_name(name)

    @root_field(
        description="Agents for each of the given names or identifiers, in the same order (null when unknown).",
        graphql_type=list[Agent | None],
    )
    def agents_by_name(
        self,
        names: Annotated[list[str], strawberry.argument(description="Names or identifiers, at most 100.")],
    ) -> Each:
        if len(names) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} names per request.")
        return Each(tuple(agent_by_name(name) for name in names))

    @root_field(
        description="Agents, filtered and sorted (by name unless `orderBy` says otherwise).",
        graphql_type=Connection[Agent],
    )
    def agents(
        self,
        filter: Annotated[AgentFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
        order_by: Annotated[AgentOrder | None, strawberry.argument(description="Sort order.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        order = order_by or AgentOrder(field=AgentOrderField.NAME)
        row = tables.agents.alias()
        rows = Rows(
            row, row, agent_where(row, filter), [ordered(_sort_key(order.field, row), order.direction)]
        )
        return page(entity_of(Agent), rows, first=first, after=after, last=last, before=before)
