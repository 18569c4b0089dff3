"""Therapeutic agents: antibodies, ADCs, kinase inhibitors, cell therapies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.enums import DevelopmentStatus, Modality, PayloadClass
from schema.meta import Entity, column, entity, many_to_many, many_to_one, one_to_many, one_to_one
from schema.sources import Source, sources_field
from schema.sql import number

if TYPE_CHECKING:
    from schema.approvals import Approval
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


@entity(table="agents", order_by="t.name")
@strawberry.type(
    description="A therapeutic agent: an antibody, antibody-drug conjugate, kinase inhibitor or cell therapy."
)
class Agent(Entity):
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
    safety_warnings: list[Annotated[SafetyWarning, strawberry.lazy("schema.safety")]] = one_to_many(
        "SafetyWarning", "agent_id", description="Label safety warnings (boxed warnings, warnings, REMS)."
    )
    sources: list[Source] = sources_field("agent_id")
