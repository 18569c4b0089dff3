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
from sqlalchemy.sql.elements import ClauseElement
from strawberry.extensions import SchemaExtension

from db.queries import QueryRunner
from db.sqlbuild import operation_statement
from db.store import Statement, can_inline, compile_statement
from schema.binding import (
    Bindings,
    Path,
    bind,
    enum_leaves,
    find_bindings,
    probe_variables,
    skeleton,
    string_leaves,
    structural_values,
)
from schema.meta import ArgumentCheck
from schema.planner import Planner, find_operation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A planned operation: its statement (None when nothing is left to run), errors, and
    which statement parameters take which variable (schema.binding)."""

    statement: Statement | None
    errors: tuple[GraphQLError, ...]
    data_is_null: bool
    introspection: bool
    size: int
    parameters: tuple[tuple[int, Path], ...] = ()
    checks: tuple[tuple[str, ArgumentCheck], ...] = ()  # run again on each new value

    def arguments(self, variables: dict[str, Any]) -> list[Any]:
        assert self.statement is not None
        return bind(self.statement.arguments(), self.parameters, variables)

    def accepts(self, variables: dict[str, Any]) -> bool:
        """Whether the checked arguments' new values pass their checks (else: plan again,
        which reports the problem as the argument's error)."""
        return all(name in variables and check(variables[name]) is None for name, check in self.checks)


# (query, operation, skeleton of the variables) and, for a plan, the structural values
TemplateKey = tuple[str, str | None, bytes]
PlanKey = tuple[str, str | None, bytes, tuple[tuple[Path, str], ...]]


def _template_key(query: str, operation_name: str | None, variables: dict[str, Any]) -> TemplateKey | None:
    try:
        return (query, operation_name, orjson.dumps(skeleton(variables), option=orjson.OPT_SORT_KEYS))
    except TypeError:
        return None


class Engine:
    """Plans, caches and runs operations of one schema.

    Plans are cached by document, operation and the skeleton of the variables; string
    variables are bound as statement parameters, so a new value is not planned again.
    The cache is bounded in entries and bytes.
    """

    def __init__(self, max_entries: int = 1024, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.schema: Any = None  # set by the schema that owns the engine
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._structural: dict[TemplateKey, frozenset[Path]] = {}
        self._plans: OrderedDict[PlanKey, Prepared] = OrderedDict()
        self._answered: dict[PlanKey, Answered] = {}  # plan -> the extensions of a clean answer
        self._bytes = 0
        self.planned = 0  # how many times an operation was planned (not found in the cache)
        self.reused = 0  # how many times a cached plan was used (prepared or replayed)

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._plans)

    def _plan_key(self, query: str, operation_name: str | None, variables: dict[str, Any]) -> PlanKey | None:
        template = _template_key(query, operation_name, variables)
        if template is None or template not in self._structural:
            return None
        return (*template, structural_values(variables, self._structural[template]))

    def cached(self, query: str, operation_name: str | None, variables: dict[str, Any]) -> Prepared | None:
        key = self._plan_key(query, operation_name, variables)
        prepared = self._plans.get(key) if key is not None else None
        if key is not None and prepared is not None:
            self._plans.move_to_end(key)
        return prepared

    def prepare(
        self, document: DocumentNode, query: str, operation_name: str | None, variables: dict[str, Any]
    ) -> Prepared | None:
        operation = find_operation(document, operation_name)
        if operation is None or operation.operation.value != "query":
            return None
        found = self.cached(query, operation_name, variables)
        if found is not None and found.accepts(variables):
            self.reused += 1
            return found
        if found is not None:  # a value its checks refuse: planned (and refused) without caching
            return self._plan(document, operation, query, variables)[0]
        self.planned += 1
        prepared, structural = self._plan(document, operation, query, variables)
        template = _template_key(query, operation_name, variables)
        if template is not None:
            self._structural[template] = structural
            self._remember((*template, structural_values(variables, structural)), prepared)
        return prepared

    def _plan(
        self, document: DocumentNode, operation: Any, query: str, variables: dict[str, Any]
    ) -> tuple[Prepared, frozenset[Path]]:
        plan = Planner(self.schema, document, operation).plan(variables)
        paths = [path for path, _ in string_leaves(variables)]
        statement = None
        bindings = Bindings((), frozenset(paths))
        if not plan.introspection and not plan.data_is_null:
            element = operation_statement(plan.fields)
            statement = compile_statement(element)
            if not plan.errors:
                enums = enum_leaves(self.schema._schema, operation, variables)
                probed = [path for path in paths if path not in enums]
                if probed:
                    bindings = self._probe(document, operation, variables, statement, probed)
                else:  # no string but enum names: every parameter is structural
                    bindings = Bindings((), frozenset(paths), frozenset(range(len(statement.names))))
                bindings = Bindings(bindings.parameters, bindings.structural | enums, bindings.fixed)
                statement, bindings = _with_constants_written(element, statement, bindings)
        size = len(query) * 2 + (len(statement.sql) * 2 if statement else 0)
        prepared = Prepared(
            statement,
            tuple(plan.errors),
            plan.data_is_null,
            plan.introspection,
            size,
            bindings.parameters,
            tuple(plan.checks),
        )
        return prepared, bindings.structural

    def _probe(
        self,
        document: DocumentNode,
        operation: Any,
        variables: dict[str, Any],
        statement: Statement,
        paths: list[Path],
    ) -> Bindings:
        """Plan again with sentinels for the strings: parameters that carry them are bound."""
        plan = Planner(self.schema, document, operation).plan(probe_variables(variables, paths))
        if plan.errors or plan.introspection or plan.data_is_null:
            return Bindings((), frozenset(paths))
        probe_statement = compile_statement(operation_statement(plan.fields))
        if probe_statement.sql != statement.sql:
            return Bindings((), frozenset(paths))
        return find_bindings(paths, statement.arguments(), probe_statement.arguments(), variables)

    def _remember(self, key: PlanKey, prepared: Prepared) -> None:
        if prepared.size > self.max_bytes // 16 or key in self._plans:
            return  # one huge operation must not evict everything else
        self._plans[key] = prepared
        self._bytes += prepared.size
        while len(self._plans) > self.max_entries or self._bytes > self.max_bytes:
            old_key, old = self._plans.popitem(last=False)
            self._bytes -= old.size
            self._answered.pop(old_key, None)
        if len(self._structural) > self.max_entries * 2:
            self._structural.clear()  # skeletons are small; start over rather than track their use

    async def run(
        self, prepared: Prepared, db: QueryRunner, variables: dict[str, Any]
    ) -> GraphQLExecutionResult:
        errors = list(prepared.errors) or None
        if prepared.statement is None:
            return GraphQLExecutionResult(data=None, errors=errors)
        text = await db.fetchval(prepared.statement.sql, *prepared.arguments(variables))
        return GraphQLExecutionResult(data=orjson.Fragment(text), errors=errors)  # type: ignore[arg-type]

    def mark_answered(
        self, query: str, operation_name: str | None, variables: dict[str, Any], extensions: dict[str, Any]
    ) -> None:
        """A clean answer went out: requests with the same plan may be replayed without GraphQL."""
        key = self._plan_key(query, operation_name, variables)
        prepared = self._plans.get(key) if key is not None else None
        if (
            key is not None
            and prepared is not None
            and prepared.statement is not None
            and not prepared.errors
        ):
            json = orjson.dumps(extensions)
            self._answered[key] = Answered(json, orjson.loads(json))  # a copy the answer cannot change

    async def replay(
        self, query: str, operation_name: str | None, variables: dict[str, Any], db: QueryRunner
    ) -> Replayed | None:
        """The response of a request whose plan was answered cleanly before, or None.

        Only string variables differ between such requests; they are bound as parameters
        and were valid for the same variable types (the skeleton matches).
        """
        key = self._plan_key(query, operation_name, variables)
        answered = self._answered.get(key) if key is not None else None
        prepared = self._plans.get(key) if key is not None else None
        if answered is None or prepared is None or prepared.statement is None:
            return None
        if not prepared.accepts(variables):
            return None  # the GraphQL path reports the argument's error
        self.reused += 1
        text: str = await db.fetchval(prepared.statement.sql, *prepared.arguments(variables))
        body = b'{"data":' + text.encode() + b',"extensions":' + answered.json + b"}"
        return Replayed(body, answered.extensions)


def _with_constants_written(
    element: ClauseElement, statement: Statement, bindings: Bindings
) -> tuple[Statement, Bindings]:
    """The statement with its fixed parameters written into the text, and the bound
    parameters at their new positions.

    A fixed value belongs to this plan alone (it is part of the cache key or of the
    document), so the text stays one per plan; PostgreSQL then plans with the values
    themselves (a page size, an enum's stored value) instead of a generic estimate, and
    keeps that plan for the prepared statement.
    """
    names = [statement.names[position] for position in bindings.fixed]
    inline_keys = frozenset(statement.binds[name].key for name in names if can_inline(statement, name))
    if not inline_keys:
        return statement, bindings
    written = compile_statement(element, inline_keys)
    # Anonymous binds are numbered anew in the shorter text: match them by their key.
    position_of = {written.binds[name].key: position for position, name in enumerate(written.names)}
    parameters = tuple(
        (position_of[statement.binds[statement.names[old]].key], path) for old, path in bindings.parameters
    )
    return written, Bindings(parameters, bindings.structural)


@dataclass(frozen=True)
class Answered:
    """The extensions of an operation's clean answer, as JSON and as read (the request log
    takes its cost from them)."""

    json: bytes
    extensions: dict[str, Any]


@dataclass(frozen=True)
class Replayed:
    """A replayed response: its body and the extensions it ends with."""

    body: bytes
    extensions: dict[str, Any]


class PlannedExecution(SchemaExtension):
    """Runs the operation as one statement after validation and the limits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None and context.query is not None:
            # The name as the request gave it (None when omitted), as the replay looks it up.
            operation_name = context._provided_operation_name
            prepared = self.engine.prepare(
                context.graphql_document, context.query, operation_name, context.variables or {}
            )
            if prepared is not None and not prepared.introspection:
                try:
                    context.result = await self.engine.run(
                        prepared, context.context.db, context.variables or {}
                    )
                except Exception as exc:
                    # Reported like a resolver failure, so the usual error mapping applies (503 on outage).
                    error = GraphQLError(str(exc), original_error=exc)
                    context.schema.process_errors([error])
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
