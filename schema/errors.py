"""Errors that resolvers raise for client mistakes; they carry `extensions.code`."""

from __future__ import annotations

import asyncpg
from graphql import GraphQLError

from db.queries import InvalidTextArgument
from db.readpool import UNAVAILABLE_ERRORS, PoolBusy


class ClientError(GraphQLError):
    """A mistake of the caller: shown as is, with a machine-readable code."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class UserInputError(ClientError):
    code = "BAD_USER_INPUT"


class NotFoundError(ClientError):
    code = "NOT_FOUND"


DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
SERVER_OVERLOADED = "SERVER_OVERLOADED"
# Codes answered with 503 and Retry-After: retry later, nothing is wrong with the request.
RETRY_LATER_CODES = frozenset({DATABASE_UNAVAILABLE, SERVER_OVERLOADED})


def is_database_unavailable(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, UNAVAILABLE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
    return False


# Messages of the depth, alias and token limiters (strawberry and graphql-core).
_TOO_COMPLEX_MARKERS = (
    "exceeds maximum operation depth",
    "aliases found. Allowed",
    "Document contains more than",
)


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
        if isinstance(original, PoolBusy):
            return SERVER_OVERLOADED
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


# Codes of client mistakes: answered, not logged as faults.
CLIENT_CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "BAD_REQUEST",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "QUERY_TOO_COMPLEX",
    }
)
