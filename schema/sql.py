"""SQL expressions shared by several type declarations."""

from __future__ import annotations

from typing import Any


def partial_date(column: str) -> str:
    """Render a date stored with a precision column as 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'."""
    return (
        f"CASE t.{column}_precision WHEN 'day' THEN to_char(t.{column}, 'YYYY-MM-DD') "
        f"WHEN 'month' THEN to_char(t.{column}, 'YYYY-MM') "
        f"WHEN 'year' THEN to_char(t.{column}, 'YYYY') END"
    )


def number(column: str) -> str:
    """numeric -> float8, so values leave PostgreSQL as JSON-ready floats."""
    return f"t.{column}::float8"


def agent_named(alias: str, placeholder: str) -> str:
    """Condition: agent `alias` is called `placeholder` (any name, code or cross-reference)."""
    return f"""(
        lower({alias}.slug) = lower({placeholder}) OR lower({alias}.name) = lower({placeholder})
        OR EXISTS (SELECT 1 FROM unnest({alias}.synonyms || {alias}.brand_names || {alias}.code_names) AS n (name)
                   WHERE lower(n.name) = lower({placeholder}))
        OR upper({placeholder}) IN (upper({alias}.chembl_id), upper({alias}.ncit_id), upper({alias}.drugbank_id),
                                    upper({alias}.unii), {alias}.rxnorm_id)
    )"""


def target_named(alias: str, placeholder: str) -> str:
    """Condition: target `alias` is `placeholder` (symbol, alias or a public identifier)."""
    return f"""(
        upper({alias}.symbol) = upper({placeholder})
        OR EXISTS (SELECT 1 FROM unnest({alias}.aliases) AS x (alias) WHERE upper(x.alias) = upper({placeholder}))
        OR upper({placeholder}) IN (upper({alias}.hgnc_id), upper({alias}.uniprot_id), upper({alias}.ensembl_id),
                                    {alias}.ncbi_gene_id)
    )"""


def trial_named(alias: str, placeholder: str) -> str:
    """Condition: trial `alias` is `placeholder` (NCT ID, acronym, slug or another registry ID)."""
    return f"""(
        upper({alias}.nct_id) = upper({placeholder}) OR lower({alias}.acronym) = lower({placeholder})
        OR lower({alias}.slug) = lower({placeholder})
        OR EXISTS (SELECT 1 FROM unnest({alias}.other_ids) AS x (id) WHERE lower(x.id) = lower({placeholder}))
    )"""


def indication_within(trial_indication_column: str, placeholder: str) -> str:
    """Condition: the indication id in `column` is the named indication or a narrower one."""
    return f"""{trial_indication_column} IN (
        SELECT c.descendant_id FROM indication_closure c JOIN indications i ON i.id = c.ancestor_id
        WHERE i.slug = lower({placeholder}) OR lower(i.name) = lower({placeholder})
           OR upper({placeholder}) IN (upper(i.ncit_id), upper(i.doid_id), upper(i.mondo_id))
    )"""


def enum_values(values: list[Any] | None) -> list[str] | None:
    return None if values is None else [v.value for v in values]
