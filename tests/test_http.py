"""The service over real HTTP: GraphQL by POST and GET, GraphiQL, health and readiness."""

from __future__ import annotations

import httpx

from tests.conftest import graphql

NESTED = """
query Nested($name: String!) {
  agent(name: $name) {
    name
    modality
    targets { symbol }
    trials {
      acronym
      nctId
      arms { label role regimen { displayName role agent { name } } }
      outcomes {
        endpoint { code }
        analysis
        hazardRatio
        hazardRatioCiLower
        hazardRatioCiUpper
        armResults { arm { label } median rate unit }
        sources { slug }
      }
    }
    approvals { date regulator indication { name } pivotalTrials { acronym } }
  }
}
"""


async def test_nested_query_over_post(client: httpx.AsyncClient) -> None:
    body = await graphql(client, NESTED, {"name": "Enhertu"})
    assert "errors" not in body
    agent = body["data"]["agent"]  # type: ignore[index]
    assert agent["name"] == "fam-trastuzumab deruxtecan-nxki"
    assert agent["modality"] == "ANTIBODY_DRUG_CONJUGATE"
    assert [t["symbol"] for t in agent["targets"]] == ["ERBB2"]
    acronyms = {t["acronym"] for t in agent["trials"]}
    assert {"DESTINY-Breast03", "DESTINY-Breast04"} <= acronyms
    db03 = next(t for t in agent["trials"] if t["acronym"] == "DESTINY-Breast03")
    assert db03["nctId"] == "NCT03529110"
    hazard_ratios = [o for o in db03["outcomes"] if o["hazardRatio"] is not None]
    assert hazard_ratios
    for outcome in hazard_ratios:
        if outcome["hazardRatioCiLower"] is not None:
            assert outcome["hazardRatioCiLower"] <= outcome["hazardRatio"] <= outcome["hazardRatioCiUpper"]
        assert outcome["sources"], "every outcome has a source"
    assert any(a["pivotalTrials"] for a in agent["approvals"])


async def test_synonyms_brand_and_code_names_find_the_same_agent(client: httpx.AsyncClient) -> None:
    names = set()
    for alias in ("Enhertu", "enhertu", "T-DXd", "DS-8201a", "trastuzumab deruxtecan"):
        body = await graphql(client, "query($n: String!) { agent(name: $n) { slug } }", {"n": alias})
        names.add(body["data"]["agent"]["slug"])  # type: ignore[index]
    assert names == {"fam-trastuzumab-deruxtecan"}


async def test_lookups_by_natural_key(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client,
        """{
          trial(nctId: "nct00567190") { acronym }
          byAcronym: trial(acronym: "cleopatra") { nctId }
          target(symbol: "HER2") { symbol agents { slug } }
          missing: agent(name: "no such drug") { slug }
        }""",
    )
    data = body["data"]
    assert data["trial"]["acronym"] == "CLEOPATRA"  # type: ignore[index]
    assert data["byAcronym"]["nctId"] == "NCT00567190"  # type: ignore[index]
    assert data["target"]["symbol"] == "ERBB2"  # type: ignore[index]
    assert len(data["target"]["agents"]) >= 20  # type: ignore[index]
    assert data["missing"] is None  # type: ignore[index]


async def test_relationships_in_both_directions(client: httpx.AsyncClient) -> None:
    body = await graphql(
        client,
        """{
          trial(slug: "cleopatra") {
            agents { slug trials { slug } }
            outcomes { trial { slug } sources { outcomes { trial { slug } } } }
          }
          resistanceMechanisms(first: 100) { nodes { slug affectedAgents { slug resistanceMechanisms { slug } } } }
          indication(slug: "her2-positive-metastatic-breast-cancer") {
            parent { slug children { slug } }
            approvals { agent { slug } indication { slug } }
          }
        }""",
    )
    assert "errors" not in body
    data = body["data"]
    trial = data["trial"]  # type: ignore[index]
    assert all("cleopatra" in [t["slug"] for t in a["trials"]] for a in trial["agents"])
    assert all(o["trial"]["slug"] == "cleopatra" for o in trial["outcomes"])
    for mechanism in data["resistanceMechanisms"]["nodes"]:  # type: ignore[index]
        for agent in mechanism["affectedAgents"]:
            assert mechanism["slug"] in [m["slug"] for m in agent["resistanceMechanisms"]]
    indication = data["indication"]  # type: ignore[index]
    assert "her2-positive-metastatic-breast-cancer" in [c["slug"] for c in indication["parent"]["children"]]
    assert all(
        a["indication"]["slug"] == "her2-positive-metastatic-breast-cancer" for a in indication["approvals"]
    )


async def test_query_by_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": '{ trial(acronym: "EMILIA") { nctId } }'})
    assert response.status_code == 200
    assert response.json()["data"]["trial"]["nctId"].startswith("NCT")


async def test_graphiql_for_a_browser(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    health = await client.get("/healthz")
    assert health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["migrations"] is True
    assert ready.json()["checks"]["dataRelease"]


async def test_data_release_is_queryable(client: httpx.AsyncClient) -> None:
    body = await graphql(client, "{ dataRelease { version checksum fileCount counts { entity count } } }")
    release = body["data"]["dataRelease"]  # type: ignore[index]
    assert len(release["checksum"]) == 64
    counts = {c["entity"]: c["count"] for c in release["counts"]}
    assert counts["trials"] >= 20


async def test_bad_queries_get_coded_errors_without_internals(client: httpx.AsyncClient) -> None:
    cases = {
        "{ agent(name: 1) { slug } }": "GRAPHQL_VALIDATION_FAILED",
        "{ agent { slug": "GRAPHQL_PARSE_FAILED",
        "{ noSuchField }": "GRAPHQL_VALIDATION_FAILED",
        '{ trial(nctId: "NCT00567190", acronym: "X") { slug } }': "BAD_USER_INPUT",
    }
    for query, code in cases.items():
        response = await client.post("/graphql", json={"query": query})
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == code, (query, body)
        assert "Traceback" not in response.text
    variables = await client.post(
        "/graphql",
        json={"query": "query($n: String!) { agent(name: $n) { slug } }", "variables": {"n": 5}},
    )
    assert variables.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_request_id_is_returned(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    generated = await client.get("/healthz")
    assert len(generated.headers["x-request-id"]) == 32
