"""No N+1: a nested query costs one statement per relationship, whatever the row count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from config.settings import Settings
from db.queries import QueryRunner
from schema.context import Context
from schema.schema import schema
from tests.conftest import read_pool

NESTED = """
query ($filter: AgentFilter) {
  agents(filter: $filter, first: 100) {
    totalCount
    nodes {
      name
      trials {
        acronym
        outcomes {
          analysis
          sources { slug }
        }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
async def pool(seeded_url: str, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await read_pool(seeded_url, settings)
    yield pool
    await pool.close()


async def run(pool: asyncpg.Pool, settings: Settings, variables: dict[str, Any]) -> tuple[Any, list[str]]:
    runner = QueryRunner(pool)
    result = await schema.execute(NESTED, variable_values=variables, context_value=Context(db=runner))
    assert result.errors is None, result.errors
    return result.data, runner.statements


def _count(data: Any) -> tuple[int, int, int]:
    agents = data["agents"]["nodes"]
    trials = [t for a in agents for t in a["trials"]]
    outcomes = [o for t in trials for o in t["outcomes"]]
    return len(agents), len(trials), len(outcomes)


async def test_statement_count_does_not_grow_with_rows(pool: asyncpg.Pool, settings: Settings) -> None:
    all_data, all_statements = await run(pool, settings, {})
    few_data, few_statements = await run(
        pool,
        settings,
        {"filter": {"modalities": ["BISPECIFIC_ANTIBODY"], "approvedBy": "FDA", "target": "HER2"}},
    )

    agents, trials, outcomes = _count(all_data)
    few_agents, _, _ = _count(few_data)
    assert agents > few_agents >= 1
    assert trials >= 30
    assert outcomes >= 100

    # the agents page, agent->trials, trial->outcomes, outcome->sources: four statements in all.
    assert len(all_statements) == 4, all_statements
    assert len(few_statements) == len(all_statements)
