"""The executable schema, built once at import."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

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
    }
)


def build_schema() -> strawberry.Schema:
    return TherapySchema(
        query=Query,
        extensions=[lambda: ParserCache(maxsize=1024), lambda: ValidationCache(maxsize=1024)],
    )


schema = build_schema()
