"""The planner costs a random page read at 1.1 sequential ones, not the default 4.

The service reads this data from memory (shared buffers or the OS cache), where a random
read costs about what a sequential one does. With the default, the planner read small tables whole
once per outer row where an index reads one entry: at x1, `Agent.trialGroups` scanned
every group row and sorted them for each agent, and an agent's trials were hash-joined
afresh per agent, which made the nested query with trialGroups 18-20% slower than without
it (10-11% with this setting; requests per second of the service at x1).

A database setting, so every session gets it: the API's pools, the loaders, and any other
client (the benchmark's other servers included), as migration 0005 does for pg_trgm.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from db.migrations.run_sql import run_sql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UPGRADE = """
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database());
END $$;
"""

DOWNGRADE = """
DO $$ BEGIN
    EXECUTE format('ALTER DATABASE %I RESET random_page_cost', current_database());
END $$;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
