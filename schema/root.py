"""The root Query type: each domain contributes its lookups and lists; global IDs."""

from __future__ import annotations

from typing import Annotated

import strawberry

from db.sqlbuild import Each, One
from schema.agents import AgentQueries
from schema.approvals import ApprovalQueries
from schema.biomarkers import BiomarkerQueries
from schema.efficacy import EfficacyQueries
from schema.errors import UserInputError
from schema.facets import FacetQueries
from schema.indications import IndicationQueries
from schema.meta import root_field
from schema.node import Node, node_plan
from schema.pagination import MAX_PAGE_SIZE
from schema.release import ReleaseQueries
from schema.resistance import ResistanceQueries
from schema.safety import SafetyQueries
from schema.search import SearchQueries
from schema.sources import SourceQueries
from schema.targets import TargetQueries
from schema.trials import TrialQueries


@strawberry.type(description="Entry points of the therapy-knowledge graph.")
class Query(
    TargetQueries,
    AgentQueries,
    TrialQueries,
    IndicationQueries,
    ApprovalQueries,
    ResistanceQueries,
    SafetyQueries,
    BiomarkerQueries,
    SourceQueries,
    SearchQueries,
    EfficacyQueries,
    FacetQueries,
    ReleaseQueries,
):
    @root_field(description="Any entity by its global ID.", graphql_type=Node | None)
    def node(
        self, id: Annotated[strawberry.ID, strawberry.argument(description="A global ID from an `id` field.")]
    ) -> One | None:
        return node_plan(id)

    @root_field(
        description="Entities by global ID, in the same order (null for unknown IDs).",
        graphql_type=list[Node | None],
    )
    def nodes(
        self,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description=f"At most {MAX_PAGE_SIZE} global IDs.")
        ],
    ) -> Each:
        if len(ids) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} IDs per request.")
        return Each(tuple(node_plan(i) for i in ids))
