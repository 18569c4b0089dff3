"""The query engine: a validated operation becomes one SQL statement whose JSON is `data`.

`Engine` owns the one bounded plan cache. Strawberry parses, validates and checks the
limits; `PlannedExecution` (a schema extension) then plans the operation
(schema.planner), builds it with db.sqlbuild and runs it as a single statement. The
JSON text PostgreSQL returns is wrapped in `orjson.Fragment` and goes out unchanged.
Operations that ask the schema itself (introspection) are executed by graphql-core.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from db.queries import QueryRunner
from db.sqlbuild import operation_statement
from db.store import Statement, compile_statement
from schema.planner import Planner, find_operation

logger = logging.getLogger(__name__)

CacheKey = tuple[str, str | None, bytes]


@dataclass(frozen=True)
class Prepared:
    """A planned operation: its statement (None when nothing is left to run) and errors."""

    statement: Statement | None
    errors: tuple[GraphQLError, ...]
    data_is_null: bool
    introspection: bool
    size: int


def cache_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> CacheKey | None:
    try:
        return (query, operation_name, orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS))
    except TypeError:
        return None


class Engine:
    """Plans, caches and runs operations of one schema. The cache is bounded in entries and bytes."""

    def __init__(self, max_entries: int = 1024, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.schema: Any = None  # set by the schema that owns the engine
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._plans: OrderedDict[CacheKey, Prepared] = OrderedDict()
        self._answered: dict[CacheKey, bytes] = {}  # key -> extensions JSON of a clean answer
        self._bytes = 0

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._plans)

    def prepare(
        self, document: DocumentNode, query: str, operation_name: str | None, variables: dict[str, Any]
    ) -> Prepared | None:
        operation = find_operation(document, operation_name)
        if operation is None or operation.operation.value != "query":
            return None
        key = cache_key(query, operation_name, variables)
        if key is not None and key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        plan = Planner(self.schema, document, operation).plan(variables)
        statement = None
        if not plan.introspection and not plan.data_is_null:
            statement = compile_statement(operation_statement(plan.fields))
        size = len(query) + (len(key[2]) if key else 0) + (len(statement.sql) * 2 if statement else 0)
        prepared = Prepared(statement, tuple(plan.errors), plan.data_is_null, plan.introspection, size)
        if key is not None:
            self._remember(key, prepared)
        return prepared

    def _remember(self, key: CacheKey, prepared: Prepared) -> None:
        if prepared.size > self.max_bytes // 16:
            return  # one huge operation must not evict everything else
        self._plans[key] = prepared
        self._bytes += prepared.size
        while len(self._plans) > self.max_entries or self._bytes > self.max_bytes:
            old_key, old = self._plans.popitem(last=False)
            self._bytes -= old.size
            self._answered.pop(old_key, None)

    async def run(self, prepared: Prepared, db: QueryRunner) -> GraphQLExecutionResult:
        errors = list(prepared.errors) or None
        if prepared.statement is None:
            return GraphQLExecutionResult(data=None, errors=errors)
        text = await db.fetchval(prepared.statement.sql, *prepared.statement.arguments())
        return GraphQLExecutionResult(data=orjson.Fragment(text), errors=errors)  # type: ignore[arg-type]

    def mark_answered(self, key: CacheKey, extensions: bytes) -> None:
        """A clean answer went out: the same request may be replayed without GraphQL."""
        prepared = self._plans.get(key)
        if prepared is not None and prepared.statement is not None and not prepared.errors:
            self._answered[key] = extensions

    async def replay(self, key: CacheKey, db: QueryRunner) -> bytes | None:
        """The response body of a request answered cleanly before, or None."""
        extensions = self._answered.get(key)
        prepared = self._plans.get(key)
        if extensions is None or prepared is None or prepared.statement is None:
            return None
        text: str = await db.fetchval(prepared.statement.sql, *prepared.statement.arguments())
        return b'{"data":' + text.encode() + b',"extensions":' + extensions + b"}"


class PlannedExecution(SchemaExtension):
    """Runs the operation as one statement after validation and the limits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None and context.query is not None:
            prepared = self.engine.prepare(
                context.graphql_document, context.query, context.operation_name, context.variables or {}
            )
            if prepared is not None and not prepared.introspection:
                try:
                    context.result = await self.engine.run(prepared, context.context.db)
                except Exception as exc:
                    # Reported like a resolver failure, so the usual error mapping applies (503 on outage).
                    error = GraphQLError(str(exc), original_error=exc)
                    context.schema.process_errors([error])
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
