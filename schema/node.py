"""Global object identification: every main entity is a Node with a stable, opaque ID."""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import strawberry

from schema.errors import UserInputError
from schema.meta import REGISTRY

if TYPE_CHECKING:
    from schema.context import Context


def encode_global_id(type_name: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


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
        type_name: str = self.__strawberry_definition__.name  # type: ignore[attr-defined]
        return strawberry.ID(encode_global_id(type_name, getattr(self, "key")))  # noqa: B009


def _node_meta(type_name: str) -> Any:
    meta = REGISTRY.get(type_name)
    if meta is None or not issubclass(meta.cls, Node):
        return None
    return meta


async def load_nodes(context: Context, ids: list[str]) -> list[Node | None]:
    """One statement per type among the IDs; results in the order of `ids`."""
    decoded = [decode_global_id(i) for i in ids]
    wanted: dict[str, set[str]] = defaultdict(set)
    for type_name, key in decoded:
        if _node_meta(type_name) is not None:
            wanted[type_name].add(key)
    found: dict[tuple[str, str], Any] = {}
    for type_name, keys in wanted.items():
        meta = _node_meta(type_name)
        rows = await context.db.fetch(
            f"SELECT {meta.select_list} FROM {meta.table} t WHERE ({meta.key_sql})::text = ANY($1::text[])",
            sorted(keys),
        )
        for row in rows:
            found[(type_name, row["__key"])] = meta.from_row(row)
    return [found.get(pair) for pair in decoded]
