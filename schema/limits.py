"""Request limits: depth, aliases, tokens, and a cost bound computed before execution.

Validation rules are built once when the schema is built, so the validation cache (keyed
by the rule classes) keeps working across requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as create_alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_validator

from config.limits import Limits
from schema.pagination import DEFAULT_PAGE_SIZE

# Expected items of a plain (non-connection) list field: the curated relationships are small.
LIST_ESTIMATE = 10


class QueryTooComplexError(GraphQLError):
    def __init__(self, message: str, cost: int | None = None, limit: int | None = None) -> None:
        extensions: dict[str, Any] = {"code": "QUERY_TOO_COMPLEX"}
        if cost is not None:
            extensions["cost"] = {"requested": cost, "limit": limit}
        super().__init__(message, extensions=extensions)


def _named_type(graphql_type: GraphQLOutputType) -> tuple[Any, bool]:
    """The innermost type and whether a list wraps it."""
    is_list = False
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        if isinstance(graphql_type, GraphQLList):
            is_list = True
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


class CostCalculator:
    """Cost = fields that may be resolved, with page sizes and list estimates multiplied in."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return value_from_ast_untyped(argument.value, self.variables)
        return None

    def multiplier(self, node: FieldNode, type_name: str, is_list: bool) -> int:
        if type_name.endswith("Connection"):
            first, last = self.argument(node, "first"), self.argument(node, "last")
            sizes = [v for v in (first, last) if isinstance(v, int)]
            return max(sizes) if sizes else DEFAULT_PAGE_SIZE
        if is_list:
            for name in ("first", "ids", "names", "identifiers"):
                value = self.argument(node, name)
                if isinstance(value, int):
                    return max(value, 1)
                if isinstance(value, list):
                    return max(len(value), 1)
            return LIST_ESTIMATE
        return 1

    def selection_cost(
        self, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str]
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_cost(selection.selection_set, target or parent, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_cost(fragment.selection_set, target or parent, seen | {name})
        return total

    def field_cost(self, node: FieldNode, parent: Any, seen: frozenset[str]) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        fields = getattr(parent, "fields", {})
        definition = fields.get(name)
        if definition is None:
            return 1
        named, is_list = _named_type(definition.type)
        children = self.selection_cost(node.selection_set, named, seen) if node.selection_set else 0
        if getattr(parent, "name", "").endswith("Connection"):
            # edges / nodes are the page itself: its size was counted at the connection.
            return 1 + children
        return 1 + self.multiplier(node, getattr(named, "name", ""), is_list) * children


def operation_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: dict[str, Any]
) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if not operations:
        return 0
    operation = operations[0]
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    return CostCalculator(schema, fragments, variables).selection_cost(
        operation.selection_set, root, frozenset()
    )


def cost_limit_extension(limit: int) -> Callable[[], SchemaExtension]:
    class CostLimit(SchemaExtension):
        """Refuses an operation whose estimated cost exceeds the bound; reports the cost."""

        cost: int | None = None

        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                self.cost = operation_cost(
                    context.schema._schema,
                    context.graphql_document,
                    context.operation_name,
                    context.variables or {},
                )
                if self.cost > limit:
                    error = QueryTooComplexError(
                        f"Query cost {self.cost} exceeds the limit of {limit}; ask for smaller pages "
                        "(first/last) or fewer nested lists.",
                        self.cost,
                        limit,
                    )
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
            yield

        def get_results(self) -> dict[str, Any]:
            return {} if self.cost is None else {"cost": {"requested": self.cost, "limit": limit}}

    return CostLimit


def limit_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Extension factories for the schema; rule classes are created here, once."""
    rules: list[Any] = [
        create_depth_validator(limits.max_depth, None, None),
        create_alias_validator(limits.max_aliases),
    ]
    if not limits.introspection:
        from graphql.validation import NoSchemaIntrospectionCustomRule

        rules.append(NoSchemaIntrospectionCustomRule)
    frozen_rules = list(rules)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: AddValidationRules(frozen_rules),
        cost_limit_extension(limits.max_cost),
    ]
