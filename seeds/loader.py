"""Write a validated dataset to PostgreSQL in one transaction.

The curated tables are emptied and refilled inside that transaction (identities restart,
insertion order is the sorted file order), so re-running with the same files leaves the
same database, an edited entry is updated and a removed one is gone. A failure anywhere
rolls everything back.

Rows are built from the declarations in db/tables.py (see seeds/mapping.py): each column
names the seed field it comes from, so this module holds no field lists of its own.
"""

from __future__ import annotations

import decimal
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Numeric, Table

from db import tables
from db.prepared import refresh_prepared_tables
from db.release import latest_release, release_by_checksum
from db.store import Connection, CuratedWriter, identity_column, seeding_transaction
from seeds import history
from seeds.mapping import (
    ENTITIES,
    OBJECT,
    OBJECT_LIST,
    TableMapping,
    absent_value,
    key_column,
    lookup,
    referenced_table,
)
from seeds.spec import SECTIONS
from seeds.validate import Dataset, load_dataset

logger = logging.getLogger(__name__)


def _camel_case(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


# The release's row counts: the name the API shows -> the table counted. Every section's
# entities (agents, companionDiagnostics, ...) and, nested in trials, their outcomes.
RELEASE_COUNTS: tuple[tuple[str, Table], ...] = (
    *((_camel_case(section), ENTITIES[kind].table) for section, (kind, _key, _spec) in SECTIONS.items()),
    ("outcomes", tables.outcomes),
)

# A part of a partial date or an interval, taken from the validated value.
PARTS: dict[str, Callable[[Any], Any]] = {
    "value": lambda date: date.value,
    "precision": lambda date: date.precision,
    "lower": lambda interval: interval[0],
    "upper": lambda interval: interval[1],
}


@dataclass(frozen=True)
class SeedResult:
    version: str
    checksum: str
    loaded: bool  # False when this exact release was already loaded
    counts: dict[str, int]
    note: str | None = None  # why files that are a kept release were not loaded


@dataclass(frozen=True)
class _Owner:
    """The row that nested rows belong to (their `owner` column points to it)."""

    table: Table
    row_id: int | None


@dataclass(frozen=True)
class _Deferred:
    """A reference to an entry of the kind being written, set once all of them have ids:
    an update of `row_id`, or the insert of `row` (a link such as an agent's components)."""

    column: Column[Any]
    key: str
    row_id: int | None
    row: dict[str, Any] = field(default_factory=dict)


class _Writer:
    def __init__(self, writer: CuratedWriter) -> None:
        self.db = writer
        # Table name -> key (slug, symbol, code) -> id of the rows written so far.
        self.ids: dict[str, dict[str, int]] = {}
        self.written: dict[str, int] = {}
        self.deferred: list[_Deferred] = []

    async def write(self, dataset: Dataset) -> dict[str, int]:
        await self.db.empty(tables.CURATED_TABLES)
        endpoints = await self.db.rows(tables.endpoints)
        self.ids[tables.endpoints.name] = {row["code"]: row["id"] for row in endpoints}
        for kind, entity in ENTITIES.items():
            for entry in dataset.of(kind):
                self._forget_nested_keys(entity)
                await self._write_row(entity, entry.data, entity.table, None, None)
            await self._write_deferred()
        return {name: self.written.get(table.name, 0) for name, table in RELEASE_COUNTS}

    def _forget_nested_keys(self, mapping: TableMapping) -> None:
        """Keys of nested rows (an arm's slug) are unique within one entry only."""
        for child in mapping.children:
            self.ids.pop(child.table.name, None)
            self._forget_nested_keys(child)

    async def _write_row(
        self,
        mapping: TableMapping,
        data: dict[str, Any],
        kind_table: Table,
        owner: _Owner | None,
        position: int | None,
    ) -> None:
        """Write one row and everything nested in it; `kind_table` is the entity kind
        being written, whose references to itself wait for _write_deferred."""
        table = mapping.table
        row = self._row(table, data, kind_table, owner, position)
        waiting = [
            (column, lookup(data, column.info["seed"]))
            for column in table.columns
            if column.info.get("ref") and referenced_table(column) is kind_table
        ]
        waiting = [(column, key) for column, key in waiting if key is not None]
        if waiting and table is not kind_table:
            self.deferred += [_Deferred(column, key, None, row) for column, key in waiting]
            return
        row_id = await self._insert(table, row)
        self.deferred += [_Deferred(column, key, row_id) for column, key in waiting]
        for child in mapping.children:
            for child_position, item in enumerate(_items(child, data)):
                await self._write_row(child, item, kind_table, _Owner(table, row_id), child_position)

    async def _insert(self, table: Table, row: dict[str, Any]) -> int | None:
        row_id = await self.db.insert(table, row)
        self.written[table.name] = self.written.get(table.name, 0) + 1
        if "key" in table.info and row_id is not None:
            self.ids.setdefault(table.name, {})[row[key_column(table)]] = row_id
        return row_id

    def _row(
        self,
        table: Table,
        data: dict[str, Any],
        kind_table: Table,
        owner: _Owner | None,
        position: int | None,
    ) -> dict[str, Any]:
        identity = identity_column(table)
        row: dict[str, Any] = {}
        for column in table.columns:
            if column is identity:
                continue
            if column.info.get("owner"):
                owned = owner is not None and referenced_table(column) is owner.table
                row[column.name] = owner.row_id if owner is not None and owned else None
            elif "seed" not in column.info:
                row[column.name] = position  # `position`: the one column the files don't give
            else:
                row[column.name] = self._value(column, data, kind_table)
        return row

    def _value(self, column: Column[Any], data: dict[str, Any], kind_table: Table) -> Any:
        info = column.info
        value = lookup(data, info["seed"])
        if value is None:
            return absent_value(column)
        if "part" in info:
            value = PARTS[info["part"]](value)
        if info.get("ref"):
            referenced = referenced_table(column)
            # A reference to the kind being written is set later (_write_deferred).
            return None if referenced is kind_table else self.ids[referenced.name][value]
        if (
            isinstance(value, float)
            and isinstance(column.type, Numeric)
            and not isinstance(column.type, Float)
        ):
            # YAML reads 0.28 as a binary float; store the decimal the file wrote, not its expansion.
            return decimal.Decimal(repr(value))
        return value

    async def _write_deferred(self) -> None:
        for deferred in self.deferred:
            value = self.ids[referenced_table(deferred.column).name][deferred.key]
            if deferred.row_id is not None:
                await self.db.set_value(deferred.column, deferred.row_id, value)
            else:
                table = deferred.column.table
                assert isinstance(table, Table)
                await self._insert(table, {**deferred.row, deferred.column.name: value})
        self.deferred = []


def _items(child: TableMapping, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The data of each row `child` gets from one parent's data."""
    value = data.get(child.field)
    if value is None:
        return []
    if child.shape == OBJECT:
        return [value]
    if child.shape == OBJECT_LIST:
        items: list[dict[str, Any]] = value
        return items
    return [{child.field: key} for key in value]  # a list of references


async def seed(connection: Connection, seeds_dir: Path, *, force: bool = False) -> SeedResult:
    """Validate every file, then write them all in one transaction (or nothing).

    New content is a new release (seeds/history.py keeps it); content that is already a
    kept release is not loaded again unless `force` (then that release is served again).
    """
    dataset = load_dataset(seeds_dir)
    async with seeding_transaction(connection) as writer:
        served = await latest_release(connection)
        kept = await release_by_checksum(connection, dataset.checksum)
        if not force and kept is not None:
            if served is not None and served.id == kept.id:
                await history.ensure_kept(connection, served, dataset)
                return SeedResult(kept.version, kept.checksum, loaded=False, counts=kept.counts)
            # A rollback serves an earlier release; these files do not undo it by themselves.
            note = f"release {kept.version} is kept but not served; `rollback {kept.version}` serves it"
            return SeedResult(kept.version, kept.checksum, loaded=False, counts=kept.counts, note=note)
        counts = await _Writer(writer).write(dataset)
        await refresh_prepared_tables(connection)
        release = await history.publish(connection, dataset, counts, served, kept)
    logger.info("seeded release %s (%s)", release.version, release.checksum[:12])
    return SeedResult(release.version, release.checksum, loaded=True, counts=counts)
