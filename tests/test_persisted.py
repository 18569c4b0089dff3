"""Persisted queries: Apollo's automatic persisted queries over GET and POST (also with
Apollo Client itself, under Node), the bounded store, and trusted documents."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from api.app import create_app
from api.persisted import QueryStore, load_manifest, sha256
from config.settings import Settings
from db.roles import reader_url
from tests.conftest import serve

APQ_CLIENT = Path(__file__).parent / "apq"
QUERY = '{ trial(id: "CLEOPATRA") { acronym nctId } }'
EXPECTED = {"trial": {"acronym": "CLEOPATRA", "nctId": "NCT00567190"}}


def _persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


def test_store_is_bounded_in_entries_and_bytes() -> None:
    store = QueryStore(max_entries=3, max_bytes=1000)
    for n in range(5):
        store.put(f"h{n}", "q" * 100)
    assert len(store) == 3
    assert store.get("h0") is None
    assert store.get("h4") == "q" * 100
    store.put("big", "x" * 600)  # over a quarter of the bytes: not kept
    assert store.get("big") is None
    for n in range(3):
        store.put(f"k{n}", "y" * 240)
    assert store.bytes <= 1000


def test_manifest_formats_and_checked_hashes(tmp_path: Path) -> None:
    apollo = tmp_path / "apollo.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha256(QUERY), "name": "T", "type": "query", "body": QUERY}],
            }
        )
    )
    assert load_manifest(apollo) == {sha256(QUERY): QUERY}
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({f"sha256:{sha256(QUERY)}": QUERY}))
    assert load_manifest(plain) == {sha256(QUERY): QUERY}
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({sha256("{ x }"): QUERY}))
    with pytest.raises(ValueError, match="does not have that SHA-256"):
        load_manifest(wrong)


def test_settings() -> None:
    assert Settings.from_env({}).persisted_queries == "apq"
    assert Settings.from_env({"TRUSTED_DOCUMENTS": "m.json"}).persisted_queries == "trusted"
    assert Settings.from_env({"PERSISTED_QUERIES": "off"}).persisted_queries == "off"
    with pytest.raises(ValueError, match="TRUSTED_DOCUMENTS"):
        Settings.from_env({"PERSISTED_QUERIES": "trusted"})


async def test_apq_over_post_and_get(client: httpx.AsyncClient) -> None:
    query = '{ trial(id: "CLEOPATRA") { acronym nctId phase } }'
    extensions = _persisted(query)
    missing = await client.post("/graphql", json={"extensions": extensions})
    assert missing.status_code == 200
    assert missing.headers["cache-control"] == "no-store"
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = await client.post("/graphql", json={"query": query, "extensions": extensions})
    assert registered.json()["data"]["trial"]["phase"] == "PHASE_3"
    by_hash = await client.post("/graphql", json={"extensions": extensions})
    assert by_hash.json()["data"] == registered.json()["data"]
    params = {"extensions": json.dumps(extensions)}
    get = await client.get("/graphql", params=params)
    assert get.status_code == 200
    assert get.json()["data"] == registered.json()["data"]
    assert "accept" in get.headers["vary"].lower()
    assert get.headers["cache-control"].startswith("public")
    cached = await client.get("/graphql", params=params, headers={"if-none-match": get.headers["etag"]})
    assert cached.status_code == 304
    batch = await client.post(
        "/graphql", json=[{"extensions": extensions}, {"query": "{ dataRelease { version } }"}]
    )
    assert batch.json()[0]["data"] == registered.json()["data"]


async def test_apq_refusals(client: httpx.AsyncClient) -> None:
    mismatch = await client.post("/graphql", json={"query": QUERY, "extensions": _persisted("{ other }")})
    assert mismatch.status_code == 400
    assert mismatch.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    version = await client.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha256(QUERY)}}}
    )
    assert version.status_code == 400
    assert version.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    bad_hash = await client.get(
        "/graphql", params={"extensions": json.dumps({"persistedQuery": {"version": 1, "sha256Hash": "x"}})}
    )
    assert bad_hash.status_code == 400


@pytest.fixture(scope="module")
async def trusted_url(
    seeded_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    manifest = tmp_path_factory.mktemp("trusted") / "persisted-query-manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": sha256(QUERY), "name": None, "type": "query", "body": QUERY}],
            }
        )
    )
    trusted = replace(settings, persisted_queries="trusted", trusted_documents=manifest)
    async with serve(create_app(trusted, reader_url(seeded_url))) as url:
        yield url


async def test_trusted_documents_only(trusted_url: str) -> None:
    async with httpx.AsyncClient(base_url=trusted_url) as http:
        by_hash = await http.post("/graphql", json={"extensions": _persisted(QUERY)})
        assert by_hash.json()["data"] == EXPECTED
        by_get = await http.get("/graphql", params={"extensions": json.dumps(_persisted(QUERY))})
        assert by_get.json()["data"] == EXPECTED
        by_text = await http.post("/graphql", json={"query": QUERY})
        assert by_text.json()["data"] == EXPECTED
        other = "{ dataRelease { version } }"
        refused = await http.post("/graphql", json={"query": other})
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        registering = await http.post("/graphql", json={"query": other, "extensions": _persisted(other)})
        assert registering.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        unknown = await http.post("/graphql", json={"extensions": _persisted(other)})
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        get_refused = await http.get("/graphql", params={"query": other})
        assert get_refused.status_code == 400


async def _run(*command: str, cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture(scope="module")
async def apollo_client() -> Path:
    """tests/apq with Apollo Client installed from the npm registry (package-lock.json)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "Node.js and npm are not installed: the Apollo Client persisted-query test needs them"
        if os.environ.get("NODE_TEST_REQUIRED") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    if not (APQ_CLIENT / "node_modules" / "@apollo" / "client").is_dir():
        status, out, err = await _run("npm", "ci", "--no-audit", "--no-fund", cwd=APQ_CLIENT)
        assert status == 0, f"npm ci failed: {out}{err}"
    return APQ_CLIENT


def _sent(exchange: dict[str, Any]) -> dict[str, Any]:
    """The GraphQL request of a recorded exchange: its URL's parameters or its JSON body."""
    if exchange["method"] == "GET":
        return dict(parse_qsl(urlsplit(exchange["url"]).query))
    sent: dict[str, Any] = json.loads(exchange["body"])
    return sent


@pytest.mark.parametrize("mode", ["get", "post"])
async def test_apollo_client_persisted_query_link(apollo_client: Path, base_url: str, mode: str) -> None:
    # A query text of its own per mode, so the first request finds no stored hash.
    status, out, err = await _run("node", "apq_client.mjs", f"{base_url}/graphql", mode, cwd=apollo_client)
    assert status == 0, err
    report = json.loads(out)
    expected = {
        "trials": {
            "__typename": "TrialConnection",
            "totalCount": 3,
            "nodes": [
                {"__typename": "Trial", "acronym": "ZUMA-7", "nctId": "NCT03391466"},
                {"__typename": "Trial", "acronym": "TRANSFORM", "nctId": "NCT03575351"},
            ],
        }
    }
    assert report["results"] == [expected, expected]
    first, retry, *later = report["exchanges"]
    method = "GET" if mode == "get" else "POST"
    assert first["method"] == method
    assert "PERSISTED_QUERY_NOT_FOUND" in first["response"]
    assert "sha256Hash" in json.dumps(_sent(first))
    assert "query" not in _sent(first)  # the hash alone, not the query
    assert retry["method"] == "POST"
    assert "PhaseThreeTrials" in json.loads(retry["body"])["query"]
    assert len(later) == 1  # the second client: the hash alone was enough
    assert later[0]["method"] == method
    assert later[0]["status"] == 200
    assert "query" not in _sent(later[0])
    if mode == "get":
        assert later[0]["etag"]
