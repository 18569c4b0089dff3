"""Tables prepared at seeding (migrations 0005, 0009): refreshed in the seeding transaction."""

from __future__ import annotations

import asyncpg

# In dependency order: efficacy rows and the search index read the tables seeded before them.
REFRESH = (
    "REFRESH MATERIALIZED VIEW agent_trials",
    "REFRESH MATERIALIZED VIEW agent_trial_groups",
    "REFRESH MATERIALIZED VIEW indication_closure",
    "REFRESH MATERIALIZED VIEW efficacy_rows",
    "REFRESH MATERIALIZED VIEW search_index",
    "REFRESH MATERIALIZED VIEW entity_names",
    "ANALYZE agent_trials, agent_trial_groups, indication_closure, efficacy_rows, search_index, entity_names",
)


async def refresh_prepared_tables(connection: asyncpg.Connection) -> None:
    for statement in REFRESH:
        await connection.execute(statement)
