"""Typeahead (`suggest`) as schema/sql/suggest.sql states it, computed in Python from every
row it may suggest from: what the typeahead tests compare whole answers with."""

from __future__ import annotations

import base64
import re
from typing import Any

import asyncpg

SUGGESTION_ROWS = (
    "SELECT type, id, key, label, field, text, lower_text, compact FROM search_index"
    " WHERE field NOT IN ('title', 'description', 'mechanism')"
)


def expected_suggestions(
    rows: list[asyncpg.Record], prefix: str, first: int, types: list[str] | None
) -> list[Any]:
    """Typeahead as its SQL states it, computed here from every row: 1.0 when a text starts
    with the prefix, 0.8 when a word of it or its compact form does; one best text per entity
    (shortest, then byte order, then field); ranked by score, label length, label bytes,
    type and id."""
    typed = prefix.strip(" \t\n\r\f\x0b").lower()
    compact = re.sub("[^a-z0-9\u0080-\U0010ffff]+", "", typed)
    best: dict[tuple[str, int], tuple[Any, ...]] = {}
    for r in rows:
        if types is not None and r["type"] not in types:
            continue
        starts = r["lower_text"].startswith(typed)
        if not (starts or f" {typed}" in r["lower_text"] or r["compact"].startswith(compact)):
            continue
        score = 1.0 if starts else 0.8
        choice = (-score, len(r["text"]), r["text"].encode(), r["field"])
        entity = (r["type"], r["id"])
        if entity not in best or choice < best[entity][0]:
            best[entity] = (choice, r)
    ranked = sorted(
        best.items(), key=lambda e: (e[1][0][0], len(e[1][1]["label"]), e[1][1]["label"].encode(), e[0])
    )
    return [
        (r["type"], r["key"], r["label"], r["field"], r["text"], -choice[0])
        for _, (choice, r) in ranked[:first]
    ]


def hit_key(hit: dict[str, Any]) -> tuple[Any, ...]:
    """A `suggest` hit as `expected_suggestions` gives it (the entity's key from its global ID)."""
    key = base64.urlsafe_b64decode(hit["id"] + "=" * (-len(hit["id"]) % 4)).decode().split(":", 1)[1]
    return (hit["type"], key, hit["label"], hit["matchedField"], hit["matchedText"], hit["score"])
