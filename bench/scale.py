"""Deterministic synthetic scale-up: copy the curated graph (agents with their trials,
arms, regimens, outcomes, results, approvals and source links) factor - 1 times, so
tables grow by `factor` while each agent keeps its own fan-out. Benchmark data only."""

from __future__ import annotations

import asyncpg

OFFSET = 10_000_000  # id offset per copy; curated ids are far below it

# table -> (columns to shift by the copy offset, text columns to suffix, columns set to NULL)
COPIES: list[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    ("agents", ("id", "biosimilar_of_id"), ("slug", "name"), ()),
    ("adc_constructs", ("agent_id",), (), ()),
    ("cell_therapy_constructs", ("agent_id",), (), ()),
    ("agent_regional_statuses", ("id", "agent_id"), (), ()),
    ("agent_targets", ("agent_id",), (), ()),
    ("agent_components", ("agent_id", "component_id"), (), ()),
    ("trials", ("id",), ("slug",), ("nct_id",)),
    ("trial_indications", ("trial_id",), (), ()),
    ("trial_arms", ("id", "trial_id"), (), ()),
    ("arm_regimen_components", ("id", "arm_id", "agent_id"), (), ()),
    ("outcomes", ("id", "trial_id"), (), ()),
    ("outcome_arm_results", ("id", "outcome_id", "arm_id"), (), ()),
    ("approvals", ("id", "agent_id"), ("slug",), ()),
    ("approval_trials", ("approval_id", "trial_id"), (), ()),
    ("resistance_effects", ("id", "agent_id"), (), ()),
]
SUBJECTS = ("agent_id", "approval_id", "trial_id", "outcome_id", "resistance_effect_id")


async def scale_up(connection: asyncpg.Connection, factor: int) -> None:
    if factor <= 1:
        return
    async with connection.transaction():
        for copy in range(1, factor):
            offset = copy * OFFSET
            suffix = f" x{copy}"
            for table, shifted, suffixed, nulled in COPIES:
                changes = [f"'{c}', ((to_jsonb(r) ->> '{c}')::bigint + {offset})" for c in shifted]
                changes += [f"'{c}', (to_jsonb(r) ->> '{c}') || '{suffix.replace(' ', '-') if c == 'slug' else suffix}'"
                            for c in suffixed]  # fmt: skip
                changes += [f"'{c}', NULL" for c in nulled]
                await connection.execute(
                    f"""
                    INSERT INTO {table}
                    SELECT (jsonb_populate_record(NULL::{table},
                            jsonb_strip_nulls(to_jsonb(r)) || jsonb_build_object({", ".join(changes)}))).*
                    FROM {table} r WHERE {_original(shifted[0])}
                    """
                )
            for subject in SUBJECTS:
                await connection.execute(
                    f"""
                    INSERT INTO fact_sources (source_id, {subject})
                    SELECT source_id, {subject} + {offset} FROM fact_sources
                    WHERE {subject} IS NOT NULL AND {subject} < {OFFSET}
                    """
                )
        await connection.execute("ANALYZE")


def _original(column: str) -> str:
    return f"r.{column} < {OFFSET}"
