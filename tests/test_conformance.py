"""GraphQL over HTTP: graphql-http's auditServer (npm) against the running service."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import httpx

CONFORMANCE = Path(__file__).parent / "conformance"


def _install() -> None:
    if not (CONFORMANCE / "node_modules" / "graphql-http").exists():
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--no-package-lock"],
            cwd=CONFORMANCE,
            check=True,
            timeout=300,
        )


async def test_graphql_over_http_audit_passes_every_must(base_url: str) -> None:
    assert shutil.which("node"), "Node.js is needed for the audit"
    assert shutil.which("npm"), "npm is needed for the audit"
    await asyncio.to_thread(_install)
    process = await asyncio.create_subprocess_exec(
        "node", str(CONFORMANCE / "audit.mjs"), f"{base_url}/graphql",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    summary = json.loads(out.decode().strip().splitlines()[-1])
    print(
        f"\ngraphql-http audit: {summary['ok']} ok, {summary['warn']} SHOULD warnings, {summary['error']} MUST failures"
    )
    assert summary["error"] == 0, summary["failures"]
    assert summary["ok"] >= 40


async def test_graphql_response_media_type(client: httpx.AsyncClient) -> None:
    accept = {"accept": "application/graphql-response+json"}
    good = await client.post("/graphql", json={"query": "{ dataRelease { version } }"}, headers=accept)
    assert good.status_code == 200
    assert good.headers["content-type"].startswith("application/graphql-response+json")
    bad = await client.post("/graphql", json={"query": "{ noSuchField }"}, headers=accept)
    assert bad.status_code == 400
    assert "data" not in bad.json()
    assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    legacy = await client.post("/graphql", json={"query": "{ noSuchField }"})
    assert legacy.status_code == 200
    assert legacy.json()["data"] is None
