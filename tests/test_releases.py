"""Data release history: every release keeps its entities, export and seed files; the diff
between two releases lists exactly what changed; identical files make no release; a
rollback serves an earlier release again."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from api.app import create_app
from config.settings import Settings
from db import migrate
from db.queries import QueryRunner
from db.release import EXPORT, SEED, all_releases, latest_release, release_changes, release_files_of
from db.roles import reader_url
from schema.context import Context
from schema.release import ReleaseEntityType
from seeds.export import build_export
from seeds.history import CHANGELOG
from seeds.loader import seed
from seeds.rollback import RollbackRefused, rollback
from seeds.spec import SECTIONS
from seeds.validate import load_dataset
from tests.conftest import SEEDS_DIR, Databases, migrated_database, serve
from tests.test_compiler import exact_json
from tests.test_engine import COMPILED, REFERENCE
from tests.test_roles import _run_cli

VERSION_B = "2099.1.0"


@dataclass(frozen=True)
class Edits:
    """What release B changes in release A's files."""

    agent: str  # renamed: its `name` changes
    old_name: str
    trial: str  # its title and one arm's label change
    old_title: str
    arm: str
    old_label: str
    warning: str  # removed


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.md"))
    return target


def _rewrite(path: Path, change: Any) -> None:
    """Load a seed file, change its data, write it back (as YAML, same content otherwise)."""
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))


def _referenced(dataset: Any, slug: str, kind: str) -> bool:
    """Whether any entry of another kind names `slug` in its data."""

    def strings(value: Any) -> Any:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return any(
        slug in set(strings(entry.data))
        for other, entries in dataset.entries.items()
        if other != kind
        for entry in entries
    )


def make_release_b(a: Path, b: Path) -> Edits:
    """B = A with an agent renamed, a trial's title and an arm's label changed, a safety
    warning removed and a new version."""
    _copy(a, b)
    dataset = load_dataset(a)
    agent = next(
        e for e in dataset.of("agent") if e.file.endswith("her2/agents.yaml") and len(e.data["sources"]) > 1
    )
    trial = next(
        e
        for e in dataset.of("trial")
        if e.file.startswith("seeds/her2/trials/")
        and e.data.get("arms")
        and not _referenced(dataset, e.data["slug"], "trial")
    )
    warning = next(
        e for e in dataset.of("safety_warning") if not _referenced(dataset, e.data["slug"], "safety_warning")
    )
    arm = trial.data["arms"][0]
    edits = Edits(
        agent=agent.data["slug"],
        old_name=agent.data["name"],
        trial=trial.data["slug"],
        old_title=trial.data["title"],
        arm=arm["slug"],
        old_label=arm["label"],
        warning=warning.data["slug"],
    )

    def rename(data: dict[str, Any]) -> None:
        (entry,) = [e for e in data["agents"] if e["slug"] == edits.agent]
        entry["name"] = edits.old_name + " (renamed)"
        # The same sources in another order: a set, so no change.
        entry["sources"] = list(reversed(entry["sources"]))

    def retitle(data: dict[str, Any]) -> None:
        (entry,) = [e for e in data["trials"] if e["slug"] == edits.trial]
        entry["title"] = "EDITED " + edits.old_title
        entry["arms"][0]["label"] = "EDITED " + edits.old_label

    def remove(data: dict[str, Any]) -> None:
        data["safety_warnings"] = [e for e in data["safety_warnings"] if e["slug"] != edits.warning]

    _rewrite(b.parent / agent.file, rename)
    _rewrite(b.parent / trial.file, retitle)
    _rewrite(b.parent / warning.file, remove)
    release = b / "release.yaml"
    release.write_text(release.read_text().replace(f'"{dataset.version}"', f'"{VERSION_B}"'))
    return edits


@dataclass
class History:
    url: str
    a: Path
    b: Path
    edits: Edits
    version_a: str
    export_a: dict[str, bytes]


@pytest.fixture(scope="module")
async def history(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> History:
    """A database that loaded release A, then B."""
    root = tmp_path_factory.mktemp("releases")
    a = _copy(SEEDS_DIR, root / "a" / "seeds")
    b = root / "b" / "seeds"
    edits = make_release_b(a, b)
    url = await migrated_database(databases, "releases")
    connection = await asyncpg.connect(url)
    try:
        first = await seed(connection, a)
        assert first.loaded
        served = await latest_release(connection)
        assert served is not None
        export_a = await release_files_of(connection, served.id, EXPORT)
        assert (await seed(connection, b)).loaded
    finally:
        await connection.close()
    return History(url, a, b, edits, first.version, export_a)


@pytest.fixture
async def connection(history: History) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(history.url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_each_release_is_kept_with_its_export_and_seed_files(
    history: History, connection: asyncpg.Connection
) -> None:
    releases = await all_releases(connection)
    assert [r.version for r in releases] == [VERSION_B, history.version_a]
    b, a = releases
    assert b.previous_id == a.id
    assert (await latest_release(connection)) == b
    # A's export, archived when A was loaded, is byte for byte what it was after B.
    assert await release_files_of(connection, a.id, EXPORT) == history.export_a
    export_b = await release_files_of(connection, b.id, EXPORT)
    assert set(export_b) == set(history.export_a)
    for files in (history.export_a, export_b):
        listed = json.loads(files["release.json"])["files"]
        assert set(listed) == set(files) - {"release.json"}
        assert all(hashlib.sha256(files[name]).hexdigest() == digest for name, digest in listed.items())
    assert json.loads(export_b["release.json"])["version"] == VERSION_B
    # The seed files are kept as they were read.
    seed_a = await release_files_of(connection, a.id, SEED)
    assert seed_a == {
        p.relative_to(history.a.parent).as_posix(): p.read_bytes() for p in history.a.rglob("*.yaml")
    }


async def test_the_diff_lists_exactly_what_changed(history: History, connection: asyncpg.Connection) -> None:
    edits = history.edits
    changes = await release_changes(connection, history.version_a, VERSION_B)
    found = {(c.kind, c.key, c.change): {f.field: (f.old, f.new) for f in c.fields} for c in changes}
    assert found == {
        ("agents", edits.agent, "changed"): {"name": (edits.old_name, edits.old_name + " (renamed)")},
        ("trials", edits.trial, "changed"): {
            "title": (edits.old_title, "EDITED " + edits.old_title),
            f"arms[{edits.arm}].label": (edits.old_label, "EDITED " + edits.old_label),
        },
        ("safety_warnings", edits.warning, "removed"): {},
    }
    # Backwards, the removal is an addition.
    back = await release_changes(connection, VERSION_B, history.version_a)
    assert {(c.kind, c.key, c.change) for c in back} == {
        ("agents", edits.agent, "changed"),
        ("trials", edits.trial, "changed"),
        ("safety_warnings", edits.warning, "added"),
    }
    assert await release_changes(connection, history.version_a, "no-such-release") == []


async def test_the_changelog_is_generated_from_the_diff(
    history: History, connection: asyncpg.Connection
) -> None:
    b = await latest_release(connection)
    assert b is not None
    changelog = (await release_files_of(connection, b.id, EXPORT))[CHANGELOG].decode()
    edits = history.edits
    assert f"## {VERSION_B} (" in changelog
    assert f"Since {history.version_a}: 0 added, 1 removed, 2 changed." in changelog
    assert f"- removed `{edits.warning}`" in changelog
    assert (
        f"  - `name`: {json.dumps(edits.old_name)} -> {json.dumps(edits.old_name + ' (renamed)')}"
        in changelog
    )
    assert f"  - `arms[{edits.arm}].label`: " in changelog
    assert changelog.index(f"## {VERSION_B}") < changelog.index(f"## {history.version_a}")
    assert "The first release of this history" in changelog
    # A's changelog knows nothing of B.
    assert VERSION_B not in history.export_a[CHANGELOG].decode()


async def test_identical_files_make_no_release(history: History, connection: asyncpg.Connection) -> None:
    before = [r.id for r in await all_releases(connection)]
    result = await seed(connection, history.b)
    assert result.loaded is False
    assert result.version == VERSION_B
    assert [r.id for r in await all_releases(connection)] == before
    # Forced: the tables are loaded again, still no new release.
    forced = await seed(connection, history.b, force=True)
    assert forced.loaded is True
    assert [r.id for r in await all_releases(connection)] == before


GRAPHQL_CHANGES = """
query Changes($from: String!, $to: String, $types: [ReleaseEntityType!], $first: Int, $after: String) {
  releaseChanges(from: $from, to: $to, entityTypes: $types, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { entityType key label change fields { field oldValue newValue } }
  }
  dataReleases { totalCount nodes { version current previous { version } counts { entity count } } }
  latest: releaseChanges(to: $to) { totalCount nodes { key } }
  a: dataRelease(version: $from) { version current }
  served: dataRelease { version }
}
"""


async def _both(url: str, query: str, variables: dict[str, Any]) -> Any:
    # Every variable given (schema.limits reads page sizes from the variables as sent).
    variables = {"to": None, "types": None, "first": 20, "after": None} | variables
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        answers = []
        for schema in (COMPILED, REFERENCE):
            runner = QueryRunner(pool)
            result = await schema.execute(query, variable_values=variables, context_value=Context(db=runner))
            assert result.errors is None, result.errors
            if schema is COMPILED:
                assert len(runner.statements) == 1
            answers.append(exact_json(result.data))
        assert answers[0] == answers[1]
        return json.loads(answers[0])
    finally:
        await pool.close()


async def test_release_changes_in_graphql_on_both_executors(history: History) -> None:
    edits = history.edits
    data = await _both(history.url, GRAPHQL_CHANGES, {"from": history.version_a})
    changes = data["releaseChanges"]
    assert changes["totalCount"] == 3
    by_key = {node["key"]: node for node in changes["nodes"]}
    assert by_key[edits.agent]["entityType"] == "AGENT"
    assert by_key[edits.agent]["change"] == "CHANGED"
    assert by_key[edits.agent]["label"] == edits.old_name + " (renamed)"
    assert by_key[edits.agent]["fields"] == [
        {"field": "name", "oldValue": edits.old_name, "newValue": edits.old_name + " (renamed)"}
    ]
    removed = by_key[edits.warning]
    assert removed["change"] == "REMOVED"
    assert removed["label"].startswith("FDA ")  # regulator, agent and event: warnings have no name
    assert {f["field"] for f in removed["fields"]} >= {"slug", "agent"}
    assert all(f["newValue"] is None for f in removed["fields"])
    releases = data["dataReleases"]
    assert [r["version"] for r in releases["nodes"]] == [VERSION_B, history.version_a]
    assert [r["current"] for r in releases["nodes"]] == [True, False]
    assert releases["nodes"][0]["previous"] == {"version": history.version_a}
    assert data["a"] == {"version": history.version_a, "current": False}
    assert data["served"] == {"version": VERSION_B}
    # Without `from`: what the served release changed, since the release served before it.
    assert data["latest"] == {"totalCount": 3, "nodes": [{"key": n["key"]} for n in changes["nodes"]]}

    # Filtered by type, and paged.
    trials = await _both(
        history.url, GRAPHQL_CHANGES, {"from": history.version_a, "to": VERSION_B, "types": ["TRIAL"]}
    )
    assert [n["key"] for n in trials["releaseChanges"]["nodes"]] == [edits.trial]
    first = await _both(history.url, GRAPHQL_CHANGES, {"from": history.version_a, "first": 2})
    page = first["releaseChanges"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _both(
        history.url,
        GRAPHQL_CHANGES,
        {"from": history.version_a, "first": 2, "after": page["pageInfo"]["endCursor"]},
    )
    keys = [n["key"] for n in page["nodes"] + rest["releaseChanges"]["nodes"]]
    assert keys == [n["key"] for n in changes["nodes"]]
    assert rest["releaseChanges"]["pageInfo"]["hasNextPage"] is False
    # An unknown release: nothing to compare.
    none = await _both(history.url, GRAPHQL_CHANGES, {"from": "1999.0.0"})
    assert none["releaseChanges"]["totalCount"] == 0
    assert none["a"] is None


def test_the_entity_types_are_the_export_files() -> None:
    assert {str(t.value) for t in ReleaseEntityType} == set(SECTIONS)


async def test_kept_exports_over_http(history: History, settings: Settings) -> None:
    async with (
        serve(create_app(settings, reader_url(history.url))) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        index = await http.get(f"/export/{history.version_a}/")
        assert index.status_code == 200
        assert index.content == history.export_a["release.json"]
        for name in ("trials.json", "outcome_results.csv", CHANGELOG):
            response = await http.get(f"/export/{history.version_a}/{name}")
            assert response.status_code == 200, name
            assert response.content == history.export_a[name]
            assert response.headers["etag"] == f'"{hashlib.sha256(history.export_a[name]).hexdigest()}"'
            assert "immutable" in response.headers["cache-control"]
        # The served release, as before.
        served = json.loads((await http.get("/export")).content)
        assert served["version"] == VERSION_B
        assert (await http.get(f"/export/{VERSION_B}/{CHANGELOG}")).content == (
            await http.get(f"/export/{CHANGELOG}")
        ).content
        assert (await http.get(f"/export/{history.version_a}")).status_code in (307, 308)
        missing = await http.get("/export/1999.0.0/trials.json")
        assert missing.status_code == 404
        assert (await http.get(f"/export/{history.version_a}/nothing.json")).status_code == 404


async def test_rollback_serves_an_earlier_release(history: History, connection: asyncpg.Connection) -> None:
    before = [r.id for r in await all_releases(connection)]
    # One command.
    code, stdout, stderr = await _run_cli("rollback", history.version_a, env={"DATABASE_URL": history.url})
    assert code == 0, stderr
    assert f"data release {history.version_a} is served again" in stdout
    code, stdout, _ = await _run_cli("releases", env={"DATABASE_URL": history.url})
    assert code == 0
    assert [line.split()[:2] for line in stdout.splitlines()[:2]] == [
        [VERSION_B, "loaded"],
        ["*", history.version_a],
    ]
    served = await latest_release(connection)
    assert served is not None
    assert served.version == history.version_a
    assert [r.id for r in await all_releases(connection)] == before
    # The tables hold A again: a fresh export of them is A's kept export.
    assert (await build_export(connection)).files(
        {CHANGELOG: history.export_a[CHANGELOG]}
    ) == history.export_a
    # B's files do not undo the rollback on their own; forced, they serve B again.
    again = await seed(connection, history.b)
    assert again.loaded is False
    assert again.note is not None
    assert "rollback" in again.note
    served = await latest_release(connection)
    assert served is not None
    assert served.version == history.version_a
    assert (await seed(connection, history.b, force=True)).loaded
    served = await latest_release(connection)
    assert served is not None
    assert served.version == VERSION_B
    with pytest.raises(RollbackRefused, match="no data release"):
        await rollback(connection, "1999.0.0")
    code, _, stderr = await _run_cli("rollback", "1999.0.0", env={"DATABASE_URL": history.url})
    assert code == 1
    assert "no data release '1999.0.0' is kept" in stderr


async def test_changed_files_with_an_old_version_get_a_new_one(
    history: History, connection: asyncpg.Connection, tmp_path: Path
) -> None:
    c = _copy(history.b, tmp_path / "seeds")
    warnings = next(p for p in c.rglob("*.yaml") if "safety_warnings:" in p.read_text())

    def drop_one(data: dict[str, Any]) -> None:
        data["safety_warnings"] = data["safety_warnings"][1:]

    _rewrite(warnings, drop_one)
    result = await seed(connection, c)
    assert result.loaded
    assert result.version == VERSION_B + "+2"
    changes = await release_changes(connection, VERSION_B, VERSION_B + "+2")
    assert [c.change for c in changes] == ["removed"]
    # Put B back for the other tests.
    await seed(connection, history.b, force=True)


async def test_releases_loaded_before_the_history(databases: Databases) -> None:
    """Migration 0011 on a database with releases: versions made unique, each one's previous set;
    the served one keeps its entities and files at the next seeding of the same files."""
    url = await databases.create("legacy")
    await asyncio.to_thread(migrate.upgrade, url, "0010")
    connection = await asyncpg.connect(url)
    try:
        for checksum in ("a" * 64, "b" * 64):
            await connection.execute(
                "INSERT INTO data_releases (version, checksum, file_count, counts) VALUES ($1, $2, 1, '{}')",
                "2026.1.0",
                checksum,
            )
        await asyncio.to_thread(migrate.upgrade, url)
        rows = await connection.fetch("SELECT version, previous_id, served_at FROM data_releases ORDER BY id")
        assert [r["version"] for r in rows] == ["2026.1.0", "2026.1.0+2"]
        assert rows[0]["previous_id"] is None
        assert rows[1]["previous_id"] is not None
        assert all(r["served_at"] is not None for r in rows)
        # Nothing kept for them: no diff to tell.
        assert await release_changes(connection, "2026.1.0", "2026.1.0+2") == []
    finally:
        await connection.close()


async def test_a_release_without_kept_entities_keeps_them_at_the_next_seeding(
    history: History, databases: Databases
) -> None:
    url = await migrated_database(databases, "backfill")
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, history.a)
        served = await latest_release(connection)
        assert served is not None
        # As if it had been loaded before releases kept anything.
        await connection.execute("DELETE FROM release_entities")
        await connection.execute("DELETE FROM release_files")
        assert await release_files_of(connection, served.id, EXPORT) == {}
        again = await seed(connection, history.a)
        assert again.loaded is False
        files = await release_files_of(connection, served.id, EXPORT)
        assert b"The first release of this history" in files[CHANGELOG]
        assert set(files) == set(history.export_a)
        assert await release_files_of(connection, served.id, SEED)
        assert await connection.fetchval("SELECT count(*) FROM release_entities") > 1000
    finally:
        await connection.close()
