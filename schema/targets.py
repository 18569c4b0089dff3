"""Molecular targets (genes and their proteins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.meta import Entity, column, entity, many_to_many
from schema.sources import Source, sources_field

if TYPE_CHECKING:
    from schema.agents import Agent


@entity(table="targets", order_by="t.symbol")
@strawberry.type(description="A molecular target of therapy: a gene and the protein it encodes.")
class Target(Entity):
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
