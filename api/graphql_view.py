"""The GraphQL HTTP view: context, orjson encoding, error mapping, 503 on outages."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.errors import DATABASE_ERRORS, format_error
from api.graphiql import graphiql_html
from api.guards import OVERLOAD_RETRY_AFTER, RequestRefused, send_refusal
from api.logs import current_request, operation_name, request_id_var
from config.settings import Settings
from db.queries import QueryRunner
from db.release import latest_release
from db.replicas import ReadPools, current_route
from schema.context import Context
from schema.errors import DATABASE_UNAVAILABLE, RETRY_LATER_CODES
from schema.schema import TherapySchema

RETRY_AFTER_SECONDS = "5"
GRAPHQL_RESPONSE = "application/graphql-response+json"
GRAPHQL_RESPONSE_BYTES = GRAPHQL_RESPONSE.encode()
FAST_PATH_ENTRIES = 1024
GET_CACHE_CONTROL = "public, max-age=60"
EXAMPLES = (Path(__file__).parent / "graphiql_examples.graphql").read_text()


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: TherapySchema, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.engine = schema.engine
        self.settings = settings
        # Shared caches (a proxy, a CDN) keep a GET answer SHARED_MAX_AGE seconds, then revalidate it.
        self.get_cache_control = f"{GET_CACHE_CONTROL}, s-maxage={settings.shared_max_age_s}"
        self._ide_html = graphiql_html(EXAMPLES)  # local assets only (api.graphiql)

    @property
    def graphql_ide_html(self) -> str:
        return self._ide_html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but a request it refuses gets a coded GraphQL error body, not plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            refusal = RequestRefused(exc.status_code, "BAD_REQUEST", exc.reason)
            await send_refusal(scope, send, refusal)
            return
        if (route := current_route()) is not None and route.answered:
            response.headers["X-Database"] = route.answered[-1].name  # which database answered
        await response(scope, receive, send)

    async def release_checksum(self, request: Request) -> str:
        """The release of the database this request reads from (db.replicas): as last checked,
        or read now when the client revalidates an answer it holds."""
        pool = request.app.state.pool
        if isinstance(pool, ReadPools):
            return await pool.release_checksum(fresh="if-none-match" in request.headers)
        return release.checksum if (release := await latest_release(pool)) else ""

    async def still_served(self, request: Request, checksum: str) -> bool:
        """Whether the databases that answered serve release `checksum` still: read after the
        answer, that proves the answer is of that release (db.replicas)."""
        pool = request.app.state.pool
        if not isinstance(pool, ReadPools):
            return True
        try:
            return await pool.same_release(checksum)
        except DATABASE_ERRORS:
            return False

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(db=QueryRunner(request.app.state.pool))

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        request_error = (
            bool(result.errors) and result.data is None and all(not e.path for e in result.errors or [])
        )
        if request_error and GRAPHQL_RESPONSE in request.headers.get("accept", ""):
            # Parse, validation or limit errors (no field path): nothing was executed.
            # GraphQL over HTTP: a request error has no `data` entry and a 4xx status.
            del response["data"]
        if result.errors:
            request_id = request_id_var.get()
            response["errors"] = [
                format_error(e, request_id, self.settings.field_suggestions) for e in result.errors
            ]
        if result.extensions:
            response["extensions"] = result.extensions
        if (record := current_request.get()) is not None:
            record.note_answer(response.get("errors") or [], result.extensions)
        if not result.errors and isinstance(request, Request):
            await self.remember_answer(request, response)
        return response

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        try:
            response = await asyncio.wait_for(
                self._run(request, context, root_value), timeout=self.settings.request_timeout_s
            )
        except TimeoutError:
            body = {
                "data": None,
                "errors": [
                    {
                        "message": f"The request took longer than {self.settings.request_timeout_s:g} s and was stopped.",
                        "extensions": {"code": "REQUEST_TIMEOUT", "requestId": request_id_var.get()},
                    }
                ],
            }
            return Response(orjson.dumps(body), status_code=504, media_type="application/json")
        if (
            isinstance(request, Request)
            and GRAPHQL_RESPONSE in request.headers.get("accept", "")
            and response.headers.get("content-type", "").startswith("application/json")
        ):
            response.headers["content-type"] = GRAPHQL_RESPONSE
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        """The status follows from the answer itself: 503 on an outage, 400 for a request error."""
        response = super().create_response(response_data, sub_response)
        answers = response_data if isinstance(response_data, list) else [response_data]
        errors: list[Any] = [error for a in answers for error in a.get("errors") or []]
        codes = {(error.get("extensions") or {}).get("code") for error in errors}
        if codes & RETRY_LATER_CODES:
            response.status_code = 503
            # An outage takes seconds to end; a full pool frees a connection in moments.
            response.headers["Retry-After"] = (
                RETRY_AFTER_SECONDS if DATABASE_UNAVAILABLE in codes else OVERLOAD_RETRY_AFTER
            )
            response.headers["Cache-Control"] = "no-store"
        elif any("data" not in a for a in answers):
            response.status_code = 400  # GraphQL over HTTP: a request error has no `data`
        return response

    @staticmethod
    async def _operation(request: Request) -> tuple[str, str | None, dict[str, Any]] | None:
        """(query, operationName, variables) of a single JSON POST, or None."""
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None
        query, name, variables = payload.get("query"), payload.get("operationName"), payload.get("variables")
        if (
            not isinstance(query, str)
            or not isinstance(name, str | None)
            or not isinstance(variables, dict | None)
        ):
            return None
        return query, name, variables or {}

    async def send_replay(self, scope: Scope, operation: dict[str, Any], send: Send) -> bool:
        """Answer by replaying an operation whose plan was answered cleanly before
        (schema.engine): the body PostgreSQL built goes out as it is, in two ASGI messages.
        `operation` is the request object the guard read and checked (api.guards), so the body
        is not read or parsed again. False when the operation has no such plan, or the database
        failed (this view then answers, and reports a failure with its usual mapping). Replays
        are bounded by the statement timeout, so no timeout task is needed."""
        query: str = operation["query"]
        name: str | None = operation.get("operationName")
        variables: dict[str, Any] = operation.get("variables") or {}
        record = current_request.get()
        if record is not None:  # read here once: the log line need not parse the body again
            record.operation = operation_name({"query": query, "operationName": name})
        try:
            replayed = await self.engine.replay(query, name, variables, QueryRunner(scope["app"].state.pool))
        except DATABASE_ERRORS:
            return False
        if replayed is None:
            return False
        body = replayed.body
        if record is not None:
            record.note_replay(replayed.extensions)
        accept = next((value for key, value in scope["headers"] if key == b"accept"), b"")
        media_type = GRAPHQL_RESPONSE_BYTES if GRAPHQL_RESPONSE_BYTES in accept else b"application/json"
        raw_headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", media_type),
            (b"cache-control", b"no-store"),
            (b"x-graphql-execution", b"replay"),
        ]
        if (route := current_route()) is not None and route.answered:
            raw_headers.append((b"x-database", route.answered[-1].name.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})
        return True

    async def remember_answer(self, request: Request, response: GraphQLHTTPResponse) -> None:
        extensions = response.get("extensions")
        if request.method != "POST" or extensions is None:
            return
        operation = await self._operation(request)
        if operation is not None:
            self.engine.mark_answered(*operation, dict(extensions))

    async def _run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        etag = None
        is_query_get = (
            isinstance(request, Request) and request.method == "GET" and "query" in request.query_params
        )
        if is_query_get:
            # The answer to a GET query depends only on the query and the data release.
            try:
                checksum = await self.release_checksum(request)
            except DATABASE_ERRORS:
                # An outage is reported by the execution below, with its 503.
                checksum = ""
            if checksum:
                digest = hashlib.sha256(
                    f"{checksum}\0{request.url.query}\0{request.headers.get('accept', '')}".encode()
                )
                etag = f'"{digest.hexdigest()[:32]}"'
                if _etag_matches(request.headers.get("if-none-match", ""), etag):
                    return Response(
                        status_code=304, headers={"ETag": etag, "Cache-Control": self.get_cache_control}
                    )
        response = await super().run(
            request,
            context=UNSET if context is None else context,
            root_value=UNSET if root_value is None else root_value,
        )
        if response.status_code == 503:
            pass  # headers set with the status (create_response)
        elif etag is not None and response.status_code == 200:
            if await self.still_served(request, checksum):
                response.headers["ETag"] = etag
                response.headers["Cache-Control"] = self.get_cache_control
            else:  # the release changed while answering: no validator to keep this answer by
                response.headers["Cache-Control"] = "no-store"
        elif isinstance(request, Request) and request.method == "POST":
            response.headers["Cache-Control"] = "no-store"
        return response
