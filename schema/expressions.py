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
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, array

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


def named(kind: str, entity_id: Expr, name: Expr) -> Expr:
    """The entity is called `name` (any name, code or identifier, case-insensitive).

    One B-tree probe of entity_names; the array is computed once, before the outer rows
    are read, so the planner cannot turn the probe into a scan.
    """
    names = tables.entity_names.alias()
    ids = select(func.array_agg(names.c.entity_id)).where(
        names.c.type == constant(kind), names.c.name == lower(name)
    )
    # ANY over an array expression (not over the subquery's rows).
    return entity_id == any_(
        func.coalesce(ids.scalar_subquery(), cast(array([], type_=Integer), ARRAY(Integer)))
    )


def agent_named(agent: FromClause, name: Expr) -> Expr:
    """Agent `agent` is called `name`: name, slug, synonym, brand, code or cross-reference."""
    return named("AGENT", agent.c.id, name)


def target_named(target: FromClause, name: Expr) -> Expr:
    """Target `target` is `name`: symbol, alias, HGNC, UniProt, Ensembl or NCBI Gene ID."""
    return named("TARGET", target.c.id, name)


def trial_named(trial: FromClause, name: Expr) -> Expr:
    """Trial `trial` is `name`: NCT ID, acronym, slug or another registry ID."""
    return named("TRIAL", trial.c.id, name)


def indication_named(indication: FromClause, name: Expr) -> Expr:
    """Indication `indication` is `name`: slug, name, NCIt, DOID or MONDO ID."""
    return named("INDICATION", indication.c.id, name)


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
