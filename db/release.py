"""The data release: which load of the curated files the database holds.

Read in one place (`latest_release`) by the API, the export and the seed loader;
written by the loader (`record_release`) in the transaction that loads the files.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Text, bindparam, cast, insert, select

from db.store import Connection, Database, compile_statement
from db.tables import data_releases


@dataclass(frozen=True)
class DataRelease:
    version: str
    loaded_at: dt.datetime
    checksum: str  # SHA-256 over all seed files (path and content)
    file_count: int
    counts: dict[str, int]  # rows per entity kind, in the order the loader wrote them


_LATEST = compile_statement(
    select(
        data_releases.c.version,
        data_releases.c.loaded_at,
        data_releases.c.checksum,
        data_releases.c.file_count,
        # As text: the pool may or may not have a JSON codec.
        cast(data_releases.c.counts, Text).label("counts"),
    )
    .order_by(data_releases.c.id.desc())
    .limit(1)
)

_RECORD = compile_statement(
    insert(data_releases).values(
        {
            name: bindparam(name, type_=data_releases.c[name].type)
            for name in ("version", "checksum", "file_count", "counts")
        }
    )
)


async def latest_release(db: Database) -> DataRelease | None:
    row = await db.fetchrow(_LATEST.sql, *_LATEST.arguments())
    if row is None:
        return None
    return DataRelease(
        version=row["version"],
        loaded_at=row["loaded_at"],
        checksum=row["checksum"],
        file_count=row["file_count"],
        counts=json.loads(row["counts"]),
    )


async def record_release(
    connection: Connection, *, version: str, checksum: str, file_count: int, counts: dict[str, int]
) -> None:
    values = {
        "version": version,
        "checksum": checksum,
        "file_count": file_count,
        "counts": json.dumps(counts),
    }
    await connection.execute(_RECORD.sql, *_RECORD.arguments(values))
