"""Forest plots of the efficacy comparison: `/plots/efficacy.svg` and `/plots/efficacy.png`.

The rows come from the `efficacy` root field, run through the service's own GraphQL
execution with the same filter (query parameters as for `/csv/efficacy`, api.tabular), and
are drawn with matplotlib: one row per outcome with a hazard ratio, the point estimate and
its 95% CI on a log scale, a line at 1, each row labelled with trial, endpoint, analysis and
arms, the sources numbered in a footnote.
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator
from starlette.requests import Request
from starlette.responses import Response

from api.errors import DATABASE_ERRORS
from api.tabular import (
    DownloadError,
    all_pages,
    cached_response,
    connection_fields,
    release_etag,
    variables_from_params,
)
from schema.schema import TherapySchema

matplotlib.use("Agg")

MAX_PLOT_ROWS = 60
ROW_SELECTION = (
    "acronym nctId endpoint analysis assessment dataCutoff population experimentalLabel controlLabel "
    "hazardRatio hazardRatioCiLower hazardRatioCiUpper pValue sources { citation title doi pmid }"
)
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
# Text stays text in the SVG (searchable, accessible); the output is byte-stable for a given input.
RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "forest-plot",
    "font.family": "DejaVu Sans",
    "font.size": 9,
}
ROW_INCHES = 0.55
TICKS = (0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 8.0)


def _shorten(text: str | None, width: int) -> str:
    return textwrap.shorten(text or "", width=width, placeholder="…") if text else ""


def _arm(label: str | None, width: int) -> str:
    """An arm's label without its parenthesised details, shortened."""
    return _shorten((label or "").split(" (")[0], width)


def _citation(source: dict[str, Any]) -> str:
    text = source.get("citation") or source.get("title") or ""
    if source.get("doi") and source["doi"] not in text:
        text += f" doi:{source['doi']}"
    elif source.get("pmid") and source["pmid"] not in text:
        text += f" PMID {source['pmid']}"
    return text.strip()


@dataclass(frozen=True)
class ForestRow:
    trial: str
    endpoint: str
    analysis: str
    arms: str
    population: str
    hazard_ratio: float
    lower: float | None
    upper: float | None
    p_value: str | None
    sources: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.trial} · {self.endpoint} · {self.analysis.lower().replace('_', ' ')}"

    @property
    def estimate(self) -> str:
        ci = (
            f" ({self.lower:.2f}\N{EN DASH}{self.upper:.2f})"
            if self.lower is not None and self.upper is not None
            else ""
        )
        return f"{self.hazard_ratio:.2f}{ci}"


@dataclass
class Forest:
    """What one plot shows, from the `efficacy` nodes: rows with a hazard ratio, the numbered
    sources, and how many outcomes had no hazard ratio to draw."""

    rows: list[ForestRow] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    without_hazard_ratio: int = 0

    @classmethod
    def from_nodes(cls, nodes: Sequence[dict[str, Any]]) -> Forest:
        forest = cls()
        numbers: dict[str, int] = {}
        for node in nodes:
            if node.get("hazardRatio") is None:
                forest.without_hazard_ratio += 1
                continue
            refs = []
            for source in node.get("sources") or []:
                citation = _citation(source)
                if citation not in numbers:
                    forest.sources.append(citation)
                    numbers[citation] = len(forest.sources)
                refs.append(numbers[citation])
            arms = _arm(node.get("experimentalLabel"), 40)
            if node.get("controlLabel"):
                arms += f" vs {_arm(node['controlLabel'], 36)}"
            forest.rows.append(
                ForestRow(
                    trial=node.get("acronym") or node.get("nctId") or "?",
                    endpoint=node.get("endpoint") or "",
                    analysis=node.get("analysis") or "",
                    arms=arms,
                    population=_shorten(node.get("population"), 80),
                    hazard_ratio=float(node["hazardRatio"]),
                    lower=node.get("hazardRatioCiLower"),
                    upper=node.get("hazardRatioCiUpper"),
                    p_value=node.get("pValue"),
                    sources=tuple(dict.fromkeys(refs)),
                )
            )
        return forest

    def footnote(self, width: int = 150) -> str:
        lines = [
            textwrap.fill(f"[{n}] {text}", width=width, subsequent_indent="     ")
            for n, text in enumerate(self.sources, 1)
        ]
        if self.without_hazard_ratio:
            lines.append(
                f"{self.without_hazard_ratio} matching outcome(s) report no hazard ratio and are not drawn."
            )
        return "\n".join(["Sources:", *lines]) if self.sources else "\n".join(lines)


def _x_limits(rows: Sequence[ForestRow]) -> tuple[float, float]:
    values = [v for row in rows for v in (row.hazard_ratio, row.lower, row.upper) if v]
    low, high = min([*values, 1.0]), max([*values, 1.0])
    return low / 1.35, high * 1.35


def render(forest: Forest, title: str, fmt: str) -> bytes:
    """The plot as SVG or PNG bytes; each row's marker and CI is the SVG group `row-N`."""
    rows = forest.rows
    footnote = forest.footnote()
    footnote_lines = footnote.count("\n") + 1 if footnote else 0
    height = 1.3 + ROW_INCHES * max(len(rows), 1) + 0.16 * footnote_lines
    with matplotlib.rc_context(cast(Any, RC)):
        figure = Figure(figsize=(11, height), dpi=110)
        top = 1 - 0.65 / height
        bottom = (0.35 + 0.16 * footnote_lines) / height
        axes = figure.add_axes((0.42, bottom, 0.38, max(top - bottom, 0.05)))
        axes.set_xscale("log")
        axes.set_ylim(max(len(rows), 1) - 0.5, -0.5)
        if rows:
            axes.set_xlim(*_x_limits(rows))
        axes.axvline(1.0, color="#555555", linewidth=1, zorder=1)
        for index, row in enumerate(rows):
            _draw_row(axes, index, row)
        axes.set_yticks([])
        axes.xaxis.set_major_locator(FixedLocator(list(TICKS)))
        axes.xaxis.set_minor_locator(NullLocator())
        axes.set_xticklabels([f"{t:g}" for t in TICKS])
        axes.set_xlabel("Hazard ratio (95% CI), log scale: < 1 favours the experimental arm")
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.text(1.02, 1.0, "HR (95% CI)   p", transform=axes.transAxes, va="bottom", fontweight="bold")
        figure.suptitle(title, x=0.02, y=1 - 0.12 / height, ha="left", va="top", fontweight="bold")
        if not rows:
            axes.text(
                0.5, 0.5, "No outcome with a hazard ratio matches.", transform=axes.transAxes, ha="center"
            )
        if footnote:
            figure.text(0.02, 0.08 / height, footnote, fontsize=7, va="bottom", ha="left", color="#333333")
        buffer = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def _draw_row(axes: Any, index: int, row: ForestRow) -> None:
    if row.lower is not None and row.upper is not None:
        (ci_line,) = axes.plot(
            [row.lower, row.upper], [index, index], color="#1f4e79", linewidth=1.6, zorder=2
        )
        ci_line.set_gid(f"ci-{index}")
    (marker,) = axes.plot([row.hazard_ratio], [index], marker="s", markersize=6, color="#1f4e79", zorder=3)
    marker.set_gid(f"row-{index}")
    refs = f" [{','.join(map(str, row.sources))}]" if row.sources else ""
    label = axes.text(
        -0.02, index, row.label + refs, transform=axes.get_yaxis_transform(), ha="right", va="bottom"
    )
    label.set_gid(f"label-{index}")
    details = "\n".join(text for text in (row.population, row.arms) if text)
    axes.text(
        -0.02,
        index + 0.02,
        details,
        transform=axes.get_yaxis_transform(),
        ha="right",
        va="top",
        fontsize=7.5,
        color="#444444",
    )
    p_value = f"   {row.p_value}" if row.p_value else ""
    axes.text(1.02, index, row.estimate + p_value, transform=axes.get_yaxis_transform(), va="center")


class ForestPlots:
    """`/plots/efficacy.{svg,png}`: the efficacy comparison for the query's filter, drawn."""

    def __init__(self, schema: TherapySchema) -> None:
        self.schema = schema
        self.field = connection_fields(schema)["efficacy"]
        self.rendering = asyncio.Semaphore(2)  # matplotlib is CPU-bound: two drawings at a time

    async def forest(self, pool: asyncpg.Pool, variables: dict[str, Any]) -> Forest:
        nodes = await all_pages(
            self.schema, pool, "efficacy", ROW_SELECTION, variables, max_rows=MAX_PLOT_ROWS * 4
        )
        forest = Forest.from_nodes(nodes)
        if len(forest.rows) > MAX_PLOT_ROWS:
            raise DownloadError.bad_request(
                f"{len(forest.rows)} outcomes match; a forest plot draws at most {MAX_PLOT_ROWS}. Narrow the filter."
            )
        return forest

    async def endpoint(self, request: Request) -> Response:
        fmt = request.path_params["format"]
        if fmt not in MEDIA_TYPES:
            return Response("Use /plots/efficacy.svg or /plots/efficacy.png.", status_code=404)
        pool: asyncpg.Pool = request.app.state.pool
        try:
            variables = variables_from_params(self.field, request.query_params)
            etag = await release_etag(pool, request)
            if etag is not None and etag in request.headers.get("if-none-match", ""):
                return cached_response(b"", MEDIA_TYPES[fmt], etag, request)
            forest = await self.forest(pool, variables)
        except DownloadError as refusal:
            return refusal.response()
        except DATABASE_ERRORS:
            error = {
                "message": "The database is unavailable; retry shortly.",
                "extensions": {"code": "DATABASE_UNAVAILABLE"},
            }
            return DownloadError(503, [error], {"Retry-After": "5"}).response()
        title = request.query_params.get("title") or "Efficacy comparison: hazard ratios"
        async with self.rendering:
            image = await asyncio.to_thread(render, forest, _shorten(title, 120), fmt)
        return cached_response(image, MEDIA_TYPES[fmt], etag, request)
