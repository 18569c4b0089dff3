"""SQL expressions shared by several type declarations."""

from __future__ import annotations


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
