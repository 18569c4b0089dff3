"""The export: every curated fact survives seed -> database -> export; files downloadable."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from db import tables
from seeds.export import Export, build_export
from seeds.spec import SECTIONS
from seeds.validate import PartialDate, load_dataset
from tests.conftest import SEEDS_DIR

KIND_FILES = {kind: section for section, (kind, _, _) in SECTIONS.items()}
# A seed value equal to its column's default (`ci_level: 95`, `synonyms: []`) states no fact
# the export must repeat: the export leaves defaults out.
DEFAULTS: dict[str, list[Any]] = {}
for _table in tables.metadata.sorted_tables:
    for _column in _table.columns:
        if _column.info.get("seed") and isinstance(_column.default, ScalarElementColumnDefault):
            DEFAULTS.setdefault(_column.info["seed"], []).append(_column.default.arg)


def is_default(key: str, value: Any) -> bool:
    return any(value == d and isinstance(value, bool) == isinstance(d, bool) for d in DEFAULTS.get(key, []))


def normalise(value: Any) -> Any:
    """Seed values in the form the export writes them."""
    if isinstance(value, PartialDate):
        return value.value.isoformat()[: {"year": 4, "month": 7, "day": 10}[value.precision]]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, tuple):
        return [normalise(v) for v in value]
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if v != [] and v != {} and not is_default(k, v)}
    return value


def missing_facts(seed: Any, exported: Any, path: str) -> list[str]:
    """Every value of the seed entry must appear, equal, in the exported record."""
    if isinstance(seed, dict):
        if not isinstance(exported, dict):
            return [f"{path}: expected a mapping"]
        lost = []
        for key, value in seed.items():
            if key not in exported:
                lost.append(f"{path}.{key}: missing")
            else:
                lost += missing_facts(value, exported[key], f"{path}.{key}")
        return lost
    if isinstance(seed, list) and all(isinstance(v, str) for v in seed):
        # Reference and name lists are sets: their order carries no fact.
        ok = isinstance(exported, list) and sorted(seed) == sorted(exported)
        return [] if ok else [f"{path}: {seed!r} != {exported!r}"]
    if isinstance(seed, list):
        if not isinstance(exported, list) or len(seed) != len(exported):
            return [f"{path}: {seed!r} != {exported!r}"]
        return [
            m
            for i, (s, e) in enumerate(zip(seed, exported, strict=True))
            for m in missing_facts(s, e, f"{path}[{i}]")
        ]
    if isinstance(seed, float) or isinstance(exported, float):
        return (
            []
            if seed is not None and exported is not None and float(seed) == float(exported)
            else [f"{path}: {seed!r} != {exported!r}"]
        )
    return [] if seed == exported else [f"{path}: {seed!r} != {exported!r}"]


@pytest.fixture(scope="module")
async def export(seeded_url: str) -> Export:
    connection = await asyncpg.connect(seeded_url)
    try:
        return await build_export(connection)
    finally:
        await connection.close()


def test_no_fact_is_lost_between_seed_files_and_export(export: Export) -> None:
    dataset = load_dataset(SEEDS_DIR)
    lost: list[str] = []
    for kind, section in KIND_FILES.items():
        key = SECTIONS[section][1]
        records = {r[key]: r for r in export.kinds[section]}
        entries = dataset.of(kind)
        assert len(records) == len(entries), section
        for entry in entries:
            seed = normalise(entry.data)
            lost += missing_facts(seed, records.get(seed[key]), f"{section}/{seed[key]}")
    assert lost == []


def test_release_lists_a_checksum_for_every_file(export: Export) -> None:
    files = export.files()
    release = json.loads(files["release.json"])
    assert set(release["files"]) == set(files) - {"release.json"}
    for name, digest in release["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest
    assert len(release["seed_checksum"]) == 64
    assert release["license"]["id"] == "CC-BY-4.0"
    rows = list(csv.DictReader(io.StringIO(files["outcome_results.csv"].decode())))
    assert rows
    assert {"trial", "endpoint", "analysis", "hazard_ratio", "sources"} <= set(rows[0])


def test_records_are_denormalised(export: Export) -> None:
    trial = next(t for t in export.kinds["trials"] if t["slug"] == "cleopatra")
    assert trial["arms"][0]["regimen"]
    assert trial["outcomes"][0]["sources"]
    assert "pertuzumab" in trial["agent_details"]
    agent = next(a for a in export.kinds["agents"] if a["slug"] == "pertuzumab")
    assert agent["approval_details"]
    assert any(t["slug"] == "cleopatra" for t in agent["trial_details"])


async def test_export_downloads_over_http(client: httpx.AsyncClient) -> None:
    index = await client.get("/export")
    assert index.status_code == 200
    release = index.json()
    assert "trials.json" in release["files"]
    trials = await client.get("/export/trials.json")
    assert hashlib.sha256(trials.content).hexdigest() == release["files"]["trials.json"]
    table = await client.get("/export/outcome_results.csv")
    assert table.headers["content-type"].startswith("text/csv")
    missing = await client.get("/export/nothing.json")
    assert missing.status_code == 404


def test_a_written_default_is_no_lost_fact() -> None:
    """Curators may write a default (`ci_level: 95`); the export leaves it out, and that loses
    nothing. Any other value is a fact and must be exported."""
    assert normalise({"ci_level": 95, "median_not_reached": False, "synonyms": []}) == {}
    assert normalise({"ci_level": 90, "median_not_reached": True}) == {
        "ci_level": 90,
        "median_not_reached": True,
    }
    assert missing_facts(normalise({"ci_level": 95}), {}, "outcome") == []
    assert missing_facts(normalise({"ci_level": 90}), {}, "outcome") == ["outcome.ci_level: missing"]
