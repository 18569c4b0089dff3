"""Clinical trials, their arms and regimens, and their outcomes per analysis."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.enums import (
    Analysis,
    ArmRole,
    Assessment,
    Blinding,
    EndpointKind,
    Modality,
    Phase,
    RegimenRole,
    TimeUnit,
    TrialSetting,
    TrialStatus,
)
from schema.errors import UserInputError
from schema.meta import (
    Entity,
    column,
    entity,
    many_to_many,
    many_to_one,
    meta_of,
    one_to_many,
    select_entities,
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
from schema.sql import (
    agent_named,
    enum_values,
    indication_within,
    number,
    partial_date,
    target_named,
    trial_named,
)

if TYPE_CHECKING:
    from schema.agents import Agent
    from schema.approvals import Approval
    from schema.indications import Indication

_AGENTS = strawberry.lazy("schema.agents")
# Arms and outcomes are keyed within their trial: "cleopatra/os-final".
TRIAL_CHILD_KEY = "(SELECT tr.slug FROM trials tr WHERE tr.id = t.trial_id) || '/' || t.slug"


@entity(table="endpoints", order_by="t.id", key_sql="t.code")
@strawberry.type(description="A clinical endpoint such as overall survival or objective response rate.")
class Endpoint(Entity, Node):
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


@entity(table="trial_arms", order_by="t.trial_id, t.position", key_sql=TRIAL_CHILD_KEY)
@strawberry.type(description="An arm (or single-arm cohort) of a trial.")
class TrialArm(Entity, Node):
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


@entity(table="outcomes", order_by="t.trial_id, t.position", key_sql=TRIAL_CHILD_KEY)
@strawberry.type(
    description="One endpoint of one analysis of a trial, with arm results and the hazard ratio."
)
class Outcome(Entity, Node):
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


@entity(table="trials", order_by="t.start_date NULLS LAST, t.slug", key_sql="t.slug")
@strawberry.type(description="A clinical trial.")
class Trial(Entity, Node):
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


@strawberry.enum(description="What to sort trials by.")
class TrialOrderField(Enum):
    START_DATE = strawberry.enum_value("t.start_date", description="Start date.")
    ACRONYM = strawberry.enum_value(
        "lower(coalesce(t.acronym, t.title))", description="Acronym (else title)."
    )
    PHASE = strawberry.enum_value("t.phase", description="Phase.")
    ENROLLMENT = strawberry.enum_value("t.enrollment", description="Number of patients enrolled.")


@strawberry.input(description="How to sort trials.")
class TrialOrder:
    field: TrialOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Sort direction.")


@strawberry.input(description="Conditions on trials; all given conditions must hold.")
class TrialFilter:
    agent: str | None = strawberry.field(
        default=None, description="Giving this agent in any arm (any name or ID)."
    )
    target: str | None = strawberry.field(
        default=None, description="Giving an agent directed at this target."
    )
    modality: Modality | None = strawberry.field(
        default=None, description="Giving an agent of this modality."
    )
    indication: str | None = strawberry.field(
        default=None, description="Enrolling this indication or a narrower one (slug, name or ID)."
    )
    phases: list[Phase] | None = strawberry.field(default=None, description="In any of these phases.")
    statuses: list[TrialStatus] | None = strawberry.field(
        default=None, description="With any of these statuses."
    )
    settings: list[TrialSetting] | None = strawberry.field(
        default=None, description="In any of these settings."
    )
    endpoint: str | None = strawberry.field(
        default=None, description="Reporting this endpoint (code, e.g. `OS`)."
    )
    randomised: bool | None = strawberry.field(default=None, description="Randomised (true) or not (false).")
    start_year_from: int | None = strawberry.field(default=None, description="Started in this year or later.")
    start_year_to: int | None = strawberry.field(default=None, description="Started in this year or earlier.")


def trial_where(f: TrialFilter | None) -> Where:
    where = Where()
    if f is None:
        return where
    if f.agent is not None:
        where.add(
            f"t.id IN (SELECT x.trial_id FROM agent_trials x JOIN agents a ON a.id = x.agent_id WHERE {agent_named('a', '{}')})",
            f.agent,
        )
    if f.target is not None:
        where.add(
            "t.id IN (SELECT x.trial_id FROM agent_trials x JOIN agent_targets y ON y.agent_id = x.agent_id "
            f"JOIN targets g ON g.id = y.target_id WHERE {target_named('g', '{}')})",
            f.target,
        )
    if f.modality is not None:
        where.add(
            "t.id IN (SELECT x.trial_id FROM agent_trials x JOIN agents a ON a.id = x.agent_id WHERE a.modality = {})",
            f.modality.value,
        )
    if f.indication is not None:
        where.add(
            f"t.id IN (SELECT ti.trial_id FROM trial_indications ti WHERE {indication_within('ti.indication_id', '{}')})",
            f.indication,
        )
    if f.phases is not None:
        where.add("t.phase = ANY({}::text[])", enum_values(f.phases))
    if f.statuses is not None:
        where.add("t.status = ANY({}::text[])", enum_values(f.statuses))
    if f.settings is not None:
        where.add("t.setting = ANY({}::text[])", enum_values(f.settings))
    if f.endpoint is not None:
        where.add(
            "t.id IN (SELECT o.trial_id FROM outcomes o JOIN endpoints e ON e.id = o.endpoint_id "
            "WHERE lower(e.code) = lower({}))",
            f.endpoint,
        )
    if f.randomised is not None:
        where.add("t.randomised = {}", f.randomised)
    if f.start_year_from is not None:
        where.add("extract(year FROM t.start_date) >= {}", f.start_year_from)
    if f.start_year_to is not None:
        where.add("extract(year FROM t.start_date) <= {}", f.start_year_to)
    return where


@strawberry.enum(description="What to sort outcomes by.")
class OutcomeOrderField(Enum):
    TRIAL_START = strawberry.enum_value(
        "(SELECT tr.start_date FROM trials tr WHERE tr.id = t.trial_id)",
        description="Start date of the trial.",
    )
    DATA_CUTOFF = strawberry.enum_value("t.data_cutoff", description="Data cut-off date.")
    HAZARD_RATIO = strawberry.enum_value("t.hazard_ratio", description="Hazard ratio.")


@strawberry.input(description="How to sort outcomes.")
class OutcomeOrder:
    field: OutcomeOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(default=OrderDirection.ASC, description="Sort direction.")


@strawberry.input(description="Conditions on trial outcomes; all given conditions must hold.")
class OutcomeFilter:
    endpoints: list[str] | None = strawberry.field(
        default=None, description="Any of these endpoint codes, e.g. `OS`."
    )
    analyses: list[Analysis] | None = strawberry.field(
        default=None, description="From any of these analyses."
    )
    indication: str | None = strawberry.field(
        default=None, description="Of trials enrolling this indication or a narrower one."
    )
    agent: str | None = strawberry.field(
        default=None, description="Of trials giving this agent (any name or ID)."
    )
    trial: str | None = strawberry.field(default=None, description="Of this trial (NCT ID, acronym or slug).")
    setting: TrialSetting | None = strawberry.field(default=None, description="Of trials in this setting.")
    with_hazard_ratio: bool | None = strawberry.field(
        default=None, description="Only outcomes that report a hazard ratio."
    )


def outcome_where(f: OutcomeFilter | None, trial_column: str = "t.trial_id") -> Where:
    where = Where()
    if f is None:
        return where
    if f.endpoints is not None:
        where.add(
            "t.endpoint_id IN (SELECT e.id FROM endpoints e WHERE lower(e.code) = ANY({}::text[]))",
            [code.lower() for code in f.endpoints],
        )
    if f.analyses is not None:
        where.add("t.analysis = ANY({}::text[])", enum_values(f.analyses))
    if f.indication is not None:
        where.add(
            f"{trial_column} IN (SELECT ti.trial_id FROM trial_indications ti "
            f"WHERE {indication_within('ti.indication_id', '{}')})",
            f.indication,
        )
    if f.agent is not None:
        where.add(
            f"{trial_column} IN (SELECT x.trial_id FROM agent_trials x JOIN agents a ON a.id = x.agent_id "
            f"WHERE {agent_named('a', '{}')})",
            f.agent,
        )
    if f.trial is not None:
        where.add(f"{trial_column} IN (SELECT tr.id FROM trials tr WHERE {trial_named('tr', '{}')})", f.trial)
    if f.setting is not None:
        where.add(f"{trial_column} IN (SELECT tr.id FROM trials tr WHERE tr.setting = {{}})", f.setting.value)
    if f.with_hazard_ratio is not None:
        where.add("(t.hazard_ratio IS NOT NULL) = {}", f.with_hazard_ratio)
    return where


@strawberry.type
class TrialQueries:
    @strawberry.field(
        description="A trial by NCT ID, acronym, slug or another registry ID, case-insensitive "
        "(`id`), or by exactly one of the specific arguments."
    )
    async def trial(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[
            str | None,
            strawberry.argument(description="Any identifier: NCT ID, acronym, slug, other registry ID."),
        ] = None,
        nct_id: Annotated[
            str | None, strawberry.argument(description="ClinicalTrials.gov ID, e.g. `NCT00567190`.")
        ] = None,
        acronym: Annotated[str | None, strawberry.argument(description="Acronym, e.g. `CLEOPATRA`.")] = None,
        slug: Annotated[
            str | None, strawberry.argument(description="Stable key, e.g. `destiny-breast03`.")
        ] = None,
    ) -> Trial | None:
        given = [
            (k, v)
            for k, v in (("id", id), ("nct_id", nct_id), ("acronym", acronym), ("slug", slug))
            if v is not None
        ]
        if len(given) != 1:
            raise UserInputError("Give exactly one of id, nctId, acronym or slug.")
        column, value = given[0]
        if column == "id":
            return await select_one(info.context, Trial, trial_named("t", "$1"), value)
        return await select_one(info.context, Trial, f"lower(t.{column}) = lower($1)", value)

    @strawberry.field(
        description="Trials for each of the given identifiers, in the same order (null when unknown)."
    )
    async def trials_by_id(
        self,
        info: strawberry.Info[Context, None],
        ids: Annotated[
            list[str], strawberry.argument(description="NCT IDs, acronyms or slugs, at most 100.")
        ],
    ) -> list[Trial | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} identifiers per request.")
        meta = meta_of(Trial)
        rows = await info.context.db.fetch(
            f"SELECT q.id AS __asked, {meta.select_list} FROM unnest($1::text[]) AS q (id) "
            f"JOIN trials t ON {trial_named('t', 'q.id')}",
            ids,
        )
        found = {row["__asked"]: meta.from_row(row) for row in rows}
        return [found.get(i) for i in ids]

    @strawberry.field(
        description="Trials, filtered and sorted (by start date unless `orderBy` says otherwise)."
    )
    async def trials(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[TrialFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
        order_by: Annotated[TrialOrder | None, strawberry.argument(description="Sort order.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Trial]:
        order = order_by or TrialOrder(field=TrialOrderField.START_DATE)
        return await paginate(
            info.context, Trial, trial_where(filter), order_sql(str(order.field.value), order.direction),
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="Trial outcomes (one per endpoint and analysis), filtered and sorted.")
    async def outcomes(
        self,
        info: strawberry.Info[Context, None],
        filter: Annotated[
            OutcomeFilter | None, strawberry.argument(description="Conditions to meet.")
        ] = None,
        order_by: Annotated[OutcomeOrder | None, strawberry.argument(description="Sort order.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Outcome]:
        order = order_by or OutcomeOrder(field=OutcomeOrderField.TRIAL_START)
        return await paginate(
            info.context, Outcome, outcome_where(filter),
            f"{order_sql(str(order.field.value), order.direction)}, t.trial_id, t.position",
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="The endpoints outcomes are reported for.")
    async def endpoints(self, info: strawberry.Info[Context, None]) -> list[Endpoint]:
        return await select_entities(info.context, Endpoint)
