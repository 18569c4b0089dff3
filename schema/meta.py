"""Declare each GraphQL type's rows, values and relationships once, on the type itself.

A table-backed type is a Strawberry type decorated with `@entity(...)`; its plain fields
are `column(...)` (a value read from the row) and its relationship fields
`many_to_one`, `one_to_many`, `one_to_one`, `many_to_many` or `related(...)` (any
correlated rows). `@entity` turns the declaration into a `db.sqlbuild.Entity`, which
the planner (schema.planner) and the reference executor (schema.reference) both read.
Root fields are plan functions (`root_field`): they return the rows to answer with.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy import ColumnElement, FromClause, Table
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryContainer
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField

from db.queries import text_problem
from db.sqlbuild import ENTITIES, Entity, Polymorphic, Relation, Rows, Value, register
from schema.context import Context
from schema.errors import UserInputError
from schema.reference import ENUM_FIELDS, TYPES

T = TypeVar("T")
RowExpr = Callable[[FromClause], ColumnElement[Any]]
OrderBy = Callable[[FromClause], list[ColumnElement[Any]]]


def column(
    read: str | RowExpr | None = None, *, description: str, deprecation_reason: str | None = None
) -> Any:
    """A value of the row: a column name (default: the field's name) or an expression of the row."""
    return strawberry.field(
        description=description, deprecation_reason=deprecation_reason, metadata={"read": read}
    )


@dataclass(frozen=True)
class _RelationSpec:
    """A relationship field before its parent is known: `build(parent entity)` makes the Relation."""

    build: Callable[[Entity], Relation | Polymorphic]


NESTED_LIST_SIZE = 100
First = Annotated[
    int,
    strawberry.argument(
        description=f"At most this many items, in the list's order (default and maximum {NESTED_LIST_SIZE}); "
        "the root lists page through more."
    ),
]


def _relation_field(
    build: Callable[[Entity], Relation | Polymorphic], description: str, *, is_list: bool
) -> Any:
    async def resolve_one(root: Any, info: strawberry.Info[Context, None]) -> Any:
        return await info.context.loaders.load(root, info.python_name)

    async def resolve_list(
        root: Any, info: strawberry.Info[Context, None], first: First = NESTED_LIST_SIZE
    ) -> Any:
        # A list that grows with the data is cut, so no answer grows with the database.
        return await info.context.loaders.load(root, info.python_name, first)

    return strawberry.field(
        resolver=resolve_list if is_list else resolve_one,
        description=description,
        metadata={"relation": _RelationSpec(build)},
    )


def _order(target: str, order_by: OrderBy | None, row: FromClause) -> list[ColumnElement[Any]]:
    return order_by(row) if order_by is not None else ENTITIES[target].order_by(row)


def many_to_one(target: str, column_name: str, *, description: str) -> Any:
    def build(parent: Entity) -> Relation:
        def rows(parent_row: FromClause) -> Rows:
            entity = ENTITIES[target]
            row = entity.alias()
            return Rows(row=row, source=row, where=[row.c[entity.id_column] == parent_row.c[column_name]])

        return Relation(target, rows, (column_name,), single=True)

    return _relation_field(build, description, is_list=False)


def one_to_many(
    target: str, column_name: str, *, order_by: OrderBy | None = None, description: str, single: bool = False
) -> Any:
    def build(parent: Entity) -> Relation:
        def rows(parent_row: FromClause) -> Rows:
            row = ENTITIES[target].alias()
            return Rows(
                row=row,
                source=row,
                where=[row.c[column_name] == parent_row.c[parent.id_column]],
                order_by=_order(target, order_by, row),
            )

        return Relation(target, rows, (parent.id_column,), single=single)

    return _relation_field(build, description, is_list=not single)


def one_to_one(target: str, column_name: str, *, description: str) -> Any:
    return one_to_many(target, column_name, description=description, single=True)


def many_to_many(
    target: str,
    link: Table,
    parent_column: str,
    target_column: str,
    *,
    order_by: OrderBy | None = None,
    description: str,
) -> Any:
    def build(parent: Entity) -> Relation:
        def rows(parent_row: FromClause) -> Rows:
            entity = ENTITIES[target]
            row = entity.alias()
            link_row = link.alias()
            return Rows(
                row=row,
                source=link_row.join(row, row.c[entity.id_column] == link_row.c[target_column]),
                where=[link_row.c[parent_column] == parent_row.c[parent.id_column]],
                order_by=_order(target, order_by, row),
            )

        return Relation(target, rows, (parent.id_column,))

    return _relation_field(build, description, is_list=True)


def related(
    target: str,
    rows: Callable[[FromClause], Rows],
    parent_columns: tuple[str, ...],
    *,
    description: str,
    single: bool = False,
) -> Any:
    """Any correlated rows: `rows(parent_row)` selects the target rows of one parent."""
    return _relation_field(
        lambda parent: Relation(target, rows, parent_columns, single=single), description, is_list=not single
    )


def polymorphic(type_column: str, id_column: str, targets: dict[str, str], *, description: str) -> Any:
    """An entity of one of several types, named by `type_column` and found by `id_column`."""
    return _relation_field(
        lambda parent: Polymorphic(type_column, id_column, targets), description, is_list=False
    )


def _enum_class(field: StrawberryField) -> type[Enum] | None:
    field_type: Any = field.type
    while isinstance(field_type, StrawberryContainer):
        field_type = field_type.of_type
    definition = getattr(field_type, "__strawberry_definition__", None) or field_type
    if isinstance(definition, StrawberryEnumDefinition):
        enum_class: Any = definition.wrapped_cls
        return enum_class  # type: ignore[no-any-return]
    return None


def _value(field: StrawberryField, enum_class: type[Enum] | None) -> Value:
    # Enum values leave the database as their API names, on both executors.
    mapping = None if enum_class is None else {str(m.value): m.name for m in enum_class}
    read = field.metadata["read"]
    field_type: Any = field.type
    while isinstance(field_type, StrawberryContainer):
        field_type = field_type.of_type
    is_float = field_type is float
    if read is None or isinstance(read, str):
        name = read or field.python_name
        return Value(lambda row: row.c[name], mapping, is_float)
    return Value(read, mapping, is_float)


def entity(
    *,
    source: Table | Callable[[], FromClause],
    order_by: OrderBy,
    key: RowExpr | None = None,
    id_column: str = "id",
) -> Callable[[type[T]], type[T]]:
    """Register a Strawberry type as backed by rows of `source` (apply above @strawberry.type).

    `key` is the natural key the global ID is built from (stable across reloads).
    """

    def register_type(cls: type[T]) -> type[T]:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        alias: Callable[[], FromClause] = source.alias if isinstance(source, Table) else source
        declared = Entity(name=definition.name, alias=alias, id_column=id_column, order_by=order_by, key=key)
        for f in definition.fields:
            if "relation" in f.metadata:
                declared.relations[f.python_name] = f.metadata["relation"].build(declared)
            elif "read" in f.metadata:
                enum_class = _enum_class(f)
                if enum_class is not None:
                    ENUM_FIELDS[(declared.name, f.python_name)] = enum_class
                declared.values[f.python_name] = _value(f, enum_class)
        register(declared)
        TYPES[declared.name] = cls
        cls.__entity__ = declared  # type: ignore[attr-defined]
        return cls

    return register_type


def entity_of(cls: type[Any]) -> Entity:
    declared: Entity = cls.__entity__
    return declared


class PlannedField(FieldExtension):
    """The resolver is a plan function; the reference executor runs the plan it returns."""

    async def resolve_async(
        self, next_: Any, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> Any:
        plan = next_(source, info, **kwargs)
        if inspect.isawaitable(plan):  # Strawberry wraps the plain function for async execution
            plan = await plan
        return await info.context.loaders.run_root(plan)


def _strings(value: Any) -> Iterator[str]:
    """Every string in arguments (input objects, lists, enums excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, Enum):
        yield from _strings(vars(value))


ArgumentCheck = Callable[[Any], str | None]


def root_field(
    *, description: str, graphql_type: Any, checks: dict[str, ArgumentCheck] | None = None
) -> Callable[[Callable[..., Any]], Any]:
    """A root field whose function returns a plan (db.sqlbuild.One / Many / Page / Each / None).

    `checks` name arguments whose value is checked but passed on unchanged (a problem
    text, or None): such a value can be bound as a statement parameter, and a cached plan
    runs the checks again on each new value (schema.engine)."""
    argument_checks = dict(checks or {})

    def wrap(plan_function: Callable[..., Any]) -> Any:
        @functools.wraps(plan_function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            # Text PostgreSQL cannot hold is this field's argument error, on both executors.
            for value in _strings(kwargs):
                if (problem := text_problem(value)) is not None:
                    raise UserInputError(problem)
            for name, check in argument_checks.items():
                if name in kwargs and (problem := check(kwargs[name])) is not None:
                    raise UserInputError(problem)
            return plan_function(*args, **kwargs)

        return strawberry.field(
            resolver=checked,
            description=description,
            graphql_type=graphql_type,
            extensions=[PlannedField()],
            metadata={"planned": True, "checks": argument_checks},
        )

    return wrap
