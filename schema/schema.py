"""The executable schema, built once at import."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, ValidationCache

from schema.root import Query


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=[ParserCache(maxsize=1024), ValidationCache(maxsize=1024)],
    )


schema = build_schema()
