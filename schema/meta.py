"""Declare each GraphQL type's table, columns and relationships once.

A type is a Strawberry type whose plain fields carry their SQL expression (`column`) and
whose relationship fields carry a `Relation` (`many_to_one`, `one_to_many`,
`many_to_many`). From that declaration this module derives the row mapping, the SQL of
every per-request DataLoader, and the field resolvers. The operation compiler of a later
issue reads the same metadata.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import asyncpg
import strawberry
from strawberry.dataloader import DataLoader

if TYPE_CHECKING:
    from schema.context import Context

T = TypeVar("T")


@strawberry.type
class Entity:
    """Base of every table-backed type: the row id and foreign keys, kept private."""

    row_id: strawberry.Private[int]
    key: strawberry.Private[str]
    foreign_keys: strawberry.Private[dict[str, int | None]]


@dataclass(frozen=True)
class Relation:
    """How a relationship field reaches its target rows.

    kind:
      many_to_one  the parent row holds `column`, the target's id;
      one_to_many  the target table holds `column`, the parent's id (`single` for 1:1);
      many_to_many a link table holds (`parent_column`, `target_column`).
    """

    target: str
    kind: Literal["many_to_one", "one_to_many", "many_to_many"]
    column: str = ""
    link_table: str = ""
    parent_column: str = ""
    target_column: str = ""
    order_by: str = ""
    single: bool = False


@dataclass
class EntityMeta:
    """Everything derived from one type's declaration."""

    cls: type[Any]
    name: str
    table: str
    id_sql: str
    key_sql: str
    order_by: str
    columns: dict[str, str] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    foreign_key_columns: tuple[str, ...] = ()

    @property
    def select_list(self) -> str:
        parts = [f"{self.id_sql} AS __id", f"({self.key_sql})::text AS __key"]
        parts += [f'{sql} AS "{name}"' for name, sql in self.columns.items()]
        parts += [f'{column_sql(c)} AS "__fk_{c}"' for c in self.foreign_key_columns]
        return ", ".join(parts)

    def from_row(self, row: asyncpg.Record) -> Any:
        values = {name: row[name] for name in self.columns}
        foreign_keys = {c: row[f"__fk_{c}"] for c in self.foreign_key_columns}
        return self.cls(row_id=row["__id"], key=row["__key"], foreign_keys=foreign_keys, **values)


def column_sql(column: str) -> str:
    return column if "." in column or "(" in column else f"t.{column}"


REGISTRY: dict[str, EntityMeta] = {}


def column(sql: str | None = None, *, description: str) -> Any:
    """A field read from the row; `sql` is an expression over the table alias `t`."""
    return strawberry.field(description=description, metadata={"sql": sql})


def _relation_field(relation: Relation, description: str) -> Any:
    async def resolve(root: Any, info: strawberry.Info[Context, None]) -> Any:
        return await info.context.loaders.load(relation, root)

    return strawberry.field(resolver=resolve, description=description, metadata={"relation": relation})


def many_to_one(target: str, column: str, *, description: str) -> Any:
    return _relation_field(Relation(target=target, kind="many_to_one", column=column), description)


def one_to_many(target: str, column: str, *, order_by: str = "", description: str) -> Any:
    return _relation_field(
        Relation(target=target, kind="one_to_many", column=column, order_by=order_by), description
    )


def one_to_one(target: str, column: str, *, description: str) -> Any:
    return _relation_field(
        Relation(target=target, kind="one_to_many", column=column, single=True), description
    )


def many_to_many(
    target: str,
    link_table: str,
    parent_column: str,
    target_column: str,
    *,
    order_by: str = "",
    description: str,
) -> Any:
    relation = Relation(
        target=target,
        kind="many_to_many",
        link_table=link_table,
        parent_column=parent_column,
        target_column=target_column,
        order_by=order_by,
    )
    return _relation_field(relation, description)


def entity(*, table: str, order_by: str, id_sql: str = "t.id", key_sql: str | None = None) -> Any:
    """Register a Strawberry type as backed by `table` (apply above @strawberry.type).

    `key_sql` is the natural key the global ID is built from (stable across reloads);
    it defaults to the row id for types that are not fetched on their own.
    """

    def register(cls: type[T]) -> type[T]:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        meta = EntityMeta(
            cls=cls,
            name=definition.name,
            table=table,
            id_sql=id_sql,
            key_sql=key_sql or id_sql,
            order_by=order_by,
        )
        foreign_keys: list[str] = []
        for f in definition.fields:
            if "relation" in f.metadata:
                relation: Relation = f.metadata["relation"]
                meta.relations[f.python_name] = relation
                if relation.kind == "many_to_one" and relation.column not in foreign_keys:
                    foreign_keys.append(relation.column)
            elif "sql" in f.metadata:
                meta.columns[f.python_name] = column_sql(f.metadata["sql"] or f.python_name)
        meta.foreign_key_columns = tuple(foreign_keys)
        REGISTRY[meta.name] = meta
        cls.__entity__ = meta  # type: ignore[attr-defined]
        return cls

    return register


def meta_of(cls: type[Any]) -> EntityMeta:
    meta: EntityMeta = cls.__entity__
    return meta


def relation_sql(relation: Relation) -> str:
    """The batch statement for one relationship; $1 is the array of keys."""
    target = REGISTRY[relation.target]
    order = relation.order_by or target.order_by
    if relation.kind == "many_to_one":
        return f"SELECT {target.select_list} FROM {target.table} t WHERE {target.id_sql} = ANY($1::int[])"
    if relation.kind == "one_to_many":
        return (
            f"SELECT t.{relation.column} AS __parent, {target.select_list} FROM {target.table} t "
            f"WHERE t.{relation.column} = ANY($1::int[]) ORDER BY {order}"
        )
    return (
        f"SELECT l.{relation.parent_column} AS __parent, {target.select_list} "
        f"FROM {relation.link_table} l JOIN {target.table} t ON {target.id_sql} = l.{relation.target_column} "
        f"WHERE l.{relation.parent_column} = ANY($1::int[]) ORDER BY {order}"
    )


@dataclass(frozen=True)
class ListPlan:
    """What a root resolver would select: rows of `meta` matching `where`, in order."""

    meta: EntityMeta
    where: str
    args: list[Any]
    order_by: str
    limit: int | None


class Planned(Exception):
    """Raised by query helpers in planning mode, carrying the plan instead of results."""

    def __init__(self, plan: Any) -> None:
        super().__init__("planned")
        self.plan = plan


class Loaders:
    """One DataLoader per relationship, created on first use within a request."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._loaders: dict[Relation, DataLoader[int, Any]] = {}
        self._by_id: dict[str, DataLoader[int, Any]] = {}

    def _make(self, relation: Relation) -> DataLoader[int, Any]:
        sql = relation_sql(relation)
        target = REGISTRY[relation.target]
        runner = self._context.db

        async def load_many_to_one(keys: list[int]) -> list[Any]:
            rows = await runner.fetch(sql, list(keys))
            by_id = {row["__id"]: target.from_row(row) for row in rows}
            return [by_id.get(key) for key in keys]

        async def load_grouped(keys: list[int]) -> list[Any]:
            rows = await runner.fetch(sql, list(keys))
            grouped: dict[int, list[Any]] = defaultdict(list)
            for row in rows:
                grouped[row["__parent"]].append(target.from_row(row))
            if relation.single:
                return [grouped[key][0] if grouped.get(key) else None for key in keys]
            return [grouped.get(key, []) for key in keys]

        load = load_many_to_one if relation.kind == "many_to_one" else load_grouped
        return DataLoader(load_fn=load)

    async def load_entity(self, type_name: str, row_id: int) -> Any:
        """One entity by row id; ids asked for in the same tick are fetched in one statement."""
        loader = self._by_id.get(type_name)
        if loader is None:
            meta = REGISTRY[type_name]
            sql = f"SELECT {meta.select_list} FROM {meta.table} t WHERE {meta.id_sql} = ANY($1::int[])"
            runner = self._context.db

            async def load(keys: list[int]) -> list[Any]:
                rows = await runner.fetch(sql, list(keys))
                by_id = {row["__id"]: meta.from_row(row) for row in rows}
                return [by_id.get(key) for key in keys]

            loader = self._by_id[type_name] = DataLoader(load_fn=load)
        return await loader.load(row_id)

    async def load(self, relation: Relation, parent: Entity) -> Any:
        if relation.kind == "many_to_one":
            key = parent.foreign_keys.get(relation.column)
            if key is None:
                return None
        else:
            key = parent.row_id
        loader = self._loaders.get(relation)
        if loader is None:
            loader = self._loaders[relation] = self._make(relation)
        return await loader.load(key)


async def select_entities(
    context: Context,
    cls: type[T],
    where: str = "",
    *args: Any,
    order_by: str | None = None,
    limit: int | None = None,
) -> list[T]:
    """Root-field helper: rows of one entity type, filtered by a SQL `where` over `t`."""
    meta = meta_of(cls)
    if getattr(context, "planning", False):
        # The operation compiler calls the resolver to learn its query, not to run it.
        raise Planned(
            ListPlan(
                meta=meta,
                where=where or "true",
                args=list(args),
                order_by=order_by or meta.order_by,
                limit=limit,
            )
        )
    sql = f"SELECT {meta.select_list} FROM {meta.table} t"
    if where:
        sql += f" WHERE {where}"
    sql += f" ORDER BY {order_by or meta.order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    rows = await context.db.fetch(sql, *args)
    return [meta.from_row(row) for row in rows]


async def select_one(context: Context, cls: type[T], where: str, *args: Any) -> T | None:
    found = await select_entities(context, cls, where, *args, limit=1)
    return found[0] if found else None
