"""Data releases: which load of the curated files the API serves, and every earlier one.

A release is one distinct content of the seed files (its checksum), with a unique version.
The served release is the one that last became served (`served_at`): the newest load, or
an earlier release served again by a rollback. Each release keeps its entities as the
export wrote them (`release_entities`), its export files and the seed files it was loaded
from (`release_files`, content-addressed in `release_blobs`).

Read here by the API, the export and the seed loader; written by the loader in the
transaction that loads the files (seeds/history.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Text,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.sql import FromClause

from db.store import Connection, Database, compile_statement
from db.tables import data_releases, release_blobs, release_entities, release_files

EXPORT = "export"  # release_files.kind: the bulk export of the release
SEED = "seed"  # release_files.kind: the curated files it was loaded from


@dataclass(frozen=True)
class DataRelease:
    id: int
    version: str
    loaded_at: dt.datetime
    served_at: dt.datetime
    checksum: str  # SHA-256 over all seed files (path and content)
    file_count: int
    counts: dict[str, int]  # rows per entity kind, in the order the loader wrote them
    previous_id: int | None  # the release served when this one was loaded


@dataclass(frozen=True)
class FieldChange:
    field: str  # path: `name`, `outcomes[db03-pfs].hazard_ratio`
    old: Any
    new: Any


@dataclass(frozen=True)
class EntityChange:
    kind: str  # export file (section): `trials`, `agents`, ...
    key: str
    change: str  # added, removed, changed
    label: str | None
    fields: tuple[FieldChange, ...]


def _release_columns() -> list[ColumnElement[Any]]:
    c = data_releases.c
    # counts as text: the pool may or may not have a JSON codec.
    return [
        c.id,
        c.version,
        c.loaded_at,
        c.served_at,
        c.checksum,
        c.file_count,
        cast(c.counts, Text).label("counts"),
        c.previous_id,
    ]


def _releases() -> Select[Any]:
    return select(*_release_columns())


def _served_first() -> list[ColumnElement[Any]]:
    return [data_releases.c.served_at.desc(), data_releases.c.id.desc()]


_SERVED = compile_statement(_releases().order_by(*_served_first()).limit(1))
_BY_VERSION = compile_statement(
    _releases().where(data_releases.c.version == bindparam("version", type_=Text))
)
_BY_ID = compile_statement(_releases().where(data_releases.c.id == bindparam("id", type_=Integer)))
_BY_CHECKSUM = compile_statement(
    _releases()
    .where(data_releases.c.checksum == bindparam("checksum", type_=Text))
    .order_by(data_releases.c.id.desc())
    .limit(1)
)
_NEWEST_FIRST = compile_statement(_releases().order_by(data_releases.c.id.desc()))
_VERSION_TAKEN = compile_statement(
    select(exists().where(data_releases.c.version == bindparam("version", type_=Text)))
)
_RECORD = compile_statement(
    insert(data_releases)
    .values(
        {
            name: bindparam(name, type_=data_releases.c[name].type)
            for name in ("version", "checksum", "file_count", "counts", "previous_id")
        }
    )
    .returning(data_releases.c.id)
)
_SERVE = compile_statement(
    update(data_releases)
    .where(data_releases.c.id == bindparam("id", type_=Integer))
    .values(served_at=func.now())
)
_ADD_ENTITY = compile_statement(
    insert(release_entities).values(
        {name: bindparam(name, type_=release_entities.c[name].type) for name in ("release_id", "kind", "key")}
        | {"record": cast(bindparam("record", type_=Text), JSONB)}
    )
)
_HAS_ENTITIES = compile_statement(
    select(exists().where(release_entities.c.release_id == bindparam("release_id", type_=Integer)))
)
_ADD_BLOB = compile_statement(
    upsert(release_blobs)
    .values({name: bindparam(name, type_=release_blobs.c[name].type) for name in ("sha256", "content")})
    .on_conflict_do_nothing(index_elements=[release_blobs.c.sha256])
)
_ADD_FILE = compile_statement(
    insert(release_files).values(
        {
            name: bindparam(name, type_=release_files.c[name].type)
            for name in ("release_id", "kind", "name", "sha256")
        }
    )
)
_FILES = compile_statement(
    select(release_files.c.name, release_blobs.c.content)
    .select_from(release_files.join(release_blobs, release_blobs.c.sha256 == release_files.c.sha256))
    .where(
        release_files.c.release_id == bindparam("release_id", type_=Integer),
        release_files.c.kind == bindparam("kind", type_=Text),
    )
    .order_by(release_files.c.name)
)
_FILE = compile_statement(
    select(release_blobs.c.content)
    .select_from(
        release_files.join(release_blobs, release_blobs.c.sha256 == release_files.c.sha256).join(
            data_releases, data_releases.c.id == release_files.c.release_id
        )
    )
    .where(
        data_releases.c.version == bindparam("version", type_=Text),
        release_files.c.kind == bindparam("kind", type_=Text),
        release_files.c.name == bindparam("name", type_=Text),
    )
)


def release_change_rows(from_version: Any, to_version: Any, kinds: Any, name: str) -> FromClause:
    """The rows of the SQL function release_changes() (migration 0014), as a derived table."""
    return (
        func.release_changes(from_version, to_version, kinds)
        .table_valued(
            column("ordinal", Integer),
            column("from_release_id", Integer),
            column("to_release_id", Integer),
            column("kind", Text),
            column("key", Text),
            column("change", Text),
            column("label", Text),
            column("before", JSONB),
            column("after", JSONB),
        )
        .render_derived(name=name)
    )


def _changes_statement() -> Select[Any]:
    changes = release_change_rows(
        bindparam("from_version", type_=Text),
        bindparam("to_version", type_=Text),
        cast(literal(None), ARRAY(Text)),
        "changes",
    )
    fields = (
        func.json_changes(literal(""), changes.c.before, changes.c.after)
        .table_valued(column("field", Text), column("old_value", JSONB), column("new_value", JSONB))
        .render_derived(name="fields")
    )
    field_list = (
        select(
            func.coalesce(
                cast(
                    func.json_agg(
                        func.json_build_array(fields.c.field, fields.c.old_value, fields.c.new_value)
                    ),
                    Text,
                ),
                literal("[]"),
            )
        )
        .select_from(fields)
        .where(changes.c.change == "changed")
        .scalar_subquery()
    )
    return select(
        changes.c.kind, changes.c.key, changes.c.change, changes.c.label, field_list.label("fields")
    ).order_by(changes.c.ordinal)


_CHANGES = compile_statement(_changes_statement())


def _release(row: Any) -> DataRelease:
    return DataRelease(
        id=row["id"],
        version=row["version"],
        loaded_at=row["loaded_at"],
        served_at=row["served_at"],
        checksum=row["checksum"],
        file_count=row["file_count"],
        counts=json.loads(row["counts"]),
        previous_id=row["previous_id"],
    )


async def latest_release(db: Database) -> DataRelease | None:
    """The release the API serves."""
    row = await db.fetchrow(_SERVED.sql, *_SERVED.arguments())
    return None if row is None else _release(row)


async def release_by_version(db: Database, version: str) -> DataRelease | None:
    row = await db.fetchrow(_BY_VERSION.sql, *_BY_VERSION.arguments({"version": version}))
    return None if row is None else _release(row)


async def release_by_id(db: Database, release_id: int) -> DataRelease | None:
    row = await db.fetchrow(_BY_ID.sql, *_BY_ID.arguments({"id": release_id}))
    return None if row is None else _release(row)


async def release_by_checksum(db: Database, checksum: str) -> DataRelease | None:
    row = await db.fetchrow(_BY_CHECKSUM.sql, *_BY_CHECKSUM.arguments({"checksum": checksum}))
    return None if row is None else _release(row)


async def all_releases(db: Database) -> list[DataRelease]:
    """Every kept release, newest first."""
    return [_release(row) for row in await db.fetch(_NEWEST_FIRST.sql, *_NEWEST_FIRST.arguments())]


async def _unique_version(connection: Connection, version: str) -> str:
    """The version, or `version+N` when an earlier release with other content already has it."""
    candidate, number = version, 1
    while await connection.fetchval(_VERSION_TAKEN.sql, *_VERSION_TAKEN.arguments({"version": candidate})):
        number += 1
        candidate = f"{version}+{number}"
    return candidate


async def record_release(
    connection: Connection,
    *,
    version: str,
    checksum: str,
    file_count: int,
    counts: dict[str, int],
    previous_id: int | None = None,
) -> DataRelease:
    """A new release, served from now on (the caller's transaction makes it visible)."""
    unique = await _unique_version(connection, version)
    values = {
        "version": unique,
        "checksum": checksum,
        "file_count": file_count,
        "counts": json.dumps(counts),
        "previous_id": previous_id,
    }
    release_id = await connection.fetchval(_RECORD.sql, *_RECORD.arguments(values))
    release = await release_by_id(connection, release_id)
    assert release is not None
    return release


async def serve_release(connection: Connection, release_id: int) -> None:
    """Serve a kept release again (a rollback, or a forced reload of the same content)."""
    await connection.execute(_SERVE.sql, *_SERVE.arguments({"id": release_id}))


async def store_entities(
    connection: Connection, release_id: int, entities: Iterable[tuple[str, str, str]]
) -> None:
    """Keep the release's entities: (kind, key, record as JSON text)."""
    rows = [
        _ADD_ENTITY.arguments({"release_id": release_id, "kind": kind, "key": key, "record": record})
        for kind, key, record in entities
    ]
    await connection.executemany(_ADD_ENTITY.sql, rows)


async def has_entities(db: Database, release_id: int) -> bool:
    kept: bool = await db.fetchval(_HAS_ENTITIES.sql, *_HAS_ENTITIES.arguments({"release_id": release_id}))
    return kept


async def store_files(connection: Connection, release_id: int, kind: str, files: Mapping[str, bytes]) -> None:
    """Keep files of the release (EXPORT or SEED); equal contents are stored once."""
    digests = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
    await connection.executemany(
        _ADD_BLOB.sql,
        [
            _ADD_BLOB.arguments({"sha256": digests[name], "content": content})
            for name, content in files.items()
        ],
    )
    await connection.executemany(
        _ADD_FILE.sql,
        [
            _ADD_FILE.arguments({"release_id": release_id, "kind": kind, "name": name, "sha256": digest})
            for name, digest in digests.items()
        ],
    )


async def release_files_of(db: Database, release_id: int, kind: str) -> dict[str, bytes]:
    """Every kept file of one kind of a release, by name (empty when none were kept)."""
    rows = await db.fetch(_FILES.sql, *_FILES.arguments({"release_id": release_id, "kind": kind}))
    return {row["name"]: bytes(row["content"]) for row in rows}


async def release_file(db: Database, version: str, kind: str, name: str) -> bytes | None:
    content = await db.fetchval(_FILE.sql, *_FILE.arguments({"version": version, "kind": kind, "name": name}))
    return None if content is None else bytes(content)


async def release_changes(db: Database, from_version: str, to_version: str) -> list[EntityChange]:
    """The entities added, removed and changed between two kept releases, by kind and key."""
    rows = await db.fetch(
        _CHANGES.sql, *_CHANGES.arguments({"from_version": from_version, "to_version": to_version})
    )
    return [
        EntityChange(
            kind=row["kind"],
            key=row["key"],
            change=row["change"],
            label=row["label"],
            fields=tuple(FieldChange(*item) for item in json.loads(row["fields"])),
        )
        for row in rows
    ]
