"""The bulk export's CSV files state enum values as the API does (`PHASE_3`, `MONTHS`)."""

from __future__ import annotations

import csv
import io

import httpx

from seeds.export import CSV_VOCABULARIES
from tests.conftest import graphql


async def _csv(client: httpx.AsyncClient, name: str) -> list[dict[str, str]]:
    response = await client.get(f"/export/{name}.csv")
    assert response.status_code == 200, name
    return list(csv.DictReader(io.StringIO(response.text)))


async def test_every_enum_column_uses_the_api_names(client: httpx.AsyncClient) -> None:
    for table, columns in CSV_VOCABULARIES.items():
        rows = await _csv(client, table)
        assert rows, table
        for column, vocabulary in columns.items():
            assert column in rows[0], (table, column)
            names = {term.name for term in vocabulary.terms}
            values = {row[column] for row in rows} - {""}
            assert values <= names, (table, column, values - names)


async def test_export_values_equal_graphql_values(client: httpx.AsyncClient) -> None:
    rows = {row["nct_id"]: row for row in await _csv(client, "trials") if row["nct_id"]}
    answer = await graphql(client, "{ trials(first: 100) { nodes { nctId phase status setting } } }")
    nodes = answer["data"]["trials"]["nodes"]  # type: ignore[index]
    compared = 0
    for node in nodes:
        if node["nctId"] in rows:
            row = rows[node["nctId"]]
            assert (row["phase"], row["status"] or None, row["setting"]) == (
                node["phase"],
                node["status"],
                node["setting"],
            )
            compared += 1
    assert compared >= 20
    assert "PHASE_3" in {row["phase"] for row in rows.values()}
    outcomes = await _csv(client, "outcome_results")
    assert "MONTHS" in {row["unit"] for row in outcomes}
    assert "PRIMARY" in {row["analysis"] for row in outcomes}
