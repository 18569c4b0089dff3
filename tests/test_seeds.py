"""The seed loader: validation names file, entry and field; a bad file changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from db.tables import CURATED_TABLES
from seeds.loader import seed
from seeds.validate import SeedError, load_dataset
from tests.conftest import SEEDS_DIR, Databases, migrated_database

TABLES = (*(table.name for table in CURATED_TABLES), "data_releases")


async def fingerprint(connection: asyncpg.Connection) -> dict[str, str]:
    """A digest of every curated table's full contents."""
    result = {}
    for table in TABLES:
        digest = await connection.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
        )
        result[table] = digest
    return result


@pytest.fixture(scope="module")
async def loaded_url(databases: Databases) -> str:
    url = await migrated_database(databases, "seedtests")
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, SEEDS_DIR)
    finally:
        await connection.close()
    return url


@pytest.fixture
async def connection(loaded_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(loaded_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__", "*.md"))
    return target


def test_the_curated_files_are_valid() -> None:
    dataset = load_dataset(SEEDS_DIR)
    assert len(dataset.of("agent")) >= 20
    assert len(dataset.of("trial")) >= 20
    assert all(e.data.get("sources") for e in dataset.of("trial"))
    assert all(o.get("sources") for e in dataset.of("trial") for o in e.data.get("outcomes", []))


async def test_seed_is_idempotent(connection: asyncpg.Connection) -> None:
    before = await fingerprint(connection)
    result = await seed(connection, SEEDS_DIR)
    assert result.loaded is False
    assert await fingerprint(connection) == before

    forced = await seed(connection, SEEDS_DIR, force=True)
    assert forced.loaded is True
    after = await fingerprint(connection)
    # Same rows with the same ids; the same content is the same release (served again).
    assert {k: v for k, v in after.items() if k != "data_releases"} == {
        k: v for k, v in before.items() if k != "data_releases"
    }
    assert await connection.fetchval("SELECT count(*) FROM data_releases") == 1


async def test_edited_entry_is_updated_and_removed_entry_deleted(
    connection: asyncpg.Connection, seeds_copy: Path
) -> None:
    referenced = {t for e in load_dataset(SEEDS_DIR).of("approval") for t in e.data.get("pivotal_trials", [])}
    trials = [p for p in sorted((seeds_copy / "her2" / "trials").glob("*.yaml")) if p.stem not in referenced]
    removed, edited = trials[0], trials[1]
    removed_slug = removed.stem
    removed.unlink()
    text = edited.read_text()
    head, trials_section = text.split("\ntrials:", 1)
    assert "\n    title: " in trials_section
    edited.write_text(head + "\ntrials:" + trials_section.replace("\n    title: ", "\n    title: EDITED ", 1))

    await seed(connection, seeds_copy)
    assert await connection.fetchval("SELECT count(*) FROM trials WHERE slug = $1", removed_slug) == 0
    title = await connection.fetchval("SELECT title FROM trials WHERE slug = $1", edited.stem)
    assert title.startswith("EDITED ")

    # Put the real data back for the other tests.
    await seed(connection, SEEDS_DIR, force=True)
    assert await connection.fetchval("SELECT count(*) FROM trials WHERE slug = $1", removed_slug) == 1


BAD_FILES = {
    "syntax error": (
        "her2/zz-bad.yaml",
        "agents:\n  - slug: broken\n    name: [unclosed\n",
        ["her2/zz-bad.yaml", "YAML syntax error"],
    ),
    "wrong type": (
        "her2/zz-bad.yaml",
        "agents:\n  - slug: wrong-type\n    name: Wrong\n    modality: monoclonal_antibody\n"
        "    development_status: approved\n    synonyms: not-a-list\n",
        ["her2/zz-bad.yaml", "agents[0] (wrong-type)", "synonyms", "expected a list"],
    ),
    "missing reference": (
        "her2/zz-bad.yaml",
        "approvals:\n  - slug: fda-nothing\n    agent: no-such-agent\n    indication: breast-cancer\n"
        "    regulator: FDA\n    date: 2020-01-01\n    type: regular\n    sources: [no-such-source]\n",
        [
            "approvals[0] (fda-nothing)",
            "agent: unknown agent 'no-such-agent'",
            "unknown source 'no-such-source'",
        ],
    ),
    "duplicate key": (
        "her2/zz-bad.yaml",
        "agents:\n  - slug: trastuzumab\n    name: Trastuzumab again\n    modality: monoclonal_antibody\n"
        "    development_status: approved\n",
        [
            "her2/zz-bad.yaml",
            "agents[0] (trastuzumab)",
            "slug",
            "duplicate agent key 'trastuzumab'",
        ],
    ),
    "duplicate mapping key": (
        "her2/zz-bad.yaml",
        "agents:\n  - slug: twice\n    slug: twice\n",
        ["her2/zz-bad.yaml", "duplicate key 'slug'"],
    ),
    "hazard ratio outside its interval": (
        "her2/zz-bad.yaml",
        "sources:\n  - {slug: url-x, kind: other, title: X, retrieved_from: 'https://example.org'}\n"
        "trials:\n  - slug: bad-hr\n    title: Bad\n    phase: '3'\n    randomised: true\n    setting: metastatic\n"
        "    sources: [url-x]\n    outcomes:\n      - {endpoint: OS, analysis: final, hazard_ratio: 0.9,"
        " hazard_ratio_ci: [0.5, 0.8], sources: [url-x]}\n",
        ["trials[0] (bad-hr)", "outcomes[0].hazard_ratio", "outside its confidence interval"],
    ),
    "conflicting definitions of one source": (
        "her2/zz-bad.yaml",
        "sources:\n  - {slug: url-x, kind: other, title: A, retrieved_from: 'https://example.org/x'}\n"
        "  - {slug: url-x, kind: other, title: B, retrieved_from: 'https://example.org/x'}\n",
        ["sources[1] (url-x)", ": title:", "also defined in seeds/her2/zz-bad.yaml (sources[0] (url-x))"],
    ),
    "one DOI under two slugs": (
        "her2/zz-bad.yaml",
        "sources:\n  - {slug: doi-a, kind: peer_reviewed_article, title: A, doi: 10.1234/ABC}\n"
        "  - {slug: doi-b, kind: peer_reviewed_article, title: A, doi: 10.1234/abc}\n",
        ["sources[1] (doi-b)", ": doi:", "source 'doi-a'", "one document is one source"],
    ),
    "a regulator on an article": (
        "her2/zz-bad.yaml",
        "sources:\n  - {slug: doi-a, kind: peer_reviewed_article, title: A, doi: 10.1234/a, regulator: FDA}\n",
        ["sources[0] (doi-a)", ": regulator:", "only a source of kind regulatory_document"],
    ),
    "not utf-8": (
        "her2/zz-bad.yaml",
        "agents: []\n# \udcff\n",
        ["her2/zz-bad.yaml", "not valid UTF-8"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
async def test_a_bad_file_is_reported_and_changes_nothing(
    connection: asyncpg.Connection, seeds_copy: Path, case: str
) -> None:
    relative, content, expected = BAD_FILES[case]
    path = seeds_copy / relative
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    before = await fingerprint(connection)

    with pytest.raises(SeedError) as raised:
        await seed(connection, seeds_copy, force=True)

    message = str(raised.value)
    for fragment in expected:
        assert fragment in message
    assert await fingerprint(connection) == before


def test_every_problem_is_reported_at_once(seeds_copy: Path) -> None:
    (seeds_copy / "her2" / "zz-a.yaml").write_text("agents:\n  - slug: a\n    modality: nonsense\n")
    (seeds_copy / "her2" / "zz-b.yaml").write_text("trials:\n  - slug: b\n    phase: '9'\n")
    with pytest.raises(SeedError) as raised:
        load_dataset(seeds_copy)
    problems = {(p.file.split("/")[-1], p.field) for p in raised.value.problems}
    assert ("zz-a.yaml", "name") in problems
    assert ("zz-a.yaml", "modality") in problems
    assert ("zz-b.yaml", "phase") in problems
    assert ("zz-b.yaml", "title") in problems


async def test_a_database_rejection_rolls_everything_back(
    connection: asyncpg.Connection, seeds_copy: Path
) -> None:
    # Valid to the validator, refused by a UNIQUE constraint halfway through the write.
    (seeds_copy / "her2" / "zz-dup-hgnc.yaml").write_text(
        "targets:\n  - symbol: FAKE1\n    name: fake one\n    hgnc_id: 'HGNC:3430'\n"
    )
    before = await fingerprint(connection)
    with pytest.raises(asyncpg.UniqueViolationError):
        await seed(connection, seeds_copy, force=True)
    assert await fingerprint(connection) == before


HOSTILE_FILES = {
    "huge file": (b"# " + b"x" * 2_100_000 + b"\n", "larger than"),
    "deep nesting": (b"agents: " + b"[" * 5000 + b"]" * 5000 + b"\n", "nesting"),
    "yaml bomb": (
        b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
        "aliases",
    ),
    "latin-1 encoding": ("agents:\n  - slug: caf\u00e9\n".encode("latin-1"), "not valid UTF-8"),
    "utf-16 encoding": ("agents: []\n".encode("utf-16"), "byte-order mark"),
    "binary garbage": (bytes(range(256)) * 4, "UTF-8"),
}


@pytest.mark.parametrize("case", list(HOSTILE_FILES))
async def test_hostile_files_are_refused_and_change_nothing(
    connection: asyncpg.Connection, seeds_copy: Path, case: str
) -> None:
    content, expected = HOSTILE_FILES[case]
    (seeds_copy / "her2" / "zz-hostile.yaml").write_bytes(content)
    before = await fingerprint(connection)
    with pytest.raises(SeedError) as raised:
        await seed(connection, seeds_copy, force=True)
    message = str(raised.value)
    assert "zz-hostile.yaml" in message
    assert expected in message
    assert await fingerprint(connection) == before
