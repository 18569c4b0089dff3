"""Migrations go up, all the way down, and up again; constraints hold."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from db import migrate
from db.vocabularies import ENDPOINT_CODE
from tests.conftest import Databases, migrated_database


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    return {row["table_name"] for row in rows}


async def test_upgrade_downgrade_upgrade(databases: Databases) -> None:
    url = await migrated_database(databases, "migrations")
    tables = await _tables(url)
    assert {"agents", "trials", "outcomes", "fact_sources", "data_releases"} <= tables

    await asyncio.to_thread(migrate.downgrade, url, "base")
    assert await _tables(url) == {"alembic_version"}

    await asyncio.to_thread(migrate.upgrade, url, "0001")
    assert "safety_warnings" not in await _tables(url)

    await asyncio.to_thread(migrate.upgrade, url)
    assert await _tables(url) == tables


async def test_endpoint_vocabulary_matches_the_seed_spec(seeded_url: str) -> None:
    connection = await asyncpg.connect(seeded_url)
    try:
        codes = {row["code"] for row in await connection.fetch("SELECT code FROM endpoints")}
    finally:
        await connection.close()
    assert codes == set(ENDPOINT_CODE.values)


@pytest.mark.parametrize(
    ("statement", "constraint"),
    [
        (
            "INSERT INTO trials (slug, nct_id, title, phase, randomised, setting) "
            "VALUES ('bad', 'NCT123', 'x', '3', true, 'metastatic')",
            "trials_nct_id_check",
        ),
        (
            "INSERT INTO trials (slug, title, phase, randomised, setting, start_date, start_date_precision, "
            "primary_completion_date, primary_completion_date_precision) "
            "VALUES ('bad', 'x', '3', true, 'metastatic', '2020-01-01', 'day', '2019-01-01', 'day')",
            "trials_check",
        ),
        (
            "WITH t AS (INSERT INTO trials (slug, title, phase, randomised, setting) "
            "VALUES ('hr', 'x', '3', true, 'metastatic') RETURNING id) "
            "INSERT INTO outcomes (trial_id, slug, endpoint_id, analysis, hazard_ratio, hazard_ratio_ci_lower, "
            "hazard_ratio_ci_upper, position) SELECT id, 'os', 1, 'final', 0.9, 0.5, 0.8, 0 FROM t",
            "outcomes_check",
        ),
        (
            "WITH t AS (INSERT INTO trials (slug, title, phase, randomised, setting) "
            "VALUES ('hr0', 'x', '3', true, 'metastatic') RETURNING id) "
            "INSERT INTO outcomes (trial_id, slug, endpoint_id, analysis, hazard_ratio, position) "
            "SELECT id, 'os', 1, 'final', 0, 0 FROM t",
            "outcomes_hazard_ratio_check",
        ),
        (
            "INSERT INTO fact_sources (source_id, agent_id, trial_id) VALUES (1, 1, 1)",
            "fact_sources_check",
        ),
    ],
)
async def test_constraints_reject_bad_rows(databases: Databases, statement: str, constraint: str) -> None:
    url = await migrated_database(databases, "constraints")
    connection = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.IntegrityConstraintViolationError) as raised:
            await connection.execute(statement)
    finally:
        await connection.close()
    assert constraint in str(raised.value) or getattr(raised.value, "constraint_name", "") == constraint
