#!/bin/bash
# The primary's replication login (docker-compose `scale` profile). The official postgres
# image runs this once, when it creates the data folder (/docker-entrypoint-initdb.d): a role
# for the standby's base backup and WAL stream, and the pg_hba.conf line that lets it in.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
