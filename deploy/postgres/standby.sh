#!/bin/bash
# The standby (docker-compose `scale` profile), run as the postgres user of the official
# image: on first start a base backup of the primary with pg_basebackup (-R writes
# standby.signal and primary_conninfo, -C -S a replication slot that keeps the WAL the
# standby has not received), then PostgreSQL as a hot standby streaming from the primary.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -q -h "$PRIMARY_HOST"; do sleep 1; done
    PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -U replicator \
        -D "$PGDATA" -R -X stream -C -S "${SLOT_NAME:-standby_1}" -c fast
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
