"""`%` and `_` typed by a user are characters, not LIKE wildcards, in every text filter."""

from __future__ import annotations

import httpx

from tests.conftest import graphql


async def labels(client: httpx.AsyncClient, prefix: str) -> set[str]:
    body = await graphql(
        client, "query($p: String!) { suggest(prefix: $p, first: 50) { label } }", {"p": prefix}
    )
    data: dict[str, list[dict[str, str]]] = body["data"]  # type: ignore[assignment]
    return {hit["label"] for hit in data["suggest"]}


async def test_suggest_takes_wildcards_literally(client: httpx.AsyncClient) -> None:
    assert "fam-trastuzumab deruxtecan-nxki" in await labels(client, "enh")
    # Unescaped, 'e%u' matched every name starting with e and containing a u (Enhertu).
    assert await labels(client, "e%u") <= await labels(client, "eu")
    assert await labels(client, "e_h") <= await labels(client, "eh")


async def test_name_filters_take_wildcards_literally(client: httpx.AsyncClient) -> None:
    for fragment in ("%", "_", "\\"):
        body = await graphql(
            client,
            "query($f: String!) { agents(filter: {nameContains: $f}) { totalCount } }",
            {"f": fragment},
        )
        assert body["data"] == {"agents": {"totalCount": 0}}, (fragment, body)
