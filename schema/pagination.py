"""Relay-style connections: the types, the paging arguments and the plan of one page."""

from __future__ import annotations

import base64
import binascii
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from db.sqlbuild import Entity, Page, Rows, Window
from schema.errors import UserInputError

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


def decode_cursor(cursor: str, entity_name: str) -> int:
    """The id of the row a cursor names (see db.sqlbuild.cursor); it must be of this list's type."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        prefix, version, type_name, row_id = text.split(":")
        if prefix != "cursor" or version != "v3" or type_name != entity_name or not row_id.isdigit():
            raise ValueError(text)
        if int(row_id) >= 2**31:
            raise ValueError(row_id)
        return int(row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise UserInputError(
            f"Malformed cursor {cursor!r}; use a cursor returned by this API for this list."
        ) from None


def page(
    entity: Entity, rows: Rows, *, first: int | None, after: str | None, last: int | None, before: str | None
) -> Page:
    """The plan of one page of `rows`: arguments checked, cursors decoded."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
            raise UserInputError(f"`{name}` must be between 0 and {MAX_PAGE_SIZE}; got {value}.")
    if first is None and last is None:
        first = DEFAULT_PAGE_SIZE
    window = Window(
        first=first,
        last=last,
        after=decode_cursor(after, entity.name) if after else None,
        before=decode_cursor(before, entity.name) if before else None,
    )
    return Page(entity.name, rows, window)


def ordered(expression: Any, direction: OrderDirection | None) -> Any:
    """Unknown values (null dates, counts) sort last in either direction."""
    return (expression.desc() if direction == OrderDirection.DESC else expression.asc()).nulls_last()


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
