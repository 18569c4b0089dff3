-- The read databases' state (db/replicas.py): checked on every database the API reads from,
-- by the API's own SELECT-only role, every READ_CHECK_INTERVAL_MS.

-- name: database_state
-- Whether the server is a standby; the WAL position it has (replayed on a standby, written
-- on the primary); and, on a standby with received WAL still waiting to be replayed, the
-- seconds since the last transaction it replayed committed (0 when all is replayed). That
-- estimate grows with the primary's idle time, so db/replicas.py prefers the primary's
-- positions when it has them.
SELECT
    pg_is_in_recovery() AS in_recovery,
    (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text AS lsn,
    (CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
        ELSE coalesce(extract(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
    END)::float8 AS lag_seconds;

-- name: migration
-- The Alembic revision the database is at.
SELECT version_num FROM alembic_version;

-- name: connection_limit
-- How many connections roles without superuser rights may open on this server.
SELECT
    current_setting('max_connections')::int
    - current_setting('superuser_reserved_connections')::int
    - coalesce(current_setting('reserved_connections', true), '0')::int AS connections;
