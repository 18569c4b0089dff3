"""The root Query type: each domain contributes its lookups and lists; global IDs and the release."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.agents import AgentQueries
from schema.approvals import ApprovalQueries
from schema.context import Context
from schema.efficacy import EfficacyQueries
from schema.errors import UserInputError
from schema.facets import FacetQueries
from schema.indications import IndicationQueries
from schema.node import Node, load_nodes
from schema.pagination import MAX_PAGE_SIZE
from schema.release import DataRelease, latest_release
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
    SourceQueries,
    SearchQueries,
    EfficacyQueries,
    FacetQueries,
):
    @strawberry.field(description="Any entity by its global ID.")
    async def node(
        self,
        info: strawberry.Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID from an `id` field.")],
    ) -> Node | None:
        return (await load_nodes(info.context, [id]))[0]

    @strawberry.field(description="Entities by global ID, in the same order (null for unknown IDs).")
    async def nodes(
        self,
        info: strawberry.Info[Context, None],
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description=f"At most {MAX_PAGE_SIZE} global IDs.")
        ],
    ) -> list[Node | None]:
        if len(ids) > MAX_PAGE_SIZE:
            raise UserInputError(f"At most {MAX_PAGE_SIZE} IDs per request.")
        return await load_nodes(info.context, list(ids))

    @strawberry.field(
        description="The data release the database holds (version, load time, checksum, counts)."
    )
    async def data_release(self, info: strawberry.Info[Context, None]) -> DataRelease | None:
        return await latest_release(info.context)
