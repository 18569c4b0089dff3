"""The data release: which version of the curated files the database holds."""

from __future__ import annotations

import datetime
import json

import strawberry

from schema.context import Context


@strawberry.type(description="How many rows of one kind the release holds.")
class EntityCount:
    entity: str = strawberry.field(description="Kind of entity, e.g. `trials`.")
    count: int = strawberry.field(description="Number of rows.")


@strawberry.type(description="A load of the curated seed files into the database.")
class DataRelease:
    version: str = strawberry.field(description="Version of the curated data, e.g. `2026.11.0`.")
    loaded_at: datetime.datetime = strawberry.field(description="When the release was loaded.")
    checksum: str = strawberry.field(description="SHA-256 over all seed files (path and content).")
    file_count: int = strawberry.field(description="Number of seed files.")
    counts: list[EntityCount] = strawberry.field(description="Rows per entity kind.")


async def latest_release(context: Context) -> DataRelease | None:
    row = await context.db.fetchrow(
        """
        SELECT version, loaded_at, checksum, file_count, counts::text AS counts
        FROM data_releases
        ORDER BY id DESC
        LIMIT 1
        """
    )
    if row is None:
        return None
    counts = json.loads(row["counts"])
    return DataRelease(
        version=row["version"],
        loaded_at=row["loaded_at"],
        checksum=row["checksum"],
        file_count=row["file_count"],
        counts=[EntityCount(entity=k, count=v) for k, v in counts.items()],
    )
