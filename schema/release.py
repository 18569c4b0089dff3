"""The data release: which version of the curated files the database holds."""

from __future__ import annotations

import datetime

import strawberry
from sqlalchemy import FromClause, Integer, Text, cast, column, func, select

from db import tables
from db.sqlbuild import Rows, constant
from schema.meta import column as value_column
from schema.meta import entity, related


def _latest() -> FromClause:
    release = tables.data_releases
    return select(release).order_by(release.c.id.desc()).limit(1).subquery("latest_release")


def _counts_of_release(release: FromClause) -> Rows:
    counts = (
        func.jsonb_each_text(release.c.counts)
        .table_valued(column("key", Text), column("value", Text), with_ordinality="position")
        .render_derived(name="release_counts")
    )
    return Rows(row=counts, source=counts, order_by=[counts.c.position])


def _utc_timestamp(row: FromClause) -> object:
    # ISO 8601 text, formatted once here for both executors.
    return func.to_char(
        row.c.loaded_at.op("AT TIME ZONE")(constant("UTC")), constant('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
    )


@entity(
    source=lambda: (
        func.jsonb_each_text(cast(constant("{}"), tables.data_releases.c.counts.type))
        .table_valued(column("key", Text), column("value", Text), with_ordinality="position")
        .render_derived()
    ),
    order_by=lambda t: [t.c.position],
    id_column="position",
)
@strawberry.type(description="How many rows of one kind the release holds.")
class EntityCount:
    entity: str = value_column("key", description="Kind of entity, e.g. `trials`.")
    count: int = value_column(lambda t: cast(t.c.value, Integer), description="Number of rows.")


@entity(source=_latest, order_by=lambda t: [t.c.id])
@strawberry.type(description="A load of the curated seed files into the database.")
class DataRelease:
    version: str = value_column(description="Version of the curated data, e.g. `2026.11.0`.")
    loaded_at: datetime.datetime = value_column(_utc_timestamp, description="When the release was loaded.")  # type: ignore[arg-type]
    checksum: str = value_column(description="SHA-256 over all seed files (path and content).")
    file_count: int = value_column(description="Number of seed files.")
    counts: list[EntityCount] = related(
        "EntityCount", _counts_of_release, ("counts",), description="Rows per entity kind."
    )
