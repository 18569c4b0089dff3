"""Metrics (/metrics, Prometheus) after a known sequence of requests, and the request log as
one JSON line per request with LOG_FORMAT=json."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.logs import RequestIdFilter, configure_logging, json_formatter, operation_name
from api.metrics import OperationNames, PendingObservations, route_label
from config.settings import PROJECT_ROOT, Settings
from db.roles import reader_url
from tests.conftest import serve

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by name and sorted labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


AGENT = 'query AgentName { agent(name: "Enhertu") { name } }'


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """The request lines of api.access, as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter())
    access = logging.getLogger("api.access")
    access.addHandler(handler)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        access.removeHandler(handler)
        access.setLevel(level)


async def known_sequence(http: httpx.AsyncClient) -> None:
    """Eleven GraphQL requests: 8 answered, 1 invalid, 2 refused by the rate limit."""
    for _ in range(2):
        named = {"query": AGENT, "operationName": "AgentName"}
        assert (await http.post("/graphql", json=named)).status_code == 200
    assert (await http.post("/graphql", json={"query": "{ dataRelease { version } }"})).status_code == 200
    assert (await http.get("/graphql", params={"query": AGENT})).status_code == 200
    invalid = await http.post("/graphql", json={"query": "query Broken { agent(name: 1) { nope } }"})
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    # Client-chosen names: the places left for labels are taken, these are grouped.
    for name in ("First", "Second", "Third", "Fourth"):
        query = f"query {name} {{ dataRelease {{ version }} }}"
        assert (await http.post("/graphql", json={"query": query})).status_code == 200
    # That was the 9th request of the minute: the 10th and 11th are refused.
    for _ in range(2):
        assert (await http.post("/graphql", json={"query": AGENT})).status_code == 429


def check_request_metrics(found: Samples) -> None:
    requests = "therapy_graphql_requests_total"
    assert value(found, requests, operation="AgentName", outcome="ok") == 3
    assert value(found, requests, operation="anonymous", outcome="ok") == 1
    assert value(found, requests, operation="Broken", outcome="client_error") == 1
    # AgentName and Broken took the two places for names GraphiQL's examples do not have.
    assert value(found, requests, operation="other", outcome="ok") == 4
    assert value(found, requests, operation="unread", outcome="rate_limited") == 2
    assert value(found, "therapy_http_refusals_total", status="429") == 2
    assert value(found, "therapy_http_refusals_total", status="503") == 0
    assert value(found, "therapy_http_responses_total", route="/graphql", status="200") == 9
    assert value(found, "therapy_http_responses_total", route="/graphql", status="429") == 2
    assert value(found, "therapy_graphql_request_duration_seconds_count", operation="AgentName") == 3
    # One statement per executed operation; none for the invalid and the refused ones.
    assert value(found, "therapy_graphql_statements_per_request_count") == 11
    assert value(found, "therapy_graphql_statements_per_request_sum") == 8
    assert value(found, "therapy_db_pool_wait_seconds_count") == 8
    assert value(found, "therapy_graphql_query_cost_count") == 8


def check_state_metrics(found: Samples) -> None:
    # The second AgentName POST reuses its plan; the GET names no operation, so it is another key.
    assert value(found, "therapy_cache_lookups_total", cache="plan", result="hit") >= 1
    assert value(found, "therapy_cache_lookups_total", cache="plan", result="miss") >= 2
    assert value(found, "therapy_cache_entries", cache="plan") >= 2
    assert value(found, "therapy_cache_bytes", cache="plan") > 0
    assert value(found, "therapy_cache_lookups_total", cache="document", result="hit") >= 1
    assert value(found, "therapy_cache_entries", cache="document") >= 2
    assert value(found, "therapy_db_pool_size", database="primary") >= 1
    assert value(found, "therapy_db_pool_connections", database="primary", state="idle") >= 1
    assert value(found, "therapy_db_pool_waiting", database="primary") == 0
    assert value(found, "therapy_database_up") == 1
    release = [
        labels for (name, labels), v in found.items() if name == "therapy_data_release_info" and v == 1
    ]
    assert len(release) == 1
    assert dict(release[0])["version"]
    assert value(found, "therapy_data_release_loaded_timestamp_seconds") > 1.7e9


def check_log_lines(text: str) -> None:
    lines = [json.loads(line) for line in text.splitlines()]
    graphql = [line for line in lines if line["path"] == "/graphql"]
    assert len(graphql) == 11
    first = graphql[0]
    assert {"timestamp", "level", "logger", "event", "request_id", "method", "status", "duration_ms"} <= set(
        first
    )
    assert first["logger"] == "api.access"
    assert (first["operation"], first["status"], first["statements"], first["outcome"]) == (
        "AgentName",
        200,
        1,
        "ok",
    )
    assert first["cost"] > 0
    assert len(first["request_id"]) == 32
    assert graphql[1].get("execution") == "replay"
    assert graphql[4]["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert graphql[4]["statements"] == 0
    assert (graphql[-1]["status"], graphql[-1]["outcome"]) == (429, "rate_limited")
    assert len({line["request_id"] for line in graphql}) == 11


async def test_metrics_after_a_known_sequence(
    seeded_url: str, settings: Settings, access_log: io.StringIO
) -> None:
    limited = replace(settings, rate_limit="9/minute", rate_limit_loopback=True, metrics_max_operations=2)
    app = create_app(limited, reader_url(seeded_url))
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        await known_sequence(http)
        scrape = await http.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    found = samples(scrape.text)
    check_request_metrics(found)
    check_state_metrics(found)
    # The same requests, one JSON line each.
    check_log_lines(access_log.getvalue())


async def test_load_shedding_is_counted(seeded_url: str, settings: Settings) -> None:
    shedding = replace(settings, max_in_flight=0)
    async with (
        serve(create_app(shedding, reader_url(seeded_url))) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        for _ in range(3):
            assert (await http.post("/graphql", json={"query": AGENT})).status_code == 503
        found = samples((await http.get("/metrics")).text)
    assert value(found, "therapy_http_refusals_total", status="503") == 3
    assert value(found, "therapy_graphql_requests_total", operation="unread", outcome="unavailable") == 3


async def test_request_ids_are_kept_and_text_logs_stay_plain(
    seeded_url: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="api.access")
    async with (
        serve(create_app(settings, reader_url(seeded_url))) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        response = await http.post("/graphql", json={"query": AGENT}, headers={"x-request-id": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    (record,) = [r for r in caplog.records if r.name == "api.access" and getattr(r, "path", "") == "/graphql"]
    text = logging.Formatter("%(message)s").format(record)
    assert text.startswith("POST /graphql 200 ")
    assert "AgentName cost=" in text
    assert "statements=1" in text


def test_configure_logging_json_and_text() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("info", "json")
        (handler,) = root.handlers
        record = logging.LogRecord(
            "api.access", logging.INFO, __file__, 1, "GET /healthz 200 1.0ms", None, None
        )
        record.status = 200
        handler.filter(record)
        line = json.loads(handler.format(record))
        assert line["event"] == "GET /healthz 200 1.0ms"
        assert line["status"] == 200
        assert line["level"] == "info"
        assert line["request_id"] == "-"
        configure_logging("info")
        assert not json_is(root.handlers[0].format(record))
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def json_is(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def test_log_format_setting() -> None:
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env({"LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        Settings.from_env({"LOG_FORMAT": "xml"})


def test_operation_names() -> None:
    assert operation_name({"query": "query A { x }", "operationName": "B"}) == "B"
    assert operation_name({"query": "# query Commented\nquery Real($x: Int) { x }"}) == "Real"
    assert operation_name({"query": "{ x }"}) is None
    assert operation_name([{"query": "query A { x }"}]) == "batch"
    names = OperationNames(["Known"], max_others=1)
    assert [names.label(n) for n in ("Known", "New", "Newer", None, "bad-name", "New")] == [
        "Known",
        "New",
        "other",
        "anonymous",
        "other",
        "New",
    ]
    assert [route_label(p) for p in ("/graphql", "/export/2026.1.0/trials.json", "/nope", "/")] == [
        "/graphql",
        "/export",
        "other",
        "/",
    ]


WORKER = """
import sys
from types import SimpleNamespace
from api.logs import RequestRecord
from api.metrics import Metrics
from config.settings import PROJECT_ROOT, Settings
from schema.schema import build_schema

metrics = Metrics(Settings.from_env({}), build_schema())
for _ in range(int(sys.argv[1])):
    record = RequestRecord("id", "POST", "/graphql", status=200, operation="Shared", cost=5)
    record.tally.statements = 1
    metrics.observe(record)
metrics.pool = SimpleNamespace(get_size=lambda: 3, get_idle_size=lambda: 1, get_max_size=lambda: 10)
metrics.sample()
"""
SCRAPE = """
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
registry = CollectorRegistry()
multiprocess.MultiProcessCollector(registry)
print(generate_latest(registry).decode())
"""


def test_worker_processes_are_reported_together(tmp_path: Path) -> None:
    """With `serve --workers N`, a scrape of one worker reports every worker's metrics."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for requests in (2, 3):  # two worker processes
        subprocess.run([sys.executable, "-c", WORKER, str(requests)], env=env, check=True, timeout=120)
    scrape = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, check=True, timeout=120, capture_output=True, text=True
    )
    found = samples(scrape.stdout)
    assert value(found, "therapy_graphql_requests_total", operation="Shared", outcome="ok") == 5
    assert value(found, "therapy_graphql_statements_per_request_sum") == 5
    assert value(found, "therapy_graphql_query_cost_sum") == 25
    # Gauges of live workers are summed (these exited without marking themselves dead).
    assert value(found, "therapy_db_pool_connections", database="primary", state="in_use") == 4
    assert value(found, "therapy_db_pool_size", database="primary") == 6


def test_pending_observations_flush_as_direct_ones() -> None:
    """Observations kept as plain numbers and flushed give the same exposition as observing
    each value directly (bucket bounds included: a value equal to a bound counts in it)."""
    values = [0.0, 0.005, 0.0051, 0.3, 1.0, 7.5, 1e9]
    exposed = []
    for deferred in (False, True):
        registry = CollectorRegistry()
        histogram = Histogram("h", "h", ["op"], buckets=(0.005, 0.5, 1.0, 10.0), registry=registry)
        counter = Counter("c", "c", ["op"], registry=registry)
        pending = PendingObservations()
        for value in values:
            if deferred:
                pending.observe(histogram.labels("a"), value)
                pending.inc(counter.labels("a"))
            else:
                histogram.labels("a").observe(value)
                counter.labels("a").inc()
        if deferred:
            assert b'h_count{op="a"} 0.0' in generate_latest(registry)  # nothing until flushed
            pending.flush()
        exposed.append([line for line in generate_latest(registry).splitlines() if b"_created" not in line])
    assert exposed[0] == exposed[1]
    assert b'h_bucket{le="0.005",op="a"} 2.0' in exposed[1]
    assert b'c_total{op="a"} 7.0' in exposed[1]
