"""The README's figures, regenerated from the curated data: `scripts/readme-figures`
(`python -m api.readme_figures [--out DIR]`). Migrates and seeds the database first, as
`serve` does, then draws through the same code as `/plots/efficacy.png`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import asyncpg

from api.cli import resolve_database_url
from api.forest import ForestPlots, render
from config.settings import PROJECT_ROOT, Settings
from db import migrate
from schema.schema import build_schema
from seeds.loader import seed

# (file, title, `efficacy` variables): the same as /plots/efficacy.png?indication=...&withHazardRatio=true
FIGURES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "her2-low-efficacy-forest.png",
        "HER2-low metastatic breast cancer: hazard ratios by trial, endpoint and analysis",
        {"filter": {"indication": "her2-low-metastatic-breast-cancer", "withHazardRatio": True}},
    ),
]


async def draw(url: str, seeds_dir: Path, out: Path) -> list[Path]:
    connection = await asyncpg.connect(url)
    try:
        await seed(connection, seeds_dir)
    finally:
        await connection.close()
    plots = ForestPlots(build_schema())
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    written = []
    try:
        for name, title, variables in FIGURES:
            forest = await plots.forest(pool, variables)
            path = out / name
            path.write_bytes(render(forest, title, "png"))
            written.append(path)
    finally:
        await pool.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.readme_figures", description=__doc__)
    parser.add_argument(
        "--out", default=str(PROJECT_ROOT / "docs"), help="folder of the figures (default docs/)"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    url = resolve_database_url(settings)
    migrate.upgrade(url)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(draw(url, settings.seeds_dir, out)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
