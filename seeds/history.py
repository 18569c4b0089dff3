"""What a data release keeps, written in the seeding transaction that loads it.

A new release keeps the seed files it was loaded from (a rollback loads them again), each
entity as the export writes it (what `releaseChanges` compares), and its export files with
a CHANGELOG.md generated from the changes along its history (served under
/export/{version}/ for as long as the database holds the release).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from db.release import (
    EXPORT,
    SEED,
    DataRelease,
    EntityChange,
    has_entities,
    record_release,
    release_by_id,
    release_changes,
    serve_release,
    store_entities,
    store_files,
)
from db.store import Connection
from seeds.export import build_export
from seeds.spec import SECTIONS
from seeds.validate import Dataset

CHANGELOG = "CHANGELOG.md"
MAX_VALUE_CHARS = 120  # a value longer than this is cut in the CHANGELOG (the API gives it whole)
CHANGELOG_HEAD = """# Changelog of the curated data

Generated from the release history: each release lists the entities added, removed and
changed since the release served before it, with the fields that differ (old -> new).
`releaseChanges(from:, to:)` in the GraphQL API answers the same between any two releases.
"""


async def publish(
    connection: Connection,
    dataset: Dataset,
    counts: dict[str, int],
    served: DataRelease | None,
    kept: DataRelease | None,
) -> DataRelease:
    """Make the content just written the served release: a kept release with the same content
    is served again, else a new release is recorded with everything it keeps."""
    if kept is not None:
        await serve_release(connection, kept.id)
        await ensure_kept(connection, kept, dataset)
        return kept
    release = await record_release(
        connection,
        version=dataset.version,
        checksum=dataset.checksum,
        file_count=dataset.file_count,
        counts=counts,
        previous_id=served.id if served is not None else None,
    )
    await keep(connection, release, dataset)
    return release


async def ensure_kept(connection: Connection, release: DataRelease, dataset: Dataset) -> None:
    """Keep the served release's entities and files if it has none yet (a release loaded
    before the history existed: the database holds exactly its content, the files')."""
    if not await has_entities(connection, release.id):
        await keep(connection, release, dataset)


async def keep(connection: Connection, release: DataRelease, dataset: Dataset) -> None:
    """Keep the served release's seed files (as validated), entities and export (with its
    CHANGELOG.md)."""
    assert dataset.checksum == release.checksum
    export = await build_export(connection)
    assert export.version == release.version, (export.version, release.version)
    entities = [
        (section, str(record[SECTIONS[section][1]]), json.dumps(record, ensure_ascii=False))
        for section, records in export.kinds.items()
        for record in records
    ]
    await store_entities(connection, release.id, entities)
    changelog = await changelog_text(connection, release)
    await store_files(connection, release.id, EXPORT, export.files({CHANGELOG: changelog.encode()}))
    await store_files(connection, release.id, SEED, dataset.files)


async def changelog_text(connection: Connection, release: DataRelease) -> str:
    """The CHANGELOG of a release: its own changes, then those of each release before it."""
    sections: list[str] = [CHANGELOG_HEAD]
    current: DataRelease | None = release
    seen: set[int] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        previous = await release_by_id(connection, current.previous_id) if current.previous_id else None
        sections.append(await _section(connection, current, previous))
        current = previous
    return "\n".join(sections)


async def _section(connection: Connection, release: DataRelease, previous: DataRelease | None) -> str:
    day = release.loaded_at.astimezone(dt.UTC).date().isoformat()
    head = f"## {release.version} ({day})\n"
    if previous is None:
        counts = ", ".join(f"{count} {kind}" for kind, count in release.counts.items())
        return f"{head}\nThe first release of this history: {counts}.\n"
    kept = await has_entities(connection, previous.id) and await has_entities(connection, release.id)
    if not kept:
        return f"{head}\nChanges since {previous.version} are not known: it was loaded before releases kept their entities.\n"
    changes = await release_changes(connection, previous.version, release.version)
    return head + "\n" + _changes_text(previous.version, changes)


def _changes_text(previous_version: str, changes: list[EntityChange]) -> str:
    if not changes:
        return f"No entity changed since {previous_version}.\n"
    tally = {kind: sum(1 for c in changes if c.change == kind) for kind in ("added", "removed", "changed")}
    lines = [f"Since {previous_version}: " + ", ".join(f"{n} {kind}" for kind, n in tally.items()) + "."]
    kind = None
    for change in changes:
        if change.kind != kind:
            kind = change.kind
            lines += ["", f"### {kind}", ""]
        label = f" ({change.label})" if change.label and change.label != change.key else ""
        lines.append(f"- {change.change} `{change.key}`{label}")
        lines += [f"  - `{f.field}`: {_shown(f.old)} -> {_shown(f.new)}" for f in change.fields]
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."
