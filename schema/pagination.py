"""Relay-style connections over any registered entity, paginated in one SQL statement."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

import strawberry

from schema.errors import UserInputError
from schema.meta import EntityMeta, Planned, meta_of

if TYPE_CHECKING:
    from schema.context import Context

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Ascending (A to Z, oldest first).")
    DESC = strawberry.enum_value("DESC", description="Descending (Z to A, newest first).")


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when items follow the last one of this page.")
    has_previous_page: bool = strawberry.field(
        description="True when items precede the first one of this page."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last item of this page.")


@strawberry.type(description="An item of a list with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque cursor of this item, for `after` / `before`.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, Relay style.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Paging state.")
    total_count: int = strawberry.field(description="Number of items in the whole (filtered) list.")

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


@dataclass(frozen=True)
class ConnectionPlan:
    """What a paginated root resolver would select (cursors and page size already checked)."""

    meta: EntityMeta
    where: Where
    order_by: str
    start: int
    end: int | None
    first: int | None
    last: int | None


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:v1:{position}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, version, position = text.split(":")
        if prefix != "cursor" or version != "v1" or not position.isdigit():
            raise ValueError(text)
        return int(position)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise UserInputError(f"Malformed cursor {cursor!r}; use a cursor returned by this API.") from None


@dataclass
class Where:
    """SQL conditions over the alias `t` with their numbered parameters."""

    conditions: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, template: str, *values: Any) -> None:
        """`template` uses {} for each value, in order: `t.phase = ANY({}::text[])`."""
        if len(values) == 1:
            # A single value may be referred to several times (name predicates do).
            template = template.replace("{}", "{0}")
        placeholders = []
        for value in values:
            self.args.append(value)
            placeholders.append(f"${len(self.args)}")
        self.conditions.append(template.format(*placeholders))

    @property
    def sql(self) -> str:
        return " AND ".join(f"({c})" for c in self.conditions) or "true"


def page_window(first: int | None, last: int | None) -> None:
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise UserInputError(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}; got {value}.")


async def paginate(
    context: Context,
    cls: type[T],
    where: Where,
    order_by: str,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[T]:
    """One statement: filter, order, slice by cursors and first/last, count the whole list."""
    page_window(first, last)
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    start = decode_cursor(after) + 1 if after else 0
    end = decode_cursor(before) if before else None
    meta = meta_of(cls)
    if getattr(context, "planning", False):
        raise Planned(ConnectionPlan(meta, where, order_by, start, end, first, last))
    args = list(where.args)
    n = len(args)
    args += [start, end, first, last]
    sql = f"""
        WITH matched AS (
            SELECT {meta.select_list}, row_number() OVER (ORDER BY {order_by}, {meta.id_sql}) - 1 AS __position
            FROM {meta.table} t
            WHERE {where.sql}
        ),
        bounded AS (
            SELECT *, row_number() OVER (ORDER BY __position DESC) AS __from_end
            FROM matched
            WHERE __position >= ${n + 1} AND (${n + 2}::int IS NULL OR __position < ${n + 2}::int)
        ),
        page AS (
            SELECT * FROM bounded
            WHERE (${n + 3}::int IS NULL OR __position < ${n + 1} + ${n + 3}::int)
              AND (${n + 4}::int IS NULL OR __from_end <= ${n + 4}::int)
        )
        SELECT counted.__total, page.*
        FROM (SELECT count(*) AS __total FROM matched) AS counted
        LEFT JOIN page ON true
        ORDER BY page.__position
    """
    rows = await context.db.fetch(sql, *args)
    total = rows[0]["__total"] if rows else 0
    items = [row for row in rows if row["__id"] is not None]
    if first is not None and last is None and first < len(items):
        items = items[:first]
    edges = [Edge(cursor=encode_cursor(row["__position"]), node=meta.from_row(row)) for row in items]
    if items:
        first_position, last_position = items[0]["__position"], items[-1]["__position"]
        has_next, has_previous = last_position < total - 1, first_position > 0
    else:
        has_next, has_previous = start < total, start > 0
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


First = Annotated[
    int | None,
    strawberry.argument(
        description=f"Items from the start of the list (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
    ),
]
After = Annotated[str | None, strawberry.argument(description="Return items after this cursor.")]
Last = Annotated[
    int | None, strawberry.argument(description=f"Items from the end of the list (at most {MAX_PAGE_SIZE}).")
]
Before = Annotated[str | None, strawberry.argument(description="Return items before this cursor.")]


def order_sql(expression: str, direction: OrderDirection | None) -> str:
    # Unknown values (null dates, counts) sort last in either direction.
    return f"{expression} {'DESC' if direction == OrderDirection.DESC else 'ASC'} NULLS LAST"
