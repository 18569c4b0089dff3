"""Therapeutic agents: antibodies, ADCs, kinase inhibitors, cell therapies."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.enums import DevelopmentStatus, Modality, PayloadClass, Phase, Regulator
from schema.errors import UserInputError
from schema.meta import (
    Entity,
    column,
    entity,
    many_to_many,
    many_to_one,
    meta_of,
    one_to_many,
    one_to_one,
    select_one,
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
    Where,
    order_sql,
    paginate,
)
from schema.sources import Source, sources_field
from schema.sql import agent_named, enum_values, indication_within, number, target_named

if TYPE_CHECKING:
    from schema.approvals import Approval
    from schema.indications import Indication
    from schema.resistance import OvercomingStrategy, ResistanceEffect, ResistanceMechanism
    from schema.safety import SafetyWarning
    from schema.targets import Target
    from schema.trials import Trial

_RESISTANCE = strawberry.lazy("schema.resistance")


@entity(table="adc_constructs", order_by="t.agent_id", id_sql="t.agent_id")
@strawberry.type(description="The construct of an antibody-drug conjugate.")
class AdcConstruct(Entity):
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


@entity(table="cell_therapy_constructs", order_by="t.agent_id", id_sql="t.agent_id")
@strawberry.type(description="The construct of a cell therapy such as a CAR-T product.")
class CellTherapyConstruct(Entity):
    binder: str = column(description="The antigen-binding domain, e.g. the FMC63 scFv.")
    binder_origin: str | None = column(description="Species origin of the binder (murine, human, ...).")
    costimulatory_domain: str | None = column(description="Costimulatory domain, e.g. 4-1BB or CD28.")
    signalling_domain: str | None = column(description="Activation (signalling) domain, e.g. CD3-zeta.")
    vector: str | None = column(description="Gene-transfer vector, e.g. lentiviral or gamma-retroviral.")
    manufacturing: str | None = column(description="Manufacturing notes.")


@entity(table="agent_regional_statuses", order_by="t.region")
@strawberry.type(description="An agent's development status in one region.")
class RegionalStatus(Entity):
    region: str = column(description="Region code: US, EU, CN, JP, UK, ...")
    status: DevelopmentStatus = column(description="Status in that region.")
    note: str | None = column(description="Details, e.g. the year or the scope of approval.")


PHASE_ORDER = ["1", "1/2", "2", "2/3", "3", "4"]


@strawberry.type(description="Trials of one agent in one indication and phase.")
class TrialGroup:
    indication: Annotated[Indication, strawberry.lazy("schema.indications")] | None = strawberry.field(
        description="The indication (null for trials without one)."
    )
    phase: Phase = strawberry.field(description="The phase.")
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = strawberry.field(
        description="The trials."
    )


@entity(table="agents", order_by="t.name", key_sql="t.slug")
@strawberry.type(
    description="A therapeutic agent: an antibody, antibody-drug conjugate, kinase inhibitor or cell therapy."
)
class Agent(Entity, Node):
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
        "agent_targets",
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
        "agent_components",
        "agent_id",
        "component_id",
        description="Component agents, when this agent is a fixed combination.",
    )
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = many_to_many(
        "Trial",
        "agent_trials",
        "agent_id",
        "trial_id",
        order_by="t.start_date NULLS LAST, t.slug",
        description="Trials in which the agent is part of any arm's regimen.",
    )
    approvals: list[Annotated[Approval, strawberry.lazy("schema.approvals")]] = one_to_many(
        "Approval",
        "agent_id",
        order_by="t.approval_date, t.slug",
        description="Regulatory approvals of the agent, oldest first.",
    )
    resistance_effects: list[Annotated[ResistanceEffect, _RESISTANCE]] = one_to_many(
        "ResistanceEffect", "agent_id", description="How resistance mechanisms affect this agent."
    )
    resistance_mechanisms: list[Annotated[ResistanceMechanism, _RESISTANCE]] = many_to_many(
        "ResistanceMechanism",
        "resistance_effects",
        "agent_id",
        "mechanism_id",
        description="Resistance mechanisms reported to affect this agent.",
    )
    overcomes: list[Annotated[OvercomingStrategy, _RESISTANCE]] = one_to_many(
        "OvercomingStrategy",
        "agent_id",
        description="Resistance mechanisms this agent is reported to overcome.",
    )

    @strawberry.field(description="The agent's trials grouped by indication and phase (latest phase first).")
    async def trial_groups(self, info: strawberry.Info[Context, None]) -> list[TrialGroup]:
        from schema.trials import Trial

        loaders = info.context.loaders
        trials = await loaders.load(meta_of(Agent).relations["trials"], self)
        indications_of = meta_of(Trial).relations["indications"]
        groups: dict[tuple[str, str], TrialGroup] = {}
        for trial in trials:
            indications = await loaders.load(indications_of, trial) or [None]
            for indication in indications:
                key = (indication.name if indication else "", trial.phase)
                group = groups.setdefault(
                    key, TrialGroup(indication=indication, phase=trial.phase, trials=[])
                )
                group.trials.append(trial)
        return [groups[k] for k in sorted(groups, key=lambda k: (k[0], -PHASE_ORDER.index(str(k[1]))))]

    safety_warnings: list[Annotated[SafetyWarning, strawberry.lazy("schema.safety")]] = one_to_many(
        "SafetyWarning", "agent_id", description="Label safety warnings (boxed warnings, warnings, REMS)."
    )
    sources: list[Source] = sources_field("agent_id")


@strawberry.enum(description="What to sort agents by.")
class AgentOrderField(Enum):
    NAME = strawberry.enum_value("lower(t.name)", description="Name, A to Z.")
    FIRST_APPROVAL_DATE = strawberry.enum_value(
        "(SELECT min(ap.approval_date) FROM approvals ap WHERE ap.agent_id = t.id)",
        description="Date of the agent's first approval by any regulator.",
    )
    TRIAL_COUNT = strawberry.enum_value(
        "(SELECT count(*) FROM agent_trials x WHERE x.agent_id = t.id)",
        description="Number of curated trials.",
    )


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


def agent_where(f: AgentFilter | None) -> Where:
    where = Where()
    if f is None:
        return where
    if f.target is not None:
        where.add(
            "EXISTS (SELECT 1 FROM agent_targets x JOIN targets g ON g.id = x.target_id "
            f"WHERE x.agent_id = t.id AND {target_named('g', '{}')})",
            f.target,
        )
    if f.modalities is not None:
        where.add("t.modality = ANY({}::text[])", enum_values(f.modalities))
    if f.development_status is not None:
        where.add("t.development_status = {}", f.development_status.value)
    if f.approved_by is not None:
        where.add(
            "EXISTS (SELECT 1 FROM approvals ap WHERE ap.agent_id = t.id AND ap.regulator = {})",
            f.approved_by.value,
        )
    if f.approved_in is not None:
        where.add(
            "EXISTS (SELECT 1 FROM agent_regional_statuses r WHERE r.agent_id = t.id "
            "AND r.region = upper({}) AND r.status = 'approved')",
            f.approved_in,
        )
    if f.approved_for is not None:
        where.add(
            f"EXISTS (SELECT 1 FROM approvals ap WHERE ap.agent_id = t.id AND {indication_within('ap.indication_id', '{}')})",
            f.approved_for,
        )
    if f.affected_by is not None:
        where.add(
            "EXISTS (SELECT 1 FROM resistance_effects e JOIN resistance_mechanisms m ON m.id = e.mechanism_id "
            "WHERE e.agent_id = t.id AND m.slug = lower({}))",
            f.affected_by,
        )
    if f.name_contains is not None:
        where.add(
            "EXISTS (SELECT 1 FROM unnest(ARRAY[t.name] || t.synonyms || t.brand_names || t.code_names) AS n (name) "
            "WHERE n.name ILIKE '%' || {} || '%')",
            f.name_contains,
        )
    return where


@strawberry.type
class AgentQueries:
    @strawberry.field(
        description="An agent by any name — name, synonym, brand or code name — or by ChEMBL, NCIt, DrugBank, "
        "UNII or RxNorm ID, case-insensitive: `Enhertu`, `T-DXd` and `DS-8201a` are the same agent."
    )
    async def agent(
        self,
        info: strawberry.Info[Context, None],
        name: Annotated[str, strawberry.argument(description="Any name or identifier of the agent.")],
    ) -> Agent | None:
        return await select_one(info.context, Agent, agent_named("t", "$1"), name)

    @strawberry.field(
        description="Agents for each of the given names or identifiers, in the same order (null when unknown)."
    )
    async def agents_by_name(
        self,
        info: strawberry.Info[Context, None],
        names: Annotated[list[str], strawberry.argument(description="Names or identifiers, at most 100.")],
    ) -> list[Agent | None]:
        if len(names) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} names per request.")
        rows = await info.context.db.fetch(
            f"""
            SELECT q.name AS __asked, {meta_of(Agent).select_list}
            FROM unnest($1::text[]) AS q (name)
            JOIN agents t ON {agent_named("t", "q.name")}
            """,
            names,
        )
        found = {row["__asked"]: meta_of(Agent).from_row(row) for row in rows}
        return [found.get(name) for name in names]

    @strawberry.field(description="Agents, filtered and sorted (by name unless `orderBy` says otherwise).")
    async def agents(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[AgentFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
        order_by: Annotated[AgentOrder | None, strawberry.argument(description="Sort order.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Agent]:
        order = order_by or AgentOrder(field=AgentOrderField.NAME)
        return await paginate(
            info.context,
            Agent,
            agent_where(filter),
            order_sql(str(order.field.value), order.direction),
            first=first,
            after=after,
            last=last,
            before=before,
        )
