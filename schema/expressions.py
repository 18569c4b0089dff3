"""SQL expressions shared by several type declarations and filters (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Text,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from db import tables
from db.sqlbuild import constant

Expr = ColumnElement[Any]
RowExpr = Callable[[FromClause], Expr]


def param(value: Any, sql_type: Any = Text) -> Expr:
    """A value bound as a statement parameter."""
    return bindparam(None, value, type_=sql_type)


def any_of(expression: Expr, values: Sequence[Any], sql_type: Any = Text) -> Expr:
    """`expression = ANY($n)` with the list as one parameter."""
    return expression == any_(bindparam(None, list(values), type_=ARRAY(sql_type)))


def stored(values: Sequence[Enum] | None) -> list[str] | None:
    """Enum members as the strings the database stores."""
    return None if values is None else [str(v.value) for v in values]


def partial_date(name: str) -> RowExpr:
    """A date stored with a precision column, as 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'."""

    def read(row: FromClause) -> Expr:
        value, precision = row.c[name], row.c[f"{name}_precision"]
        return case(
            (precision == constant("day"), func.to_char(value, constant("YYYY-MM-DD"))),
            (precision == constant("month"), func.to_char(value, constant("YYYY-MM"))),
            (precision == constant("year"), func.to_char(value, constant("YYYY"))),
        )

    return read


def number(name: str) -> RowExpr:
    """numeric -> float8, so values leave PostgreSQL as JSON numbers."""
    return lambda row: cast(row.c[name], Float)


def lower(expression: Any) -> Expr:
    return func.lower(expression)


def upper(expression: Any) -> Expr:
    return func.upper(expression)


def _in_array(array: Expr, wanted: Expr, fold: Callable[[Any], Expr]) -> Expr:
    names = func.unnest(array).table_valued("name").render_derived()
    return exists(select(names.c.name).where(fold(names.c.name) == fold(wanted)))


def agent_named(agent: FromClause, name: Expr) -> Expr:
    """Agent `agent` is called `name`: name, slug, synonym, brand, code or cross-reference."""
    names = agent.c.synonyms.op("||")(agent.c.brand_names).op("||")(agent.c.code_names)
    identifiers = [upper(agent.c[c]) for c in ("chembl_id", "ncit_id", "drugbank_id", "unii")]
    return or_(
        lower(agent.c.slug) == lower(name),
        lower(agent.c.name) == lower(name),
        _in_array(names, name, lower),
        upper(name).in_(identifiers),
        name == agent.c.rxnorm_id,
    )


def target_named(target: FromClause, name: Expr) -> Expr:
    """Target `target` is `name`: symbol, alias, HGNC, UniProt, Ensembl or NCBI Gene ID."""
    identifiers = [upper(target.c[c]) for c in ("hgnc_id", "uniprot_id", "ensembl_id")]
    return or_(
        upper(target.c.symbol) == upper(name),
        _in_array(target.c.aliases, name, upper),
        upper(name).in_(identifiers),
        name == target.c.ncbi_gene_id,
    )


def trial_named(trial: FromClause, name: Expr) -> Expr:
    """Trial `trial` is `name`: NCT ID, acronym, slug or another registry ID."""
    return or_(
        upper(trial.c.nct_id) == upper(name),
        lower(trial.c.acronym) == lower(name),
        lower(trial.c.slug) == lower(name),
        _in_array(trial.c.other_ids, name, lower),
    )


def indication_named(indication: FromClause, name: Expr) -> Expr:
    identifiers = [upper(indication.c[c]) for c in ("ncit_id", "doid_id", "mondo_id")]
    return or_(
        indication.c.slug == lower(name),
        lower(indication.c.name) == lower(name),
        upper(name).in_(identifiers),
    )


def indication_within(indication_id: Expr, name: Expr) -> Expr:
    """The indication id is the named indication or a narrower one."""
    closure, named = tables.indication_closure.alias(), tables.indications.alias()
    narrower = (
        select(closure.c.descendant_id)
        .select_from(closure.join(named, named.c.id == closure.c.ancestor_id))
        .where(indication_named(named, name))
    )
    return indication_id.in_(narrower)


def agents_named(name: Expr) -> Any:
    """Ids of the agents called `name`."""
    agent = tables.agents.alias()
    return select(agent.c.id).where(agent_named(agent, name))


def trials_of_agents(agent_ids: Any) -> Any:
    link = tables.agent_trials.alias()
    return select(link.c.trial_id).where(link.c.agent_id.in_(agent_ids))


def position_literal(value: int) -> Expr:
    return literal(value, Integer)


def contains(texts: Expr, fragment: str) -> Expr:
    """Any of the texts contains `fragment`, case-insensitive (LIKE wildcards escaped)."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    names = func.unnest(texts).table_valued("name").render_derived()
    return exists(select(names.c.name).where(names.c.name.ilike("%" + escaped + "%", escape="\\")))
