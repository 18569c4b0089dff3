"""Molecular targets (genes and their proteins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.context import Context
from schema.meta import Entity, column, entity, many_to_many, select_one
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, Where, paginate
from schema.sources import Source, sources_field
from schema.sql import target_named

if TYPE_CHECKING:
    from schema.agents import Agent


@entity(table="targets", order_by="t.symbol", key_sql="t.symbol")
@strawberry.type(description="A molecular target of therapy: a gene and the protein it encodes.")
class Target(Entity, Node):
    symbol: str = column(description="HGNC gene symbol, e.g. `ERBB2`.")
    name: str = column(description="Approved gene name.")
    aliases: list[str] = column(description="Other names of the gene or protein, e.g. HER2, NEU.")
    hgnc_id: str | None = column(description="HGNC identifier, e.g. `HGNC:3430`.")
    ncbi_gene_id: str | None = column(description="NCBI Gene identifier.")
    uniprot_id: str | None = column(description="UniProtKB accession of the protein.")
    ensembl_id: str | None = column(description="Ensembl gene identifier.")
    locus: str | None = column(description="Cytogenetic location.")
    description: str | None = column(description="Short summary of the target's biology.")
    notes: str | None = column(description="Curation notes: what is not yet sourced and why.")

    agents: list[Annotated[Agent, strawberry.lazy("schema.agents")]] = many_to_many(
        "Agent",
        "agent_targets",
        "target_id",
        "agent_id",
        order_by="t.name",
        description="Agents directed at this target.",
    )
    sources: list[Source] = sources_field("target_id")


@strawberry.type
class TargetQueries:
    @strawberry.field(
        description="A target by gene symbol, alias, HGNC, UniProt, Ensembl or NCBI Gene ID (case-insensitive), "
        "e.g. `ERBB2`, `HER2`, `HGNC:3430`, `P04626`."
    )
    async def target(
        self,
        info: strawberry.Info[Context, None],
        symbol: Annotated[str, strawberry.argument(description="Symbol, alias or identifier.")],
    ) -> Target | None:
        return await select_one(info.context, Target, target_named("t", "$1"), symbol)

    @strawberry.field(description="Targets by symbol.")
    async def targets(
        self,
        info: strawberry.Info[Context, None],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Target]:
        return await paginate(
            info.context, Target, Where(), "t.symbol", first=first, after=after, last=last, before=before
        )
