"""CORS, compression, Vary and ETags, CSV answers and downloads, over real HTTP."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import AsyncIterator
from dataclasses import replace

import brotli
import httpx
import pytest

from api.app import create_app
from api.headers import with_vary
from config.settings import Settings
from db.roles import reader_url
from tests.conftest import graphql, serve


@pytest.fixture(scope="module")
async def open_url(seeded_url: str, settings: Settings) -> AsyncIterator[str]:
    """The service with the default CORS setting (any origin)."""
    defaults = Settings.from_env({})
    async with serve(
        create_app(replace(settings, cors_origins=defaults.cors_origins), reader_url(seeded_url))
    ) as url:
        yield url


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- CORS ----------------------------------------------------------------------------------------


def test_cors_settings() -> None:
    assert Settings.from_env({}).cors_origins == ("*",)
    assert Settings.from_env({"CORS_ORIGINS": "off"}).cors_origins == ()
    assert Settings.from_env({"CORS_ORIGINS": "https://a.example, https://b.example"}).cors_origins == (
        "https://a.example",
        "https://b.example",
    )


async def test_cors_any_origin_by_default(open_url: str) -> None:
    async with httpx.AsyncClient(base_url=open_url) as http:
        preflight = await http.options(
            "/graphql",
            headers={
                "origin": "https://somewhere.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert int(preflight.headers["access-control-max-age"]) >= 3600
        assert "access-control-allow-credentials" not in preflight.headers
        read = await http.get(
            "/graphql",
            params={"query": "{ dataRelease { version } }"},
            headers={"origin": "https://x.example"},
        )
        assert read.status_code == 200
        assert read.headers["access-control-allow-origin"] == "*"
        assert "etag" in read.headers["access-control-expose-headers"]


async def test_cors_off(seeded_url: str, settings: Settings) -> None:
    async with (
        serve(create_app(replace(settings, cors_origins=()), reader_url(seeded_url))) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        preflight = await http.options(
            "/graphql", headers={"origin": "https://x.example", "access-control-request-method": "POST"}
        )
        assert preflight.status_code == 405
        read = await http.post(
            "/graphql", json={"query": "{ dataRelease { version } }"}, headers={"origin": "https://x.example"}
        )
        assert "access-control-allow-origin" not in read.headers


# --- compression, Vary, ETag ------------------------------------------------------------------------

BIG_QUERY = "{ trials(first: 100) { nodes { acronym nctId title phase status } } }"


async def test_brotli_and_gzip_above_the_threshold(client: httpx.AsyncClient) -> None:
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        async with client.stream(
            "POST", "/graphql", json={"query": BIG_QUERY}, headers={"accept-encoding": encoding}
        ) as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == encoding
        assert "accept-encoding" in response.headers["vary"].lower()
        assert b'"nodes"' in decode(raw)
        assert len(raw) < len(decode(raw)) / 3
    small = await client.post(
        "/graphql", json={"query": "{ dataRelease { version } }"}, headers={"accept-encoding": "br, gzip"}
    )
    assert "content-encoding" not in small.headers  # below COMPRESS_MIN_BYTES
    plain = await client.post("/graphql", json={"query": BIG_QUERY}, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers


async def test_no_accept_encoding_answers_as_identity(open_url: str) -> None:
    """A client that sends no Accept-Encoding (the shortcut of api.pipeline) gets the
    same headers as one asking for `identity` (starlette-compress's own path), Vary included,
    for answers above and below COMPRESS_MIN_BYTES, GET and POST, with and without Origin."""

    def comparable(response: httpx.Response) -> dict[str, str]:
        varying = {"date", "x-request-id", "server-timing", "x-graphql-execution"}
        return {name: value for name, value in response.headers.items() if name not in varying}

    async with httpx.AsyncClient(base_url=open_url) as http:
        for query in (BIG_QUERY, "{ dataRelease { version } }"):
            for method, origin in (("POST", None), ("GET", None), ("POST", "https://x.example")):
                extra = {"origin": origin} if origin else {}
                if method == "POST":
                    request = http.build_request("POST", "/graphql", json={"query": query}, headers=extra)
                else:
                    request = http.build_request("GET", "/graphql", params={"query": query}, headers=extra)
                del request.headers["accept-encoding"]
                bare = await http.send(request)
                request.headers["accept-encoding"] = "identity"
                identity = await http.send(request)
                assert bare.status_code == identity.status_code == 200
                assert comparable(bare) == comparable(identity), (query, method, origin)
                assert bare.content == identity.content
                big = int(bare.headers["content-length"]) >= Settings.from_env({}).compress_min_bytes
                assert ("accept-encoding" in bare.headers.get("vary", "").lower()) == big
                assert "origin" in bare.headers["vary"].lower()


async def test_get_answers_vary_on_accept_with_release_etag(client: httpx.AsyncClient) -> None:
    params = {"query": "{ trials(first: 100) { nodes { acronym phase title } } }"}
    as_json = await client.get("/graphql", params=params, headers={"accept-encoding": "gzip"})
    as_csv = await client.get(
        "/graphql", params=params, headers={"accept": "text/csv", "accept-encoding": "gzip"}
    )
    for response in (as_json, as_csv):
        assert response.status_code == 200
        vary = [v.strip().lower() for v in response.headers["vary"].split(",")]
        assert "accept" in vary
        assert "accept-encoding" in vary
        assert response.headers["cache-control"].startswith("public")
    assert as_json.headers["etag"] != as_csv.headers["etag"]
    again = await client.get(
        "/graphql",
        params=params,
        headers={"accept": "text/csv", "if-none-match": as_csv.headers["etag"].removesuffix('-csv"') + '"'},
    )
    assert again.status_code == 304
    assert "accept" in again.headers["vary"].lower()
    ide = await client.get("/graphql", headers={"accept": "text/html"})
    assert "accept" in ide.headers["vary"].lower()


# --- CSV --------------------------------------------------------------------------------------------


async def test_csv_answer_of_a_graphql_query(client: httpx.AsyncClient) -> None:
    query = """{ trials(first: 100, filter: {target: "CD19", phases: [PHASE_3]}, orderBy: {field: START_DATE}) {
        totalCount nodes { acronym nctId phase startDate randomised agents { name } } } }"""
    response = await client.post("/graphql", json={"query": query}, headers={"accept": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = _rows(response.text)
    as_json = await graphql(client, query)
    nodes = as_json["data"]["trials"]["nodes"]  # type: ignore[index]
    assert [r["acronym"] for r in rows] == [n["acronym"] for n in nodes]
    assert list(rows[0]) == ["acronym", "nctId", "phase", "startDate", "randomised", "agents.name"]
    assert {r["phase"] for r in rows} == {"PHASE_3"}
    assert rows[0]["randomised"] in {"true", "false"}
    assert rows[0]["agents.name"] == "; ".join(a["name"] for a in nodes[0]["agents"])


async def test_csv_needs_one_root_field_and_keeps_errors(client: httpx.AsyncClient) -> None:
    two = await client.post(
        "/graphql",
        json={"query": "{ dataRelease { version } endpoints { code } }"},
        headers={"accept": "text/csv"},
    )
    assert two.status_code == 406
    assert two.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    wrong = await client.post("/graphql", json={"query": "{ nothing }"}, headers={"accept": "text/csv"})
    assert wrong.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_efficacy_csv_download_with_filters(client: httpx.AsyncClient) -> None:
    params = {"trial": "CLEOPATRA", "endpoints": "PFS", "analyses": "PRIMARY", "first": "1"}
    response = await client.get("/csv/efficacy", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="efficacy.csv"'
    rows = _rows(response.text)
    assert len(rows) == 1
    row = rows[0]
    assert row["acronym"] == "CLEOPATRA"
    assert row["analysis"] == "PRIMARY"
    assert row["unit"] == "MONTHS"
    assert (row["hazardRatio"], row["hazardRatioCiLower"], row["hazardRatioCiUpper"]) == (
        "0.62",
        "0.51",
        "0.75",
    )
    assert row["experimentalMedian"] == "18.5"
    etag = response.headers["etag"]
    cached = await client.get("/csv/efficacy", params=params, headers={"if-none-match": etag})
    assert cached.status_code == 304


async def test_every_root_connection_downloads(client: httpx.AsyncClient) -> None:
    from api.tabular import connection_fields
    from schema.schema import build_schema

    names = sorted(connection_fields(build_schema()))
    assert {"trials", "agents", "efficacy", "approvals", "sources", "outcomes"} <= set(names)
    for name in names:
        response = await client.get(f"/csv/{name}")
        assert response.status_code == 200, (name, response.text)
        rows = _rows(response.text)
        if name == "releaseChanges":
            continue  # the test database holds one data release: nothing changed
        assert rows, name
        assert "id" in rows[0] or name == "efficacy", name


async def test_csv_download_values_match_the_api(client: httpx.AsyncClient) -> None:
    response = await client.get("/csv/trials", params={"phases": "PHASE_3,PHASE_2", "target": "CD19"})
    rows = _rows(response.text)
    answer = await graphql(
        client,
        '{ trials(first: 100, filter: {phases: [PHASE_3, PHASE_2], target: "CD19"}) { nodes { id phase status setting } } }',
    )
    nodes = answer["data"]["trials"]["nodes"]  # type: ignore[index]
    assert [(r["id"], r["phase"], r["status"], r["setting"]) for r in rows] == [
        (n["id"], n["phase"], n["status"] or "", n["setting"]) for n in nodes
    ]
    bad = await client.get("/csv/trials", params={"phases": "PHASE_9"})
    assert bad.status_code == 400
    assert "PHASE_9" in bad.json()["errors"][0]["message"]
    unknown = await client.get("/csv/trials", params={"colour": "red"})
    assert unknown.status_code == 400
    assert "phases" in unknown.json()["errors"][0]["message"]
    assert (await client.get("/csv/nothing")).status_code == 404


def test_vary_is_merged_into_one_header_without_repeating_a_name() -> None:
    assert with_vary([(b"content-type", b"text/csv")], b"Accept") == [
        (b"content-type", b"text/csv"),
        (b"vary", b"Accept"),
    ]
    merged = with_vary([(b"vary", b"Origin"), (b"x-a", b"1"), (b"Vary", b"Accept")], b"Accept-Encoding")
    assert merged == [(b"x-a", b"1"), (b"vary", b"Origin, Accept, Accept-Encoding")]
    already = [(b"vary", b"Origin, accept")]
    assert with_vary(already, b"Accept") == already
