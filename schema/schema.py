"""The executable schema, built once at import."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.compiler import CompiledExecution
from schema.limits import Limits, limit_extensions
from schema.root import Query


class TherapySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only unexpected errors; client mistakes are answered, not logged as faults."""
        from api.errors import error_code

        unexpected = [e for e in errors if error_code(e) not in CLIENT_CODES]
        if unexpected:
            super().process_errors(unexpected, execution_context)


CLIENT_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "BAD_REQUEST",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "QUERY_TOO_COMPLEX",
    }
)


def build_schema(
    limits: Limits | None = None, max_batch: int = 10, compiler: bool = True
) -> strawberry.Schema:
    """The schema with its limits; build it once per process (the caches depend on it).

    With `compiler`, operations are compiled to one SQL statement per root field where
    possible (schema.compiler); without it every field resolves normally.
    """
    return TherapySchema(
        query=Query,
        extensions=[
            lambda: ParserCache(maxsize=1024),
            *limit_extensions(limits or Limits()),
            lambda: ValidationCache(maxsize=1024),
            *([CompiledExecution] if compiler else []),
        ],
        config=StrawberryConfig(batching_config={"max_operations": max_batch}),
    )


schema = build_schema(compiler=False)
