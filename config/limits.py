"""The bounds every GraphQL request is checked against (set from config.settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Query limits: depth, aliases, tokens, an estimated cost bound, introspection on or off."""

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 250_000
    introspection: bool = True
