"""The statement our service sends for a benchmark request, planned in-process by the same
engine (schema.engine.Engine.prepare, Prepared.statement, Prepared.arguments): the SQL
text and its arguments for given variables. pgbench and the plan check run exactly these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import parse

from schema.schema import TherapySchema, build_schema


@dataclass(frozen=True)
class OurStatement:
    sql: str
    arguments: tuple[Any, ...]


class Compiler:
    def __init__(self) -> None:
        self.schema: TherapySchema = build_schema(compiler=True)

    def statement(self, document: str, variables: dict[str, Any]) -> OurStatement:
        prepared = self.schema.engine.prepare(parse(document), document, None, variables)
        if prepared is None or prepared.statement is None or prepared.errors:
            errors = [] if prepared is None else [e.message for e in prepared.errors]
            raise ValueError(f"our engine planned no statement for {variables}: {errors}")
        return OurStatement(prepared.statement.sql, tuple(prepared.arguments(variables)))
