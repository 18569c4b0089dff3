"""Both therapy areas (HER2 and anti-CD19 CAR-T) on one model, without special cases."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import graphql


async def data(client: httpx.AsyncClient, query: str) -> Any:
    body = await graphql(client, query)
    assert "errors" not in body, body
    return body["data"]


async def test_target_and_modality_filters_separate_the_areas(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        """{
          her2: agents(first: 100, filter: {target: "ERBB2"}) { nodes { slug modality } }
          cd19: agents(first: 100, filter: {target: "CD19"}) { nodes { slug modality cellTherapy { binder costimulatoryDomain } } }
          cart: agents(first: 100, filter: {modalities: [CAR_T]}) { nodes { slug } }
          her2Trials: trials(first: 100, filter: {target: "HER2"}) { nodes { slug } }
          cd19Trials: trials(first: 100, filter: {target: "CD19"}) { nodes { slug } }
        }""",
    )
    her2 = {a["slug"] for a in result["her2"]["nodes"]}
    cd19 = {a["slug"] for a in result["cd19"]["nodes"]}
    assert len(her2) >= 20
    assert len(cd19) >= 6
    assert not her2 & cd19
    assert {a["slug"] for a in result["cart"]["nodes"]} == cd19
    assert all(a["modality"] == "CAR_T" for a in result["cd19"]["nodes"])
    assert sum(1 for a in result["cd19"]["nodes"] if a["cellTherapy"] and a["cellTherapy"]["binder"]) >= 5
    assert {"tisagenlecleucel", "axicabtagene-ciloleucel", "lisocabtagene-maraleucel"} <= cd19
    trials_her2 = {t["slug"] for t in result["her2Trials"]["nodes"]}
    trials_cd19 = {t["slug"] for t in result["cd19Trials"]["nodes"]}
    assert {"zuma-7", "eliana", "transform"} <= trials_cd19
    assert not trials_her2 & trials_cd19


async def test_cell_therapy_constructs_and_safety(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        """{
          kymriah: agent(name: "Kymriah") { name cellTherapy { binder costimulatoryDomain vector }
                                             safetyWarnings { kind event } }
          yescarta: agent(name: "axi-cel") { cellTherapy { costimulatoryDomain } }
        }""",
    )
    kymriah = result["kymriah"]
    assert kymriah["name"] == "tisagenlecleucel"
    assert "FMC63" in kymriah["cellTherapy"]["binder"]
    assert "4-1BB" in kymriah["cellTherapy"]["costimulatoryDomain"]
    assert "CD28" in result["yescarta"]["cellTherapy"]["costimulatoryDomain"]
    events = {(w["kind"], w["event"]) for w in kymriah["safetyWarnings"]}
    assert ("BOXED_WARNING", "CYTOKINE_RELEASE_SYNDROME") in events
    assert ("BOXED_WARNING", "NEUROLOGIC_TOXICITY") in events


async def test_efficacy_handles_hazard_ratios_response_rates_and_safety_rates(
    client: httpx.AsyncClient,
) -> None:
    result = await data(
        client,
        """{
          efs: efficacy(first: 100, filter: {trial: "ZUMA-7", endpoints: ["EFS"], withHazardRatio: true}) {
            nodes { hazardRatio hazardRatioCiLower hazardRatioCiUpper experimentalLabel controlLabel } }
          crs: efficacy(first: 100, filter: {endpoints: ["CRS_G3"], agent: "tisagenlecleucel"}) {
            nodes { acronym endpointKind experimentalRate } }
          orr: efficacy(first: 100, filter: {indication: "large-b-cell-lymphoma", endpoints: ["ORR"]}) {
            nodes { acronym experimentalRate trial { agents { slug } } } }
        }""",
    )
    efs = result["efs"]["nodes"]
    assert efs
    assert all(r["hazardRatioCiLower"] <= r["hazardRatio"] <= r["hazardRatioCiUpper"] for r in efs)
    assert all(r["controlLabel"] for r in efs)
    crs = result["crs"]["nodes"]
    assert crs
    assert all(r["endpointKind"] == "SAFETY_RATE" and r["experimentalRate"] is not None for r in crs)
    orr = result["orr"]["nodes"]
    assert len({r["acronym"] for r in orr}) >= 3
    assert all(0 <= r["experimentalRate"] <= 100 for r in orr if r["experimentalRate"] is not None)


async def test_resistance_mechanisms_of_both_areas(client: httpx.AsyncClient) -> None:
    result = await data(
        client,
        """{
          loss: resistanceMechanisms(first: 100, filter: {categories: [ANTIGEN_LOSS]}) { nodes { slug affectedAgents { modality } } }
          her2: resistanceMechanisms(first: 100, filter: {target: "ERBB2"}) { totalCount }
          cd19: resistanceMechanisms(first: 100, filter: {target: "CD19"}) { totalCount }
        }""",
    )
    assert result["loss"]["nodes"]
    assert any(a["modality"] == "CAR_T" for m in result["loss"]["nodes"] for a in m["affectedAgents"])
    assert result["her2"]["totalCount"] >= 12
    assert result["cd19"]["totalCount"] >= 5
