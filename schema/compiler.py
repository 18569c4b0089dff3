"""Compile a validated GraphQL operation to one SQL statement per root field.

The statement builds the field's response JSON in PostgreSQL (json_build_object /
json_agg) from the same type metadata the resolvers use (schema.meta). To learn a root
field's query, its own resolver is called in planning mode: the query helpers raise a
plan (table, WHERE, ORDER BY, page window) instead of running it, so filters, lookups
and argument errors are written once. Whatever cannot be compiled — custom resolvers,
unions and interfaces resolved at run time, an argument error — is left to the normal
Strawberry execution, per root field; the two parts are merged in field order.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution import execute as graphql_execute
from graphql.execution.values import get_argument_values, get_directive_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types.arguments import convert_arguments

from schema.meta import REGISTRY, EntityMeta, ListPlan, Planned, Relation
from schema.node import Node
from schema.pagination import ConnectionPlan

logger = logging.getLogger(__name__)

MAX_PAIRS = 50  # json_build_object takes at most 100 arguments
PLAN_CACHE_SIZE = 1024


class NotCompilable(Exception):
    """This root field is left to the normal execution."""


@dataclass
class RootPlan:
    response_key: str
    sql: str | None  # None: executed normally
    args: list[Any] = field(default_factory=list)


def _t_to(alias: str, sql: str) -> str:
    """Rebind expressions written over the alias `t` to another alias."""
    return re.sub(r"(?<![A-Za-z0-9_.])t\.", f"{alias}.", sql)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unwrap(graphql_type: Any) -> Any:
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def _object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object with keys in order; json_build_object when it fits its argument limit."""
    if not pairs:
        return "json_build_object()"
    if len(pairs) <= MAX_PAIRS:
        return "json_build_object(" + ", ".join(f"{_quote(k)}, {v}" for k, v in pairs) + ")"
    parts = [
        f"{_quote(orjson.dumps(k).decode() + ':')} || coalesce(to_json({v})::text, 'null')" for k, v in pairs
    ]
    return "('{' || " + " || ',' || ".join(parts) + " || '}')::json"


class Compiler:
    def __init__(self, schema: Any) -> None:
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = schema._schema
        self.aliases = 0

    # --- selections -----------------------------------------------------------------

    def _included(self, node: Any, variables: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, variables)
        return not (include is not None and not include.get("if"))

    def _applies(self, condition: str | None, object_type: GraphQLObjectType) -> bool:
        if condition is None or condition == object_type.name:
            return True
        target = self.schema.get_type(condition)
        return isinstance(target, GraphQLInterfaceType) and target in object_type.interfaces

    def collect(
        self, selection_set: SelectionSetNode, object_type: GraphQLObjectType
    ) -> OrderedDict[str, list[FieldNode]]:
        fields: OrderedDict[str, list[FieldNode]] = OrderedDict()

        def walk(selections: SelectionSetNode) -> None:
            for selection in selections.selections:
                if not self._included(selection, self.variables):
                    continue
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition.name.value if selection.type_condition else None
                    if self._applies(condition, object_type):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    fragment = self.fragments[selection.name.value]
                    if self._applies(fragment.type_condition.name.value, object_type):
                        walk(fragment.selection_set)

        walk(selection_set)
        return fields

    def _merged(self, nodes: list[FieldNode]) -> SelectionSetNode | None:
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if not sets:
            return None
        if len(sets) == 1:
            return sets[0]
        return SelectionSetNode(
            selections=tuple(s for selection_set in sets for s in selection_set.selections)
        )

    # --- entities -------------------------------------------------------------------

    def _alias(self, prefix: str = "c") -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"

    def entity_object(self, meta: EntityMeta, alias: str, selection_set: SelectionSetNode) -> str:
        object_type = self.schema.get_type(meta.name)
        assert isinstance(object_type, GraphQLObjectType)
        converter = self.strawberry_schema.config.name_converter
        definition: Any = meta.cls.__strawberry_definition__
        camel = {converter.get_graphql_name(f): f.python_name for f in definition.fields}
        pairs: list[tuple[str, str]] = []
        for key, nodes in self.collect(selection_set, object_type).items():
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, _quote(meta.name)))
                continue
            if name == "id" and issubclass(meta.cls, Node):
                key_sql = _t_to(alias, meta.key_sql)
                pairs.append((key, "rtrim(translate(encode(convert_to("
                              f"{_quote(meta.name + ':')} || ({key_sql})::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"))  # fmt: skip
                continue
            python_name = camel.get(name)
            if python_name is None:
                raise NotCompilable(name)
            graphql_field = object_type.fields[name]
            if python_name in meta.columns:
                expression = _t_to(alias, meta.columns[python_name])
                named = _unwrap(graphql_field.type)
                if isinstance(named, GraphQLEnumType):
                    cases = " ".join(f"WHEN {_quote(str(v.value.value if hasattr(v.value, 'value') else v.value))} "
                                     f"THEN {_quote(n)}" for n, v in named.values.items())  # fmt: skip
                    expression = f"CASE ({expression})::text {cases} END"
                pairs.append((key, expression))
            elif python_name in meta.relations:
                selection = self._merged(nodes)
                assert selection is not None
                pairs.append((key, self.relation(meta, alias, meta.relations[python_name], selection)))
            else:
                raise NotCompilable(f"{meta.name}.{name}")
        return _object(pairs)

    def relation(
        self, parent: EntityMeta, alias: str, relation: Relation, selection: SelectionSetNode
    ) -> str:
        target = REGISTRY[relation.target]
        child = self._alias()
        obj = self.entity_object(target, child, selection)
        order = _t_to(child, relation.order_by or target.order_by)
        parent_id = _t_to(alias, parent.id_sql)
        if relation.kind == "many_to_one":
            return (f"(SELECT {obj} FROM {target.table} {child} "
                    f"WHERE {_t_to(child, target.id_sql)} = {alias}.{relation.column})")  # fmt: skip
        if relation.kind == "one_to_many":
            source = f"FROM {target.table} {child} WHERE {child}.{relation.column} = {parent_id}"
            if relation.single:
                return f"(SELECT {obj} {source} ORDER BY {order} LIMIT 1)"
            return f"(SELECT coalesce(json_agg({obj} ORDER BY {order}), '[]'::json) {source})"
        link = self._alias("l")
        return (f"(SELECT coalesce(json_agg({obj} ORDER BY {order}), '[]'::json) "
                f"FROM {relation.link_table} {link} JOIN {target.table} {child} "
                f"ON {_t_to(child, target.id_sql)} = {link}.{relation.target_column} "
                f"WHERE {link}.{relation.parent_column} = {parent_id})")  # fmt: skip

    # --- root fields ----------------------------------------------------------------

    def list_sql(self, plan: ListPlan, selection: SelectionSetNode, single: bool) -> tuple[str, list[Any]]:
        alias = self._alias()
        obj = self.entity_object(plan.meta, alias, selection)
        limit = f" LIMIT {int(plan.limit)}" if plan.limit is not None else ""
        rows = (f"(SELECT t.*, row_number() OVER (ORDER BY {plan.order_by}) AS __position "
                f"FROM {plan.meta.table} t WHERE {plan.where} ORDER BY {plan.order_by}{limit})")  # fmt: skip
        if single:
            return f"SELECT (SELECT {obj} FROM {rows} {alias} ORDER BY {alias}.__position LIMIT 1)", plan.args
        return (f"SELECT coalesce((SELECT json_agg({obj} ORDER BY {alias}.__position) FROM {rows} {alias}), "
                "'[]'::json)"), plan.args  # fmt: skip

    def connection_sql(
        self, plan: ConnectionPlan, selection: SelectionSetNode, type_name: str
    ) -> tuple[str, list[Any]]:
        meta = plan.meta
        args = list(plan.where.args)
        n = len(args)
        args += [plan.start, plan.end, plan.first, plan.last]
        start, end, first, last = (f"${n + 1}::int", f"${n + 2}::int", f"${n + 3}::int", f"${n + 4}::int")
        connection_type = self.schema.get_type(type_name)
        assert isinstance(connection_type, GraphQLObjectType)
        cursor = (
            "translate(encode(convert_to('cursor:v1:' || {a}.__position, 'UTF8'), 'base64'), E'+/\\n', '-_')"
        )
        total = "(SELECT count(*) FROM matched)"
        pairs: list[tuple[str, str]] = []
        for key, nodes in self.collect(selection, connection_type).items():
            name = nodes[0].name.value
            sub = self._merged(nodes)
            if name == "__typename":
                pairs.append((key, _quote(type_name)))
            elif name == "totalCount":
                pairs.append((key, total))
            elif name in ("nodes", "edges"):
                assert sub is not None
                alias = self._alias()
                if name == "nodes":
                    item = self.entity_object(meta, alias, sub)
                else:
                    edge_type = _unwrap(connection_type.fields["edges"].type)
                    edge_pairs: list[tuple[str, str]] = []
                    for edge_key, edge_nodes in self.collect(sub, edge_type).items():
                        edge_name = edge_nodes[0].name.value
                        if edge_name == "__typename":
                            edge_pairs.append((edge_key, _quote(edge_type.name)))
                        elif edge_name == "cursor":
                            edge_pairs.append((edge_key, cursor.format(a=alias)))
                        elif edge_name == "node":
                            node_selection = self._merged(edge_nodes)
                            assert node_selection is not None
                            edge_pairs.append((edge_key, self.entity_object(meta, alias, node_selection)))
                        else:
                            raise NotCompilable(edge_name)
                    item = _object(edge_pairs)
                pairs.append(
                    (
                        key,
                        f"coalesce((SELECT json_agg({item} ORDER BY {alias}.__position) FROM page {alias}), '[]'::json)",
                    )
                )
            elif name == "pageInfo":
                assert sub is not None
                info_type = _unwrap(connection_type.fields["pageInfo"].type)
                info_pairs: list[tuple[str, str]] = []
                for info_key, info_nodes in self.collect(sub, info_type).items():
                    info_name = info_nodes[0].name.value
                    expression = {
                        "__typename": _quote(info_type.name),
                        "hasNextPage": f"(SELECT CASE WHEN count(*) = 0 THEN {start} < {total} "
                        f"ELSE max(__position) < {total} - 1 END FROM page)",
                        "hasPreviousPage": f"(SELECT CASE WHEN count(*) = 0 THEN {start} > 0 "
                        "ELSE min(__position) > 0 END FROM page)",
                        "startCursor": f"(SELECT {cursor.format(a='p')} FROM page p ORDER BY p.__position LIMIT 1)",
                        "endCursor": f"(SELECT {cursor.format(a='p')} FROM page p ORDER BY p.__position DESC LIMIT 1)",
                    }.get(info_name)
                    if expression is None:
                        raise NotCompilable(info_name)
                    info_pairs.append((info_key, expression))
                pairs.append((key, _object(info_pairs)))
            else:
                raise NotCompilable(name)
        sql = f"""
            WITH matched AS (
                SELECT t.*, row_number() OVER (ORDER BY {plan.order_by}, {meta.id_sql}) - 1 AS __position
                FROM {meta.table} t WHERE {plan.where.sql}
            ),
            bounded AS (
                SELECT *, row_number() OVER (ORDER BY __position DESC) AS __from_end FROM matched
                WHERE __position >= {start} AND ({end} IS NULL OR __position < {end})
            ),
            page AS (
                SELECT * FROM bounded
                WHERE ({first} IS NULL OR __position < {start} + {first}) AND ({last} IS NULL OR __from_end <= {last})
            )
            SELECT {_object(pairs)}
        """
        return sql, args

    # --- operations -----------------------------------------------------------------

    def plan(
        self, document: DocumentNode, operation_name: str | None, variables: dict[str, Any], context: Any
    ) -> list[RootPlan] | None:
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1 or operations[0].operation.value != "query":
            return None
        operation = operations[0]
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            return None
        self.variables = coerced
        query_type = self.schema.query_type
        assert query_type is not None
        plans = [
            self.root_plan(key, nodes, query_type, context)
            for key, nodes in self.collect(operation.selection_set, query_type).items()
        ]
        has_fragments = any(not isinstance(s, FieldNode) for s in operation.selection_set.selections)
        if has_fragments and any(p.sql is None for p in plans):
            return None  # the normal execution could not be limited to the other fields
        return plans

    def root_plan(
        self, key: str, nodes: list[FieldNode], query_type: GraphQLObjectType, context: Any
    ) -> RootPlan:
        node = nodes[0]
        name = node.name.value
        selection = self._merged(nodes)
        if name == "__typename" or name not in query_type.fields or selection is None:
            return RootPlan(key, None)
        graphql_field = query_type.fields[name]
        strawberry_field = self.strawberry_fields.get(name)
        if strawberry_field is None or strawberry_field.base_resolver is None:
            return RootPlan(key, None)
        try:
            raw = get_argument_values(graphql_field, node, self.variables)
            kwargs = convert_arguments(
                raw, strawberry_field.arguments, scalar_registry=self.strawberry_schema.schema_converter.scalar_registry,
                config=self.strawberry_schema.config,
            )  # fmt: skip
            plan = self._resolve_plan(strawberry_field, kwargs, context)
            return_type = _unwrap(graphql_field.type)
            if isinstance(plan, ConnectionPlan):
                sql, args = self.connection_sql(plan, selection, return_type.name)
            elif isinstance(plan, ListPlan):
                single = not isinstance(graphql_field.type, GraphQLList) and not (
                    isinstance(graphql_field.type, GraphQLNonNull)
                    and isinstance(graphql_field.type.of_type, GraphQLList)
                )
                if return_type.name != plan.meta.name:
                    raise NotCompilable(name)
                sql, args = self.list_sql(plan, selection, single)
            else:
                raise NotCompilable(name)
        except (NotCompilable, GraphQLError):
            return RootPlan(key, None)
        except Exception:
            # A gap in the compiler must not fail the request: the normal execution answers.
            logger.warning("root field %s not compiled", name, exc_info=True)
            return RootPlan(key, None)
        return RootPlan(key, sql, args)

    @property
    def strawberry_fields(self) -> dict[str, Any]:
        definition = self.strawberry_schema.query.__strawberry_definition__
        converter = self.strawberry_schema.config.name_converter
        return {converter.get_graphql_name(f): f for f in definition.fields}

    def _resolve_plan(self, strawberry_field: Any, kwargs: dict[str, Any], context: Any) -> Any:
        """Run the root resolver until its query helper raises the plan (it never reaches SQL)."""
        info = _PlanningInfo(_PlanningContext(context))
        coroutine = strawberry_field.base_resolver.wrapped_func(None, info, **kwargs)
        try:
            coroutine.send(None)
        except Planned as planned:
            return planned.plan
        except StopIteration:
            raise NotCompilable("resolved without a query") from None
        finally:
            coroutine.close()
        raise NotCompilable("resolver awaited something else")


@dataclass
class _PlanningInfo:
    context: Any


class _PlanningContext:
    planning = True

    def __init__(self, context: Any) -> None:
        self.settings = getattr(context, "settings", None)
        self.db = _NoDatabase()


class _NoDatabase:
    async def fetch(self, *args: Any) -> Any:
        raise NotCompilable("direct SQL")

    async def fetchrow(self, *args: Any) -> Any:
        raise NotCompilable("direct SQL")

    async def fetchval(self, *args: Any) -> Any:
        raise NotCompilable("direct SQL")


def _lru_put(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > PLAN_CACHE_SIZE:
        cache.popitem(last=False)


_PLAN_CACHE: OrderedDict[tuple[int, str, str | None, bytes], list[RootPlan] | None] = OrderedDict()


def cached_plans(schema: Any, document: DocumentNode, query: str, operation_name: str | None,
                 variables: dict[str, Any], context: Any) -> list[RootPlan] | None:  # fmt: skip
    """Plans by (schema, document, operation, variables); None when nothing compiles."""
    try:
        variables_key = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    key = (id(schema), query, operation_name, variables_key)
    if key in _PLAN_CACHE:
        _PLAN_CACHE.move_to_end(key)
        return _PLAN_CACHE[key]
    plans = Compiler(schema).plan(document, operation_name, variables, context)
    if plans is not None and not any(p.sql is not None for p in plans):
        plans = None
    _lru_put(_PLAN_CACHE, key, plans)
    return plans


class CompiledExecution(SchemaExtension):
    """Runs compiled root fields after validation and the cost check, before normal execution."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None and context.query is not None:
            plans = cached_plans(
                context.schema, context.graphql_document, context.query, context.operation_name,
                context.variables or {}, context.context,
            )  # fmt: skip
            if plans is not None:
                context.result = await run_compiled(
                    context.schema, context.context, plans, context.graphql_document,
                    context.operation_name, context.variables or {}, context.root_value,
                )  # fmt: skip
                if all(p.sql is not None for p in plans) and not context.result.errors:
                    # Fully compiled and answered: the HTTP layer may replay it without re-executing.
                    context.context.compiled_plans = plans
        yield


async def run_compiled(schema: Any, context: Any, plans: list[RootPlan], document: DocumentNode,
                       operation_name: str | None, variables: dict[str, Any], root_value: Any) -> GraphQLExecutionResult:  # fmt: skip
    """Run the compiled root fields (one statement each) and the rest normally; merge in order."""
    data: dict[str, Any] = {}
    for plan in plans:
        if plan.sql is not None:
            try:
                text = await context.db.fetchval(plan.sql, *plan.args)
            except Exception as exc:
                # Reported like a resolver failure, so the usual error mapping applies (503 on outage).
                error = GraphQLError(str(exc), path=[plan.response_key], original_error=exc)
                schema.process_errors([error])
                return GraphQLExecutionResult(data=None, errors=[error])
            data[plan.response_key] = None if text is None else orjson.loads(text)
    errors: list[GraphQLError] = []
    rest = [p.response_key for p in plans if p.sql is None]
    if rest:
        reduced = _reduced_document(document, operation_name, set(rest))
        result = graphql_execute(schema._schema, reduced, root_value=root_value, context_value=context,
                                 variable_values=variables, operation_name=operation_name)  # fmt: skip
        if hasattr(result, "__await__"):
            result = await result
        partial = result.data or {}
        errors = list(result.errors or [])
        for key in rest:
            data[key] = partial.get(key)
        if result.data is None and errors:
            return GraphQLExecutionResult(data=None, errors=errors)
    ordered = {p.response_key: data.get(p.response_key) for p in plans}
    return GraphQLExecutionResult(data=ordered, errors=errors or None)


def _reduced_document(document: DocumentNode, operation_name: str | None, keep: set[str]) -> DocumentNode:
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            selections = tuple(
                s for s in definition.selection_set.selections
                if not isinstance(s, FieldNode) or (s.alias.value if s.alias else s.name.value) in keep
            )  # fmt: skip
            definition = OperationDefinitionNode(
                operation=definition.operation, name=definition.name, variable_definitions=definition.variable_definitions,
                directives=definition.directives, selection_set=SelectionSetNode(selections=selections),
            )  # fmt: skip
        definitions.append(definition)
    return DocumentNode(definitions=tuple(definitions))
