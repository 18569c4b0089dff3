"""Deployment at scale: the cluster on one machine (cluster.py), its fault drill (drill.py),
the nginx policy (nginx/) and the PostgreSQL replication scripts for docker-compose
(postgres/)."""
