"""Serve an earlier data release again: its kept seed files are loaded as they were."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath

from db.release import SEED, all_releases, release_by_version, release_files_of
from db.store import Connection
from seeds.loader import SeedResult, seed
from seeds.validate import load_dataset


class RollbackRefused(Exception):
    """The release is unknown, or its seed files were not kept."""


async def rollback(connection: Connection, version: str) -> SeedResult:
    """Load the seed files release `version` was loaded from, in one transaction, and serve
    it; the release history stays as it is (no new release is recorded)."""
    release = await release_by_version(connection, version)
    if release is None:
        known = ", ".join(r.version for r in await all_releases(connection)) or "none"
        raise RollbackRefused(f"no data release {version!r} is kept (kept: {known})")
    files = await release_files_of(connection, release.id, SEED)
    if not files:
        raise RollbackRefused(
            f"the seed files of release {version} were not kept (it was loaded before the release history)"
        )
    with tempfile.TemporaryDirectory(prefix="release-") as folder:
        root = Path(folder)
        for name, content in files.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts or len(relative.parts) < 2:
                raise RollbackRefused(f"release {version} keeps a seed file with an unusable path: {name!r}")
            path = root.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        (top,) = {PurePosixPath(name).parts[0] for name in files}
        seeds_dir = root / top
        # Validated by today's rules first: a release they refuse is not half-loaded.
        if load_dataset(seeds_dir).checksum != release.checksum:
            raise RollbackRefused(f"the kept seed files of release {version} do not match its checksum")
        return await seed(connection, seeds_dir, force=True)
