"""Global object identification: every main entity is a Node with a stable, opaque ID."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import strawberry

from db.sqlbuild import ENTITIES, One, Rows
from schema.errors import UserInputError
from schema.expressions import param


def decode_global_id(global_id: str) -> tuple[str, str]:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, key = base64.urlsafe_b64decode(padded.encode()).decode().split(":", 1)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise UserInputError(f"Malformed ID {global_id!r}; use an `id` returned by this API.") from None
    return type_name, key


@strawberry.interface(description="An object with a stable global ID, fetchable with `node(id:)`.")
class Node:
    @strawberry.field(description="Stable, opaque global ID (built from the natural key, e.g. the slug).")
    def id(self) -> strawberry.ID:
        # Built in SQL (db.sqlbuild.global_id) and carried by the row.
        global_id: str = self._gid  # type: ignore[attr-defined]
        return strawberry.ID(global_id)


def node_plan(global_id: str) -> One | None:
    """The entity a global ID names; None for a well-formed ID of no known type."""
    type_name, key = decode_global_id(global_id)
    entity = ENTITIES.get(type_name)
    if entity is None or entity.key is None:
        return None
    row = entity.alias()
    natural_key: Any = entity.key(row)
    return One(type_name, Rows(row=row, source=row, where=[natural_key == param(key)]))
