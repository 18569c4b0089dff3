"""The executable schema: Strawberry types, limits and the query engine, built once per process."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from config.limits import Limits
from schema.engine import Engine, PlannedExecution
from schema.errors import CLIENT_CODES, RETRY_LATER_CODES, error_code
from schema.limits import limit_extensions
from schema.release import JSON, JSON_SCALAR
from schema.root import Query


def _serialize_datetime(value: Any) -> str:
    # Timestamps are formatted once, in SQL (schema.release); objects are formatted alike.
    return value if isinstance(value, str) else value.isoformat()


DATETIME = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat)",
    serialize=_serialize_datetime,
    parse_value=datetime.datetime.fromisoformat,
)


class TherapySchema(strawberry.Schema):
    engine: Engine

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only unexpected errors; client mistakes are answered, not logged as faults, and an
        outage or overload is logged once per change by the pool (db.readpool.DatabaseHealth)."""
        unexpected = [e for e in errors if error_code(e) not in CLIENT_CODES | RETRY_LATER_CODES]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(limits: Limits | None = None, max_batch: int = 10, compiler: bool = True) -> TherapySchema:
    """The schema with its limits; build it once per process (the caches belong to it).

    With `compiler` (the default) an operation runs as one SQL statement (schema.engine);
    without it Strawberry resolves every field through the reference executor.
    """
    engine = Engine()
    built = TherapySchema(
        query=Query,
        extensions=[
            # Limits first: they bound the work of everything after them; their document cache
            # (bounded in entries and bytes) replaces Strawberry's parser and validation caches.
            *limit_extensions(limits or Limits()),
            *([lambda: PlannedExecution(engine)] if compiler else []),
        ],
        config=StrawberryConfig(
            batching_config={"max_operations": max_batch},
            scalar_map={datetime.datetime: DATETIME, JSON: JSON_SCALAR},
        ),
    )
    engine.schema = built
    built.engine = engine
    return built


schema = build_schema(compiler=False)
