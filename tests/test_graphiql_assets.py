"""GraphiQL is served from assets shipped in the package, pinned by SHA-256 in a manifest."""

from __future__ import annotations

import hashlib
import json
import re

import httpx

from api.graphiql import ASSETS

MANIFEST = json.loads((ASSETS / "manifest.json").read_text())


def test_shipped_assets_match_the_manifest() -> None:
    for name, entry in MANIFEST["files"].items():
        digest = hashlib.sha256((ASSETS / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], name
        assert entry["package"] in MANIFEST["packages"], name
    # The one patched file: the explorer hands list values to enum-lists.js.
    patched = [name for name, e in MANIFEST["files"].items() if e["sha256"] != e["published_sha256"]]
    assert patched == ["plugin-explorer.umd.js"]
    assert "GraphiQLEnumLists" in (ASSETS / "plugin-explorer.umd.js").read_text()


async def test_graphiql_page_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert not re.search(r"https?://", page.text)  # no other host
    references = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assets = [r for r in references if not r.startswith("data:")]
    assert len(assets) >= 8
    for reference in assets:
        response = await client.get(f"/{reference}")
        assert response.status_code == 200, reference
    examples = json.loads(re.search(r'id="graphiql-examples">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert "query EfficacyHer2Low" in examples
