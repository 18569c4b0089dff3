"""Search: its index conditions lose no hit that scoring every name finds, and a typo within
the rule (one edit or swap up to 7 letters, two edits from 8) finds the name."""

from __future__ import annotations

import random
from typing import Any

import asyncpg
import httpx

from tests.conftest import graphql
from tests.search_oracle import assert_search_loses_no_hit

# Broad words, prefixes, IDs, typos and texts in no name, at three page sizes.
HAND_PICKED = [
    "trastuzamab", "her2", "T-DXd", "pertuzamab", "enhertu", "breast cancer", "kadcyla", "NCT0",
    "car-t", "cd19", "axi-cel", "zzzz", "a", "ab", "destiny", "neratinib resistance", "ERBB2",
    "tisagenlecleucel", "HnanaH", "trastuzumab and hyaluronidase",
]  # fmt: skip


async def test_index_conditions_lose_no_hit(seeded_url: str) -> None:
    picked = [{"query": text, "first": first} for text in HAND_PICKED for first in (5, 10, 50)]
    await assert_search_loses_no_hit(seeded_url, 150, 7, picked)


def _typo(name: str, rng: random.Random) -> str:
    """The name with a swap of two neighbouring letters (up to 7 letters) or two letters
    changed (from 8): two edits either way."""
    i = rng.randrange(1, len(name) - 2)
    if len(name) < 8:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    j = rng.choice([k for k in range(1, len(name) - 1) if abs(k - i) > 1])
    letters = list(name)
    for k in (i, j):
        letters[k] = "q" if letters[k] != "q" else "x"
    return "".join(letters)


async def test_a_typo_within_the_rule_finds_the_name(seeded_url: str, client: httpx.AsyncClient) -> None:
    connection = await asyncpg.connect(seeded_url)
    try:
        names = await connection.fetch(
            "SELECT DISTINCT lower_text, type, label FROM search_index"
            " WHERE field IN ('name', 'synonym', 'brandName', 'acronym') AND lower_text ~ '^[a-z]{5,20}$'"
            " ORDER BY lower_text, type, label"
        )
    finally:
        await connection.close()
    rng = random.Random(3)
    picked = rng.sample(list(names), 40)
    assert len({len(n["lower_text"]) < 8 for n in picked}) == 2, "short and long names both"
    query = "query($q: String!) { search(query: $q, first: 50) { type label score } }"
    for name in picked:
        text = _typo(name["lower_text"], rng)
        body: Any = await graphql(client, query, {"q": text})
        assert "errors" not in body, body
        scores = [
            h["score"]
            for h in body["data"]["search"]
            if (h["type"], h["label"]) == (name["type"], name["label"])
        ]
        assert scores, (text, name)
        assert max(scores) >= round(0.95 * (1 - 2 / len(text)), 4) - 0.0001, (text, name)
