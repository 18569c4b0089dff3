"""Known-vulnerability check of the installed (pinned) dependencies against PyPI's JSON API.

pip-audit asks PyPI for each exact version (/pypi/NAME/VERSION/json). Where only the
project endpoint (/pypi/NAME/json) is reachable, its `vulnerabilities` list covers the
latest release, so a dependency pinned at the latest release can still be audited; a
dependency pinned below it is reported as not audited rather than passed.

    .venv/bin/python scripts/audit_dependencies.py
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from importlib import metadata
from typing import Any

INDEX = "https://pypi.org/pypi"


def fetch(url: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            data: dict[str, Any] = json.load(response)
            return data
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


def audit(name: str, version: str) -> tuple[str, list[str]]:
    exact = fetch(f"{INDEX}/{name}/{version}/json")
    if exact is not None:
        return "audited", [str(v.get("id")) for v in exact.get("vulnerabilities") or []]
    project = fetch(f"{INDEX}/{name}/json")
    if project is None:
        return "not audited (no answer)", []
    latest = str(project.get("info", {}).get("version"))
    if latest != version:
        return f"not audited (pinned {version}, latest {latest})", []
    return "audited", [str(v.get("id")) for v in project.get("vulnerabilities") or []]


def main() -> int:
    vulnerable: dict[str, list[str]] = {}
    unaudited: dict[str, str] = {}
    audited = 0
    for dist in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"].lower()):
        name, version = dist.metadata["Name"], dist.version
        status, ids = audit(name, version)
        if status != "audited":
            unaudited[f"{name} {version}"] = status
            continue
        audited += 1
        if ids:
            vulnerable[f"{name} {version}"] = ids
    print(json.dumps({"audited": audited, "vulnerable": vulnerable, "not_audited": unaudited}, indent=2))
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
