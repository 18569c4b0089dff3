"""The README's example query returns the answer the README shows."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from config.settings import PROJECT_ROOT
from tests.conftest import graphql


def _examples() -> list[tuple[str, object]]:
    text = (PROJECT_ROOT / "README.md").read_text()
    pairs = re.findall(r"```graphql\n(.*?)```\s*\n[^`]*```json\n(.*?)```", text, re.S)
    return [(query, json.loads(answer)) for query, answer in pairs]


async def test_readme_examples_answer_as_documented(client: httpx.AsyncClient) -> None:
    examples = _examples()
    assert examples, "the README has at least one example with its answer"
    for query, answer in examples:
        body: Any = await graphql(client, query)
        assert body["extensions"]["cost"]["requested"] > 0
        # Every response also reports its cost in `extensions`, as the README says once.
        assert {k: v for k, v in body.items() if k != "extensions"} == answer
