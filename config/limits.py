"""The bounds every GraphQL request is checked against (set from config.settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Query limits, checked in this order: query length and tokens; depth, aliases, selections after fragment
    expansion and repeats of one field in a selection set; argument values; the estimated cost.
    Plus introspection on or off and the bounds of the parsed-document cache."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 1000
    max_cost: int = 250_000
    introspection: bool = True
    max_query_length: int = 20_000
    max_selections: int = 1000
    max_repeats: int = 10
    max_list_items: int = 100
    max_string_length: int = 200
    cache_entries: int = 1024
    cache_bytes: int = 32 * 1024 * 1024
