"""The cluster on one machine (deploy/cluster.py): PostgreSQL primary, a streaming standby
made with pg_basebackup, two API processes and nginx, under 30 s of mixed load with faults
(deploy/drill.py). It needs Debian's postgresql-15 and nginx and takes a few minutes, so it
runs when CLUSTER_TEST=1 (.ci/run sets it); `scripts/cluster drill` runs the same drill."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import httpx
import pytest

from deploy.cluster import Cluster
from deploy.drill import Drill

pytestmark = pytest.mark.skipif(
    os.environ.get("CLUSTER_TEST") != "1",
    reason="the cluster test runs in .ci/run (CLUSTER_TEST=1; needs postgresql-15 and nginx)",
)


async def _fetchrow(url: str, statement: str) -> asyncpg.Record:
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(statement)
    finally:
        await connection.close()
    assert row is not None
    return row


def test_cluster_topology_and_faults_under_load(capsys: pytest.CaptureFixture[str]) -> None:
    with Cluster() as cluster:
        # A real streaming standby, which the API reads from and /readyz describes.
        streaming = asyncio.run(
            _fetchrow(cluster.owner_url(cluster.primary), "SELECT state, sync_state FROM pg_stat_replication")
        )
        assert streaming["state"] == "streaming"
        in_recovery = asyncio.run(_fetchrow(cluster.owner_url(cluster.standby), "SELECT pg_is_in_recovery()"))
        assert in_recovery[0] is True
        ready = httpx.get(f"{cluster.proxy_url}/readyz", timeout=10).json()["checks"]["databases"]
        assert [(d["name"], d["role"], d["reads"]) for d in ready] == [
            ("replica-1", "standby", True),
            ("primary", "primary", False),
        ]
        assert ready[0]["lagSeconds"] is not None

        report = asyncio.run(Drill(cluster, seconds=30, clients=12).run())

    with capsys.disabled():
        print("\n" + report.text())
    assert report.failed_checks() == []
