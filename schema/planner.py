"""Plan a validated GraphQL operation: every selected field becomes part of one plan.

Root fields are plan functions (schema.meta.root_field): called with their coerced
arguments they return the rows to answer with. Nested fields are the declarations of
their type (values and relationships). The result, `OperationPlan`, is either a list
of root plans with their selections, ready for db.sqlbuild.operation_statement, or the
errors a resolver would have raised (argument mistakes, variable coercion).
A field that has no plan is a bug, reported as `NotPlannable`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
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
    VariableNode,
    located_error,
)
from graphql.execution.values import get_argument_values, get_directive_values, get_variable_values
from strawberry.types.arguments import convert_arguments

from db.sqlbuild import (
    ENTITIES,
    ConnectionShape,
    ObjectShape,
    Pick,
    PolymorphicShape,
    RootPlan,
    Shape,
    TypeName,
)
from schema.reference import TYPES

CONNECTION_FIELDS = {"totalCount": "total", "nodes": "nodes", "edges": "edges", "pageInfo": "page_info"}
EDGE_FIELDS = {"cursor": "cursor", "node": "node"}
PAGE_INFO_FIELDS = {
    "hasNextPage": "has_next",
    "hasPreviousPage": "has_previous",
    "startCursor": "start_cursor",
    "endCursor": "end_cursor",
}


class NotPlannable(Exception):
    """A selected field has no plan: a gap in the declarations, never a client mistake."""


@dataclass
class OperationPlan:
    fields: list[tuple[str, RootPlan | None, Shape]] = field(default_factory=list)
    errors: list[GraphQLError] = field(default_factory=list)
    data_is_null: bool = False  # an error in a non-null root field nulls all data
    introspection: bool = False  # asks the schema itself: executed by graphql-core
    # (variable name, check) of root-field arguments given as a variable (schema.meta.root_field)
    checks: list[tuple[str, Any]] = field(default_factory=list)


def _unwrap(graphql_type: Any) -> Any:
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        graphql_type = graphql_type.of_type
    return graphql_type


def _response_key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


class Planner:
    """Plans one operation of one document against the Strawberry schema."""

    def __init__(
        self, strawberry_schema: Any, document: DocumentNode, operation: OperationDefinitionNode
    ) -> None:
        self.strawberry_schema = strawberry_schema
        self.schema: GraphQLSchema = strawberry_schema._schema
        self.operation = operation
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables: Any = {}
        self.converter = strawberry_schema.config.name_converter

    # --- selections ---------------------------------------------------------------

    def _included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if"):
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and not include.get("if"))

    def _applies(self, condition: str | None, object_type: GraphQLObjectType) -> bool:
        if condition is None or condition == object_type.name:
            return True
        target = self.schema.get_type(condition)
        return isinstance(target, GraphQLInterfaceType) and target in object_type.interfaces

    def collect(
        self, selection_sets: list[SelectionSetNode], object_type: GraphQLObjectType
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key, merged as GraphQL merges them (fragments, directives)."""
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            for node in self._walk(selection_set, object_type):
                fields.setdefault(_response_key(node), []).append(node)
        return fields

    def _walk(self, selection_set: SelectionSetNode, object_type: GraphQLObjectType) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else None
                if self._applies(condition, object_type):
                    yield from self._walk(selection.selection_set, object_type)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition.name.value, object_type):
                    yield from self._walk(fragment.selection_set, object_type)

    @staticmethod
    def _sub(nodes: list[FieldNode]) -> list[SelectionSetNode]:
        return [n.selection_set for n in nodes if n.selection_set is not None]

    # --- shapes -------------------------------------------------------------------

    def shape(self, graphql_type: Any, selection_sets: list[SelectionSetNode]) -> Shape:
        named = _unwrap(graphql_type)
        if isinstance(named, GraphQLInterfaceType):
            implementations = self.schema.get_implementations(named).objects
            return PolymorphicShape(
                {t.name: self.object_shape(t, selection_sets) for t in implementations if t.name in ENTITIES}
            )
        assert isinstance(named, GraphQLObjectType)
        if named.name in ENTITIES:
            return self.object_shape(named, selection_sets)
        if "pageInfo" in named.fields and "edges" in named.fields:
            return self.connection_shape(named, selection_sets)
        raise NotPlannable(named.name)

    def object_shape(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> ObjectShape:
        entity = ENTITIES[object_type.name]
        python_names = self._python_names(object_type.name)
        picks: list[Pick] = []
        for key, nodes in self.collect(selection_sets, object_type).items():
            name = nodes[0].name.value
            python_name = python_names.get(name, "")
            if name == "__typename":
                picks.append(Pick(key, "const", object_type.name))
            elif name == "id" and entity.key is not None:
                picks.append(Pick(key, "global_id"))
            elif python_name in entity.values:
                picks.append(Pick(key, "value", python_name))
            elif python_name in entity.relations:
                graphql_field = object_type.fields[name]
                shape = self.shape(graphql_field.type, self._sub(nodes))
                limit = get_argument_values(graphql_field, nodes[0], self.variables).get("first")
                picks.append(Pick(key, "relation", python_name, shape, limit=limit))
            else:
                raise NotPlannable(f"{object_type.name}.{name}")
        return ObjectShape(object_type.name, tuple(picks))

    def _python_names(self, type_name: str) -> dict[str, str]:
        definition: Any = TYPES[type_name].__strawberry_definition__
        return {self.converter.get_graphql_name(f): f.python_name for f in definition.fields}

    def connection_shape(
        self, connection_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> ConnectionShape:
        picks: list[Pick] = []
        for key, nodes in self.collect(selection_sets, connection_type).items():
            name = nodes[0].name.value
            if name == "__typename":
                picks.append(Pick(key, "const", connection_type.name))
            elif name == "nodes":
                shape = self.shape(connection_type.fields[name].type, self._sub(nodes))
                picks.append(Pick(key, "nodes", shape=shape))
            elif name in ("edges", "pageInfo"):
                sub_type = _unwrap(connection_type.fields[name].type)
                table = EDGE_FIELDS if name == "edges" else PAGE_INFO_FIELDS
                picks.append(
                    Pick(key, CONNECTION_FIELDS[name], picks=self._leaf_picks(sub_type, nodes, table))
                )
            elif name == "totalCount":
                picks.append(Pick(key, "total"))
            else:
                raise NotPlannable(f"{connection_type.name}.{name}")
        return ConnectionShape(tuple(picks))

    def _leaf_picks(
        self, object_type: GraphQLObjectType, nodes: list[FieldNode], table: dict[str, str]
    ) -> tuple[Pick, ...]:
        picks: list[Pick] = []
        for key, sub_nodes in self.collect(self._sub(nodes), object_type).items():
            name = sub_nodes[0].name.value
            if name == "__typename":
                picks.append(Pick(key, "const", object_type.name))
            elif name == "node":
                picks.append(
                    Pick(key, "node", shape=self.shape(object_type.fields[name].type, self._sub(sub_nodes)))
                )
            else:
                picks.append(Pick(key, table[name]))
        return tuple(picks)

    # --- the operation --------------------------------------------------------------

    def plan(self, raw_variables: dict[str, Any]) -> OperationPlan:
        result = OperationPlan()
        coerced = get_variable_values(self.schema, self.operation.variable_definitions or (), raw_variables)
        if isinstance(coerced, list):
            result.errors, result.data_is_null = list(coerced), True
            return result
        self.variables = coerced
        query_type = self.schema.query_type
        assert query_type is not None
        root_fields = self._root_fields()
        for key, nodes in self.collect([self.operation.selection_set], query_type).items():
            name = nodes[0].name.value
            if name == "__typename":
                result.fields.append((key, TypeName(query_type.name), ObjectShape(query_type.name, ())))
                continue
            if name.startswith("__"):
                result.introspection = True
                return result
            graphql_field = query_type.fields[name]
            shape = self.shape(graphql_field.type, self._sub(nodes))
            result.checks += self._variable_checks(root_fields[name], nodes[0])
            try:
                plan = self._call(root_fields[name], graphql_field, nodes[0])
            except GraphQLError as error:
                non_null = isinstance(graphql_field.type, GraphQLNonNull)
                # As in graphql-core: the first error of a non-null field nulls `data`, later ones are not reached.
                if not (non_null and result.data_is_null):
                    result.errors.append(located_error(error, nodes, [key]))
                result.data_is_null = result.data_is_null or non_null
                plan = None
            result.fields.append((key, plan, shape))
        return result

    def _root_fields(self) -> dict[str, Any]:
        definition = self.strawberry_schema.query.__strawberry_definition__
        return {self.converter.get_graphql_name(f): f for f in definition.fields}

    def _variable_checks(self, strawberry_field: Any, node: FieldNode) -> list[tuple[str, Any]]:
        checks = strawberry_field.metadata.get("checks") or {}
        python_names = {self.converter.get_graphql_name(a): a.python_name for a in strawberry_field.arguments}
        return [
            (argument.value.name.value, checks[python_names[argument.name.value]])
            for argument in node.arguments or ()
            if isinstance(argument.value, VariableNode) and python_names.get(argument.name.value) in checks
        ]

    def _call(self, strawberry_field: Any, graphql_field: Any, node: FieldNode) -> RootPlan | None:
        if not strawberry_field.metadata.get("planned"):
            raise NotPlannable(strawberry_field.python_name)
        raw = get_argument_values(graphql_field, node, self.variables)
        kwargs = convert_arguments(
            raw,
            strawberry_field.arguments,
            scalar_registry=self.strawberry_schema.schema_converter.scalar_registry,
            config=self.strawberry_schema.config,
        )
        plan: RootPlan | None = strawberry_field.base_resolver.wrapped_func(None, **kwargs)
        return plan


def find_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return operations[0] if len(operations) == 1 else None
