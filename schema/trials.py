"""Clinical trials, their arms and regimens, and their outcomes per analysis."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Boolean, ColumnElement, FromClause, Integer, Text, extract, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from db import tables
from db.sqlbuild import Each, Many, One, Page, Rows, constant
from schema.enums import (
    Analysis,
    ArmRole,
    Assessment,
    Blinding,
    EndpointKind,
    Modality,
    Phase,
    PopulationKind,
    RegimenRole,
    TimeUnit,
    TrialSetting,
    TrialStatus,
)
from schema.errors import UserInputError
from schema.expressions import (
    agents_named,
    any_of,
    indication_within,
    lower,
    number,
    param,
    partial_date,
    stored,
    target_named,
    trial_named,
)
from schema.meta import column, entity, entity_of, many_to_many, many_to_one, one_to_many, root_field
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
    from schema.agents import Agent
    from schema.approvals import Approval
    from schema.biomarkers import Biomarker
    from schema.indications import Indication

_AGENTS = strawberry.lazy("schema.agents")


def trial_child_key(row: FromClause) -> ColumnElement[Any]:
    """Arms and outcomes are keyed within their trial: "cleopatra/os-final"."""
    trial = tables.trials.alias()
    trial_slug = select(trial.c.slug).where(trial.c.id == row.c.trial_id).scalar_subquery()
    return trial_slug.op("||")(constant("/")).op("||")(row.c.slug)


def _by_position(row: FromClause) -> list[ColumnElement[Any]]:
    return [row.c.position]


def trial_order(row: FromClause) -> list[ColumnElement[Any]]:
    return [row.c.start_date.asc().nulls_last(), row.c.slug]


def _drug_name(row: FromClause) -> ColumnElement[Any]:
    agent = tables.agents.alias()
    return func.coalesce(
        row.c.drug_name, select(agent.c.name).where(agent.c.id == row.c.agent_id).scalar_subquery()
    )


@entity(source=tables.endpoints, order_by=lambda t: [t.c.id], key=lambda t: t.c.code)
@strawberry.type(description="A clinical endpoint such as overall survival or objective response rate.")
class Endpoint(Node):
    code: str = column(description="Short code, e.g. `OS`, `PFS`, `ORR`, `pCR`.")
    name: str = column(description="Full name.")
    kind: EndpointKind = column(description="What the endpoint measures.")
    description: str = column(description="Definition.")


@entity(source=tables.arm_regimen_components, order_by=lambda t: [t.c.arm_id, t.c.position])
@strawberry.type(description="One drug of an arm's regimen, with its role.")
class RegimenComponent:
    drug_name: str | None = column(
        description="Name of a drug that is not a curated agent (e.g. chemotherapy)."
    )
    role: RegimenRole = column(description="Role of the drug in the regimen.")
    display_name: str = column(
        _drug_name,
        description="The drug's name: the agent's name or the free-text drug name.",
    )

    agent: Annotated[Agent, _AGENTS] | None = many_to_one(
        "Agent", "agent_id", description="The curated agent, when the drug is one."
    )


@entity(source=tables.trial_arms, order_by=lambda t: [t.c.trial_id, t.c.position], key=trial_child_key)
@strawberry.type(description="An arm (or single-arm cohort) of a trial.")
class TrialArm(Node):
    slug: str = column(description="Key of the arm within its trial.")
    label: str = column(description="Label, usually the regimen.")
    role: ArmRole = column(description="Experimental, control or single-arm cohort.")
    size: int | None = column(description="Patients randomised or enrolled to the arm.")
    notes: str | None = column(description="Curation notes about the arm.")

    trial: Annotated[Trial, strawberry.lazy("schema.trials")] = many_to_one(
        "Trial", "trial_id", description="The trial the arm belongs to."
    )
    regimen: list[RegimenComponent] = one_to_many(
        "RegimenComponent", "arm_id", order_by=_by_position, description="Drugs given in the arm."
    )
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        tables.arm_regimen_components,
        "arm_id",
        "agent_id",
        order_by=lambda t: [t.c.name],
        description="The curated agents given in the arm.",
    )


@entity(source=tables.outcome_arm_results, order_by=lambda t: [t.c.outcome_id, t.c.position])
@strawberry.type(description="The result of one arm for one outcome: a median or a rate.")
class ArmResult:
    median: float | None = column(
        number("median"), description="Median (time-to-event or duration endpoints)."
    )
    median_ci_lower: float | None = column(
        number("median_ci_lower"),
        description="Lower bound of the CI (at the outcome's `ciLevel`) of the median.",
    )
    median_ci_upper: float | None = column(
        number("median_ci_upper"),
        description="Upper bound of the CI (at the outcome's `ciLevel`) of the median; null when not reached or not reported.",
    )
    median_not_reached: bool = column(description="True when the source reports the median as not reached.")
    unit: TimeUnit | None = column(description="Unit of the median.")
    rate: float | None = column(
        number("rate"),
        description="Rate in percent (response rates, landmark survival rates, safety rates).",
    )
    rate_ci_lower: float | None = column(
        number("rate_ci_lower"), description="Lower bound of the CI (at the outcome's `ciLevel`) of the rate."
    )
    rate_ci_upper: float | None = column(
        number("rate_ci_upper"), description="Upper bound of the CI (at the outcome's `ciLevel`) of the rate."
    )
    timepoint: str | None = column(description="Landmark of a rate, e.g. `3 years`.")
    events: int | None = column(description="Number of events in the arm.")
    n: int | None = column(description="Patients analysed in the arm.")
    notes: str | None = column(description="Curation notes about this result.")

    arm: TrialArm = many_to_one("TrialArm", "arm_id", description="The arm.")


@entity(source=tables.outcomes, order_by=lambda t: [t.c.trial_id, t.c.position], key=trial_child_key)
@strawberry.type(
    description="One endpoint of one analysis of a trial, with arm results and the hazard ratio."
)
class Outcome(Node):
    slug: str = column(description="Key of the outcome within its trial, e.g. `os-final`.")
    assessment: Assessment | None = column(description="Who assessed the endpoint.")
    analysis: Analysis = column(description="Which analysis the result comes from.")
    analysis_label: str | None = column(description="Details of the analysis, e.g. its follow-up.")
    data_cutoff: str | None = column(
        partial_date("data_cutoff"), description="Data cut-off date (YYYY, YYYY-MM or YYYY-MM-DD)."
    )
    population: str | None = column(
        description="Analysis population as the source describes it, e.g. intention-to-treat or a cohort."
    )
    population_kind: PopulationKind | None = column(
        description="Which patients the analysis counts (intention-to-treat, a cohort, ...); null when not curated."
    )
    ci_level: float = column(
        number("ci_level"),
        description="Confidence level, in percent, of every interval of this outcome and its arm results"
        " (95 unless the source states another, e.g. 97.5).",
    )
    hazard_ratio: float | None = column(
        number("hazard_ratio"), description="Hazard ratio, experimental vs control."
    )
    hazard_ratio_ci_lower: float | None = column(
        number("hazard_ratio_ci_lower"),
        description="Lower bound of the confidence interval (at `ciLevel`) of the hazard ratio.",
    )
    hazard_ratio_ci_upper: float | None = column(
        number("hazard_ratio_ci_upper"),
        description="Upper bound of the confidence interval (at `ciLevel`) of the hazard ratio.",
    )
    p_value: str | None = column(description="P-value as printed by the source, e.g. `<0.001`.")
    notes: str | None = column(description="Curation notes.")

    trial: Annotated[Trial, strawberry.lazy("schema.trials")] = many_to_one(
        "Trial", "trial_id", description="The trial."
    )
    endpoint: Endpoint = many_to_one("Endpoint", "endpoint_id", description="The endpoint measured.")
    arm_results: list[ArmResult] = one_to_many(
        "ArmResult", "outcome_id", order_by=_by_position, description="Result of each arm."
    )
    sources: list[Source] = sources_field("outcome_id")


@entity(source=tables.trials, order_by=trial_order, key=lambda t: t.c.slug)
@strawberry.type(description="A clinical trial.")
class Trial(Node):
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
        "TrialArm", "trial_id", order_by=_by_position, description="Arms or cohorts."
    )
    outcomes: list[Outcome] = one_to_many(
        "Outcome",
        "trial_id",
        order_by=_by_position,
        description="Outcomes, one per endpoint and analysis.",
    )
    agents: list[Annotated[Agent, _AGENTS]] = many_to_many(
        "Agent",
        tables.agent_trials,
        "trial_id",
        "agent_id",
        order_by=lambda t: [t.c.name],
        description="Curated agents given in any arm.",
    )
    indications: list[Annotated[Indication, strawberry.lazy("schema.indications")]] = many_to_many(
        "Indication",
        tables.trial_indications,
        "trial_id",
        "indication_id",
        description="Indications enrolled.",
    )
    eligibility_biomarkers: list[Annotated[Biomarker, strawberry.lazy("schema.biomarkers")]] = many_to_many(
        "Biomarker",
        tables.trial_biomarkers,
        "trial_id",
        "biomarker_id",
        description="Biomarkers the trial's eligibility requires, e.g. HER2-low or HER2-ultralow.",
    )
    approvals: list[Annotated[Approval, strawberry.lazy("schema.approvals")]] = many_to_many(
        "Approval",
        tables.approval_trials,
        "trial_id",
        "approval_id",
        order_by=lambda t: [t.c.approval_date, t.c.slug],
        description="Approvals this trial supported.",
    )
    sources: list[Source] = sources_field("trial_id")


@strawberry.enum(description="What to sort trials by.")
class TrialOrderField(Enum):
    START_DATE = strawberry.enum_value("start_date", description="Start date.")
    ACRONYM = strawberry.enum_value("acronym", description="Acronym (else title).")
    PHASE = strawberry.enum_value("phase", description="Phase.")
    ENROLLMENT = strawberry.enum_value("enrollment", description="Number of patients enrolled.")


def _trial_sort_key(field: TrialOrderField, trial: FromClause) -> ColumnElement[Any]:
    if field == TrialOrderField.ACRONYM:
        return lower(func.coalesce(trial.c.acronym, trial.c.title))
    return trial.c[str(field.value)]


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


def _trials_with_agents(agent_ids: Any) -> Any:
    link = tables.agent_trials.alias()
    return select(link.c.trial_id).where(link.c.agent_id.in_(agent_ids))


def _trials_in_indication(name: str) -> Any:
    enrolled = tables.trial_indications.alias()
    return select(enrolled.c.trial_id).where(indication_within(enrolled.c.indication_id, param(name)))


def _agents_with_target(name: str) -> Any:
    link, target = tables.agent_targets.alias(), tables.targets.alias()
    return (
        select(link.c.agent_id)
        .select_from(link.join(target, target.c.id == link.c.target_id))
        .where(target_named(target, param(name)))
    )


def _agents_of_modality(modality: Modality) -> Any:
    agent = tables.agents.alias()
    return select(agent.c.id).where(agent.c.modality == param(modality.value))


def _trials_reporting(code: str) -> Any:
    outcome, endpoint = tables.outcomes.alias(), tables.endpoints.alias()
    return (
        select(outcome.c.trial_id)
        .select_from(outcome.join(endpoint, endpoint.c.id == outcome.c.endpoint_id))
        .where(lower(endpoint.c.code) == lower(param(code)))
    )


def _trial_lists(trial: FromClause, f: TrialFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for values, name in ((f.phases, "phase"), (f.statuses, "status"), (f.settings, "setting")):
        if values is not None:
            conditions.append(any_of(trial.c[name], stored(values) or []))
    return conditions


def trial_where(trial: FromClause, f: TrialFilter | None) -> list[ColumnElement[bool]]:
    """The filter's conditions on the trial row `trial`."""
    if f is None:
        return []
    conditions = _trial_lists(trial, f)
    if f.agent is not None:
        conditions.append(trial.c.id.in_(_trials_with_agents(agents_named(param(f.agent)))))
    if f.target is not None:
        conditions.append(trial.c.id.in_(_trials_with_agents(_agents_with_target(f.target))))
    if f.modality is not None:
        conditions.append(trial.c.id.in_(_trials_with_agents(_agents_of_modality(f.modality))))
    if f.indication is not None:
        conditions.append(trial.c.id.in_(_trials_in_indication(f.indication)))
    if f.endpoint is not None:
        conditions.append(trial.c.id.in_(_trials_reporting(f.endpoint)))
    if f.randomised is not None:
        conditions.append(trial.c.randomised == param(f.randomised, Boolean))
    if f.start_year_from is not None:
        conditions.append(extract("year", trial.c.start_date) >= param(f.start_year_from, Integer))
    if f.start_year_to is not None:
        conditions.append(extract("year", trial.c.start_date) <= param(f.start_year_to, Integer))
    return conditions


@strawberry.enum(description="What to sort outcomes by.")
class OutcomeOrderField(Enum):
    TRIAL_START = strawberry.enum_value("trial_start", description="Start date of the trial.")
    DATA_CUTOFF = strawberry.enum_value("data_cutoff", description="Data cut-off date.")
    HAZARD_RATIO = strawberry.enum_value("hazard_ratio", description="Hazard ratio.")


def _outcome_sort_key(field: OutcomeOrderField, outcome: FromClause) -> ColumnElement[Any]:
    if field == OutcomeOrderField.TRIAL_START:
        trial = tables.trials.alias()
        return select(trial.c.start_date).where(trial.c.id == outcome.c.trial_id).scalar_subquery()
    return outcome.c[str(field.value)]


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


def _trials_named(name: str) -> Any:
    trial = tables.trials.alias()
    return select(trial.c.id).where(trial_named(trial, param(name)))


def _trials_in_setting(setting: TrialSetting) -> Any:
    trial = tables.trials.alias()
    return select(trial.c.id).where(trial.c.setting == param(setting.value))


def _endpoints_coded(codes: list[str]) -> Any:
    endpoint = tables.endpoints.alias()
    # Lower-cased in SQL, so the codes stay a parameter bound from the variables as given.
    asked = func.unnest(param(codes, ARRAY(Text))).table_valued("code").render_derived()
    return select(endpoint.c.id).where(lower(endpoint.c.code).in_(select(lower(asked.c.code))))


def outcome_where(row: FromClause, f: OutcomeFilter | None) -> list[ColumnElement[bool]]:
    """The filter's conditions on a row with `trial_id`, `endpoint_id`, `analysis`, `hazard_ratio`."""
    if f is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    trial_id = row.c.trial_id
    if f.endpoints is not None:
        conditions.append(row.c.endpoint_id.in_(_endpoints_coded(f.endpoints)))
    if f.analyses is not None:
        conditions.append(any_of(row.c.analysis, stored(f.analyses) or []))
    if f.indication is not None:
        conditions.append(trial_id.in_(_trials_in_indication(f.indication)))
    if f.agent is not None:
        conditions.append(trial_id.in_(_trials_with_agents(agents_named(param(f.agent)))))
    if f.trial is not None:
        conditions.append(trial_id.in_(_trials_named(f.trial)))
    if f.setting is not None:
        if "setting" in row.c:  # efficacy_rows carry their trial's setting, indexed with the endpoint
            conditions.append(row.c.setting == param(f.setting.value))
        else:
            conditions.append(trial_id.in_(_trials_in_setting(f.setting)))
    if f.with_hazard_ratio is not None:
        conditions.append(row.c.hazard_ratio.is_not(None) == param(f.with_hazard_ratio, Boolean))
    return conditions


def trial_by_id(identifier: str) -> One:
    rows = entity_of(Trial).all_rows()
    return One(
        "Trial", Rows(rows.row, rows.source, [trial_named(rows.row, param(identifier))], rows.order_by)
    )


@strawberry.type
class TrialQueries:
    @root_field(
        description="A trial by NCT ID, acronym, slug or another registry ID, case-insensitive "
        "(`id`), or by exactly one of the specific arguments.",
        graphql_type=Trial | None,
    )
    def trial(
        self,
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
    ) -> One:
        given = [
            (k, v)
            for k, v in (("id", id), ("nct_id", nct_id), ("acronym", acronym), ("slug", slug))
            if v is not None
        ]
        if len(given) != 1:
            raise UserInputError("Give exactly one of id, nctId, acronym or slug.")
        column_name, value = given[0]
        if column_name == "id":
            return trial_by_id(value)
        rows = entity_of(Trial).all_rows()
        match = lower(rows.row.c[column_name]) == lower(param(value))
        return One("Trial", Rows(rows.row, rows.source, [match], rows.order_by))

    @root_field(
        description="Trials for each of the given identifiers, in the same order (null when unknown).",
        graphql_type=list[Trial | None],
    )
    def trials_by_id(
        self,
        ids: Annotated[
            list[str], strawberry.argument(description="NCT IDs, acronyms or slugs, at most 100.")
        ],
    ) -> Each:
        if len(ids) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} identifiers per request.")
        return Each(tuple(trial_by_id(i) for i in ids))

    @root_field(
        description="Trials, filtered and sorted (by start date unless `orderBy` says otherwise).",
        graphql_type=Connection[Trial],
    )
    def trials(
        self,
        filter: Annotated[TrialFilter | None, strawberry.argument(description="Conditions to meet.")] = None,
        order_by: Annotated[TrialOrder | None, strawberry.argument(description="Sort order.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        order = order_by or TrialOrder(field=TrialOrderField.START_DATE)
        row = tables.trials.alias()
        rows = Rows(
            row, row, trial_where(row, filter), [ordered(_trial_sort_key(order.field, row), order.direction)]
        )
        return page(entity_of(Trial), rows, first=first, after=after, last=last, before=before)

    @root_field(
        description="Trial outcomes (one per endpoint and analysis), filtered and sorted.",
        graphql_type=Connection[Outcome],
    )
    def outcomes(
        self,
        filter: Annotated[
            OutcomeFilter | None, strawberry.argument(description="Conditions to meet.")
        ] = None,
        order_by: Annotated[OutcomeOrder | None, strawberry.argument(description="Sort order.")] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        order = order_by or OutcomeOrder(field=OutcomeOrderField.TRIAL_START)
        row = tables.outcomes.alias()
        sort = [ordered(_outcome_sort_key(order.field, row), order.direction), row.c.trial_id, row.c.position]
        rows = Rows(row, row, outcome_where(row, filter), sort)
        return page(entity_of(Outcome), rows, first=first, after=after, last=last, before=before)

    @root_field(description="The endpoints outcomes are reported for.", graphql_type=list[Endpoint])
    def endpoints(self) -> Many:
        return Many("Endpoint", entity_of(Endpoint).all_rows())
