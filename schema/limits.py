"""Request limits, checked on bounded work before any costly work.

1. Document size and token count: a query longer than `max_query_length` characters is
   not parsed, and the parser stops at `max_tokens` (the HTTP layer refuses bodies over
   its byte limit before anything is read into memory).
2. The document's shape: depth, aliases, selections after fragment expansion and
   repeated response names, measured with each fragment measured once (memoised), so
   a fragment spread many times costs one measurement, not one per spread. Only a
   document within these bounds reaches graphql-core's validation, whose
   field-overlap check would otherwise grow with the square of repeated fields.
3. Arguments: `first`/`last` must be 0..100, lists at most `max_list_items` long and
   strings at most `max_string_length` characters, everywhere in the document (also
   under `@skip`), before any cost is computed with them.
4. The estimated cost (page sizes times nested lists), each fragment costed once.

Parsed documents and their validation results are cached per query text in one cache
bounded in entries and in (estimated) bytes.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    parse,
    value_from_ast_untyped,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError

from config.limits import Limits
from schema.errors import UserInputError
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# Expected items of a plain (non-connection) list field: the curated relationships are small.
LIST_ESTIMATE = 10
# Counts past this are all "too many": keeps the arithmetic small for fragment fan-out.
SATURATED = 10**12
# Bytes a cached document takes per character of its query text (AST, tokens, locations);
# measured with tracemalloc on the README examples (about 20), rounded up.
CACHE_BYTES_PER_CHAR = 32
PAGE_ARGUMENTS = ("first", "last")
# Stands in for a query too long to parse, so that the refusal goes the usual way.
_PLACEHOLDER = parse("{ __typename }")


class QueryTooComplexError(GraphQLError):
    def __init__(self, message: str, cost: int | None = None, limit: int | None = None) -> None:
        extensions: dict[str, Any] = {"code": "QUERY_TOO_COMPLEX"}
        if cost is not None:
            extensions["cost"] = {"requested": cost, "limit": limit}
        super().__init__(message, extensions=extensions)


class OperationNameRequired(CannotGetOperationTypeError):
    """Several operations and no `operationName`: a request error (HTTP 400), as the spec says."""

    def __init__(self) -> None:
        super().__init__(None)

    def as_http_error_reason(self) -> str:
        return "The document has several operations; name the one to run in `operationName`."


def _add(a: int, b: int) -> int:
    return min(a + b, SATURATED)


def _mul(a: int, b: int) -> int:
    return min(a * b, SATURATED)


def _count(value: int) -> str:
    return f"more than {SATURATED:.0e}" if value >= SATURATED else str(value)


# --- 2. the document's shape ------------------------------------------------------------


@dataclass
class Shape:
    """A selection set after fragment expansion: how deep, how many aliases and fields, which
    response names it selects directly (with counts) and the most repeats of one name in any
    selection set below it."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    names: Counter[str] = field(default_factory=Counter)
    repeats: int = 0

    def merge(self, other: Shape, times: int = 1) -> None:
        """Add a fragment's shape (its names become this selection set's names)."""
        self.depth = max(self.depth, other.depth)
        self.aliases = _add(self.aliases, _mul(other.aliases, times))
        self.fields = _add(self.fields, _mul(other.fields, times))
        for name, count in other.names.items():
            self.names[name] = _add(self.names[name], _mul(count, times))
        self.repeats = max(self.repeats, other.repeats)

    def nest(self, child: Shape, introspection: bool) -> None:
        """Add a field's sub-selection (its names stay below)."""
        if not introspection:
            self.depth = max(self.depth, 1 + child.depth)
        self.aliases = _add(self.aliases, child.aliases)
        self.fields = _add(self.fields, child.fields)
        self.repeats = max(self.repeats, child.repeats)


class ShapeMeter:
    """Measures selection sets; each fragment is measured once per document."""

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, Shape] = {}

    def fragment(self, name: str) -> Shape:
        if name not in self.measured:
            definition = self.fragments.get(name)
            self.measured[name] = Shape()  # a cycle (refused by validation) counts as empty
            if definition is not None:
                self.measured[name] = self.selection_set(definition.selection_set)
        return self.measured[name]

    def selection_set(self, selection_set: SelectionSetNode) -> Shape:
        shape = Shape()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shape.fields = _add(shape.fields, 1)
                if selection.alias is not None:
                    shape.aliases = _add(shape.aliases, 1)
                response_name = (selection.alias or selection.name).value
                shape.names[response_name] = _add(shape.names[response_name], 1)
                if selection.selection_set is not None:
                    child = self.selection_set(selection.selection_set)
                    shape.nest(child, introspection=selection.name.value.startswith("__"))
            elif isinstance(selection, InlineFragmentNode):
                shape.merge(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                shape.merge(self.fragment(selection.name.value))
        shape.repeats = max(shape.repeats, max(shape.names.values(), default=0))
        return shape


def shape_errors(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """Errors of a document whose shape is over a limit (empty when it is within them)."""
    meter = ShapeMeter(document)
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            shape = meter.fragment(definition.name.value)
        elif isinstance(definition, OperationDefinitionNode):
            shape = meter.selection_set(definition.selection_set)
        else:
            continue
        name = definition.name.value if definition.name else "anonymous"
        checks = (
            (shape.depth, limits.max_depth, f"'{name}' exceeds maximum operation depth of {limits.max_depth}"),
            (shape.aliases, limits.max_aliases, f"{_count(shape.aliases)} aliases found. Allowed: {limits.max_aliases}"),
            (shape.fields, limits.max_selections,
             f"'{name}' selects {_count(shape.fields)} fields once fragments are expanded; at most "
             f"{limits.max_selections} are allowed"),
            (shape.repeats, limits.max_repeats,
             f"'{name}' selects one field {_count(shape.repeats)} times in one selection set (fragments "
             f"expanded); at most {limits.max_repeats} are allowed"),
        )  # fmt: skip
        for value, limit, message in checks:
            if value > limit:
                return [QueryTooComplexError(message)]
    return []


# --- 3. arguments and 4. cost ------------------------------------------------------------


def _named_type(graphql_type: GraphQLOutputType) -> tuple[Any, bool]:
    """The innermost type and whether a list wraps it."""
    is_list = False
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        if isinstance(graphql_type, GraphQLList):
            is_list = True
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


class ArgumentChecker:
    """Refuses argument values that no field accepts, before they are used for anything."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def check(self, node: FieldNode, name: str, value: Any) -> None:
        if name in PAGE_ARGUMENTS and value is not None and not _is_page_size(value):
            raise UserInputError(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}; got {_show(value)}.")
        self.check_value(node, name, value)

    def check_value(self, node: FieldNode, name: str, value: Any) -> None:
        if isinstance(value, str):
            if len(value) > self.limits.max_string_length:
                raise UserInputError(
                    f"`{name}` of `{node.name.value}`: a text argument has at most "
                    f"{self.limits.max_string_length} characters; got {len(value)}."
                )
        elif isinstance(value, list):
            if len(value) > self.limits.max_list_items:
                raise UserInputError(
                    f"`{name}` of `{node.name.value}`: at most {self.limits.max_list_items} items; "
                    f"got {len(value)}."
                )
            for item in value:
                self.check_value(node, name, item)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.check_value(node, key, item)


def _is_page_size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PAGE_SIZE


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class CostCalculator:
    """Cost = fields that may be resolved, with page sizes and list estimates multiplied in.

    Every argument is checked on the way (ArgumentChecker); each fragment is costed once.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.arguments = ArgumentChecker(limits)
        self.fragment_costs: dict[str, int] = {}

    def argument_values(self, node: FieldNode) -> dict[str, Any]:
        values = {}
        for argument in node.arguments or ():
            name = argument.name.value
            value = value_from_ast_untyped(argument.value, self.variables)
            if value is Undefined:  # a variable left out, without a default: the argument is absent
                continue
            values[name] = value
            self.arguments.check(node, name, value)
        return values

    def multiplier(self, arguments: dict[str, Any], type_name: str, is_list: bool) -> int:
        if type_name.endswith("Connection"):
            sizes = [v for v in (arguments.get("first"), arguments.get("last")) if isinstance(v, int)]
            return max(sizes) if sizes else DEFAULT_PAGE_SIZE
        if is_list:
            for name in ("first", "ids", "names", "identifiers"):
                value = arguments.get(name)
                if isinstance(value, int) and not isinstance(value, bool):
                    return max(value, 1)
                if isinstance(value, list):
                    return max(len(value), 1)
            return LIST_ESTIMATE
        return 1

    def fragment_cost(self, name: str, parent: Any) -> int:
        if name not in self.fragment_costs:
            self.fragment_costs[name] = 0  # a cycle (refused by validation) costs nothing more
            fragment = self.fragments.get(name)
            if fragment is not None:
                target = self.schema.get_type(fragment.type_condition.name.value) or parent
                self.fragment_costs[name] = self.selection_cost(fragment.selection_set, target)
        return self.fragment_costs[name]

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total = _add(total, self.field_cost(selection, parent))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total = _add(total, self.selection_cost(selection.selection_set, target or parent))
            elif isinstance(selection, FragmentSpreadNode):
                total = _add(total, self.fragment_cost(selection.name.value, parent))
        return total

    def field_cost(self, node: FieldNode, parent: Any) -> int:
        arguments = self.argument_values(node)
        name = node.name.value
        if name == "__typename":
            return 0
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 1
        named, is_list = _named_type(definition.type)
        children = self.selection_cost(node.selection_set, named) if node.selection_set else 0
        if getattr(parent, "name", "").endswith("Connection"):
            # edges / nodes are the page itself: its size was counted at the connection.
            return _add(1, children)
        return _add(1, _mul(self.multiplier(arguments, getattr(named, "name", ""), is_list), children))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    limits: Limits | None = None,
) -> int:
    """The operation's estimated cost; raises UserInputError for an argument out of bounds."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if not operations:
        return 0
    operation = operations[0]
    # Defaults of variables the request left out count as sent (as the execution sees them);
    # values that do not coerce are reported by the execution, so they are costed as sent.
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    values = variables if isinstance(coerced, list) else coerced.coerced
    calculator = CostCalculator(schema, fragments, values, limits or Limits())
    cost = calculator.selection_cost(operation.selection_set, schema.get_root_type(operation.operation))
    # Fragments the operation does not spread are checked too: nothing in the document escapes.
    for name in fragments:
        calculator.fragment_cost(name, None)
    return cost


# --- the cache ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedDocument:
    document: DocumentNode
    errors: tuple[GraphQLError, ...]
    size: int


class DocumentCache:
    """Parsed and validated documents by query text, bounded in entries and estimated bytes.

    A document larger than a sixteenth of the byte bound is not kept, so that one huge
    query cannot evict everything else.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> CachedDocument | None:
        entry = self._entries.get(query)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(query)
        else:
            self.misses += 1
        return entry

    def put(self, query: str, document: DocumentNode, errors: list[GraphQLError]) -> None:
        size = len(query) * CACHE_BYTES_PER_CHAR + 256
        if size > self.max_bytes // 16 or query in self._entries:
            return
        self._entries[query] = CachedDocument(document, tuple(errors), size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.bytes -= old.size


# --- the extension --------------------------------------------------------------------------


class QueryLimits(SchemaExtension):
    """Applies the limits in order (tokens, shape, validation, arguments, cost) and reports the cost.

    One instance per request; `state` (limits, extra rules, cache) is shared by all.
    """

    def __init__(self, state: LimitState) -> None:
        self.state = state
        self.cached: CachedDocument | None = None
        self.too_long = False
        self.cost: int | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.state.limits.max_tokens
        context.validation_rules = context.validation_rules + self.state.rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and len(context.query) > self.state.limits.max_query_length:
            self.too_long = True
            context.graphql_document = _PLACEHOLDER
        elif context.query is not None and context.graphql_document is None:
            self.cached = self.state.cache.get(context.query)
            if self.cached is not None:
                context.graphql_document = self.cached.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if self.too_long:
            length, limit = len(context.query or ""), self.state.limits.max_query_length
            message = f"The query has {length} characters; at most {limit} are allowed."
            context.pre_execution_errors = [QueryTooComplexError(message)]
            yield
            return
        if context._provided_operation_name is None and document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                raise OperationNameRequired
        if self.cached is not None:
            context.pre_execution_errors = list(self.cached.errors)
        elif document is not None:
            # Only a document within the shape limits reaches graphql-core's validation.
            context.pre_execution_errors = shape_errors(document, self.state.limits) or None
        yield
        if self.cached is None and document is not None and context.query is not None:
            self.state.cache.put(context.query, document, context.pre_execution_errors or [])

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        limit = self.state.limits.max_cost
        if context.graphql_document is not None:
            try:
                self.cost = operation_cost(
                    context.schema._schema,
                    context.graphql_document,
                    context.operation_name,
                    context.variables or {},
                    self.state.limits,
                )
            except UserInputError as refused:
                context.result = GraphQLExecutionResult(data=None, errors=[refused])
            else:
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
        limit = self.state.limits.max_cost
        return {} if self.cost is None else {"cost": {"requested": self.cost, "limit": limit}}


@dataclass
class LimitState:
    """What every request's QueryLimits shares: the limits, the extra rules, the document cache."""

    limits: Limits
    rules: tuple[type[ASTValidationRule], ...]
    cache: DocumentCache


def limit_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Extension factories for the schema; the shared state is created here, once."""
    rules: tuple[type[ASTValidationRule], ...] = ()
    if not limits.introspection:
        rules = (NoSchemaIntrospectionCustomRule,)
    state = LimitState(limits, rules, DocumentCache(limits.cache_entries, limits.cache_bytes))
    return [lambda: QueryLimits(state)]
