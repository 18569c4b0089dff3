"""The results as Markdown tables (and the numbers behind them as JSON)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.check import SAME
from bench.queries import QUERIES
from bench.servers import GRAPHILE, OURS, PGBENCH, RAW

MODES = ("varied", "repeated")


@dataclass
class Measurement:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)  # pgbench: mean latency per statement
    p99: list[float] = field(default_factory=list)
    errors: int = 0

    def median_rps(self) -> float:
        return statistics.median(self.rps) if self.rps else 0.0


Key = tuple[str, str, str]  # (target, query, mode)


@dataclass
class Results:
    scale: int
    config: dict[str, Any]
    rows: dict[str, int]
    targets: list[str]
    measurements: dict[Key, Measurement] = field(default_factory=dict)
    verdicts: dict[Key, str] = field(default_factory=dict)
    statements: dict[Key, float] = field(default_factory=dict)
    rss: dict[str, tuple[float, float]] = field(default_factory=dict)  # idle, after the run
    # per (query, mode): (plans our engine made, distinct bodies); bodies compared in the data check
    plans: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    compared: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    load: list[float] = field(default_factory=list)  # 1-minute load average before each measurement

    def as_json(self) -> dict[str, Any]:
        def key(k: Key) -> str:
            return " / ".join(k)

        return {
            "scale": self.scale,
            "config": self.config,
            "rows": self.rows,
            "measurements": {key(k): vars(m) for k, m in self.measurements.items()},
            "verdicts": {key(k): v for k, v in self.verdicts.items()},
            "statements_per_request": {key(k): v for k, v in self.statements.items()},
            "rss_mb": {name: {"idle": idle, "after": after} for name, (idle, after) in self.rss.items()},
            "bodies_compared": {f"{q} / {m}": n for (q, m), n in self.compared.items()},
            "our_plans": {
                f"{q} / {m}": {"plans": p, "distinct_bodies": d} for (q, m), (p, d) in self.plans.items()
            },
            "notes": self.notes,
            "load_average": self.load,
        }


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "-"


def _ratio(results: Results, ours: Key, other: Key) -> str:
    """ours / other in req/s; none when the other's data differs (or could not be compared)."""
    if other not in results.measurements:
        return "-"
    checked = results.verdicts.get(other, SAME)
    if checked != SAME:
        return checked.split(" ")[0].rstrip(":")
    base = results.measurements[other].median_rps()
    mine = results.measurements[ours].median_rps()
    return f"{mine / base:.2f}x" if base > 0 else "n/a (0 req/s)"


def _detail_rows(results: Results, mode: str) -> list[str]:
    lines = [
        "| query | server | req/s | p50 ms | p99 ms | errors | SQL statements / request | same data as ours |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for query in QUERIES:
        for target in results.targets:
            key = (target, query.name, mode)
            if key not in results.measurements:
                continue
            m = results.measurements[key]
            p50, p99 = (_ms(m.p50) + " (mean)", "-") if target == PGBENCH else (_ms(m.p50), _ms(m.p99))
            statements = results.statements.get(key)
            compared = results.compared.get((query.name, mode), 0)
            verdict = results.verdicts.get(key, "?").split(":")[0]
            if target == OURS:
                verdict = f"(reference; {compared} bodies compared)"
            lines.append(
                f"| {query.name} | {target} | {m.median_rps():.1f} | {p50} | {p99} | {m.errors} "
                f"| {'-' if statements is None else f'{statements:.1f}'} | {verdict} |"
            )
    return lines


def _ratio_rows(results: Results, mode: str) -> list[str]:
    lines = [
        "| query | ours req/s | ours / PostGraphile v5 | ours / raw asyncpg | ours / PostgreSQL alone "
        "| our plans / distinct bodies |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for query in QUERIES:
        ours = (OURS, query.name, mode)
        if ours not in results.measurements:
            continue
        rps = results.measurements[ours].median_rps()
        made, distinct = results.plans.get((query.name, mode), (0, 0))
        plans = f"{made} / {distinct}"
        if query.ours_only:
            relative = _ratio(results, ours, (OURS, query.relative_to, mode))
            lines.append(f"| {query.name} | {rps:.1f} | ({relative} of ours on {query.relative_to}) | - "
                         f"| {_ratio(results, ours, (PGBENCH, query.name, mode))} | {plans} |")  # fmt: skip
            continue
        lines.append(
            f"| {query.name} | {rps:.1f} | {_ratio(results, ours, (GRAPHILE, query.name, mode))} "
            f"| {_ratio(results, ours, (RAW, query.name, mode))} | {_ratio(results, ours, (PGBENCH, query.name, mode))} "
            f"| {plans} |"
        )
    return lines


def markdown(results: Results) -> str:
    c = results.config
    rows = ", ".join(f"{name.replace('_', ' ')} {count:,}" for name, count in results.rows.items())
    lines = [
        f"# Benchmark at x{results.scale} data",
        "",
        f"{c['started']}, code {c.get('code', 'unknown')}; {c['cores']} cores shared with other work, so runs are "
        "noisy: every (query, mode) "
        f"is measured on every server in turn, {c['rounds']} interleaved rounds of {c['seconds']:g} s with "
        f"{c['clients']} concurrent clients (wrk on loopback; pgbench for PostgreSQL alone), and the tables "
        "give medians over the rounds. Before each measurement the harness waits until PostgreSQL runs no "
        "other statement. "
        f"Ours and raw asyncpg hold up to {c.get('pool', 10)} database connections each (`DB_POOL_MAX_SIZE`, "
        "twice the CPUs); PostGraphile holds its own pool's 10.",
        "",
        'req/s counts good answers only: an answer with HTTP status other than 2xx, with `"errors"` in its '
        "body, or a socket error counts as an error. Before timing, each server's answers (the repeated "
        f"request and up to {c['check_samples']} varied ones per query, within {c['check_seconds']:g} s) were "
        "compared whole with ours: every field, order and duplicates; a query whose data differs is DIFFERENT "
        "and gets no ratio (nor does one whose answers could not be compared). *varied*: each "
        f"request takes the next of {c['samples']} bodies whose values are drawn from the data (names, "
        "synonyms, brands and codes; search texts with typos; prefixes; filters; page sizes); *repeated*: "
        "one identical body. PostgreSQL alone runs, with pgbench, the very statement our service sends for "
        "each body (its latency column is the mean per statement).",
        "",
        f"Data: {rows}.",
        "",
    ]
    if results.load:
        lines[-2:-1] = [
            f"Data: {rows}. Machine load (1-minute load average before each measurement, {c['cores']} cores): "
            f"median {statistics.median(results.load):.1f}, max {max(results.load):.1f}."
        ]
    for mode in MODES:
        title = "Varied values" if mode == "varied" else "Repeated request"
        lines += [f"## {title}: ours against the others", "", *_ratio_rows(results, mode), ""]
    for mode in MODES:
        title = "Varied values" if mode == "varied" else "Repeated request"
        lines += [f"## {title}: every server", "", *_detail_rows(results, mode), ""]
    lines += ["## Server memory (RSS)", "", "| server | idle MB | after the run MB |", "|---|---:|---:|"]
    lines += [f"| {name} | {idle:.0f} | {after:.0f} |" for name, (idle, after) in results.rss.items()]
    problems = sorted({f"{k[0]} / {k[1]} / {k[2]}: {v}" for k, v in results.verdicts.items() if v != SAME})
    if problems or results.notes:
        lines += ["", "## Notes", "", *[f"- {p}" for p in [*problems, *results.notes]]]
    return "\n".join(lines) + "\n"
