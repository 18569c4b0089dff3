"""The API's own role: SELECT on every table and view, USAGE on the schema, nothing else.

The owner (whoever runs the migrations) creates the tables and loads the seeds; the API
logs in as `therapy_reader` (db.roles), so even a transaction switched to READ WRITE
cannot change anything. Roles belong to the whole server: the role is created once and
granted in each database migrated. It may log in; it has no password until one is set
(ALTER ROLE, or READER_PASSWORD with `serve`), so only trusted local connections can use
it before that.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from db.migrations.run_sql import run_sql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = r"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'therapy_reader') THEN
        CREATE ROLE therapy_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION;
        ALTER ROLE therapy_reader SET default_transaction_read_only = on;
    END IF;
END
$$;

-- Nobody but the owner creates objects in the schema (PostgreSQL < 15 lets PUBLIC); an
-- owner that does not own the schema leaves that to whoever does.
DO $$
BEGIN
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not the owner of schema public: CREATE for PUBLIC left as it is';
END
$$;
GRANT USAGE ON SCHEMA public TO therapy_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO therapy_reader;
-- Tables and views later migrations create (as this owner) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO therapy_reader;
"""

DOWNGRADE = r"""
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM therapy_reader;
REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM therapy_reader;
REVOKE USAGE ON SCHEMA public FROM therapy_reader;
-- The role stays when another database on this server still grants it something.
DO $$
BEGIN
    DROP ROLE therapy_reader;
EXCEPTION WHEN dependent_objects_still_exist OR undefined_object THEN
    NULL;
END
$$;
"""


def upgrade() -> None:
    run_sql(UPGRADE)


def downgrade() -> None:
    run_sql(DOWNGRADE)
