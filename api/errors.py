"""Mapping of execution errors to what a client sees.

Client mistakes keep their message and get `extensions.code`; anything unexpected is
masked (no stack trace, no SQL) and logged with the request id; a database outage is
reported so that the HTTP layer can answer 503.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from graphql import GraphQLError

from db.queries import InvalidTextArgument
from schema.errors import ClientError

logger = logging.getLogger("api.errors")

DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"

_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


# What a failing or restarting database raises on the way to a query.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


def is_database_unavailable(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, _UNAVAILABLE_TYPES):
            return True
        error = error.__cause__ or error.__context__
    return False


# Messages of the depth, alias and token limiters (strawberry and graphql-core).
_TOO_COMPLEX_MARKERS = (
    "exceeds maximum operation depth",
    "aliases found. Allowed",
    "Document contains more than",
)
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(error, ClientError):
        return error.code
    if isinstance(original, ClientError):
        return original.code
    if original is not None and not isinstance(original, GraphQLError):
        if isinstance(original, InvalidTextArgument):
            return "BAD_USER_INPUT"
        if isinstance(original, asyncpg.exceptions.QueryCanceledError):
            return "QUERY_TIMEOUT"
        if is_database_unavailable(original):
            return DATABASE_UNAVAILABLE
        return "INTERNAL_SERVER_ERROR"
    existing = (error.extensions or {}).get("code")
    if isinstance(existing, str):
        return existing
    if any(marker in error.message for marker in _TOO_COMPLEX_MARKERS):
        return "QUERY_TOO_COMPLEX"
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable "):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


_PUBLIC_MESSAGES = {
    "INTERNAL_SERVER_ERROR": "Internal server error.",
    DATABASE_UNAVAILABLE: "The database is unavailable; retry shortly.",
    "QUERY_TIMEOUT": "The query took too long and was cancelled.",
}


def format_error(error: GraphQLError, request_id: str | None, suggestions: bool = True) -> dict[str, Any]:
    code = error_code(error)
    formatted: dict[str, Any] = dict(error.formatted)
    if not suggestions:
        formatted["message"] = _SUGGESTION.sub("", formatted["message"])
    if code in _PUBLIC_MESSAGES:
        if code == "INTERNAL_SERVER_ERROR":
            logger.error(
                "unexpected error (request %s) at %s",
                request_id,
                error.path,
                exc_info=error.original_error,
            )
        formatted = {"message": _PUBLIC_MESSAGES[code]}
        if error.locations:
            formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
        if error.path:
            formatted["path"] = error.path
    extensions = dict(formatted.get("extensions") or {})
    extensions["code"] = code
    if request_id and code in _PUBLIC_MESSAGES:
        extensions["requestId"] = request_id
    formatted["extensions"] = extensions
    return formatted
