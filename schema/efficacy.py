"""Efficacy side by side: every matching outcome across trials as one forest-plot-ready row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import ColumnElement, FromClause

from db import tables
from db.sqlbuild import Page, Rows
from schema.enums import Analysis, Assessment, EndpointKind, Phase, TimeUnit, TrialSetting
from schema.expressions import number, partial_date
from schema.meta import column, entity, entity_of, many_to_one, root_field
from schema.pagination import After, Before, Connection, First, Last, page
from schema.sources import Source, sources_field
from schema.trials import OutcomeFilter, outcome_where

if TYPE_CHECKING:
    from schema.trials import Outcome, Trial

_TRIALS = strawberry.lazy("schema.trials")


def _trial_order(row: FromClause) -> list[ColumnElement[object]]:
    return [row.c.start_date.asc().nulls_last(), row.c.trial_id, row.c.position]


@entity(source=tables.efficacy_rows, order_by=_trial_order)
@strawberry.type(
    description="One outcome of one trial analysis, flattened for comparison: the experimental (or single-arm) "
    "result beside the control result, with the hazard ratio and its source."
)
class EfficacyRow:
    acronym: str | None = column(description="Trial acronym.")
    nct_id: str | None = column(description="Trial NCT ID.")
    phase: Phase = column(description="Trial phase.")
    setting: TrialSetting = column(description="Trial setting.")
    endpoint: str = column(description="Endpoint code, e.g. `PFS`.")
    endpoint_kind: EndpointKind = column(description="What the endpoint measures (time to event, rate, ...).")
    analysis: Analysis = column(description="Which analysis the result comes from.")
    assessment: Assessment | None = column(description="Who assessed the endpoint.")
    data_cutoff: str | None = column(partial_date("data_cutoff"), description="Data cut-off date.")
    population: str | None = column(description="Analysis population.")
    hazard_ratio: float | None = column(
        number("hazard_ratio"), description="Hazard ratio, experimental vs control."
    )
    hazard_ratio_ci_lower: float | None = column(
        number("hazard_ratio_ci_lower"), description="Lower 95% CI bound."
    )
    hazard_ratio_ci_upper: float | None = column(
        number("hazard_ratio_ci_upper"), description="Upper 95% CI bound."
    )
    p_value: str | None = column(description="P-value as printed.")
    unit: TimeUnit | None = column(description="Unit of the medians.")
    timepoint: str | None = column(description="Landmark of the rates, if any.")
    experimental_label: str | None = column(description="Experimental (or single-arm) arm.")
    experimental_median: float | None = column(number("experimental_median"), description="Its median.")
    experimental_median_ci_lower: float | None = column(
        number("experimental_median_ci_lower"), description="Lower CI bound of its median."
    )
    experimental_median_ci_upper: float | None = column(
        number("experimental_median_ci_upper"), description="Upper CI bound of its median."
    )
    experimental_median_not_reached: bool | None = column(description="Its median was not reached.")
    experimental_rate: float | None = column(number("experimental_rate"), description="Its rate, in percent.")
    experimental_rate_ci_lower: float | None = column(
        number("experimental_rate_ci_lower"), description="Lower CI bound of its rate."
    )
    experimental_rate_ci_upper: float | None = column(
        number("experimental_rate_ci_upper"), description="Upper CI bound of its rate."
    )
    experimental_n: int | None = column(description="Patients analysed in it.")
    control_label: str | None = column(description="Control arm (null for single-arm trials).")
    control_median: float | None = column(number("control_median"), description="Its median.")
    control_median_ci_lower: float | None = column(
        number("control_median_ci_lower"), description="Lower CI bound of its median."
    )
    control_median_ci_upper: float | None = column(
        number("control_median_ci_upper"), description="Upper CI bound of its median."
    )
    control_median_not_reached: bool | None = column(description="Its median was not reached.")
    control_rate: float | None = column(number("control_rate"), description="Its rate, in percent.")
    control_rate_ci_lower: float | None = column(
        number("control_rate_ci_lower"), description="Lower CI bound of its rate."
    )
    control_rate_ci_upper: float | None = column(
        number("control_rate_ci_upper"), description="Upper CI bound of its rate."
    )
    control_n: int | None = column(description="Patients analysed in it.")

    trial: Annotated[Trial, _TRIALS] = many_to_one("Trial", "trial_id", description="The trial.")
    outcome: Annotated[Outcome, _TRIALS] = many_to_one(
        "Outcome", "outcome_id", description="The full outcome, with every arm's result."
    )
    sources: list[Source] = sources_field("outcome_id")


@strawberry.type
class EfficacyQueries:
    @root_field(
        description="Compare efficacy across trials: every outcome matching the filter (indication, endpoint, "
        "setting, agent, analysis) as one row with both arms, the hazard ratio and CI, and the source.",
        graphql_type=Connection[EfficacyRow],
    )
    def efficacy(
        self,
        filter: Annotated[
            OutcomeFilter | None, strawberry.argument(description="Which outcomes to compare.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.efficacy_rows.alias()
        rows = Rows(row, row, outcome_where(row, filter), _trial_order(row))
        return page(entity_of(EfficacyRow), rows, first=first, after=after, last=last, before=before)
