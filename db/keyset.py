"""Keyset paging: a page starts after (or ends before) the sort key of a cursor's row.

A list's order is a sequence of terms (expression, direction, where nulls go) ending
with the row id, so every row has a distinct key. A cursor names its row; "after the
cursor" is a comparison with that row's key, which an index on the sort expressions
serves with `ORDER BY ... LIMIT`, instead of numbering every matching row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

Expr = ColumnElement[Any]


@dataclass(frozen=True)
class Term:
    expression: Expr
    descending: bool
    nulls_last: bool

    def ordering(self, expression: Expr | None = None, *, reverse: bool = False) -> Expr:
        """ORDER BY item for this term (over `expression`, default its own), optionally reversed."""
        target = self.expression if expression is None else expression
        descending = self.descending != reverse
        nulls_last = self.nulls_last != reverse
        ordered = target.desc() if descending else target.asc()
        return ordered.nulls_last() if nulls_last else ordered.nulls_first()


def order_terms(order_by: Sequence[Expr]) -> list[Term]:
    """The terms of ORDER BY items such as `x`, `x.desc()`, `x.asc().nulls_last()`."""
    terms = []
    for item in order_by:
        expression: Any = item
        descending, nulls_last = False, None
        while isinstance(expression, UnaryExpression) and expression.modifier in _MODIFIERS:
            modifier = expression.modifier
            if modifier is operators.desc_op:
                descending = True
            elif modifier is operators.nulls_last_op and nulls_last is None:
                nulls_last = True
            elif modifier is operators.nulls_first_op and nulls_last is None:
                nulls_last = False
            expression = expression.element
        # PostgreSQL's default: nulls sort as the largest value.
        terms.append(Term(expression, descending, (not descending) if nulls_last is None else nulls_last))
    return terms


_MODIFIERS = (operators.asc_op, operators.desc_op, operators.nulls_first_op, operators.nulls_last_op)


def _later(key: Expr, value: Expr, term: Term) -> Expr:
    """`key` sorts strictly after `value` in this term alone."""
    greater = key < value if term.descending else key > value
    if term.nulls_last:
        # Nothing sorts after a null; a null sorts after every value.
        return and_(value.is_not(None), or_(greater, key.is_(None)))
    return or_(and_(value.is_(None), key.is_not(None)), and_(key.is_not(None), greater))


def after(keys: Sequence[Expr], terms: Sequence[Term], values: Sequence[Expr]) -> Expr:
    """The row with `keys` sorts strictly after the row with `values`."""
    alternatives = []
    for index, term in enumerate(terms):
        same_before = [keys[j].is_not_distinct_from(values[j]) for j in range(index)]
        alternatives.append(and_(*same_before, _later(keys[index], values[index], term)))
    return or_(*alternatives)
