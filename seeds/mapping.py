"""How curated entries map to table rows, read from db/tables.py (columns, with the seed
field each comes from) and seeds/spec.py (the fields of each entry, in order).

The loader walks this tree to write rows and the export walks it to read them back into
records with the seed files' field names and order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table

from db.tables import fact_sources, metadata
from seeds.spec import SECTIONS, F

# How one row's seed data sits in its parent entry.
ENTITY = "entity"  # a whole entry of a section
OBJECT = "object"  # one nested mapping (an agent's `adc`)
OBJECT_LIST = "object_list"  # each item of a list of mappings (a trial's `arms`)
REF_LIST = "ref_list"  # each key of a list of references (an agent's `targets`, any `sources`)

SOURCES_FIELD = "sources"


@dataclass(frozen=True)
class TableMapping:
    """A table filled from the curated files, and the tables filled from inside its rows."""

    path: str  # where its rows come from: "trial", "trial.arms", "trial.arms.regimen"
    field: str  # the field of the parent's data holding them ("" for an entity)
    shape: str  # ENTITY, OBJECT, OBJECT_LIST or REF_LIST
    table: Table
    spec: dict[str, F]  # the fields of one row's data, in the seed files' order
    children: tuple[TableMapping, ...]

    def child(self, field: str) -> TableMapping | None:
        return next((child for child in self.children if child.field == field), None)


def _table_for(path: str) -> Table | None:
    return next((table for table in metadata.tables.values() if table.info.get("seed") == path), None)


def _mapping(path: str, field: str, shape: str, table: Table, spec: dict[str, F]) -> TableMapping:
    children: list[TableMapping] = []
    for name, field_spec in spec.items():
        child_path = f"{path}.{name}"
        if field_spec.kind == REF_LIST:
            # A link table (or fact_sources): one row per key, nothing nested.
            link = fact_sources if name == SOURCES_FIELD else _table_for(child_path)
            if link is not None:
                children.append(TableMapping(child_path, name, REF_LIST, link, {name: field_spec}, ()))
            continue
        child_table = _table_for(child_path)
        if child_table is not None:
            children.append(_mapping(child_path, name, field_spec.kind, child_table, field_spec.spec))
    # A row's sources are linked right after the row, so fact_sources ids follow the files.
    children.sort(key=lambda child: child.field != SOURCES_FIELD)
    return TableMapping(path, field, shape, table, spec, tuple(children))


def _entities() -> dict[str, TableMapping]:
    entities = {}
    for kind, _key, spec in SECTIONS.values():
        table = _table_for(kind)
        assert table is not None, f"no table declares info seed={kind!r}"
        entities[kind] = _mapping(kind, "", ENTITY, table, spec)
    return entities


# Entity kind -> its mapping, in the order of SECTIONS: the order they are written in, so
# every reference points to a kind already written (or to its own kind: see the loader).
ENTITIES: dict[str, TableMapping] = _entities()


def referenced_table(column: Column[Any]) -> Table:
    (key,) = column.foreign_keys
    table = key.column.table
    assert isinstance(table, Table)
    return table


def key_column(table: Table) -> str:
    key: str = table.info["key"]
    return key


def seed_columns(table: Table, field: str) -> list[Column[Any]]:
    """The columns filled from one seed field (two for a partial date or an interval)."""
    return [column for column in table.columns if column.info.get("seed") == field]


def lookup(data: dict[str, Any], field: str) -> Any:
    """The value of a possibly dotted field ("xrefs.chembl"); None when absent."""
    value: Any = data
    for name in field.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def absent_value(column: Column[Any]) -> Any:
    """What an absent seed field means for its column: the column default, else NULL."""
    default = column.default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None
