"""Everything in front of the endpoints, as one ASGI layer.

For each HTTP request, in this order: its record and id (api.logs), one database to read
from (db.replicas), compression and CORS when the client asks for them, then on the guarded
paths the rate limit and load shedding, and on /graphql the checked body (api.guards) and
CSV answers (api.tabular).

One layer instead of a stack of eight: each layer of a stack is a coroutine, and most wrap
every message sent; together about 10 us of a small query's 200 us of server time.
Compression and CORS are the libraries' middleware, entered only by a request
that carries `Accept-Encoding` or `Origin`; an answer to one that does not only gains the
`Vary` header those would add, in the one wrapper every answer passes through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware
from starlette_compress._utils import classify_start_message  # the type check its responders use

from api.guards import (
    GraphQLRequestGuard,
    LoadShedder,
    QueryResolver,
    RateLimit,
    RequestRefused,
    guarded,
    replaying,
    send_refusal,
)
from api.headers import RawHeaders, send_with_headers, send_with_vary, with_vary
from api.logs import GRAPHQL_PATH, Observer, RequestRecord, RequestRecords
from api.tabular import CsvAnswers, wants_csv
from config.settings import Settings
from db.replicas import OneDatabaseScope

CORS_EXPOSED_HEADERS = [
    "x-request-id",
    "etag",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "ratelimit-policy",
]


# Answers one checked GraphQL request object without the view, or says False (api.graphql_view).
OperationReplay = Callable[[Scope, dict[str, Any], Send], Awaitable[bool]]


class RequestPipeline:
    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        observers: Sequence[Observer] = (),
        persisted: QueryResolver | None = None,
        replay: OperationReplay | None = None,
    ) -> None:
        self.app = app
        self.replay = replay
        self.records = RequestRecords(observers)
        self.rate_limit = RateLimit(settings)
        self.shedder = LoadShedder(settings)
        self.guard = GraphQLRequestGuard(settings, persisted)
        self.csv = CsvAnswers(app)
        self.minimum_size = settings.compress_min_bytes
        # By (Accept-Encoding sent, Origin sent): the layers the request enters. Without CORS
        # an Origin changes nothing; with it, an answer to a request without one says
        # `Vary: Origin` (inside compression, where Starlette's CORS would say it; without
        # compression, in the one wrapper every answer passes through: `answering`).
        self.vary_origin = bool(settings.cors_origins)
        plain: ASGIApp = self.admitted
        with_cors: ASGIApp = self.admitted
        if settings.cors_origins:
            plain = self.admitted_without_origin
            with_cors = cors(self.admitted, settings.cors_origins)
        self.chains: dict[tuple[bool, bool], ASGIApp] = {
            (False, False): self.admitted,
            (True, False): CompressMiddleware(plain, minimum_size=self.minimum_size),
            (False, True): with_cors,
            (True, True): CompressMiddleware(with_cors, minimum_size=self.minimum_size),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = origin = False
        incoming_id = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                encoding = True
            elif name == b"origin":
                origin = True
            elif name == b"x-request-id" and not incoming_id:  # the first one, if sent twice
                incoming_id = value
        opened = self.records.open(scope, incoming_id)
        try:
            with OneDatabaseScope():
                vary_origin = self.vary_origin and not encoding and not origin
                answering = self.answering(opened.record, send, not encoding, vary_origin)
                await self.chains[encoding, origin](scope, receive, answering)
        finally:
            self.records.close(opened, scope.get("query_string", b""))

    def answering(self, record: RequestRecord, send: Send, vary_encoding: bool, vary_origin: bool) -> Send:
        """`send`, noting the answer's status in the record and adding its headers: the request
        id, Server-Timing, and the Vary values of CORS and compression when not entered."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: RawHeaders = message.get("headers", [])
                if vary_origin:
                    headers = with_vary(headers, b"Origin")
                if vary_encoding and self.compressible(message, headers):
                    headers = with_vary(headers, b"Accept-Encoding")
                message["headers"] = [*headers, *self.records.answer_headers(record, message["status"])]
            await send(message)

        return sending

    def compressible(self, start: Message, headers: RawHeaders) -> bool:
        """Whether starlette-compress would compress this answer for a client that accepts it:
        a type it compresses, of at least `minimum_size` bytes or of a length not given."""
        if classify_start_message(start) == "skip":
            return False
        length = next((value for name, value in headers if name.lower() == b"content-length"), None)
        return length is None or int(length) >= self.minimum_size

    async def admitted_without_origin(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.admitted(scope, receive, send_with_vary(send, b"Origin"))

    async def admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rate limit and load shedding on the guarded paths, then the endpoint."""
        path: str = scope["path"]
        if not guarded(path):
            await self.app(scope, receive, send)
            return
        if path == GRAPHQL_PATH and scope["method"] in ("GET", "HEAD"):
            send = send_with_vary(send, b"Accept")  # GET answers on /graphql depend on Accept
        try:
            if (key := self.rate_limit.applies(scope)) is not None:
                send = send_with_headers(send, await self.rate_limit.hit(key))
            self.shedder.admit()
        except RequestRefused as refusal:
            await send_refusal(scope, send, refusal)
            return
        try:
            if path == GRAPHQL_PATH:
                await self.graphql(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            self.shedder.done()

    async def graphql(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The body read and checked once (a persisted query put in), then CSV, or a replay of
        the operation, or the view."""
        try:
            checked = await self.guard.check(scope, receive)
        except RequestRefused as refusal:
            await send_refusal(scope, send, refusal)
            return
        scope = checked.scope
        accept = next((value for name, value in scope["headers"] if name == b"accept"), b"")
        csv = wants_csv(accept.decode("latin-1"))
        if (
            not csv
            and self.replay is not None
            and isinstance(checked.payload, dict)
            and await self.replay(scope, checked.payload, send)
        ):
            return
        if checked.body is not None:
            receive = replaying(checked.body, receive)
        await (self.csv if csv else self.app)(scope, receive, send)


def cors(app: ASGIApp, origins: tuple[str, ...]) -> CORSMiddleware:
    """Anonymous reads from browser apps: GET and POST from these origins ("*": any), no
    credentials, preflight answers cached by the browser for a day."""
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_credentials=False,
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
        expose_headers=CORS_EXPOSED_HEADERS,
        max_age=86400,
    )
