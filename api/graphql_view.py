"""The GraphQL HTTP view: context, orjson encoding, error mapping, 503 on outages."""

from __future__ import annotations

from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from api.errors import DATABASE_UNAVAILABLE, error_code, format_error
from api.logs import request_id_var
from api.settings import Settings
from db.queries import QueryRunner
from schema.context import Context

RETRY_AFTER_SECONDS = "5"


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: Any, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.settings = settings

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            db=QueryRunner(request.app.state.pool),
            settings=self.settings,
            request=request,
            response=response,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            request_id = request_id_var.get()
            response["errors"] = [format_error(e, request_id) for e in result.errors]
            if any(error_code(e) == DATABASE_UNAVAILABLE for e in result.errors):
                request.state.database_unavailable = True
        if result.extensions:
            response["extensions"] = result.extensions
        return response

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        from strawberry.types.unset import UNSET

        response = await super().run(
            request,
            context=UNSET if context is None else context,
            root_value=UNSET if root_value is None else root_value,
        )
        if isinstance(request, Request) and getattr(request.state, "database_unavailable", False):
            response.status_code = 503
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response


def unexpected_errors(errors: list[GraphQLError]) -> list[GraphQLError]:
    """The errors worth a server-side stack trace (not client mistakes)."""
    return [e for e in errors if error_code(e) == "INTERNAL_SERVER_ERROR"]
