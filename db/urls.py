"""Conversions between the DSN forms that asyncpg and SQLAlchemy expect."""

from __future__ import annotations


def sqlalchemy_url(dsn: str) -> str:
    """`postgresql://...` -> `postgresql+asyncpg://...` for Alembic's engine."""
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+asyncpg://" + dsn[len(prefix) :]
    return dsn
