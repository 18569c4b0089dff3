"""Indications: diseases with biomarker and setting, in a hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.enums import BiomarkerKind, BiomarkerStatus, IndicationSetting
from schema.meta import Entity, column, entity, many_to_many, many_to_one, one_to_many, select_one
from schema.node import Node
from schema.pagination import (
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
from schema.sql import enum_values, indication_within

if TYPE_CHECKING:
    from schema.approvals import Approval
    from schema.trials import Trial


@entity(table="indications", order_by="t.name", key_sql="t.slug")
@strawberry.type(
    description="A disease, optionally narrowed by biomarker and setting, e.g. HER2-low metastatic breast cancer."
)
class Indication(Entity, Node):
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
        order_by="t.approval_date, t.slug",
        description="Approvals for exactly this indication, oldest first.",
    )
    trials: list[Annotated[Trial, strawberry.lazy("schema.trials")]] = many_to_many(
        "Trial",
        "trial_indications",
        "indication_id",
        "trial_id",
        order_by="t.start_date NULLS LAST, t.slug",
        description="Trials enrolling this indication.",
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


@strawberry.type
class IndicationQueries:
    @strawberry.field(description="An indication by slug, name or NCIt/DOID/MONDO ID (case-insensitive).")
    async def indication(
        self,
        info: strawberry.Info[Context, None],
        slug: Annotated[str, strawberry.argument(description="Slug, name or ontology ID of the indication.")],
    ) -> Indication | None:
        return await select_one(
            info.context,
            Indication,
            "t.slug = lower($1) OR lower(t.name) = lower($1) OR upper($1) IN (upper(t.ncit_id), upper(t.doid_id), upper(t.mondo_id))",
            slug,
        )

    @strawberry.field(description="Indications, filtered, by name.")
    async def indications(
        self,
        info: strawberry.Info[Context, None],
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
    ) -> Connection[Indication]:
        where = Where()
        if filter is not None:
            if filter.disease is not None:
                where.add("lower(t.disease) = lower({})", filter.disease)
            if filter.settings is not None:
                where.add("t.setting = ANY({}::text[])", enum_values(filter.settings))
            if filter.biomarker_status is not None:
                where.add("t.biomarker_status = {}", filter.biomarker_status.value)
            if filter.within is not None:
                where.add(indication_within("t.id", "{}"), filter.within)
            if filter.roots_only:
                where.add("t.parent_id IS NULL")
        return await paginate(
            info.context, Indication, where, order_sql("lower(t.name)", direction),
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
