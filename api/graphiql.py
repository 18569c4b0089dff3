"""GraphiQL, served by the service itself from pinned assets shipped in the package
(api/static/graphiql/, listed with their SHA-256 in its manifest.json and refreshed from the
npm registry by scripts/graphiql-assets): the page makes no request to any other host."""

from __future__ import annotations

import json
from pathlib import Path

ASSETS = Path(__file__).parent / "static" / "graphiql"
# GraphiQL's page is served at /graphql; its assets resolve relative to it.
ASSETS_PATH = "/graphiql/static"


def graphiql_html(examples: str) -> str:
    """The GraphiQL page with these operations in its first tab."""
    page = (ASSETS / "index.html").read_text()
    # JSON inside <script>: "</" would end the element, so it is escaped.
    data = json.dumps(examples).replace("</", "<\\/")
    return page.replace("__EXAMPLES__", data)
