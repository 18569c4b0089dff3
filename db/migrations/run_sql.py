"""Run a plain SQL script (several statements) inside an Alembic migration.

SQLAlchemy's asyncpg adapter prepares every statement, which refuses scripts; the
driver's own `execute` without arguments uses the simple protocol, which accepts them.
"""

from __future__ import annotations

from typing import Any

from alembic import op
from sqlalchemy.util import await_only


def run_sql(script: str) -> None:
    bind = op.get_bind()
    driver_connection: Any = bind.connection.dbapi_connection.driver_connection  # type: ignore[union-attr]
    await_only(driver_connection.execute(script))
