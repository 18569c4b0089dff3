"""Data releases: the version of the curated files the API serves, every kept earlier one, and
what changed between any two (db/migrations/versions/0011_release_history.py)."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import Annotated, Any, NewType

import orjson
import strawberry
from sqlalchemy import ARRAY, ColumnElement, FromClause, Integer, Text, cast, column, func, null, select
from sqlalchemy.dialects.postgresql import JSONB

from db import tables
from db.release import release_change_rows
from db.sqlbuild import One, Page, Rows, constant
from schema.expressions import any_of, param, stored
from schema.meta import column as value_column
from schema.meta import entity, entity_of, many_to_one, related, root_field
from schema.node import Node
from schema.pagination import After, Before, Connection, First, Last, page


def _serialize_json(value: Any) -> Any:
    # Both executors read jsonb as its text; it goes into the response as it is.
    return orjson.Fragment(value) if isinstance(value, str) else value


JSON = NewType("JSON", object)
JSON_SCALAR = strawberry.scalar(
    name="JSON",
    description="A JSON value (object, list, string, number, boolean or null), as the bulk export writes it.",
    serialize=_serialize_json,
    parse_value=lambda value: value,
)  # mapped to JSON in schema.schema (scalar_map)


def _counts_of_release(release: FromClause) -> Rows:
    counts = (
        func.jsonb_each_text(release.c.counts)
        .table_valued(column("key", Text), column("value", Text), with_ordinality="position")
        .render_derived(name="release_counts")
    )
    return Rows(row=counts, source=counts, order_by=[counts.c.position])


def _utc_timestamp(name: str) -> Any:
    def read(row: FromClause) -> ColumnElement[Any]:
        # ISO 8601 text, formatted once here for both executors.
        return func.to_char(
            row.c[name].op("AT TIME ZONE")(constant("UTC")), constant('YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        )

    return read


def _served_first(release: FromClause) -> list[ColumnElement[Any]]:
    return [release.c.served_at.desc(), release.c.id.desc()]


def _is_served(release: FromClause) -> ColumnElement[bool]:
    served = tables.data_releases.alias()
    served_id = select(served.c.id).order_by(*_served_first(served)).limit(1).scalar_subquery()
    return func.coalesce(release.c.id == served_id, False)


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


@entity(source=tables.data_releases, order_by=lambda t: [t.c.id.desc()], key=lambda t: t.c.version)
@strawberry.type(
    description="A load of the curated seed files: one distinct content of the files, kept with its"
    " entities, its bulk export (`/export/{version}/`) and the seed files it was loaded from."
)
class DataRelease(Node):
    version: str = value_column(
        description="Version of the curated data, e.g. `2026.11.0` (from seeds/release.yaml; `+2`, `+3`, ..."
        " is added when changed files keep a version an earlier release has)."
    )
    loaded_at: datetime.datetime = value_column(
        _utc_timestamp("loaded_at"), description="When the release was loaded."
    )
    served_at: datetime.datetime = value_column(
        _utc_timestamp("served_at"),
        description="When the release last became the one the API serves (its load, or a rollback).",
    )
    current: bool = value_column(_is_served, description="True for the release the API serves now.")
    checksum: str = value_column(description="SHA-256 over all seed files (path and content).")
    file_count: int = value_column(description="Number of seed files.")
    counts: list[EntityCount] = related(
        "EntityCount", _counts_of_release, ("counts",), description="Rows per entity kind."
    )
    previous: DataRelease | None = many_to_one(
        "DataRelease",
        "previous_id",
        description="The release the API served when this one was loaded: the CHANGELOG counts this"
        " release's changes from it.",
    )


@strawberry.enum(description="A kind of curated entity, as the bulk export names its files.")
class ReleaseEntityType(Enum):
    SOURCE = strawberry.enum_value("sources", description="Sources (`sources.json`).")
    TARGET = strawberry.enum_value("targets", description="Targets (`targets.json`), keyed by gene symbol.")
    BIOMARKER = strawberry.enum_value("biomarkers", description="Biomarkers.")
    AGENT = strawberry.enum_value("agents", description="Agents.")
    COMPANION_DIAGNOSTIC = strawberry.enum_value(
        "companion_diagnostics", description="Companion diagnostics."
    )
    INDICATION = strawberry.enum_value("indications", description="Indications.")
    TRIAL = strawberry.enum_value("trials", description="Trials, with their arms and outcomes.")
    APPROVAL = strawberry.enum_value("approvals", description="Regulatory approvals.")
    RESISTANCE_MECHANISM = strawberry.enum_value(
        "resistance_mechanisms", description="Resistance mechanisms."
    )
    SAFETY_WARNING = strawberry.enum_value("safety_warnings", description="Label safety warnings.")


@strawberry.enum(description="How an entity differs between two releases.")
class ChangeKind(Enum):
    ADDED = strawberry.enum_value("added", description="Only in the later (`to`) release.")
    REMOVED = strawberry.enum_value("removed", description="Only in the earlier (`from`) release.")
    CHANGED = strawberry.enum_value("changed", description="In both, with at least one field that differs.")


def _release_changes(
    from_version: Any, to_version: Any, entity_types: list[ReleaseEntityType] | None
) -> FromClause:
    kinds = null() if entity_types is None else param(stored(entity_types), ARRAY(Text))
    return release_change_rows(from_version, to_version, cast(kinds, ARRAY(Text)), "release_changes")


def _previous_version(to: str | None) -> ColumnElement[Any]:
    """The version of the release served when release `to` (None: the served one) was loaded."""
    release, previous, served = (tables.data_releases.alias() for _ in range(3))
    served_id = select(served.c.id).order_by(*_served_first(served)).limit(1).scalar_subquery()
    return (
        select(previous.c.version)
        .select_from(release.join(previous, previous.c.id == release.c.previous_id))
        .where(release.c.id == served_id if to is None else release.c.version == param(to))
        .scalar_subquery()
    )


def _record(release_id: ColumnElement[Any], change: FromClause) -> ColumnElement[Any]:
    kept = tables.release_entities.alias()
    return (
        select(kept.c.record)
        .where(kept.c.release_id == release_id, kept.c.kind == change.c.kind, kept.c.key == change.c.key)
        .scalar_subquery()
        .correlate(change)  # the change row is further out than the enclosing SELECT
    )


def _fields_of_change(change: FromClause) -> Rows:
    fields = (
        func.json_changes(
            constant(""), _record(change.c.from_release_id, change), _record(change.c.to_release_id, change)
        )
        .table_valued(
            column("field", Text),
            column("old_value", JSONB),
            column("new_value", JSONB),
            with_ordinality="position",
        )
        .render_derived(name="field_changes")
    )
    return Rows(row=fields, source=fields, order_by=[fields.c.position])


@entity(
    source=lambda: (
        func.json_changes(constant(""), cast(null(), JSONB), cast(null(), JSONB))
        .table_valued(
            column("field", Text),
            column("old_value", JSONB),
            column("new_value", JSONB),
            with_ordinality="position",
        )
        .render_derived()
    ),
    order_by=lambda t: [t.c.position],
    id_column="position",
)
@strawberry.type(description="One field of an entity that differs between two releases.")
class FieldChange:
    field: str = value_column(
        description="Path of the field as the export writes it: `name`, `arms[a1].label`,"
        " `outcomes[db03-pfs-primary].hazard_ratio` (items of a list of objects are named by their slug)."
    )
    old_value: JSON | None = value_column(description="Its value in the `from` release (null when absent).")
    new_value: JSON | None = value_column(description="Its value in the `to` release (null when absent).")


@entity(
    source=lambda: _release_changes(cast(null(), Text), cast(null(), Text), None),
    order_by=lambda t: [t.c.ordinal],
    id_column="ordinal",
)
@strawberry.type(description="An entity added, removed or changed between two data releases.")
class EntityChange:
    entity_type: ReleaseEntityType = value_column("kind", description="Kind of entity.")
    key: str = value_column(description="Its natural key: the slug (a target's gene symbol).")
    label: str | None = value_column(description="Its name, acronym, symbol or title, for display.")
    change: ChangeKind = value_column(description="Added, removed or changed.")
    fields: list[FieldChange] = related(
        "FieldChange",
        _fields_of_change,
        ("from_release_id", "to_release_id", "kind", "key"),
        description="The fields that differ, old and new value (every field of an added or removed entity);"
        " derived `*_details` fields are left out: the entity they come from carries the change.",
    )
    before: JSON | None = value_column(
        description="The entity as the `from` release's export wrote it (null when added)."
    )
    after: JSON | None = value_column(
        description="The entity as the `to` release's export wrote it (null when removed)."
    )


VersionArgument = Annotated[str, strawberry.argument(description="A release version, e.g. `2026.11.0`.")]


@strawberry.type
class ReleaseQueries:
    @root_field(
        description="The data release the API serves (version, load time, checksum, counts), or the kept"
        " release `version`.",
        graphql_type=DataRelease | None,
    )
    def data_release(
        self,
        version: Annotated[
            str | None, strawberry.argument(description="A kept release's version; omitted: the served one.")
        ] = None,
    ) -> One:
        row = tables.data_releases.alias()
        where = [] if version is None else [row.c.version == param(version)]
        return One("DataRelease", Rows(row=row, source=row, where=where, order_by=_served_first(row)))

    @root_field(description="Every kept data release, newest first.", graphql_type=Connection[DataRelease])
    def data_releases(
        self, first: First = None, after: After = None, last: Last = None, before: Before = None
    ) -> Page:
        release = entity_of(DataRelease)
        return page(release, release.all_rows(), first=first, after=after, last=last, before=before)

    @root_field(
        description="What changed between two data releases: every entity added, removed or changed (with"
        " the fields that differ, old and new value), by entity type and key. `to` defaults to the served"
        ' release, so `releaseChanges(from: "<the version you hold>")` is what to sync; without `from`, the'
        " changes `to` brought. Empty when either release is not kept (see `dataReleases`).",
        graphql_type=Connection[EntityChange],
    )
    def release_changes(
        self,
        from_: Annotated[
            str | None,
            strawberry.argument(
                name="from",
                description="The earlier release's version; omitted: the release served when `to` was"
                " loaded (its `previous`), so that `releaseChanges` alone lists what the served release"
                " changed.",
            ),
        ] = None,
        to: Annotated[
            str | None,
            strawberry.argument(description="The later release's version; omitted: the served release."),
        ] = None,
        entity_types: Annotated[
            list[ReleaseEntityType] | None, strawberry.argument(description="Only these kinds of entity.")
        ] = None,
        changes: Annotated[
            list[ChangeKind] | None, strawberry.argument(description="Only these kinds of change.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Page:
        to_version = cast(null(), Text) if to is None else param(to)
        from_version = _previous_version(to) if from_ is None else param(from_)
        row = _release_changes(from_version, to_version, entity_types)
        where = [] if changes is None else [any_of(row.c.change, stored(changes) or [])]
        rows = Rows(row=row, source=row, where=where, order_by=[row.c.ordinal])
        return page(entity_of(EntityChange), rows, first=first, after=after, last=last, before=before)
