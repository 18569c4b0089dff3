"""Forest plots: known rows rendered (one per outcome, log scale, the line at 1, labels and
sources), and the endpoint drawing the `efficacy` answer for the same filter."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import httpx

from api.forest import Forest, render

SVG = "{http://www.w3.org/2000/svg}"

NODES: list[dict[str, Any]] = [
    {
        "acronym": "DESTINY-Breast04",
        "nctId": "NCT03734029",
        "endpoint": "PFS",
        "analysis": "PRIMARY",
        "population": "hormone receptor-positive cohort",
        "experimentalLabel": "Trastuzumab deruxtecan",
        "controlLabel": "Physician's choice of chemotherapy (capecitabine, eribulin, ...)",
        "hazardRatio": 0.5,
        "hazardRatioCiLower": 0.4,
        "hazardRatioCiUpper": 0.63,
        "pValue": "<0.001",
        "sources": [
            {"citation": "Modi S, et al. N Engl J Med 2022;387:9-20.", "doi": "10.1056/NEJMoa2203690"}
        ],
    },
    {
        "acronym": "DESTINY-Breast04",
        "nctId": "NCT03734029",
        "endpoint": "OS",
        "analysis": "UPDATED",
        "experimentalLabel": "Trastuzumab deruxtecan",
        "controlLabel": "Physician's choice of chemotherapy",
        "hazardRatio": 0.69,
        "hazardRatioCiLower": 0.55,
        "hazardRatioCiUpper": 0.87,
        "pValue": None,
        "sources": [
            {"citation": "Modi S, et al. N Engl J Med 2022;387:9-20.", "doi": "10.1056/NEJMoa2203690"}
        ],
    },
    {
        "acronym": "DESTINY-Breast06",
        "nctId": "NCT04494425",
        "endpoint": "PFS",
        "analysis": "PRIMARY",
        "experimentalLabel": "Trastuzumab deruxtecan",
        "controlLabel": "Chemotherapy",
        "hazardRatio": 1.2,
        "hazardRatioCiLower": None,
        "hazardRatioCiUpper": None,
        "pValue": None,
        "sources": [{"title": "A conference abstract", "pmid": "12345"}],
    },
    {
        "acronym": "DAISY",
        "endpoint": "ORR",
        "analysis": "PRIMARY",
        "experimentalLabel": "Trastuzumab deruxtecan",
        "hazardRatio": None,
        "sources": [],
    },
]


def _svg(forest: Forest) -> ET.Element:
    return ET.fromstring(render(forest, "Known rows", "svg"))


def _texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()).strip() for t in element.iter(f"{SVG}text")]


def test_rows_from_efficacy_nodes() -> None:
    forest = Forest.from_nodes(NODES)
    assert [row.label for row in forest.rows] == [
        "DESTINY-Breast04 · PFS · primary",
        "DESTINY-Breast04 · OS · updated",
        "DESTINY-Breast06 · PFS · primary",
    ]
    assert forest.rows[0].arms == "Trastuzumab deruxtecan vs Physician's choice of chemotherapy"
    assert forest.rows[0].estimate == "0.50 (0.40\N{EN DASH}0.63)"
    assert forest.rows[2].estimate == "1.20"
    assert forest.rows[0].sources == forest.rows[1].sources == (1,)
    assert forest.rows[2].sources == (2,)
    assert forest.sources == [
        "Modi S, et al. N Engl J Med 2022;387:9-20. doi:10.1056/NEJMoa2203690",
        "A conference abstract PMID 12345",
    ]
    assert forest.without_hazard_ratio == 1


def test_svg_has_one_row_per_outcome_on_a_log_scale() -> None:
    forest = Forest.from_nodes(NODES)
    root = _svg(forest)
    groups = {g.get("id") or "": g for g in root.iter(f"{SVG}g") if g.get("id")}
    assert sorted(k for k in groups if k.startswith("row-")) == ["row-0", "row-1", "row-2"]
    assert sorted(k for k in groups if k.startswith("ci-")) == ["ci-0", "ci-1"]  # row 2 has no CI
    labels = [" ".join(_texts(groups[f"label-{n}"])) for n in range(3)]
    assert labels == [
        "DESTINY-Breast04 · PFS · primary [1]",
        "DESTINY-Breast04 · OS · updated [1]",
        "DESTINY-Breast06 · PFS · primary [2]",
    ]
    texts = _texts(root)
    assert "Trastuzumab deruxtecan vs Physician's choice of chemotherapy" in texts
    assert "hormone receptor-positive cohort" in texts
    assert "0.50 (0.40\N{EN DASH}0.63)   <0.001" in texts
    assert any("log scale" in t for t in texts)
    # Tick labels of the log axis.
    assert {"0.5", "1"} <= set(texts)
    footnote = "\n".join(texts[texts.index("Sources:") :])
    assert "[1] Modi S, et al." in footnote
    assert "[2] A conference abstract" in footnote
    assert "1 matching outcome(s) report no hazard ratio" in footnote


def test_row_markers_are_placed_by_value_on_a_log_scale() -> None:
    forest = Forest.from_nodes(NODES)
    root = _svg(forest)
    groups = {g.get("id") or "": g for g in root.iter(f"{SVG}g") if g.get("id")}

    def marker_x(n: int) -> float:
        use = next(groups[f"row-{n}"].iter(f"{SVG}use"))
        return float(use.get("x", "nan"))

    # Equal ratios are equal distances on a log axis: 0.5 -> 1.2 versus 0.69 -> 1.656.
    x0, x1, x2 = marker_x(0), marker_x(1), marker_x(2)
    assert x0 < x1 < x2
    per_decade = (x2 - x0) / math.log10(1.2 / 0.5)
    assert abs((x1 - x0) - per_decade * math.log10(0.69 / 0.5)) < 0.5


def test_png_and_empty_plot() -> None:
    png = render(Forest.from_nodes(NODES), "Known rows", "png")
    assert png.startswith(b"\x89PNG")
    empty = _texts(_svg(Forest()))
    assert "No outcome with a hazard ratio matches." in empty


async def test_endpoint_draws_the_efficacy_answer(client: httpx.AsyncClient) -> None:
    params = {"trial": "CLEOPATRA", "endpoints": "PFS,OS", "withHazardRatio": "true"}
    svg = await client.get("/plots/efficacy.svg", params=params)
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"] == "image/svg+xml"
    answer = await client.post(
        "/graphql",
        json={
            "query": """{ efficacy(first: 100, filter: {trial: "CLEOPATRA", endpoints: ["PFS", "OS"], withHazardRatio: true}) {
                nodes { acronym endpoint analysis hazardRatio } } }"""
        },
    )
    nodes = answer.json()["data"]["efficacy"]["nodes"]
    root = ET.fromstring(svg.content)
    rows = [g for g in root.iter(f"{SVG}g") if re.fullmatch(r"row-\d+", g.get("id") or "")]
    assert len(rows) == len(nodes) >= 2
    labels = [" ".join(_texts(g)) for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("label-")]
    assert [label.split(" [")[0] for label in labels] == [
        f"CLEOPATRA · {n['endpoint']} · {n['analysis'].lower().replace('_', ' ')}" for n in nodes
    ]
    png = await client.get("/plots/efficacy.png", params={**params, "title": "CLEOPATRA"})
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    cached = await client.get(
        "/plots/efficacy.svg", params=params, headers={"if-none-match": svg.headers["etag"]}
    )
    assert cached.status_code == 304
    bad = await client.get("/plots/efficacy.svg", params={"analyses": "SOMETIME"})
    assert bad.status_code == 400
    assert (await client.get("/plots/efficacy.pdf")).status_code == 404
