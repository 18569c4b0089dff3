"""Indications: diseases with biomarker and setting, in a hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy import ColumnElement, FromClause, func

from db import tables
from db.sqlbuild import One, Page, Rows
from schema.enums import BiomarkerKind, BiomarkerStatus, IndicationSetting
from schema.expressions import any_of, indication_named, indication_within, lower, param, stored
from schema.meta import column, entity, entity_of, many_to_many, many_to_one, one_to_many, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, OrderDirection, ordered, page
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.approvals import Approval
    from schema.biomarkers import Biomarker
    from schema.trials import Trial


@entity(source=tables.indications, order_by=lambda t: [t.c.name], key=lambda t: t.c.slug)
@strawberry.type(
    description="A disease, optionally narrowed by biomarker and setting, e.g. HER2-low metastatic breast cancer."
)
class Indication(Node):
    slug: str = column(description="Stable key, e.g. `her2-low-metastatic-breast-cancer`.")
    name: str = column(description="Display name.")
    disease: str = column(description="The underlying disease, e.g. breast cancer.")
    biomarker_kind: BiomarkerKind | None = column(
        description="Kind of biomarker that defines the indication."
    )
    biomarker_status: BiomarkerStatus | None = column(description="Required biomarker status.")
    biomarker_definition: str | None = column(
        description="The biomarker definition as labels state it, e.g. IHC 1+ or IHC 2+/ISH-."
    )
    setting: IndicationSetting = column(description="Disease setting.")
    ncit_id: str | None = column(description="NCI Thesaurus code.")
    doid_id: str | None = column(description="Disease Ontology identifier.")
    mondo_id: str | None = column(description="MONDO identifier.")
    notes: str | None = column(description="Curation notes: what is not yet sourced and why.")

    parent: Indication | None = many_to_one("Indication", "parent_id", description="The broader indication.")
    children: list[Indication] = one_to_many("Indication", "parent_id", description="Narrower indications.")
    approvals: list[Annotated[Approval, strawberry.lazy("schema.approvals")]] = one_to_many(
        "Approval",
        "indication_id",
        order_by=lambda t: [t.c.approval_date, t.c.slug],
        description="Approvals for exactly this indication, oldest first.",
    )
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = many_to_many(
        "Trial",
        tables.trial_indications,
        "indication_id",
        "trial_id",
        order_by=lambda t: [t.c.start_date.asc().nulls_last(), t.c.slug],
        description="Trials enrolling this indication.",
    )
    biomarkers: list[Annotated[Biomarker, strawberry.lazy("schema.biomarkers")]] = many_to_many(
        "Biomarker",
        tables.indication_biomarkers,
        "indication_id",
        "biomarker_id",
        description="Biomarkers that define this indication, e.g. HER2-low.",
    )
    sources: list[Source] = sources_field("indication_id")


@strawberry.input(description="Conditions on indications; all given conditions must hold.")
class IndicationFilter:
    disease: str | None = strawberry.field(default=None, description="Of this disease (case-insensitive).")
    settings: list[IndicationSetting] | None = strawberry.field(
        default=None, description="In any of these settings."
    )
    biomarker_status: BiomarkerStatus | None = strawberry.field(
        default=None, description="Requiring this biomarker status."
    )
    within: str | None = strawberry.field(
        default=None, description="This indication and the narrower ones below it."
    )
    roots_only: bool | None = strawberry.field(default=None, description="Only indications without a parent.")


def indication_where(row: FromClause, f: IndicationFilter | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    conditions: list[ColumnElement[bool]] = []
    if f.disease is not None:
        conditions.append(lower(row.c.disease) == lower(param(f.disease)))
    if f.settings is not None:
        conditions.append(any_of(row.c.setting, stored(f.settings) or []))
    if f.biomarker_status is not None:
        conditions.append(row.c.biomarker_status == param(f.biomarker_status.value))
    if f.within is not None:
        conditions.append(indication_within(row.c.id, param(f.within)))
    if f.roots_only:
        conditions.append(row.c.parent_id.is_(None))
    return conditions


@strawberry.type
class IndicationQueries:
    @root_field(
        description="An indication by slug, name or NCIt/DOID/MONDO ID (case-insensitive).",
        graphql_type=Indication | None,
    )
    def indication(
        self,
        slug: Annotated[str, strawberry.argument(description="Slug, name or ontology ID of the indication.")],
    ) -> One:
        rows = entity_of(Indication).all_rows()
        return One(
            "Indication",
            Rows(rows.row, rows.source, [indication_named(rows.row, param(slug))], rows.order_by),
        )

    @root_field(description="Indications, filtered, by name.", graphql_type=Connection[Indication])
    def indications(
        self,
        filter: Annotated[
            IndicationFilter | None, strawberry.argument(description="Conditions to meet.")
        ] = None,
        direction: Annotated[
            OrderDirection, strawberry.argument(description="Name order.")
        ] = OrderDirection.ASC,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        row = tables.indications.alias()
        rows = Rows(row, row, indication_where(row, filter), [ordered(func.lower(row.c.name), direction)])
        return page(entity_of(Indication), rows, first=first, after=after, last=last, before=before)
