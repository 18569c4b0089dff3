"""One declaration per entity: every field of the seed spec is stored in a column or a
nested table of db/tables.py, and every column's seed field is a field of the spec."""

from __future__ import annotations

from db.tables import metadata
from seeds.mapping import ENTITIES, OBJECT, TableMapping, seed_columns
from seeds.spec import F


def _mappings(mapping: TableMapping) -> list[TableMapping]:
    return [mapping, *(m for child in mapping.children for m in _mappings(child))]


ALL = [m for entity in ENTITIES.values() for m in _mappings(entity)]


def _stored_fields(spec: dict[str, F], prefix: str = "") -> list[str]:
    fields = []
    for name, field in spec.items():
        if field.kind == OBJECT:
            fields += _stored_fields(field.spec, f"{prefix}{name}.")
        else:
            fields.append(prefix + name)
    return fields


def test_every_seed_field_has_a_column_or_a_table() -> None:
    unmapped = [
        f"{mapping.path}: {name}"
        for mapping in ALL
        for name in _stored_fields(mapping.spec)
        if mapping.child(name.split(".")[0]) is None and not seed_columns(mapping.table, name)
    ]
    assert unmapped == []


def test_every_seed_column_names_a_field_of_its_rows() -> None:
    fields = {(m.table.name, name) for m in ALL for name in _stored_fields(m.spec)}
    stray = [
        f"{table.name}.{column.name}: {column.info['seed']}"
        for table in metadata.tables.values()
        for column in table.columns
        if "seed" in column.info and (table.name, column.info["seed"]) not in fields
    ]
    assert stray == []


def test_every_seeded_table_is_reached_from_an_entity() -> None:
    seeded = {table.name for table in metadata.tables.values() if "seed" in table.info}
    assert seeded == {mapping.table.name for mapping in ALL}
