"""Connections, filters, ordering, global IDs, lookups, search, efficacy, facets, HTTP caching, CORS."""

from __future__ import annotations

import base64
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import graphql
from tests.suggestions import SUGGESTION_ROWS, expected_suggestions, hit_key

TRIAL_FIELDS = """
  slug acronym nctId phase status setting randomised startDate
  agents { slug modality targets { symbol } }
  indications { slug parent { slug parent { slug } } }
  outcomes { endpoint { code } }
"""


async def data(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = await graphql(client, query, variables)
    assert "errors" not in body, body
    return body["data"]


async def errors(client: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    body = await graphql(client, query)
    assert body.get("errors"), body
    result: Any = body["errors"]
    return list(result)


async def all_nodes(
    client: httpx.AsyncClient, field: str, fields: str, args: str = ""
) -> list[dict[str, Any]]:
    """Walk a connection page by page (100 at a time)."""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        cursor = f', after: "{after}"' if after else ""
        page = (await data(client, f"{{ {field}(first: 100{cursor}{args}) {{ totalCount "
                           f"pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }} }}"))[field]  # fmt: skip
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(nodes) == page["totalCount"]
            return nodes
        after = page["pageInfo"]["endCursor"]


@pytest.fixture(scope="module")
async def trials(base_url: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        return await all_nodes(http, "trials", TRIAL_FIELDS)


def _ancestry(indication: dict[str, Any]) -> set[str]:
    slugs = set()
    node: dict[str, Any] | None = indication
    while node:
        slugs.add(node["slug"])
        node = node.get("parent")
    return slugs


# --- pagination -------------------------------------------------------------------------


async def test_first_defaults_to_20_and_pages_cover_the_list_once(client: httpx.AsyncClient) -> None:
    page = (
        await data(
            client, "{ trials { totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage } } }"
        )
    )["trials"]
    assert len(page["edges"]) == 20
    assert page["totalCount"] > 20
    assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": False}

    walked = await all_nodes(client, "trials", "slug")
    assert len({t["slug"] for t in walked}) == len(walked) == page["totalCount"]


async def test_forward_and_backward_pages_agree(client: httpx.AsyncClient) -> None:
    whole = (await data(client, "{ agents(first: 100) { edges { cursor node { slug } } } }"))["agents"][
        "edges"
    ]
    third = whole[2]["cursor"]
    after = (
        await data(
            client,
            f'{{ agents(first: 3, after: "{third}") {{ nodes {{ slug }} pageInfo {{ hasPreviousPage }} }} }}',
        )
    )["agents"]
    assert [n["slug"] for n in after["nodes"]] == [e["node"]["slug"] for e in whole[3:6]]
    assert after["pageInfo"]["hasPreviousPage"] is True

    before = (await data(client, f'{{ agents(last: 2, before: "{third}") {{ nodes {{ slug }} }} }}'))[
        "agents"
    ]
    assert [n["slug"] for n in before["nodes"]] == [e["node"]["slug"] for e in whole[0:2]]

    tail = (
        await data(client, "{ agents(last: 2) { nodes { slug } pageInfo { hasNextPage hasPreviousPage } } }")
    )["agents"]
    assert [n["slug"] for n in tail["nodes"]] == [e["node"]["slug"] for e in whole[-2:]]
    assert tail["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True}

    past_end = await data(
        client,
        f'{{ agents(after: "{whole[-1]["cursor"]}") {{ nodes {{ slug }} pageInfo {{ hasNextPage }} }} }}',
    )
    assert past_end["agents"] == {"nodes": [], "pageInfo": {"hasNextPage": False}}


async def test_page_size_and_cursor_mistakes_are_refused(client: httpx.AsyncClient) -> None:
    too_many = await errors(client, "{ trials(first: 101) { totalCount } }")
    assert too_many[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "100" in too_many[0]["message"]
    negative = await errors(client, "{ trials(last: -1) { totalCount } }")
    assert negative[0]["extensions"]["code"] == "BAD_USER_INPUT"
    malformed = await errors(client, '{ trials(after: "not-a-cursor") { totalCount } }')
    assert malformed[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cursor" in malformed[0]["message"]
    forged = base64.urlsafe_b64encode(b"cursor:v9:x").decode()
    assert (await errors(client, f'{{ trials(after: "{forged}") {{ totalCount }} }}'))[0]["extensions"][
        "code"
    ] == "BAD_USER_INPUT"


# --- global IDs and lookups -------------------------------------------------------------


async def test_node_and_nodes_round_trip_global_ids(client: httpx.AsyncClient) -> None:
    found = await data(
        client,
        '{ trial(id: "CLEOPATRA") { id } agent(name: "Kymriah") { id } target(symbol: "CD19") { id } }',
    )
    ids = [found["trial"]["id"], found["agent"]["id"], found["target"]["id"]]
    one = await data(client, f'{{ node(id: "{ids[0]}") {{ __typename ... on Trial {{ acronym }} }} }}')
    assert one["node"] == {"__typename": "Trial", "acronym": "CLEOPATRA"}
    unknown = base64.urlsafe_b64encode(b"Trial:no-such-trial").decode().rstrip("=")
    many = await data(
        client, "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": [*ids, unknown]}
    )
    assert [n and n["__typename"] for n in many["nodes"]] == ["Trial", "Agent", "Target", None]
    assert [n["id"] for n in many["nodes"][:3]] == ids
    bad = await errors(client, '{ node(id: "%%%") { id } }')
    assert bad[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_lookups_by_any_public_identifier(client: httpx.AsyncClient) -> None:
    same = set()
    for name in ("Enhertu", "enhertu", "T-DXd", "DS-8201a", "trastuzumab deruxtecan"):
        same.add(
            (await data(client, "query($n: String!) { agent(name: $n) { slug } }", {"n": name}))["agent"][
                "slug"
            ]
        )
    assert same == {"fam-trastuzumab-deruxtecan"}
    assert (await data(client, '{ agent(name: "chembl554") { slug } }'))["agent"]["slug"] == "lapatinib"
    targets = await data(
        client,
        '{ a: target(symbol: "her2") { symbol } b: target(symbol: "P04626") { symbol } c: target(symbol: "HGNC:3430") { symbol } }',
    )
    assert {t["symbol"] for t in targets.values()} == {"ERBB2"}
    batch = await data(
        client,
        '{ agentsByName(names: ["Kymriah", "nothing", "Herceptin"]) { slug } trialsById(ids: ["nct03529110", "ZUMA-7"]) { acronym } }',
    )
    assert [a and a["slug"] for a in batch["agentsByName"]] == ["tisagenlecleucel", None, "trastuzumab"]
    assert [t["acronym"] for t in batch["trialsById"]] == ["DESTINY-Breast03", "ZUMA-7"]
    lookup = await data(
        client,
        '{ lookup(identifiers: ["Yescarta", "NCT00567190", "CD19", "nope"]) { identifier hits { type label matchedField } } }',
    )
    by_id = {r["identifier"]: r["hits"] for r in lookup["lookup"]}
    assert by_id["Yescarta"][0]["label"] == "axicabtagene ciloleucel"
    assert by_id["NCT00567190"][0]["label"] == "CLEOPATRA"
    assert by_id["CD19"][0]["type"] == "TARGET"
    assert by_id["nope"] == []


# --- filters and ordering ---------------------------------------------------------------


TRIAL_FILTERS: list[tuple[str, Any]] = [
    ("{phases: [PHASE_3]}", lambda t: t["phase"] == "PHASE_3"),
    ("{phases: [PHASE_1, PHASE_1_2]}", lambda t: t["phase"] in {"PHASE_1", "PHASE_1_2"}),
    ("{statuses: [COMPLETED]}", lambda t: t["status"] == "COMPLETED"),
    ("{settings: [ADJUVANT, NEOADJUVANT]}", lambda t: t["setting"] in {"ADJUVANT", "NEOADJUVANT"}),
    ("{randomised: false}", lambda t: t["randomised"] is False),
    ('{agent: "Kadcyla"}', lambda t: "ado-trastuzumab-emtansine" in {a["slug"] for a in t["agents"]}),
    ('{target: "CD19"}', lambda t: any(g["symbol"] == "CD19" for a in t["agents"] for g in a["targets"])),
    (
        "{modality: TYROSINE_KINASE_INHIBITOR}",
        lambda t: any(a["modality"] == "TYROSINE_KINASE_INHIBITOR" for a in t["agents"]),
    ),
    (
        '{indication: "breast-cancer"}',
        lambda t: any("breast-cancer" in _ancestry(i) for i in t["indications"]),
    ),
    ('{endpoint: "pCR"}', lambda t: "pCR" in {o["endpoint"]["code"] for o in t["outcomes"]}),
    (
        "{startYearFrom: 2018, startYearTo: 2020}",
        lambda t: t["startDate"] is not None and 2018 <= int(t["startDate"][:4]) <= 2020,
    ),
]


@pytest.mark.parametrize(("condition", "predicate"), TRIAL_FILTERS, ids=[c for c, _ in TRIAL_FILTERS])
async def test_every_trial_filter(
    client: httpx.AsyncClient, trials: list[dict[str, Any]], condition: str, predicate: Any
) -> None:
    expected = {t["slug"] for t in trials if predicate(t)}
    assert expected, f"the data has trials matching {condition}"
    assert len(expected) < len(trials)
    got = await all_nodes(client, "trials", "slug", f", filter: {condition}")
    assert {t["slug"] for t in got} == expected


AGENT_FIELDS = """
  slug name modality developmentStatus synonyms brandNames codeNames targets { symbol }
  regionalStatuses { region status }
  approvals { regulator indication { slug parent { slug parent { slug } } } }
  resistanceMechanisms { slug }
"""

AGENT_FILTERS: list[tuple[str, Any]] = [
    ('{target: "HER2"}', lambda a: "ERBB2" in {t["symbol"] for t in a["targets"]}),
    ("{modalities: [CAR_T]}", lambda a: a["modality"] == "CAR_T"),
    ("{developmentStatus: INVESTIGATIONAL}", lambda a: a["developmentStatus"] == "INVESTIGATIONAL"),
    ("{approvedBy: EMA}", lambda a: "EMA" in {ap["regulator"] for ap in a["approvals"]}),
    ('{approvedIn: "CN"}', lambda a: {"region": "CN", "status": "APPROVED"} in a["regionalStatuses"]),
    (
        '{approvedFor: "large-b-cell-lymphoma"}',
        lambda a: any("large-b-cell-lymphoma" in _ancestry(ap["indication"]) for ap in a["approvals"]),
    ),
    (
        '{affectedBy: "p95her2-truncation"}',
        lambda a: "p95her2-truncation" in {m["slug"] for m in a["resistanceMechanisms"]},
    ),
    (
        '{nameContains: "cel"}',
        lambda a: any(
            "cel" in n.lower() for n in [a["name"], *a["synonyms"], *a["brandNames"], *a["codeNames"]]
        ),
    ),
]


@pytest.mark.parametrize(("condition", "predicate"), AGENT_FILTERS, ids=[c for c, _ in AGENT_FILTERS])
async def test_every_agent_filter(client: httpx.AsyncClient, condition: str, predicate: Any) -> None:
    agents = await all_nodes(client, "agents", AGENT_FIELDS)
    expected = {a["slug"] for a in agents if predicate(a)}
    assert expected, f"the data has agents matching {condition}"
    assert len(expected) < len(agents)
    got = await all_nodes(client, "agents", "slug", f", filter: {condition}")
    assert {a["slug"] for a in got} == expected


async def test_outcome_resistance_approval_and_safety_filters(client: httpx.AsyncClient) -> None:
    outcomes = await all_nodes(
        client, "outcomes", "endpoint { code } analysis hazardRatio trial { slug }",
        ', filter: {endpoints: ["OS"], analyses: [FINAL], withHazardRatio: true}',
    )  # fmt: skip
    assert outcomes
    assert all(
        o["endpoint"]["code"] == "OS" and o["analysis"] == "FINAL" and o["hazardRatio"] for o in outcomes
    )
    by_agent = await all_nodes(
        client, "outcomes", "trial { agents { slug } }", ', filter: {agent: "Yescarta", trial: "ZUMA-7"}'
    )
    assert by_agent
    assert all("axicabtagene-ciloleucel" in {a["slug"] for a in o["trial"]["agents"]} for o in by_agent)

    mechanisms = await all_nodes(
        client, "resistanceMechanisms", "category affectedAgents { slug } biomarkers { name }",
        ', filter: {categories: [ANTIGEN_LOSS], agent: "tisa-cel"}',
    )  # fmt: skip
    assert mechanisms
    assert all(m["category"] == "ANTIGEN_LOSS" for m in mechanisms)
    assert all("tisagenlecleucel" in {a["slug"] for a in m["affectedAgents"]} for m in mechanisms)
    markers = await all_nodes(
        client, "resistanceMechanisms", "biomarkers { name }", ', filter: {biomarker: "PIK3CA"}'
    )
    assert markers
    assert all(any("pik3ca" in b["name"].lower() for b in m["biomarkers"]) for m in markers)

    approvals = await all_nodes(
        client, "approvals", "date regulator type agent { slug }",
        ', filter: {regulators: [FDA], types: [ACCELERATED], dateFrom: "2019", dateTo: "2022-06"}',
    )  # fmt: skip
    assert approvals
    assert all(a["regulator"] == "FDA" and a["type"] == "ACCELERATED" for a in approvals)
    assert all("2019" <= a["date"] <= "2022-06-30" for a in approvals)
    dates = [a["date"] for a in approvals]
    assert dates == sorted(dates)
    newest = await data(client, "{ approvals(first: 3, direction: DESC) { nodes { date } } }")
    newest_dates = [a["date"] for a in newest["approvals"]["nodes"]]
    assert newest_dates == sorted(newest_dates, reverse=True)

    warnings = await all_nodes(
        client, "safetyWarnings", "event kind agent { modality }", ", events: [T_CELL_MALIGNANCY]"
    )
    assert warnings
    assert all(w["event"] == "T_CELL_MALIGNANCY" and w["agent"]["modality"] == "CAR_T" for w in warnings)


async def test_order_by(client: httpx.AsyncClient) -> None:
    by_enrollment = await data(
        client,
        "{ trials(first: 10, orderBy: {field: ENROLLMENT, direction: DESC}) { nodes { enrollment } } }",
    )
    sizes = [t["enrollment"] for t in by_enrollment["trials"]["nodes"]]
    assert sizes == sorted(sizes, reverse=True)
    by_name = await data(
        client, "{ agents(first: 100, orderBy: {field: NAME, direction: DESC}) { nodes { name } } }"
    )
    names = [a["name"].lower() for a in by_name["agents"]["nodes"]]
    assert names == sorted(names, reverse=True)
    by_approval = await data(
        client, "{ agents(first: 5, orderBy: {field: FIRST_APPROVAL_DATE}) { nodes { approvals { date } } } }"
    )
    firsts = [min(a["date"] for a in agent["approvals"]) for agent in by_approval["agents"]["nodes"]]
    assert firsts == sorted(firsts)


# --- search -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "label"),
    [
        ("trastuzamab", "trastuzumab"),
        ("pertuzamab", "pertuzumab"),
        ("destiny breast 03", "DESTINY-Breast03"),
        ("NCT0352911", "DESTINY-Breast03"),
        ("Kymriah", "tisagenlecleucel"),
        ("tisa-cel", "tisagenlecleucel"),
        ("kadcyla", "ado-trastuzumab emtansine"),
        ("p95HER2", "p95HER2 truncated receptor"),
    ],
)
async def test_search_finds_the_right_record_first(client: httpx.AsyncClient, query: str, label: str) -> None:
    hits = (
        await data(
            client,
            "query($q: String!) { search(query: $q, first: 5) { label score matchedField type id } }",
            {"q": query},
        )
    )["search"]
    assert hits[0]["label"] == label, hits
    assert hits[0]["matchedField"]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


async def test_search_by_type_and_node(client: httpx.AsyncClient) -> None:
    hits = (
        await data(
            client, '{ search(query: "NCT0352", types: [TRIAL]) { type node { ... on Trial { nctId } } } }'
        )
    )["search"]
    assert hits
    assert all(h["type"] == "TRIAL" and h["node"]["nctId"].startswith("NCT0352") for h in hits[:2])
    empty = await errors(client, '{ search(query: "  --  ") { label } }')
    assert empty[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_names_in_other_scripts_are_found(client: httpx.AsyncClient, seeded_url: str) -> None:
    """A name written in Chinese characters (a brand or synonym in the curated files) is
    found by search and by typeahead, as a Latin-script name is."""
    connection = await asyncpg.connect(seeded_url)
    try:
        rows = await connection.fetch(
            "SELECT text, label FROM search_index WHERE field IN ('brandName', 'synonym')"
            " AND text ~ '[\u4e00-\u9fff]' ORDER BY text COLLATE \"C\""
        )
    finally:
        await connection.close()
    assert rows, "the curated files name no agent in Chinese characters any more"
    for row in rows:
        query = {"q": row["text"], "p": row["text"][:2]}
        found = await data(
            client,
            "query($q: String!, $p: String!) { search(query: $q, first: 5) { label score }"
            " suggest(prefix: $p, first: 20) { label } }",
            query,
        )
        assert found["search"][0] == {"label": row["label"], "score": 1.0}, found
        assert row["label"] in {hit["label"] for hit in found["suggest"]}, found


async def test_typeahead(client: httpx.AsyncClient) -> None:
    hits = (await data(client, '{ suggest(prefix: "Enh") { label type matchedText } }'))["suggest"]
    assert hits[0]["label"] == "fam-trastuzumab deruxtecan-nxki"
    zuma = (await data(client, '{ suggest(prefix: "zuma", types: [TRIAL], first: 20) { label } }'))["suggest"]
    assert {"ZUMA-1", "ZUMA-7"} <= {h["label"] for h in zuma}


async def test_typeahead_picks_one_match_per_entity_the_same_way_every_time(
    client: httpx.AsyncClient, seeded_url: str
) -> None:
    """Of one entity's equally good matches, the shortest text wins, then the first in byte
    order, then the field: the answer never depends on the order rows happen to come in.
    Whole answers for 40 prefixes, against the ranking computed from every row."""
    connection = await asyncpg.connect(seeded_url)
    try:
        rows = await connection.fetch(SUGGESTION_ROWS)
    finally:
        await connection.close()
    prefixes = sorted({r["lower_text"][:2] for r in rows if len(r["lower_text"]) >= 2})[:40]
    query = "query($p: String!) { suggest(prefix: $p, first: 100) { type id label matchedField matchedText score } }"
    hits = 0
    for prefix in prefixes:
        answer = (await data(client, query, {"p": prefix}))["suggest"]
        assert [hit_key(hit) for hit in answer] == expected_suggestions(rows, prefix, 100, None), prefix
        hits += len(answer)
    assert hits > 100


# --- comparisons and facets -------------------------------------------------------------


async def test_efficacy_comparison_side_by_side(client: httpx.AsyncClient) -> None:
    rows = await all_nodes(
        client, "efficacy",
        "acronym endpoint analysis hazardRatio hazardRatioCiLower hazardRatioCiUpper experimentalLabel "
        "experimentalMedian controlLabel controlMedian sources { slug } trial { indications { slug parent { slug } } }",
        ', filter: {indication: "her2-positive-metastatic-breast-cancer", endpoints: ["PFS"]}',
    )  # fmt: skip
    assert len({r["acronym"] for r in rows}) >= 4
    assert all(r["endpoint"] == "PFS" and r["sources"] for r in rows)
    with_hr = [r for r in rows if r["hazardRatioCiLower"] is not None]
    assert with_hr
    assert all(r["hazardRatioCiLower"] <= r["hazardRatio"] <= r["hazardRatioCiUpper"] for r in with_hr)
    assert any(r["controlLabel"] and r["experimentalMedian"] and r["controlMedian"] for r in rows)
    cleopatra = [
        r
        for r in rows
        if r["acronym"] == "CLEOPATRA" and r["analysis"] == "PRIMARY" and r["hazardRatio"] == 0.62
    ]
    assert cleopatra
    assert (cleopatra[0]["experimentalMedian"], cleopatra[0]["controlMedian"]) == (18.5, 12.4)


async def test_efficacy_with_response_rates(client: httpx.AsyncClient) -> None:
    rows = await all_nodes(
        client,
        "efficacy",
        "acronym endpoint experimentalRate controlLabel",
        ', filter: {agent: "axi-cel", endpoints: ["ORR"]}',
    )
    assert rows
    assert all(r["endpoint"] == "ORR" and r["experimentalRate"] is not None for r in rows)


async def test_facets_match_the_filtered_lists(
    client: httpx.AsyncClient, trials: list[dict[str, Any]]
) -> None:
    facets = (
        await data(client, '{ trialFacets(filter: {target: "ERBB2"}) { field values { value count } } }')
    )["trialFacets"]
    by_field = {f["field"]: {v["value"]: v["count"] for v in f["values"]} for f in facets}
    her2 = [t for t in trials if any(g["symbol"] == "ERBB2" for a in t["agents"] for g in a["targets"])]
    for phase, count in by_field["phase"].items():
        assert count == sum(1 for t in her2 if t["phase"] == phase)
    filtered = await data(client, '{ trials(filter: {target: "ERBB2", phases: [PHASE_3]}) { totalCount } }')
    assert filtered["trials"]["totalCount"] == by_field["phase"]["PHASE_3"]
    agent_facets = (await data(client, "{ agentFacets { field values { value count } } }"))["agentFacets"]
    modality = {v["value"]: v["count"] for f in agent_facets if f["field"] == "modality" for v in f["values"]}
    assert (
        modality["CAR_T"]
        == (await data(client, "{ agents(filter: {modalities: [CAR_T]}) { totalCount } }"))["agents"][
            "totalCount"
        ]
    )


async def test_agent_profile(client: httpx.AsyncClient) -> None:
    agent = (await data(client, """{ agent(name: "Perjeta") {
        approvals { date }
        trialGroups { indication { slug } phase trials { slug } }
        resistanceMechanisms { slug overcoming { displayName } }
    } }"""))["agent"]  # fmt: skip
    dates = [a["date"] for a in agent["approvals"]]
    assert dates == sorted(dates)
    assert any(
        g["phase"] == "PHASE_3" and "cleopatra" in {t["slug"] for t in g["trials"]}
        for g in agent["trialGroups"]
    )


# --- HTTP -------------------------------------------------------------------------------


async def test_get_queries_are_cacheable_with_etags(client: httpx.AsyncClient) -> None:
    params = {"query": '{ trial(id: "HERA") { nctId } }'}
    first = await client.get("/graphql", params=params)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = await client.get("/graphql", params=params, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = await client.get(
        "/graphql", params={"query": '{ trial(id: "APHINITY") { nctId } }'}, headers={"if-none-match": etag}
    )
    assert other.status_code == 200
    assert other.headers["etag"] != etag
    posted = await client.post("/graphql", json=params)
    assert posted.headers["cache-control"] == "no-store"


async def test_cors_for_allowed_origins_only(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/graphql",
        headers={"origin": "https://app.example.org", "access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
    allowed = await client.post(
        "/graphql",
        json={"query": "{ dataRelease { version } }"},
        headers={"origin": "https://app.example.org"},
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
    other = await client.post(
        "/graphql", json={"query": "{ dataRelease { version } }"}, headers={"origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers


async def test_graphiql_examples_all_run(client: httpx.AsyncClient) -> None:
    from api.graphql_view import EXAMPLES

    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert "EfficacyHer2Low" in page.text
    operations = [line.split()[1] for line in EXAMPLES.splitlines() if line.startswith("query ")]
    assert len(operations) >= 5
    for name in operations:
        body = (await client.post("/graphql", json={"query": EXAMPLES, "operationName": name})).json()
        assert "errors" not in body, (name, body)
        assert body["data"]


async def test_data_release_counts(client: httpx.AsyncClient) -> None:
    release = (await data(client, "{ dataRelease { version loadedAt counts { entity count } } }"))[
        "dataRelease"
    ]
    counts = {c["entity"]: c["count"] for c in release["counts"]}
    total = (await data(client, "{ trials { totalCount } }"))["trials"]["totalCount"]
    assert counts["trials"] == total
