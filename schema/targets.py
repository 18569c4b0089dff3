"""Molecular targets (genes and their proteins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from db import tables
from db.sqlbuild import One, Page, Rows
from schema.expressions import param, target_named
from schema.meta import column, entity, entity_of, many_to_many, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, page
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.agents import Agent


@entity(source=tables.targets, order_by=lambda t: [t.c.symbol], key=lambda t: t.c.symbol)
@strawberry.type(description="A molecular target of therapy: a gene and the protein it encodes.")
class Target(Node):
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
        tables.agent_targets,
        "target_id",
        "agent_id",
        order_by=lambda t: [t.c.name],
        description="Agents directed at this target.",
    )
    sources: list[Source] = sources_field("target_id")


@strawberry.type
class TargetQueries:
    @root_field(
        description="A target by gene symbol, alias, HGNC, UniProt, Ensembl or NCBI Gene ID (case-insensitive), "
        "e.g. `ERBB2`, `HER2`, `HGNC:3430`, `P04626`.",
        graphql_type=Target | None,
    )
    def target(
        self, symbol: Annotated[str, strawberry.argument(description="Symbol, alias or identifier.")]
    ) -> One:
        rows = entity_of(Target).all_rows()
        return One(
            "Target", Rows(rows.row, rows.source, [target_named(rows.row, param(symbol))], rows.order_by)
        )

    @root_field(description="Targets by symbol.", graphql_type=Connection[Target])
    def targets(
        self, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Page:
        return page(
            entity_of(Target),
            entity_of(Target).all_rows(),
            first=first,
            after=after,
            last=last,
            before=before,
        )
