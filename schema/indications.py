"""Indications: diseases with biomarker and setting, in a hierarchy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.enums import BiomarkerKind, BiomarkerStatus, IndicationSetting
from schema.meta import Entity, column, entity, many_to_many, many_to_one, one_to_many
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.approvals import Approval
    from schema.trials import Trial


@entity(table="indications", order_by="t.name")
@strawberry.type(
    description="A disease, optionally narrowed by biomarker and setting, e.g. HER2-low metastatic breast cancer."
)
class Indication(Entity):
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
