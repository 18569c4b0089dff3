"""The MCP server, driven by the official SDK's own client over both transports: streamable
HTTP (/mcp in the app) and stdio (`python -m api mcp` as a subprocess)."""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

import httpx
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import TextContent, TextResourceContents

from api.mcp_server import TOOL_TITLES
from config.settings import PROJECT_ROOT

EXPECTED_TOOLS = {
    "search",
    "lookup_identifiers",
    "agent_profile",
    "trial_results",
    "compare_efficacy",
    "data_releases",
    "release_changes",
    "graphql_query",
}


def error_text(result: Any) -> str:
    """The message of a tool call that failed."""
    assert result.is_error
    (content,) = result.content
    assert isinstance(content, TextContent)
    return content.text


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    content: dict[str, Any] = result.structured_content
    return content


async def exercise(client: Client) -> None:
    """The same session over either transport: every tool, the resource, the errors."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == EXPECTED_TOOLS == set(TOOL_TITLES)
    for tool in tools.values():
        assert len(tool.description or "") > 80, tool.name
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True
        for name, spec in tool.input_schema.get("properties", {}).items():
            assert spec.get("description"), (tool.name, name)

    hits = structured(await client.call_tool("search", {"text": "trastuzumab deruxtcan", "limit": 3}))
    assert hits["search"][0]["label"] == "fam-trastuzumab deruxtecan-nxki"

    found = structured(
        await client.call_tool("lookup_identifiers", {"identifiers": ["NCT03529110", "Yescarta"]})
    )
    assert [r["hits"][0]["label"] for r in found["lookup"]] == ["DESTINY-Breast03", "axicabtagene ciloleucel"]

    agent = structured(await client.call_tool("agent_profile", {"name": "Enhertu"}))["agent"]
    assert agent["slug"] == "fam-trastuzumab-deruxtecan"
    assert agent["adc"]["payload"]
    assert agent["approvals"]
    assert agent["sources"]

    trial = structured(await client.call_tool("trial_results", {"trial": "DESTINY-Breast03"}))["trial"]
    assert trial["nctId"] == "NCT03529110"
    assert any(o["hazardRatio"] for o in trial["outcomes"])
    assert all(o["sources"] for o in trial["outcomes"])

    compared = structured(
        await client.call_tool("compare_efficacy", {"agent": "T-DXd", "endpoints": ["PFS"], "limit": 5})
    )
    assert compared["efficacy"]["nodes"]
    assert all(row["endpoint"] == "PFS" for row in compared["efficacy"]["nodes"])
    assert compared["forestPlotUrl"].endswith("/plots/efficacy.svg?endpoints=PFS&agent=T-DXd")

    releases = structured(await client.call_tool("data_releases", {}))["dataReleases"]["nodes"]
    assert releases[0]["current"] is True
    changes = structured(await client.call_tool("release_changes", {"since": releases[0]["version"]}))
    assert changes["releaseChanges"]["totalCount"] == 0

    answer = structured(
        await client.call_tool(
            "graphql_query",
            {"query": "query($n: String!) { agent(name: $n) { name } }", "variables": {"n": "Herceptin"}},
        )
    )
    assert answer["data"] == {"agent": {"name": "trastuzumab"}}
    assert answer["extensions"]["cost"]["requested"] > 0

    # The limits of /graphql hold here too, and errors say what to change.
    too_big = await client.call_tool("graphql_query", {"query": "{ trials(first: 1000) { totalCount } }"})
    assert "BAD_USER_INPUT" in error_text(too_big)
    wrong = await client.call_tool("graphql_query", {"query": '{ agent(name: "x") { nope } }'})
    assert "GRAPHQL_VALIDATION_FAILED" in error_text(wrong)
    writes = await client.call_tool("graphql_query", {"query": "mutation { deleteEverything }"})
    assert writes.is_error
    unknown = await client.call_tool("agent_profile", {"name": "no such drug"})
    assert "search" in error_text(unknown)

    resource = await client.read_resource("graphql://schema")
    (content,) = resource.contents
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/graphql"
    assert "type Query" in content.text
    assert "releaseChanges" in content.text


async def test_mcp_over_streamable_http(base_url: str) -> None:
    async with Client(f"{base_url}/mcp") as client:
        await exercise(client)
        compared = structured(
            await client.call_tool("compare_efficacy", {"agent": "T-DXd", "endpoints": ["PFS"]})
        )
    # The forest plot link names the service's own plot of the same rows.
    link = urlsplit(compared["forestPlotUrl"])
    async with httpx.AsyncClient(base_url=base_url) as http:
        plot = await http.get(f"{link.path}?{link.query}")
    assert plot.status_code == 200
    assert plot.headers["content-type"].startswith("image/svg+xml")


async def test_mcp_tool_calls_are_counted(base_url: str) -> None:
    async with Client(f"{base_url}/mcp") as client:
        await client.call_tool("search", {"text": "zuma"})
        await client.call_tool("agent_profile", {"name": "no such drug"})
    async with httpx.AsyncClient(base_url=base_url) as http:
        text = (await http.get("/metrics")).text
    assert 'therapy_mcp_tool_calls_total{outcome="ok",tool="search"}' in text
    assert 'therapy_mcp_tool_calls_total{outcome="error",tool="agent_profile"}' in text


async def test_mcp_over_stdio(seeded_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": seeded_url, "LOG_LEVEL": "warning"}
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "api", "mcp"], env=env, cwd=PROJECT_ROOT
    )
    # Entered and left in the test's own task (anyio's cancel scopes require it).
    async with Client(parameters, read_timeout_seconds=60) as client:
        await exercise(client)
