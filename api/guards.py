"""The guards in front of the endpoints (run by api.pipeline): per-client rate limits, load
shedding, and a bounded, timed, validated read of every GraphQL request before the GraphQL
view sees it.

Every refusal is a GraphQL error body with `extensions.code`, in the media type the
client asked for, with a 4xx status (or 503 when the server sheds load).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.datastructures import Headers, QueryParams
from starlette.types import Message, Receive, Scope, Send

from api.headers import RawHeaders
from api.logs import current_request
from config.settings import Settings

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
MAX_JSON_DEPTH = 32
OVERLOAD_RETRY_AFTER = "1"
GUARDED_PATHS = ("/graphql", "/export", "/csv", "/plots", "/mcp")


class RequestRefused(Exception):
    """A request the guards answer themselves: status, code, message and extra headers."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def media_type(headers: Headers) -> str:
    """The JSON media type the client accepts: GraphQL over HTTP's own one if it asks for it."""
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in headers.get("accept", "") else "application/json"


async def send_refusal(scope: Scope, send: Send, refusal: RequestRefused) -> None:
    body = orjson.dumps({"errors": [{"message": refusal.message, "extensions": {"code": refusal.code}}]})
    headers = [
        (b"content-type", media_type(Headers(scope=scope)).encode()),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *((name.lower().encode(), value.encode()) for name, value in refusal.headers.items()),
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_GUARDED_PREFIXES = tuple(p + "/" for p in GUARDED_PATHS)


def guarded(path: str) -> bool:
    """Whether rate limits and load shedding apply to this path."""
    return path in GUARDED_PATHS or path.startswith(_GUARDED_PREFIXES)


def replaying(body: bytes, receive: Receive) -> Receive:
    """`receive`, delivering the body the guard read first."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# --- per-client rate limits ------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # parsing an address costs more than the rest of the check
def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class RateLimit:
    """At most RATE_LIMIT requests per client address (a sliding window, `limits` library);
    loopback clients are exempt unless RATE_LIMIT_LOOPBACK. Answers carry RateLimit-* headers;
    a refusal is 429 with Retry-After."""

    def __init__(self, settings: Settings) -> None:
        self.item: RateLimitItem | None = parse(settings.rate_limit) if settings.rate_limit else None
        self.loopback = settings.rate_limit_loopback
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    def applies(self, scope: Scope) -> str | None:
        """The client key when the limit applies to this (guarded) request."""
        if self.item is None:
            return None
        client = scope.get("client")
        address = client[0] if client else "unknown"
        if not self.loopback and _is_loopback(address):
            return None
        return str(address)

    async def hit(self, key: str) -> RawHeaders:
        """Counts a request of this client: the headers its answer carries; RequestRefused when
        the client is over its limit."""
        assert self.item is not None
        allowed = await self.limiter.hit(self.item, key)
        stats = await self.limiter.get_window_stats(self.item, key)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(max(0, stats.remaining)),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{self.item.amount};w={self.item.get_expiry()}",
        }
        if not allowed:
            message = f"Rate limit of {self.item} per client exceeded; retry in {reset} s."
            raise RequestRefused(429, "RATE_LIMITED", message, {**headers, "Retry-After": str(reset)})
        return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


# --- load shedding -----------------------------------------------------------------------------


class LoadShedder:
    """Answers 503 + Retry-After at once when MAX_IN_FLIGHT requests are already being served,
    instead of queueing them until they time out. `admit` counts a request in, `done` out."""

    def __init__(self, settings: Settings) -> None:
        self.max_in_flight = settings.max_in_flight
        self.in_flight = 0

    def admit(self) -> None:
        """Raises RequestRefused when the server is at its limit."""
        if self.in_flight >= self.max_in_flight:
            message = f"The server is at its limit of {self.max_in_flight} requests in flight; retry shortly."
            raise RequestRefused(503, "SERVER_OVERLOADED", message, {"Retry-After": OVERLOAD_RETRY_AFTER})
        self.in_flight += 1

    def done(self) -> None:
        self.in_flight -= 1


# --- the GraphQL request itself ------------------------------------------------------------------


@dataclass(frozen=True)
class RequestBounds:
    max_body_bytes: int
    max_variables_bytes: int
    max_batch: int
    max_string_length: int = 200
    max_list_items: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestBounds:
        return cls(
            settings.max_body_bytes,
            settings.max_variables_bytes,
            settings.max_batch,
            settings.max_string_length,
            settings.max_list_items,
        )


def _variables_problem(variables: dict[str, Any], bounds: RequestBounds) -> str | None:
    """Why these variables can be no argument's value (too deep, a list or text too long, a NUL
    character), or None.

    The same bounds as schema.limits puts on arguments, checked here too because an operation
    replayed by the engine (schema.engine) takes new variable values without GraphQL.
    """
    depth, level = 0, [variables]
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return f"`variables` are nested deeper than {MAX_JSON_DEPTH} levels."
        children: list[Any] = []
        for item in level:
            values = item.values() if isinstance(item, dict) else item
            if isinstance(item, list) and len(item) > bounds.max_list_items:
                return f"A list in `variables` has {len(item)} items; at most {bounds.max_list_items} items are allowed."
            for value in values:
                if isinstance(value, str) and len(value) > bounds.max_string_length:
                    return (
                        f"A text in `variables` has {len(value)} characters; "
                        f"at most {bounds.max_string_length} characters are allowed."
                    )
                if isinstance(value, str) and "\x00" in value:
                    return "Text arguments cannot contain the NUL character (\\u0000)."
                if isinstance(value, (dict, list)):
                    children.append(value)
        level = children
    return None


def check_operation(item: Any, bounds: RequestBounds) -> None:
    """One GraphQL request object: `query` a string, `operationName` a string or null,
    `variables` and `extensions` objects or null, variables within their size and depth."""
    if not isinstance(item, dict):
        raise RequestRefused(400, "BAD_REQUEST", "A GraphQL request is a JSON object with a `query`.")
    query = item.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestRefused(400, "BAD_REQUEST", "The request has no `query` string.")
    for name, kinds, description in (
        ("operationName", (str,), "a string or null"),
        ("variables", (dict,), "an object or null"),
        ("extensions", (dict,), "an object or null"),
    ):
        value = item.get(name)
        if value is not None and not isinstance(value, kinds):
            raise RequestRefused(400, "BAD_REQUEST", f"`{name}` must be {description}.")
    variables = item.get("variables")
    if variables:
        if (problem := _variables_problem(variables, bounds)) is not None:
            raise RequestRefused(400, "BAD_USER_INPUT", problem)
        size = len(orjson.dumps(variables))
        if size > bounds.max_variables_bytes:
            message = f"`variables` take {size} bytes; at most {bounds.max_variables_bytes} are allowed."
            raise RequestRefused(413, "VARIABLES_TOO_LARGE", message)


def check_payload(payload: Any, bounds: RequestBounds) -> None:
    if isinstance(payload, list):
        if not payload:
            raise RequestRefused(400, "BAD_REQUEST", "An empty batch has nothing to run.")
        if len(payload) > bounds.max_batch:
            message = f"A batch holds at most {bounds.max_batch} operations; got {len(payload)}."
            raise RequestRefused(400, "BAD_REQUEST", message)
        for item in payload:
            check_operation(item, bounds)
    else:
        check_operation(payload, bounds)


def _loads(data: bytes | str, what: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RequestRefused(400, "BAD_REQUEST", f"{what} is not valid JSON (UTF-8): {exc}.") from None


def check_query_params(params: QueryParams, bounds: RequestBounds) -> None:
    """A GET request: the same checks on `query`, `variables`, `operationName`, `extensions`."""
    if "query" not in params:
        return  # GraphiQL, or the view's own answer for a missing query
    item: dict[str, Any] = {"query": params.get("query"), "operationName": params.get("operationName")}
    for name in ("variables", "extensions"):
        if params.get(name):
            item[name] = _loads(params[name], f"`{name}`")
    check_operation(item, bounds)


class QueryResolver(Protocol):
    """Puts in the query a request names instead of sending it (api.persisted)."""

    def resolve_get(self, scope: Scope) -> Scope: ...

    def resolve_payload(self, payload: Any) -> bool: ...


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """A request the guard let through: its scope, and for a POST its body and the body's JSON
    (a GraphQL request object or a batch of them, of the checked shape)."""

    scope: Scope
    body: bytes | None
    payload: Any


class GraphQLRequestGuard:
    """Reads a POST body within MAX_BODY_BYTES, once: the query a persisted
    query names is put in (`persisted`), then the request's shape is checked before the
    GraphQL view parses anything; the view then reads the buffered body (`replaying`)."""

    def __init__(self, settings: Settings, persisted: QueryResolver | None = None) -> None:
        self.bounds = RequestBounds.from_settings(settings)
        self.persisted = persisted

    async def check(self, scope: Scope, receive: Receive) -> CheckedRequest:
        """The request (a GET's query string with its persisted query put in) and its POST
        body, checked, with the body's JSON (None for GET); raises RequestRefused."""
        method = scope["method"]
        if method == "GET":
            if self.persisted is not None:
                scope = self.persisted.resolve_get(scope)
            check_query_params(QueryParams(scope.get("query_string", b"")), self.bounds)
            return CheckedRequest(scope, None, None)
        if method != "POST":
            raise RequestRefused(405, "METHOD_NOT_ALLOWED", "Use GET or POST.", {"Allow": "GET, POST"})
        content_type = declared = None
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
            if name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"content-length" and declared is None:
                declared = value
        if (content_type or b"").split(b";")[0].strip().lower() != b"application/json":
            message = "Send the request as `Content-Type: application/json`."
            raise RequestRefused(415, "UNSUPPORTED_MEDIA_TYPE", message)
        if declared is not None and declared.isdigit() and int(declared) > self.bounds.max_body_bytes:
            raise self.too_large(int(declared))
        body = await self.read_body(receive)
        if (record := current_request.get()) is not None:
            record.body = body  # the log line names the operation of a request refused below
        payload = _loads(body, "The request body")
        if self.persisted is not None and self.persisted.resolve_payload(payload):
            body = orjson.dumps(payload)
        check_payload(payload, self.bounds)
        return CheckedRequest(scope, body, payload)

    def too_large(self, size: int) -> RequestRefused:
        message = f"The request body has {size} bytes; at most {self.bounds.max_body_bytes} are allowed."
        return RequestRefused(413, "PAYLOAD_TOO_LARGE", message)

    async def read_body(self, receive: Receive) -> bytes:
        """The whole body, within MAX_BODY_BYTES. Its time is bounded by the connection
        (BODY_TIMEOUT_S, api.server): a client that stops sending is answered 408 there, and
        this reads the disconnect."""
        chunks: list[bytes] = []
        size = 0
        while True:
            received = await receive()
            if received["type"] == "http.disconnect":
                raise RequestRefused(400, "BAD_REQUEST", "The client went away.")
            chunk = received.get("body", b"")
            size += len(chunk)
            if size > self.bounds.max_body_bytes:
                raise self.too_large(size)
            chunks.append(chunk)
            if not received.get("more_body", False):
                return b"".join(chunks)
