"""Clinical trials, their arms and regimens, and their outcomes per analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.enums import (
    Analysis,
    ArmRole,
    Assessment,
    Blinding,
    EndpointKind,
    Phase,
    RegimenRole,
    TimeUnit,
    TrialSetting,
    TrialStatus,
)
from schema.meta import Entity, column, entity, many_to_many, many_to_one, one_to_many
from schema.sources import Source, sources_field
from schema.sql import number, partial_date

if TYPE_CHECKING:
    from schema.agents import Agent
    from schema.approvals import Approval
    from schema.indications import Indication

_AGENTS = strawberry.lazy("schema.agents")


@entity(table="endpoints", order_by="t.id")
@strawberry.type(description="A clinical endpoint such as overall survival or objective response rate.")
class Endpoint(Entity):
    code: str = column(description="Short code, e.g. `OS`, `PFS`, `ORR`, `pCR`.")
    name: str = column(description="Full name.")
    kind: EndpointKind = column(description="What the endpoint measures.")
    description: str = column(description="Definition.")


@entity(table="arm_regimen_components", order_by="t.arm_id, t.position")
@strawberry.type(description="One drug of an arm's regimen, with its role.")
class RegimenComponent(Entity):
    drug_name: str | None = column(
        description="Name of a drug that is not a curated agent (e.g. chemotherapy)."
    )
    role: RegimenRole = column(description="Role of the drug in the regimen.")
    display_name: str = column(
        "COALESCE(t.drug_name, (SELECT a.name FROM agents a WHERE a.id = t.agent_id))",
        description="The drug's name: the agent's name or the free-text drug name.",
    )

    agent: Annotated[Agent, _AGENTS] | None = many_to_one(
        "Agent", "agent_id", description="The curated agent, when the drug is one."
    )


@entity(table="trial_arms", order_by="t.trial_id, t.position")
@strawberry.type(description="An arm (or single-arm cohort) of a trial.")
class TrialArm(Entity):
    slug: str = column(description="Key of the arm within its trial.")
    label: str = column(description="Label, usually the regimen.")
    role: ArmRole = column(description="Experimental, control or single-arm cohort.")
    size: int | None = column(description="Patients randomised or enrolled to the arm.")
    notes: str | None = column(description="Curation notes about the arm.")

    trial: Annotated[Trial, strawberry.lazy("schema.trials")] = many_to_one(
        "Trial", "trial_id", description="The trial the arm belongs to."
    )
    regimen: list[RegimenComponent] = one_to_many(
        "RegimenComponent", "arm_id", order_by="t.position", description="Drugs given in the arm."
    )
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        "arm_regimen_components",
        "arm_id",
        "agent_id",
        order_by="t.name",
        description="The curated agents given in the arm.",
    )


@entity(table="outcome_arm_results", order_by="t.outcome_id, t.position")
@strawberry.type(description="The result of one arm for one outcome: a median or a rate.")
class ArmResult(Entity):
    median: float | None = column(
        number("median"), description="Median (time-to-event or duration endpoints)."
    )
    median_ci_lower: float | None = column(
        number("median_ci_lower"), description="Lower bound of the 95% CI of the median."
    )
    median_ci_upper: float | None = column(
        number("median_ci_upper"),
        description="Upper bound of the 95% CI of the median; null when not reached or not reported.",
    )
    median_not_reached: bool = column(description="True when the source reports the median as not reached.")
    unit: TimeUnit | None = column(description="Unit of the median.")
    rate: float | None = column(
        number("rate"),
        description="Rate in percent (response rates, landmark survival rates, safety rates).",
    )
    rate_ci_lower: float | None = column(
        number("rate_ci_lower"), description="Lower bound of the 95% CI of the rate."
    )
    rate_ci_upper: float | None = column(
        number("rate_ci_upper"), description="Upper bound of the 95% CI of the rate."
    )
    timepoint: str | None = column(description="Landmark of a rate, e.g. `3 years`.")
    events: int | None = column(description="Number of events in the arm.")
    n: int | None = column(description="Patients analysed in the arm.")
    notes: str | None = column(description="Curation notes about this result.")

    arm: TrialArm = many_to_one("TrialArm", "arm_id", description="The arm.")


@entity(table="outcomes", order_by="t.trial_id, t.position")
@strawberry.type(
    description="One endpoint of one analysis of a trial, with arm results and the hazard ratio."
)
class Outcome(Entity):
    slug: str = column(description="Key of the outcome within its trial, e.g. `os-final`.")
    assessment: Assessment | None = column(description="Who assessed the endpoint.")
    analysis: Analysis = column(description="Which analysis the result comes from.")
    analysis_label: str | None = column(description="Details of the analysis, e.g. its follow-up.")
    data_cutoff: str | None = column(
        partial_date("data_cutoff"), description="Data cut-off date (YYYY, YYYY-MM or YYYY-MM-DD)."
    )
    population: str | None = column(description="Analysis population, e.g. intention-to-treat or a cohort.")
    hazard_ratio: float | None = column(
        number("hazard_ratio"), description="Hazard ratio, experimental vs control."
    )
    hazard_ratio_ci_lower: float | None = column(
        number("hazard_ratio_ci_lower"),
        description="Lower bound of the 95% CI of the hazard ratio.",
    )
    hazard_ratio_ci_upper: float | None = column(
        number("hazard_ratio_ci_upper"),
        description="Upper bound of the 95% CI of the hazard ratio.",
    )
    p_value: str | None = column(description="P-value as printed by the source, e.g. `<0.001`.")
    notes: str | None = column(description="Curation notes.")

    trial: Annotated[Trial, strawberry.lazy("schema.trials")] = many_to_one(
        "Trial", "trial_id", description="The trial."
    )
    endpoint: Endpoint = many_to_one("Endpoint", "endpoint_id", description="The endpoint measured.")
    arm_results: list[ArmResult] = one_to_many(
        "ArmResult", "outcome_id", order_by="t.position", description="Result of each arm."
    )
    sources: list[Source] = sources_field("outcome_id")


@entity(table="trials", order_by="t.start_date NULLS LAST, t.slug")
@strawberry.type(description="A clinical trial.")
class Trial(Entity):
    slug: str = column(description="Stable key, usually the lower-case acronym.")
    nct_id: str | None = column(description="ClinicalTrials.gov identifier.")
    other_ids: list[str] = column(description="Other registry or sponsor identifiers.")
    acronym: str | None = column(description="Acronym, e.g. CLEOPATRA.")
    title: str = column(description="Official or publication title.")
    phase: Phase = column(description="Trial phase.")
    status: TrialStatus | None = column(
        description="Recruitment status, as last seen in a registry record; null when not sourced."
    )
    randomised: bool = column(description="Whether patients were randomised.")
    blinding: Blinding | None = column(description="Masking.")
    population: str | None = column(description="Who was enrolled.")
    setting: TrialSetting = column(description="Treatment setting.")
    line: str | None = column(description="Line of therapy.")
    enrollment: int | None = column(description="Patients enrolled.")
    start_date: str | None = column(
        partial_date("start_date"), description="Start date (YYYY, YYYY-MM or YYYY-MM-DD)."
    )
    primary_completion_date: str | None = column(
        partial_date("primary_completion_date"),
        description="Primary completion date (YYYY, YYYY-MM or YYYY-MM-DD).",
    )
    sponsor: str | None = column(description="Sponsor.")
    notes: str | None = column(description="Curation notes.")

    arms: list[TrialArm] = one_to_many(
        "TrialArm", "trial_id", order_by="t.position", description="Arms or cohorts."
    )
    outcomes: list[Outcome] = one_to_many(
        "Outcome",
        "trial_id",
        order_by="t.position",
        description="Outcomes, one per endpoint and analysis.",
    )
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        "agent_trials",
        "trial_id",
        "agent_id",
        order_by="t.name",
        description="Curated agents given in any arm.",
    )
    indications: list[Annotated[Indication, strawberry.lazy("schema.indications")]] = many_to_many(
        "Indication",
        "trial_indications",
        "trial_id",
        "indication_id",
        description="Indications enrolled.",
    )
    approvals: list[Annotated[Approval, strawberry.lazy("schema.approvals")]] = many_to_many(
        "Approval",
        "approval_trials",
        "trial_id",
        "approval_id",
        order_by="t.approval_date, t.slug",
        description="Approvals this trial supported.",
    )
    sources: list[Source] = sources_field("trial_id")
