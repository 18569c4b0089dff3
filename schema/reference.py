"""The reference executor: Strawberry resolves every field, one statement per relationship batch.

It runs the same plans through the same builder (db.sqlbuild) as the compiled path, but
as rows turned into Python objects: root plans become rows, connections and pages;
relationships are loaded per request by one DataLoader each, keyed by the parent
columns the relationship reads. Tests compare its answers with the compiled path's.
"""

from __future__ import annotations

from collections import defaultdict
from enum import Enum
from typing import Any

from sqlalchemy import Select
from strawberry.dataloader import DataLoader

from db.queries import QueryRunner
from db.sqlbuild import (
    ENTITIES,
    Each,
    Many,
    One,
    Page,
    Polymorphic,
    Relation,
    RootPlan,
    by_ids_statement,
    page_statement,
    relation_batch_statement,
    rows_statement,
)
from db.store import compile_statement
from schema.pagination import Connection, Edge, PageInfo

TYPES: dict[str, type[Any]] = {}  # entity name -> Strawberry class
ENUM_FIELDS: dict[tuple[str, str], type[Enum]] = {}  # (entity, value) -> enum class


def make_object(entity_name: str, record: Any) -> Any:
    """An instance of the entity's Strawberry class from one row of rows_statement."""
    entity = ENTITIES[entity_name]
    cls = TYPES[entity_name]
    obj = object.__new__(cls)
    attributes = obj.__dict__
    for name in entity.values:
        value = record[name]
        enum_class = ENUM_FIELDS.get((entity_name, name))
        attributes[name] = enum_class[value] if enum_class is not None and value is not None else value
    attributes["_id"] = record["__id"]
    if entity.key is not None:
        attributes["_gid"] = record["__gid"]
    attributes["_parent"] = {name: record[f"__p_{name}"] for name in entity.parent_columns()}
    attributes["_entity"] = entity_name
    return obj


class Loaders:
    """Runs plans for one request; one DataLoader per relationship."""

    def __init__(self, db: QueryRunner) -> None:
        self.db = db
        self._loaders: dict[tuple[str, str, int | None], DataLoader[Any, Any]] = {}

    async def _fetch(self, statement: Select[Any]) -> list[Any]:
        compiled = compile_statement(statement)
        return await self.db.fetch(compiled.sql, *compiled.arguments())

    async def run_root(self, plan: RootPlan | None) -> Any:
        if plan is None:
            return None
        if isinstance(plan, Each):
            return [await self.run_root(item) for item in plan.items]
        if isinstance(plan, Page):
            return await self._page(plan)
        assert isinstance(plan, One | Many), plan  # a root __typename is answered by Strawberry
        records = await self._fetch(rows_statement(plan.entity, plan.rows))
        objects = [make_object(plan.entity, r) for r in records]
        if isinstance(plan, One):
            return objects[0] if objects else None
        assert isinstance(plan, Many)
        return objects

    async def _page(self, plan: Page) -> Connection[Any]:
        records = await self._fetch(page_statement(plan))
        state = records[0]
        edges = [
            Edge(cursor=r["__cursor"], node=make_object(plan.entity, r))
            for r in records
            if r["__id"] is not None
        ]
        info = PageInfo(
            has_next_page=state["__has_next"],
            has_previous_page=state["__has_previous"],
            start_cursor=state["__start_cursor"],
            end_cursor=state["__end_cursor"],
        )
        return Connection(edges=edges, page_info=info, total_count=state["__total"])

    async def load(self, parent: Any, field_name: str, limit: int | None = None) -> Any:
        entity_name: str = parent._entity
        relation = ENTITIES[entity_name].relations[field_name]
        key = tuple(parent._parent[c] for c in relation.parent_columns)
        if all(k is None for k in key):
            return None if isinstance(relation, Polymorphic) or relation.single else []
        loader = self._loaders.get((entity_name, field_name, limit))
        if loader is None:
            loader = self._loaders[(entity_name, field_name, limit)] = DataLoader(
                load_fn=self._batch_function(entity_name, relation, limit)
            )
        return await loader.load(key)

    def _batch_function(self, entity_name: str, relation: Relation | Polymorphic, limit: int | None) -> Any:
        if isinstance(relation, Polymorphic):

            async def load_polymorphic(keys: list[tuple[Any, ...]]) -> list[Any]:
                ids_by_type: dict[str, list[int]] = defaultdict(list)
                for type_value, row_id in keys:
                    ids_by_type[type_value].append(row_id)
                found: dict[tuple[Any, ...], Any] = {}
                for type_value, ids in ids_by_type.items():
                    target = relation.targets[type_value]
                    for record in await self._fetch(by_ids_statement(target, ids)):
                        found[(type_value, record["__id"])] = make_object(target, record)
                return [found.get(key) for key in keys]

            return load_polymorphic

        async def load_related(keys: list[tuple[Any, ...]]) -> list[Any]:
            statement = relation_batch_statement(ENTITIES[entity_name], relation, keys, limit)
            grouped: dict[int, list[Any]] = defaultdict(list)
            for record in await self._fetch(statement):
                grouped[record["__parent"]].append(make_object(relation.target, record))
            results = [grouped.get(index + 1, []) for index in range(len(keys))]
            return [(r[0] if r else None) for r in results] if relation.single else results

        return load_related
